"""Waivers (``--waivers FILE``, ``schemas/waivers.schema.json``): accepted exceptions that expire.

A waiver names a rule, a subject (an id or an ``fnmatch`` glob), the justification, who
approved it and the last day it applies (``expires``, inclusive, a UTC calendar date
compared with the check's ``--as-of``). While it applies, a finding it matches is reported
as waived: it fails nothing and blocks no stage (the assessment and the plan treat the check
as passing). Once it has expired the finding counts again, and the report lists the waiver
as expired; a waiver that matches no finding is listed as unused. A waiver for a rule that
is not loaded is an input error, never a silent no-op.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path

from engine.evaluate import findings
from engine.evaluate.evaluation import RuleResult
from engine.inputs import schemas
from engine.inputs.diagnostics import Diagnostic, InputError
from engine.inputs.inventory import Inventory
from engine.policy.policies import PolicySet

ACTIVE, EXPIRED, UNUSED = "active", "expired", "unused"


@dataclass(frozen=True)
class Waiver:
    rule_id: str
    subject: str  # an id or a glob
    justification: str
    approved_by: str
    expires: dt.date
    file: str
    line: int

    def matches(self, finding: findings.Finding) -> bool:
        return finding.rule_id == self.rule_id and fnmatchcase(finding.subject_id, self.subject)

    def applies_on(self, as_of: dt.date) -> bool:
        return as_of <= self.expires


@dataclass(frozen=True)
class WaiverStatus:
    """How one waiver fared in this check."""

    rule_id: str
    subject: str
    justification: str
    approved_by: str
    expires: str
    file: str
    line: int
    status: str  # active | expired | unused
    matched: tuple[str, ...]  # subject ids of the findings it matches


def load(path: str | Path, policies: PolicySet) -> tuple[Waiver, ...]:
    """Read and check a waivers file. Raises InputError with every problem."""
    source = schemas.read_checked(path, "waivers", "a waivers file")
    known = {r.id for r in policies.rules} | {d.rule_id for d in policies.disabled}
    out: list[Waiver] = []
    problems: list[Diagnostic] = []
    for index, raw in enumerate(source.data["waivers"]):
        line, _ = source.positions.locate(("waivers", index))
        if raw["rule"] not in known:
            at = source.positions.locate(("waivers", index, "rule"))
            problems.append(
                Diagnostic(
                    source.path,
                    *at,
                    f"waiver for unknown rule {raw['rule']!r} (not in the loaded policies)",
                    f"waivers[{index}].rule",
                )
            )
            continue
        try:
            expires = dt.date.fromisoformat(raw["expires"])
        except ValueError:
            at = source.positions.locate(("waivers", index, "expires"))
            problems.append(
                Diagnostic(source.path, *at, f"{raw['expires']!r} is not a calendar date", f"waivers[{index}].expires")
            )
            continue
        out.append(
            Waiver(raw["rule"], raw["subject"], raw["justification"], raw["approved_by"], expires, source.path, line)
        )
    if problems:
        raise InputError(problems)
    return tuple(out)


def _ref(waiver: Waiver, status: str) -> findings.Waiver:
    return findings.Waiver(
        status, waiver.justification, waiver.approved_by, waiver.expires.isoformat(), waiver.file, waiver.line
    )


def apply(
    found: Sequence[findings.Finding], waivers: Sequence[Waiver], as_of: dt.date
) -> tuple[tuple[findings.Finding, ...], tuple[WaiverStatus, ...]]:
    """Mark each finding with the waiver that matches it (an applying one first, else an
    expired one), and say how every waiver fared."""
    matched: dict[int, list[str]] = {i: [] for i in range(len(waivers))}
    out: list[findings.Finding] = []
    for finding in found:
        hits = [i for i, w in enumerate(waivers) if w.matches(finding)]
        for i in hits:
            matched[i].append(finding.subject_id)
        active = [i for i in hits if waivers[i].applies_on(as_of)]
        if active:
            out.append(replace(finding, waiver=_ref(waivers[active[0]], ACTIVE)))
        elif hits:
            out.append(replace(finding, waiver=_ref(waivers[hits[0]], EXPIRED)))
        else:
            out.append(finding)
    statuses = []
    for i, w in enumerate(waivers):
        status = EXPIRED if not w.applies_on(as_of) else ACTIVE if matched[i] else UNUSED
        statuses.append(
            WaiverStatus(
                w.rule_id,
                w.subject,
                w.justification,
                w.approved_by,
                w.expires.isoformat(),
                w.file,
                w.line,
                status,
                tuple(matched[i]),
            )
        )
    return tuple(out), tuple(statuses)


def passing(
    policies: PolicySet, results: Iterable[RuleResult], found: Iterable[findings.Finding], org: Inventory
) -> tuple[RuleResult, ...]:
    """The rule results with every waived check counted as passing: what the assessment and
    the plan see, so a waived finding blocks no stage."""
    waived = {(f.rule_id, f.subject_id) for f in found if f.waived}
    results = tuple(results)
    if not waived:
        return results
    scopes = {r.id: r.scope for r in policies.rules}
    out: list[RuleResult] = []
    for result in results:
        scope = scopes[result.rule_id]
        if scope == "organisation":
            ids = [org.organisation_id]
        else:
            items = org.items(scope)
            ids = [str(items[i].get("id")) for i in result.failed] if result.failed else []
        if scope == "organisation":
            keep = tuple(i for i in result.failed if (result.rule_id, ids[0]) not in waived)
        else:
            keep = tuple(i for i, s in zip(result.failed, ids, strict=True) if (result.rule_id, s) not in waived)
        out.append(replace(result, failed=keep) if keep != result.failed else result)
    return tuple(out)
