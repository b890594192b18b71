"""The report: everything a renderer needs, as frozen data, and its canonical JSON form."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, is_dataclass
from typing import Any

from engine.assess.coverage import Coverage
from engine.assess.maturity import Assessment
from engine.assess.peer_context import PeerLine
from engine.assess.plan import NextStep
from engine.assess.waivers import WaiverStatus
from engine.evaluate.evaluation import RuleResult
from engine.evaluate.findings import Finding
from engine.inputs.questionnaire import Comparison
from engine.policy.ir import CompiledRule
from engine.policy.stages import Ladder
from engine.report.baseline import BaselineResult
from engine.vocabulary import LEVERS, SEVERITIES

REPORT_VERSION = 1


@dataclass(frozen=True)
class InputFile:
    path: str
    role: str  # inventory | policy | stages
    sha256: str


@dataclass(frozen=True)
class RuleOutcome:
    """A rule's metadata and how it fared on this inventory."""

    id: str
    title: str
    lever: str
    stage: str
    severity: str
    scope: str
    applied: int
    failed: int
    file: str
    line: int
    # For reports that explain a rule without a finding (SARIF rule help, HTML, Markdown).
    description: str = ""
    remediation: str = ""
    references: tuple[str, ...] = ()
    # assessed | not_applicable (it applied to no subject) | not_assessed (it reads fields the
    # inventory did not record: ``missing``, the fields that would let it run)
    status: str = "assessed"
    missing: tuple[str, ...] = ()
    frameworks: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeverSummary:
    rules: int
    checks: int
    failed: int


@dataclass(frozen=True)
class Summary:
    rules: int
    checks: int
    findings: int
    by_severity: dict[str, int]
    by_lever: dict[str, LeverSummary]
    waived: int = 0  # findings an active waiver accepts (counted in findings too)
    not_assessed: int = 0  # rules that read fields the inventory did not record
    not_applicable: int = 0  # rules that applied to no subject


@dataclass(frozen=True)
class Report:
    tool_version: str
    as_of: str
    engine: str
    organisation: dict[str, Any]
    inputs: tuple[InputFile, ...]
    rules: tuple[RuleOutcome, ...]
    findings: tuple[Finding, ...]
    summary: Summary
    assessment: Assessment
    next_step: NextStep
    waivers: tuple[WaiverStatus, ...] | None = None  # None without --waivers
    baseline: BaselineResult | None = None  # None without --baseline
    peer_context: tuple[PeerLine, ...] = ()  # peers' survey figures beside the organisation's own
    questionnaire: tuple[Comparison, ...] | None = None  # staff answers beside the inventory; None without


def _status(applied: int, missing: tuple[str, ...] | None) -> str:
    if missing is not None:
        return "not_assessed"
    return "assessed" if applied else "not_applicable"


def outcomes(
    rules: tuple[CompiledRule, ...],
    results: tuple[RuleResult, ...],
    unassessed: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[RuleOutcome, ...]:
    """Each rule's outcome; ``unassessed``: the rules not assessed, with the fields they miss."""
    by_id = {r.rule_id: r for r in results}
    unassessed = unassessed or {}
    return tuple(
        RuleOutcome(
            rule.id,
            rule.title,
            rule.lever,
            rule.stage,
            rule.severity,
            rule.scope,
            by_id[rule.id].applied,
            len(by_id[rule.id].failed),
            rule.file,
            rule.line,
            rule.description,
            rule.remediation,
            rule.references,
            _status(by_id[rule.id].applied, unassessed.get(rule.id)),
            unassessed.get(rule.id, ()),
            rule.frameworks,
        )
        for rule in sorted(rules, key=lambda r: r.id)
    )


def summarise(rules: tuple[RuleOutcome, ...], findings: tuple[Finding, ...]) -> Summary:
    severity = Counter(f.severity for f in findings)
    levers = {
        lever: LeverSummary(
            rules=sum(1 for r in rules if r.lever == lever),
            checks=sum(r.applied for r in rules if r.lever == lever),
            failed=sum(r.failed for r in rules if r.lever == lever),
        )
        for lever in LEVERS
    }
    return Summary(
        rules=len(rules),
        checks=sum(r.applied for r in rules),
        findings=len(findings),
        by_severity={s: severity.get(s, 0) for s in SEVERITIES},
        by_lever=levers,
        waived=sum(1 for f in findings if f.waived),
        not_assessed=sum(1 for r in rules if r.status == "not_assessed"),
        not_applicable=sum(1 for r in rules if r.status == "not_applicable"),
    )


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "title": f.title,
        "lever": f.lever,
        "stage": f.stage,
        "severity": f.severity,
        "subject": {"kind": f.subject_kind, "id": f.subject_id, "departments": list(f.departments)},
        "message": f.message,
        "evidence": [{"field": e.label, "value": e.value} for e in f.evidence],
        "location": {"file": f.location.file, "line": f.location.line, "col": f.location.col},
        "remediation": f.remediation,
        "references": list(f.references),
        **({"frameworks": list(f.frameworks)} if f.frameworks else {}),
        "fingerprint": f.fingerprint,
        **({"waiver": asdict(f.waiver)} if f.waiver else {}),
        **({"members": list(f.members)} if f.members else {}),
    }


def _plain(value: Any) -> Any:
    """Frozen dataclasses and tuples -> JSON-ready dicts and lists, fields in declared order."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _ladder(ladder: Ladder) -> dict[str, Any]:
    return {
        "file": ladder.file,
        "description": ladder.description,
        "stages": [
            {
                "id": s.id,
                "title": s.title,
                "description": s.description,
                "altimeter": list(s.altimeter),
                "gate": {
                    "blocking_severities": list(s.gate.blocking_severities),
                    "min_pass_ratio": float(s.gate.min_pass_ratio),
                    "requires": list(s.gate.requires),
                },
            }
            for s in ladder.stages
        ],
        "below_first": {"description": ladder.below_first_description, "altimeter": list(ladder.below_first_altimeter)},
        "weights": dict(ladder.weights),
        "imbalance_spread": ladder.imbalance_spread,
    }


def _assessment(a: Assessment) -> dict[str, Any]:
    return {
        "ladder": _ladder(a.ladder),
        "organisation": _plain(a.organisation),
        "departments": _plain(a.departments),
        "levers": _plain(a.levers),
        "imbalance": _plain(a.imbalance),
        "target": _plain(a.target),
        "crosswalk": _plain(a.crosswalk),
        "coverage": _coverage(a.coverage),
    }


def _coverage(c: Coverage | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {**_plain(c), "complete": c.complete}


def to_data(report: Report) -> dict[str, Any]:
    """The JSON report v1 (``schemas/report.schema.json``)."""
    summary = report.summary
    data: dict[str, Any] = {
        "report_version": REPORT_VERSION,
        "tool": {"name": "smgov", "version": report.tool_version},
        "as_of": report.as_of,
        "engine": report.engine,
        "organisation": report.organisation,
        "inputs": [asdict(i) for i in report.inputs],
        "rules": [{k: v for k, v in asdict(r).items() if v or k != "frameworks"} for r in report.rules],
        "findings": [_with_baseline(_finding(f), f, report.baseline) for f in report.findings],
        "summary": {
            "rules": summary.rules,
            "checks": summary.checks,
            "findings": summary.findings,
            "by_severity": summary.by_severity,
            "by_lever": {k: asdict(v) for k, v in summary.by_lever.items()},
            "waived": summary.waived,
            "not_assessed": summary.not_assessed,
            "not_applicable": summary.not_applicable,
        },
        "assessment": _assessment(report.assessment),
        "next_step": _plain(report.next_step),
    }
    data["peer_context"] = [asdict(p) for p in report.peer_context]
    if report.questionnaire is not None:
        data["questionnaire"] = [asdict(c) for c in report.questionnaire]
    if report.waivers is not None:
        data["waivers"] = [asdict(w) for w in report.waivers]
    if report.baseline is not None:
        b = report.baseline
        data["baseline"] = {"file": b.file, "new": b.new, "existing": b.existing, "resolved": b.resolved}
    return data


def _with_baseline(data: dict[str, Any], f: Finding, baseline: BaselineResult | None) -> dict[str, Any]:
    if baseline is not None:
        data["baseline"] = "new" if baseline.is_new(f) else "existing"
    return data
