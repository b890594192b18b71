"""What several renderers share: numbers as words, waivers, the departments × levers heat map,
and making inventory text safe for formats that cannot carry every character."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.assess.peer_context import YES_NO
from engine.evaluate.findings import Finding
from engine.report import escape
from engine.report.model import Report
from engine.vocabulary import LEVERS

#: Control characters (and bidi overrides) shown as ``\\uXXXX``: ``engine.report.escape``.
visible = escape.terminal
one_line = escape.one_line


def percent(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{100 * ratio:.0f}%"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


# --------------------------------------------------------------------------- waivers

# A finding that an active waiver (``--waivers``) accepts is ``waived``: SARIF gives it a
# suppression, JUnit does not fail on it, the other formats mark it. An expired waiver
# waives nothing (the finding is reported as open, and the expiry is said).


def waiver(finding: Finding) -> bool:
    """True when an active waiver accepts ``finding``."""
    return bool(getattr(finding, "waived", False))


def waiver_reason(finding: Finding) -> str:
    """The waiver's justification, approver and expiry in words ('' without a waiver)."""
    found = getattr(finding, "waiver", None)
    if found is None:
        return ""
    parts = [str(getattr(found, "justification", "") or "")]
    if getattr(found, "approved_by", None):
        parts.append(f"approved by {found.approved_by}")
    if getattr(found, "expires", None):
        status = "expired" if getattr(found, "status", "active") == "expired" else "until"
        parts.append(f"{status} {found.expires}")
    return "; ".join(p for p in parts if p)


# --------------------------------------------------------------------------- heat map


@dataclass(frozen=True)
class HeatRow:
    id: str
    name: str
    status: str
    stage: str | None
    failing: tuple[int, ...]  # failing checks (findings) per lever, in LEVERS order


def heat_map(report: Report) -> tuple[HeatRow, ...]:
    """Failing checks per department and lever (a finding counts toward each department of
    its subject), one row per department in the inventory's order."""
    counts: dict[str, dict[str, int]] = {}
    for f in report.findings:
        for department in dict.fromkeys(f.departments):
            counts.setdefault(department, {}).setdefault(f.lever, 0)
            counts[department][f.lever] += 1
    return tuple(
        HeatRow(
            d.id,
            d.name,
            d.status,
            d.stage,
            tuple(counts.get(d.id, {}).get(lever, 0) for lever in LEVERS),
        )
        for d in report.assessment.departments
    )


def org_wide(report: Report) -> tuple[int, ...]:
    """Failing checks per lever that belong to no department (organisation-wide subjects)."""
    return tuple(sum(1 for f in report.findings if f.lever == lever and not f.departments) for lever in LEVERS)


def gate_text(g: Any) -> str:
    """One stage's gate in words (the same sentence as the text report)."""
    if not g.blocking_rules:
        blocking = "no defining rules"
    elif g.blocking_failed:
        blocking = (
            f"{len(g.blocking_failed)}/{len(g.blocking_rules)} defining rules fail: {', '.join(g.blocking_failed)}"
        )
    else:
        blocking = f"{len(g.blocking_rules)}/{len(g.blocking_rules)} defining rules pass"
    if not g.weight:
        other = "no other rules"
    else:
        other = (
            f"other rules {g.passed_rules}/{g.rules} pass ({percent(g.pass_ratio)} of their weight, "
            f"needs {percent(g.min_pass_ratio)}{f': {g.shortfall} more weight' if g.shortfall else ''})"
        )
    return f"{blocking}; {other}"


#: Why an item is in a plan step, in words.
REASONS = {
    "blocking": "defines the stage",
    "critical": "critical: never waits",
    "legal_duty": "legal duty: never waits",
    "incident": "an incident on record bears on it",
    "pass_ratio": "for the pass ratio",
    "dependency": "needed first by another item",
}


def owner_text(item: Any) -> str:
    """An item's accountable owner, as a plan shows it."""
    return f"{item.owner} ({item.owner_role})" if item.owner else item.owner_role


def after_text(item: Any) -> str:
    """What an item waits for, and the incidents that raised it ("" when neither)."""
    parts = []
    if item.depends_on:
        parts.append(f"after {', '.join(item.depends_on)}")
    if item.incidents:
        parts.append(f"raised by {', '.join(item.incidents)}")
    return "; " + "; ".join(parts) if parts else ""


def peer_lines(report: Any) -> list[tuple[str, str, str]]:
    """The peer context as (measure, the organisation's figure, the peers' figure with its
    source, sample and year): context beside the organisation's own, never a pass mark."""
    out = []
    for p in report.peer_context:
        if p.own is None:
            own = p.own_text
        else:
            own = f"{('yes' if p.own else 'no') if p.measure in YES_NO else percent(p.own)} ({p.own_text})"
        where = ", ".join(x for x in (p.sector, p.size) if x)
        peers = f"{percent(p.peers)}: {p.statement} ({p.source}, {p.year}; {p.sample}{'; ' + where if where else ''})"
        out.append((p.measure.replace("_", " "), own, peers))
    return out


def questionnaire_lines(report: Any) -> list[tuple[str, str, str, str, str]]:
    """The staff questionnaire beside the inventory: (department, statement, staff, inventory,
    "dissonance" or "")."""
    return [
        (
            c.department,
            c.measure.replace("_", " "),
            f"{percent(c.staff)} of {c.respondents}",
            percent(c.inventory) if c.inventory is not None else "not recorded",
            "dissonance" if c.dissonance else "",
        )
        for c in report.questionnaire or ()
    ]


def department_state(d: Any) -> str:
    if d.status == "not_using_social_media":
        return "not using social media"
    if d.status == "no_checks":
        return "uses social media, but no check concerns its subjects"
    relation = {"behind": "behind", "level": "level with", "ahead": "ahead of"}[d.relative or "level"]
    return f"{d.stage} ({relation} the organisation; {d.failed} of {plural(d.checks, 'check')} failed)"


# --------------------------------------------------------------------------- what was not assessed


def not_assessed(report: Report) -> list[Any]:
    """The rules not assessed (they read fields the inventory did not record), by id."""
    return [r for r in report.rules if r.status == "not_assessed"]


def not_applicable(report: Report) -> list[Any]:
    """The rules that applied to no subject, by id."""
    return [r for r in report.rules if r.status == "not_applicable"]


def needs_text(rule: Any) -> str:
    """What would let a rule that was not assessed run, in words."""
    return f"the inventory does not record {', '.join(rule.missing)}"


NOT_APPLICABLE_TEXT = "no subject in their scope, or none that their 'when' selects"


def coverage_text(report: Report) -> str:
    """How much of the assessment rests on checks that ran ('' when every check could run)."""
    coverage = report.assessment.coverage
    if coverage is None or coverage.complete:
        return ""
    stage = report.assessment.organisation.stage
    gates = [g for g in coverage.stages if g.stage == stage]
    where = gates[0] if gates else (coverage.stages[0] if coverage.stages else None)
    reached = f"stage {stage} reached on" if gates else "the first gate judged on"
    on = f"; {reached} {percent(where.up_to_ratio)} of its checks" if where is not None else ""
    return (
        f"Coverage: {percent(coverage.ratio)} of the checks could be assessed ({plural(coverage.not_assessed, 'rule')} "
        f"not assessed: the inventory does not record the fields they read){on}"
    )


def gate_coverage(report: Report, stage: str) -> str:
    """' (assessed on 40% of its checks)' for a gate some checks of which could not run."""
    coverage = report.assessment.coverage
    gate = coverage.of(stage) if coverage is not None else None
    if gate is None or not gate.not_assessed:
        return ""
    return f" (assessed on {percent(gate.ratio)} of its checks: {plural(len(gate.not_assessed), 'rule')} not assessed)"
