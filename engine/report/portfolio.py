"""The portfolio report: many organisations' outcomes, compact, and its canonical JSON form.

A portfolio run checks each organisation (a *unit*) on its own; what comes back from a
worker is a :class:`UnitResult`, small enough to send between processes: the stage reached,
the target, each gate's result, findings counted by severity, the rules that failed, the
files read, or the unit's input errors. :func:`assemble` puts the units together in the
order they were named (never the order they finished), so the report is the same byte for
byte however the work was spread.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

from engine.inputs.diagnostics import Diagnostic
from engine.report.model import InputFile, Report
from engine.vocabulary import SEVERITIES

PORTFOLIO_VERSION = 1
#: How many of the rules failing in most organisations the report lists.
TOP_RULES = 10


@dataclass(frozen=True)
class Gate:
    """One stage's gate on one organisation: passed or not, and what blocks it."""

    stage: str
    passed: bool
    blocking_failed: tuple[str, ...]
    pass_ratio: float | None
    min_pass_ratio: float
    shortfall: int


@dataclass(frozen=True)
class Problem:
    """One input problem of a unit, as ``file:line:col``, message and document path."""

    file: str
    line: int
    col: int
    message: str
    path: str

    def format(self) -> str:
        return Diagnostic(self.file, self.line, self.col, self.message, self.path).format()


@dataclass(frozen=True)
class UnitResult:
    """One organisation's outcome (``status`` ok), or why it could not be checked."""

    name: str
    path: str
    tags: tuple[tuple[str, str], ...]
    status: str  # ok | bad_input | internal_error
    organisation_id: str | None = None
    stage: str | None = None  # the stage reached ("none" below the first)
    target_stage: str | None = None
    meets_target: bool | None = None
    gates: tuple[Gate, ...] = ()
    findings: int = 0  # not waived
    by_severity: tuple[tuple[str, int], ...] = ()
    failed_rules: tuple[tuple[str, int], ...] = ()  # rule id, subjects failing it
    problems: tuple[Problem, ...] = ()
    error: str = ""  # internal_error: the exception, in one line
    inputs: tuple[InputFile, ...] = ()

    def severity_counts(self) -> dict[str, int]:
        counted = dict(self.by_severity)
        return {s: counted.get(s, 0) for s in SEVERITIES}


@dataclass(frozen=True)
class RuleTally:
    """A rule and how widely it fails across the portfolio."""

    rule_id: str
    title: str
    severity: str
    organisations: int  # organisations where it fails
    subjects: int  # failing subjects, summed over them


@dataclass(frozen=True)
class PortfolioReport:
    tool_version: str
    as_of: str
    engine: str
    name: str
    stages: tuple[str, ...]  # the ladder's stage ids, lowest first (of the default policies)
    units: tuple[UnitResult, ...]
    top_rules: tuple[RuleTally, ...]

    def checked(self) -> list[UnitResult]:
        return [u for u in self.units if u.status == "ok"]

    def stage_counts(self) -> dict[str, int]:
        """Organisations per stage reached, lowest first ("none" before the first stage)."""
        counts = Counter(u.stage for u in self.checked())
        order = ["none", *self.stages, *sorted(s for s in counts if s not in self.stages and s != "none")]
        return {s: counts.get(s, 0) for s in order}


def unit_result(name: str, path: str, tags: dict[str, str], report: Report, target: str | None) -> UnitResult:
    """The compact result of one organisation's report; ``target``: the portfolio's target
    stage for it (its manifest entry), else the report's."""
    stage = report.assessment.organisation.stage
    order = ["none", *(s.id for s in report.assessment.ladder.stages)]
    goal = target or report.assessment.target.stage
    kept = [f for f in report.findings if not f.waived]
    severities = Counter(f.severity for f in kept)
    return UnitResult(
        name=name,
        path=path,
        tags=tuple(sorted(tags.items())),
        status="ok",
        organisation_id=report.organisation.get("id"),
        stage=stage,
        target_stage=goal,
        meets_target=order.index(stage) >= order.index(goal) if goal in order else None,
        gates=tuple(
            Gate(g.stage, g.passed, g.blocking_failed, g.pass_ratio, float(g.min_pass_ratio), g.shortfall)
            for g in report.assessment.organisation.gates
        ),
        findings=len(kept),
        by_severity=tuple((s, severities[s]) for s in SEVERITIES if severities[s]),
        failed_rules=tuple((r.id, r.failed) for r in report.rules if r.failed),
        inputs=report.inputs,
    )


def failed_unit(name: str, path: str, tags: dict[str, str], problems: tuple[Diagnostic, ...]) -> UnitResult:
    return UnitResult(
        name,
        path,
        tuple(sorted(tags.items())),
        "bad_input",
        problems=tuple(Problem(d.file, d.line, d.col, d.message, d.path) for d in problems),
    )


def broken_unit(name: str, path: str, tags: dict[str, str], error: str) -> UnitResult:
    return UnitResult(name, path, tuple(sorted(tags.items())), "internal_error", error=error)


def assemble(
    tool_version: str,
    as_of: str,
    engine: str,
    name: str,
    stages: tuple[str, ...],
    units: list[UnitResult],
    rules: dict[str, tuple[str, str]],
) -> PortfolioReport:
    """The report over ``units`` (in the order given); ``rules``: id -> (title, severity)."""
    organisations: Counter[str] = Counter()
    subjects: Counter[str] = Counter()
    for unit in units:
        for rule_id, failed in unit.failed_rules:
            organisations[rule_id] += 1
            subjects[rule_id] += failed
    ranked = sorted(organisations, key=lambda r: (-organisations[r], -subjects[r], r))[:TOP_RULES]
    top = tuple(
        RuleTally(r, *rules.get(r, ("", "")), organisations=organisations[r], subjects=subjects[r]) for r in ranked
    )
    return PortfolioReport(tool_version, as_of, engine, name, stages, tuple(units), top)


def tags_text(unit: UnitResult) -> str:
    return "; ".join(f"{k}={v}" for k, v in unit.tags)


def _unit(unit: UnitResult) -> dict[str, Any]:
    data: dict[str, Any] = {"name": unit.name, "path": unit.path, "tags": dict(unit.tags), "status": unit.status}
    if unit.status == "ok":
        data.update(
            organisation_id=unit.organisation_id,
            stage=unit.stage,
            target_stage=unit.target_stage,
            meets_target=unit.meets_target,
            gates=[asdict(g) for g in unit.gates],
            findings=unit.findings,
            by_severity=unit.severity_counts(),
            failed_rules=[{"rule_id": r, "failed": n} for r, n in unit.failed_rules],
        )
    elif unit.status == "bad_input":
        data["problems"] = [asdict(p) for p in unit.problems]
    else:
        data["error"] = unit.error
    return data


def to_data(report: PortfolioReport) -> dict[str, Any]:
    """The JSON portfolio report v1 (``schemas/portfolio.schema.json``)."""
    checked = report.checked()
    return {
        "portfolio_version": PORTFOLIO_VERSION,
        "tool": {"name": "smgov", "version": report.tool_version},
        "as_of": report.as_of,
        "engine": report.engine,
        "name": report.name,
        "stages": list(report.stages),
        "summary": {
            "organisations": len(report.units),
            "checked": len(checked),
            "bad_input": sum(1 for u in report.units if u.status == "bad_input"),
            "internal_error": sum(1 for u in report.units if u.status == "internal_error"),
            "meeting_target": sum(1 for u in checked if u.meets_target),
            "by_stage": report.stage_counts(),
            "findings_by_severity": {s: sum(u.severity_counts()[s] for u in checked) for s in SEVERITIES},
        },
        "top_failing_rules": [asdict(r) for r in report.top_rules],
        "organisations": [_unit(u) for u in report.units],
    }
