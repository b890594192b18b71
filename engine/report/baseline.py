"""Baselines: ``smgov check --baseline FILE`` fails only on findings that are not in it.

A baseline is a file written by ``--write-baseline`` (``schemas/baseline.schema.json``) or
any JSON report (``schemas/report.schema.json``). Findings match by fingerprint, computed
from rule, subject kind and subject id, never from the file or the line: moving an item in
the inventory neither resurrects an accepted finding nor hides a new one.

Either file is checked before use, every problem with its ``file:line:col``: its schema, each
fingerprint against its rule and subject, no finding listed twice. A finding a report shows
as waived (an active waiver) is not accepted by a baseline made from that report: the waiver
has its own expiry, and once it expires the finding counts again, exactly as when the
baseline was written by ``--write-baseline`` (which leaves waived findings out). A baseline
that records its organisation (``organisation.id``; a report always does) accepts only that
organisation's findings (``compare``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.evaluate.findings import Finding, fingerprint
from engine.inputs.diagnostics import Diagnostic, InputError
from engine.inputs.sources import Source, read
from engine.report.diff import NOT_A_REPORT, exact, finding_problems, locate, report_problems, schema_problems
from engine.report.output import json_text

BASELINE_VERSION = 1

NOT_A_BASELINE = (
    "not a baseline: expected a JSON object with a 'findings' list "
    "(write one with: smgov check ... --write-baseline FILE) or an smgov JSON report v1"
)


@dataclass(frozen=True)
class Baseline:
    file: str
    fingerprints: frozenset[str]
    organisation: str | None = None  # the organisation it was made for, when it says


@dataclass(frozen=True)
class BaselineResult:
    """How the current findings compare with the baseline."""

    file: str
    new: int  # findings not in the baseline: the only ones that can fail the run
    existing: int  # findings already in the baseline
    resolved: int  # baseline findings no longer found
    known: frozenset[str]

    def is_new(self, finding: Finding) -> bool:
        return finding.fingerprint not in self.known


def load(path: str | Path) -> Baseline:
    """Read and check a baseline (or a JSON report). Raises InputError with every problem."""
    source = read(Path(path))
    if isinstance(source, Diagnostic):
        raise InputError([source])
    data = source.data
    if isinstance(data, dict) and "report_version" in data:
        if data["report_version"] != 1:
            at = source.positions.locate(("report_version",))
            raise InputError([Diagnostic(source.path, *at, NOT_A_REPORT, "report_version")])
        if report_problems(source):
            raise InputError(report_problems(exact(source)))
    elif isinstance(data, dict) and ("baseline_version" in data or "findings" in data):
        if _problems(source):
            raise InputError(_problems(exact(source)))
    else:
        raise InputError([Diagnostic(source.path, 1, 1, NOT_A_BASELINE)])
    org = data.get("organisation")
    return Baseline(
        source.path,
        frozenset(
            fingerprint(item["rule_id"], item["subject"]["kind"], item["subject"]["id"])
            for item in data["findings"]
            if not _waived(item)
        ),
        org["id"] if isinstance(org, dict) else None,
    )


def _problems(source: Source) -> list[Diagnostic]:
    return schema_problems("baseline", source) + finding_problems(source)


def _waived(item: dict[str, Any]) -> bool:
    """A report's finding with an active waiver: accepted by the waiver, not by the baseline."""
    waiver = item.get("waiver")
    return isinstance(waiver, dict) and waiver.get("status") == "active"


def compare(baseline: Baseline, found: Iterable[Finding], organisation: str | None = None) -> BaselineResult:
    """``found`` against the baseline. ``organisation``: the id of the organisation checked;
    InputError when the baseline records another one (its findings accept nothing here)."""
    if organisation is not None and baseline.organisation is not None and baseline.organisation != organisation:
        raise InputError(
            [
                Diagnostic(
                    baseline.file,
                    *locate(baseline.file, ("organisation", "id")),
                    f"this baseline is of organisation {baseline.organisation!r}, the check is of "
                    f"{organisation!r}: a baseline accepts the findings of the organisation it was made for",
                    "organisation.id",
                )
            ]
        )
    current = {f.fingerprint for f in found}
    return BaselineResult(
        file=baseline.file,
        new=len(current - baseline.fingerprints),
        existing=len(current & baseline.fingerprints),
        resolved=len(baseline.fingerprints - current),
        known=baseline.fingerprints,
    )


def render(
    found: Iterable[Finding], as_of: str, tool_version: str, organisation: Mapping[str, Any] | None = None
) -> str:
    """The baseline file for the findings that are not waived (a waiver has its own expiry);
    ``organisation`` (a report's: ``id`` and ``name``) is recorded when given."""
    data: dict[str, Any] = {
        "baseline_version": BASELINE_VERSION,
        "tool": {"name": "smgov", "version": tool_version},
        "as_of": as_of,
        **({"organisation": {"id": organisation["id"], "name": organisation.get("name")}} if organisation else {}),
        "findings": [
            {
                "fingerprint": f.fingerprint,
                "rule_id": f.rule_id,
                "severity": f.severity,
                "subject": {"kind": f.subject_kind, "id": f.subject_id},
                "message": f.message,
            }
            for f in sorted(found, key=lambda f: (f.rule_id, f.subject_kind, f.subject_id))
            if not f.waived
        ],
    }
    return json_text(data) + "\n"
