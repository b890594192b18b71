"""Text for a terminal: the stage ladder, the lever table and the next step first, then the
findings grouped by severity. ``render_plan`` shows the whole road to the target instead."""

from __future__ import annotations

import re

from engine.assess.maturity import Assessment
from engine.assess.plan import NextStep, Step
from engine.evaluate.findings import show
from engine.report.model import Report
from engine.report.render.common import (
    NOT_APPLICABLE_TEXT,
    REASONS,
    after_text,
    coverage_text,
    gate_coverage,
    gate_text,
    needs_text,
    not_applicable,
    not_assessed,
    owner_text,
    peer_lines,
    percent,
    questionnaire_lines,
    visible,
)
from engine.vocabulary import SEVERITIES

_COLOURS = {"critical": "\033[1;31m", "high": "\033[31m", "medium": "\033[33m", "low": "\033[36m", "info": "\033[2m"}
_RESET = "\033[0m"
_OWN = re.compile("|".join(re.escape(code) for code in (*_COLOURS.values(), _RESET)))
#: How many subject ids a plan line shows before "+N more" (the JSON report has them all).
SUBJECTS_SHOWN = 8


def _paint(text: str, severity: str, color: bool) -> str:
    return f"{_COLOURS[severity]}{text}{_RESET}" if color else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _header(report: Report) -> str:
    s, org = report.summary, report.organisation
    return (
        f"smgov {report.tool_version}: {org.get('name')} (as of {report.as_of}, "
        f"{s.rules} rules, {s.checks} checks, engine {report.engine})"
    )


def _standing(a: Assessment) -> str:
    where = ", ".join(a.crosswalk.position) or "not mapped"
    return (
        f"Stage: {a.organisation.stage}   target: {a.target.stage}"
        f"{' (default: the top stage)' if a.target.source == 'default' else ''}   "
        f"{a.crosswalk.scale} ≈ {where} (approximate)"
    )


def _ladder(report: Report) -> list[str]:
    a = report.assessment
    width = max(len(s.id) for s in a.ladder.stages)
    lines = ["Stage ladder (a stage is reached when its gate and every gate below it are met)"]
    for g in a.organisation.gates:
        marks = [
            m
            for m, on in (("organisation", g.stage == a.organisation.stage), ("target", g.stage == a.target.stage))
            if on
        ]
        suffix = f"   <- {' and '.join(marks)}" if marks else ""
        covered = gate_coverage(report, g.stage)
        lines.append(f"  [{'x' if g.passed else ' '}] {g.stage:<{width}}  {gate_text(g)}{covered}{suffix}")
    return lines


def _levers(a: Assessment) -> list[str]:
    lines = [f"{'Levers':<14}{'rules':>6}{'checks':>8}{'failed':>8}{'weighted pass':>15}  stage"]
    for lv in a.levers:
        stage = lv.stage if lv.stage is not None else "(no checks)"
        lines.append(
            f"  {lv.lever:<12}{lv.rules:>6}{lv.checks:>8}{lv.failed:>8}{percent(lv.weighted_pass_ratio):>15}  {stage}"
        )
    lines.append(("Imbalance: " if a.imbalance.flagged else "Balance: ") + a.imbalance.message)
    return lines


def _staff(report: Report) -> list[str]:
    rows = questionnaire_lines(report)
    if report.questionnaire is None:
        return []
    lines = ["Staff questionnaire (share of respondents agreeing, beside the inventory's view)"]
    for department, measure, staff, own, flag in rows:
        lines.append(f"  {department} {measure}: staff {staff}; inventory {own}" + (f"  <- {flag}" if flag else ""))
    return ["", *lines]


def _peers(report: Report) -> list[str]:
    rows = peer_lines(report)
    if not rows:
        return []
    lines = ["Peer context (survey figures beside yours; context, not a pass mark)"]
    for measure, own, peers in rows:
        lines += [f"  {measure}: yours {own}", f"    peers: {peers}"]
    return ["", *lines]


def _departments(a: Assessment) -> list[str]:
    if not a.departments:
        return []
    width = max(len(d.id) for d in a.departments)
    lines = ["Departments (their own subjects' checks; organisation-wide rules not counted)"]
    for d in a.departments:
        if d.status == "not_using_social_media":
            state = "not using social media"
        elif d.status == "no_checks":
            state = "uses social media, but no check concerns its subjects"
        else:
            relation = {"behind": "behind", "level": "level with", "ahead": "ahead of"}[d.relative or "level"]
            state = f"{d.stage} ({relation} the organisation; {d.failed} of {_plural(d.checks, 'check')} failed)"
        lines.append(f"  {d.id:<{width}}  {d.name}: {state}")
    return lines


def _subjects(subjects: tuple[str, ...]) -> str:
    shown = ", ".join(subjects[:SUBJECTS_SHOWN])
    more = len(subjects) - SUBJECTS_SHOWN
    return shown + (f" (+{more} more)" if more > 0 else "")


def _step(step: Step, color: bool) -> list[str]:
    if step.already_met:
        lines = [f"Reach {step.stage}: its gate is already met."]
    else:
        lines = [f"Reach {step.stage} ({step.title}): {gate_text(step.gate)}"]
    for number, item in enumerate(step.items, 1):
        count = len(item.subjects)
        on = "" if count == 1 else f" (all {count})"
        lines.append(
            f"  {number}. {_paint(f'{item.severity:<8}', item.severity, color)} {item.rule_id}: {item.title}"
            f" ({REASONS[item.reason]}; {item.lever})"
        )
        lines.append(f"      {item.scope}{on}: {_subjects(item.subjects)}")
        lines.append(f"      owner: {owner_text(item)}; effort: {item.effort}" + after_text(item))
        lines.append(f"      do: {item.action}")
        if item.record:
            lines.append(f"      record: {item.record}")
    if step.may_wait:
        lines.append("  may wait (the gate tolerates these failures):")
        for w in step.may_wait:
            lines.append(f"    {w.severity:<8} {w.rule_id}: {w.title}")
            lines.append(f"      {len(w.subjects)} failing ({w.scope}): {_subjects(w.subjects)}")
    return lines


def _next(step: NextStep, color: bool, whole_road: bool) -> list[str]:
    lines = [f"Next step: {step.message}"]
    if not step.steps:
        return lines
    for number, s in enumerate(step.steps if whole_road else step.steps[:1]):
        if number:
            lines.append("")
        lines.extend(_step(s, color))
    if not whole_road and len(step.steps) > 1:
        road = " -> ".join(s.stage for s in step.steps)
        lines.append(f"Road to the target: {road} (smgov plan shows every step)")
    return lines


def _findings(report: Report, color: bool) -> list[str]:
    s = report.summary
    lines: list[str] = []
    for severity in SEVERITIES:
        group = [f for f in report.findings if f.severity == severity]
        if not group:
            continue
        lines += ["", _paint(f"{severity.upper()} ({len(group)})", severity, color)]
        for f in group:
            lines.append(f"  {f.rule_id} {f.subject_kind} {f.subject_id}: {f.message}")
            lines.append(f"    at {f.location.file}:{f.location.line}")
            if f.evidence:
                lines.append("    evidence: " + "; ".join(f"{e.label} = {show(e.value)}" for e in f.evidence))
            lines.append(f"    fix: {f.remediation}")
            if f.frameworks:
                lines.append(f"    framework: {', '.join(f.frameworks)}; cites: {'; '.join(f.references)}")
            if f.waiver:
                w = f.waiver
                state = "WAIVED" if f.waived else "waiver EXPIRED"
                lines.append(f"    {state} until {w.expires} by {w.approved_by}: {w.justification} ({w.file}:{w.line})")
            if report.baseline is not None and not report.baseline.is_new(f):
                lines.append("    in the baseline")
    lines += _unassessed(report)
    counts = ", ".join(f"{s.by_severity[v]} {v}" for v in SEVERITIES if s.by_severity[v])
    lines += ["", f"{s.findings} finding{'s' if s.findings != 1 else ''}" + (f" ({counts})" if counts else "")]
    if s.waived:
        lines.append(f"{s.waived} of them waived (they fail nothing and block no stage)")
    for w in report.waivers or ():
        if w.status != "active":
            lines.append(f"waiver {w.status}: {w.rule_id} for {w.subject} ({w.file}:{w.line}, expires {w.expires})")
    if report.baseline is not None:
        b = report.baseline
        lines.append(f"baseline {b.file}: {b.new} new, {b.existing} already in it, {b.resolved} resolved")
    return lines


def _unassessed(report: Report) -> list[str]:
    """The rules that gave no finding and no pass: not assessed, or applied to no subject."""
    lines: list[str] = []
    skipped = not_assessed(report)
    if skipped:
        lines += ["", f"NOT ASSESSED ({len(skipped)}): no finding, no pass"]
        lines += [f"  {r.id} {r.scope}: {r.title}\n    {needs_text(r)}" for r in skipped]
    idle = not_applicable(report)
    if idle:
        lines += ["", f"APPLIED TO NO SUBJECT ({len(idle)}): {NOT_APPLICABLE_TEXT}"]
        lines += [f"  {r.id} {r.scope}: {r.title}" for r in idle]
    return lines


def _assessment(report: Report, color: bool, whole_road: bool) -> list[str]:
    a = report.assessment
    coverage = coverage_text(report)
    lines = [_header(report), "", _standing(a), *([coverage] if coverage else []), a.target.message]
    lines += ["", *_ladder(report), "", *_levers(a), *_staff(report), *_peers(report)]
    departments = _departments(a)
    if departments:
        lines += ["", *departments]
    lines += ["", *_next(report.next_step, color, whole_road)]
    lines.append(f"({a.crosswalk.note})")
    return lines


def _inert(text: str, color: bool) -> str:
    """Control characters from the inventory (a terminal escape in a name) shown as \\uXXXX.
    In colour only this renderer's own colour codes stay (an inventory value could at most
    repeat one of them: a colour, never a cursor move or a terminal command)."""
    if not color:
        return visible(text)
    parts = _OWN.split(text)
    return visible(parts[0]) + "".join(c + visible(p) for c, p in zip(_OWN.findall(text), parts[1:], strict=True))


def render(report: Report, color: bool = False) -> str:
    """The check report: assessment and next step first, then every finding."""
    return _inert("\n".join([*_assessment(report, color, whole_road=False), *_findings(report, color)]) + "\n", color)


def render_plan(report: Report, color: bool = False) -> str:
    """The plan: assessment, then the whole road to the target, stage by stage; no findings list."""
    return _inert("\n".join(_assessment(report, color, whole_road=True)) + "\n", color)
