"""Markdown for pull-request comments and CI step summaries (GitHub-flavoured, readable as
plain text): stage and target, the ladder, the levers, departments, the next step, then the
findings per lever, folded into ``<details>`` when a lever has many.

Every value that comes from the inventory or the policies goes through ``md``: Markdown and
HTML punctuation is backslash-escaped (so ``<script>`` shows as text), control characters
are made visible and newlines cannot break a table.
"""

from __future__ import annotations

from engine.assess.plan import Step
from engine.evaluate.findings import Finding
from engine.evaluate.messages import show
from engine.report import escape
from engine.report.model import Report
from engine.report.render import words
from engine.report.render.common import (
    NOT_APPLICABLE_TEXT,
    REASONS,
    after_text,
    coverage_text,
    department_state,
    gate_coverage,
    gate_text,
    needs_text,
    not_applicable,
    not_assessed,
    owner_text,
    peer_lines,
    percent,
    plural,
    questionnaire_lines,
    waiver,
    waiver_reason,
)
from engine.vocabulary import LEVERS

#: A lever with more findings than this is folded into <details>.
FOLD_AFTER = 5
#: Findings listed per lever: a pull-request comment holds at most 65,536 characters, so a
#: large inventory's Markdown lists the most severe ones and points to the full reports.
LISTED_PER_LEVER = 30
#: Subjects listed per next-step item before "+N more".
SUBJECTS_SHOWN = 8


def md(value: object) -> str:
    """Inline Markdown text that renders as exactly ``value`` (``engine.report.escape.markdown``:
    no markup, no HTML, no mention, reference or autolink)."""
    return escape.markdown(value if isinstance(value, str) else show(value))


def code(value: object, cell: bool = False) -> str:
    """An identifier as a code span (``engine.report.escape.code``)."""
    return escape.code(str(value), cell)


def _header(report: Report) -> list[str]:
    a, s = report.assessment, report.summary
    where = ", ".join(a.crosswalk.position) or "not mapped"
    default = " (default: the top stage)" if a.target.source == "default" else ""
    return [
        f"# smgov report: {md(report.organisation.get('name') or report.organisation.get('id'))}",
        "",
        f"As of {report.as_of} · {plural(s.rules, 'rule')} · {plural(s.checks, 'check')} · "
        f"{plural(s.findings, 'finding')} · smgov {report.tool_version} (engine {report.engine})",
        "",
        f"**Stage: {a.organisation.stage}** · target: **{a.target.stage}**{default} · "
        f"{a.crosswalk.scale} ≈ {md(where)} (approximate)",
        "",
        *([md(coverage_text(report)), ""] if coverage_text(report) else []),
        md(a.target.message),
    ]


def _ladder(report: Report) -> list[str]:
    a = report.assessment
    lines = [
        "## Stage ladder",
        "",
        "A stage is reached when its gate and every gate below it are met.",
        "",
        "| met | stage | gate | |",
        "|---|---|---|---|",
    ]
    for g in reversed(a.organisation.gates):
        marks = [
            m
            for m, on in (("organisation", g.stage == a.organisation.stage), ("target", g.stage == a.target.stage))
            if on
        ]
        stage = f"**{g.stage}**" if g.stage == a.organisation.stage else g.stage
        mark = " and ".join(f"← {m}" for m in marks)
        gate = md(gate_text(g) + gate_coverage(report, g.stage))
        lines.append(f"| {'[x]' if g.passed else '[ ]'} | {stage} | {gate} | {mark} |")
    return lines


def _levers(report: Report) -> list[str]:
    a = report.assessment
    lines = [
        "## Levers",
        "",
        "| lever | rules | checks | failed | weighted pass | stage |",
        "|---|--:|--:|--:|--:|---|",
    ]
    for lv in a.levers:
        stage = lv.stage if lv.stage is not None else "(no checks)"
        lines.append(
            f"| {lv.lever} | {lv.rules} | {lv.checks} | {lv.failed} | {percent(lv.weighted_pass_ratio)} | {stage} |"
        )
    lines += ["", ("**Imbalance:** " if a.imbalance.flagged else "Balance: ") + md(a.imbalance.message)]
    return lines


def _staff(report: Report) -> list[str]:
    if report.questionnaire is None:
        return []
    lines = ["## Staff questionnaire", "", "Share of respondents agreeing, beside the inventory's view.", ""]
    lines += ["| department | statement | staff | inventory | |", "|---|---|---|---|---|"]
    lines += [
        f"| {code(d)} | {m} | {s} | {o} | {'**' + f + '**' if f else ''} |"
        for d, m, s, o, f in questionnaire_lines(report)
    ]
    return lines


def _peers(report: Report) -> list[str]:
    rows = peer_lines(report)
    if not rows:
        return []
    lines = ["## Peer context", "", "Survey figures beside yours: context, not a pass mark.", ""]
    lines += ["| measure | yours | peers |", "|---|---|---|"]
    lines += [f"| {md(m)} | {md(o)} | {md(p)} |" for m, o, p in rows]
    return lines


def _departments(report: Report) -> list[str]:
    a = report.assessment
    if not a.departments:
        return []
    lines = [
        "## Departments",
        "",
        "Their own subjects' checks; organisation-wide rules are not counted.",
        "",
        "| department | name | stage |",
        "|---|---|---|",
    ]
    for d in a.departments:
        lines.append(f"| {code(d.id, cell=True)} | {md(d.name)} | {md(department_state(d))} |")
    return lines


def _subjects(subjects: tuple[str, ...]) -> str:
    shown = ", ".join(code(s) for s in subjects[:SUBJECTS_SHOWN])
    more = len(subjects) - SUBJECTS_SHOWN
    return shown + (f" (+{more} more)" if more > 0 else "")


def _step(step: Step) -> list[str]:
    if step.already_met:
        return [f"Reach **{step.stage}**: its gate is already met."]
    lines = [f"Reach **{step.stage}** ({md(step.title)}): {md(gate_text(step.gate))}", ""]
    for number, item in enumerate(step.items, 1):
        count = len(item.subjects)
        on = "" if count == 1 else f" (all {count})"
        lines.append(f"{number}. {item.severity} {code(item.rule_id)} {md(item.title)} ({REASONS[item.reason]})")
        lines.append(f"    - {item.scope}{on}: {_subjects(item.subjects)}")
        lines.append(f"    - owner: {md(owner_text(item))}; effort: {item.effort}{md(after_text(item))}")
        lines.append(f"    - do: {md(item.action)}")
        if item.record:
            lines.append(f"    - record: {md(item.record)}")
    if step.may_wait:
        lines.append("")
        lines.append(
            f"May wait (the gate tolerates these failures): {', '.join(code(w.rule_id) for w in step.may_wait)}"
        )
    return lines


def _next(report: Report) -> list[str]:
    step = report.next_step
    lines = ["## Next step", "", md(step.message)]
    if step.steps:
        lines += ["", *_step(step.steps[0])]
        if len(step.steps) > 1:
            lines += [
                "",
                f"Road to the target: {' → '.join(s.stage for s in step.steps)} (`smgov plan` shows every step)",
            ]
    return lines


def _finding(f: Finding) -> list[str]:
    reason = waiver_reason(f)
    if waiver(f):
        waived = " (waived" + (f": {md(reason)}" if reason else "") + ")"
    else:
        waived = f" (waiver {md(reason)})" if reason else ""  # an expired waiver waives nothing
    lines = [
        f"- **{f.severity}** {code(f.rule_id)} {f.subject_kind} {code(f.subject_id)}: {md(f.message)}{waived}",
        f"  - at {code(f'{f.location.file}:{f.location.line}')}",
    ]
    if f.evidence:
        lines.append("  - evidence: " + md(words.sentence(f.evidence)))
    lines.append(f"  - fix: {md(f.remediation)}")
    if f.frameworks:
        lines.append(f"  - framework: {md(', '.join(f.frameworks))}; cites: {escape.citation('; '.join(f.references))}")
    return lines


def _findings(report: Report) -> list[str]:
    lines = [f"## Findings ({report.summary.findings})"]
    if not report.findings:
        return [*lines, "", "No findings."]
    for lever in LEVERS:
        group = [f for f in report.findings if f.lever == lever]
        if not group:
            continue
        lines += ["", f"### {lever} ({len(group)})", ""]
        body = [line for f in group[:LISTED_PER_LEVER] for line in _finding(f)]
        if len(group) > LISTED_PER_LEVER:
            more = len(group) - LISTED_PER_LEVER
            body.append(f"- … and {plural(more, 'more finding')} of this lever (HTML, CSV and JSON list them all)")
        if len(group) > FOLD_AFTER:
            lines += [f"<details><summary>{plural(len(group), 'finding')}</summary>", "", *body, "", "</details>"]
        else:
            lines += body
    return lines


def _unassessed(report: Report) -> list[str]:
    """Rules that gave no finding and no pass: not assessed, or applied to no subject."""
    lines: list[str] = []
    skipped = not_assessed(report)
    if skipped:
        lines += [
            f"## Not assessed ({len(skipped)})",
            "",
            "No finding and no pass: the fields they read were not collected.",
            "",
        ]
        lines += [f"- {code(r.id)} {md(r.title)} ({r.scope}): {md(needs_text(r))}" for r in skipped]
    idle = not_applicable(report)
    if idle:
        lines += [""] if lines else []
        lines += [
            f"## Applied to no subject ({len(idle)})",
            "",
            md(NOT_APPLICABLE_TEXT[:1].upper() + NOT_APPLICABLE_TEXT[1:]) + ".",
            "",
        ]
        lines.append(", ".join(code(r.id) for r in idle))
    return lines


def render(report: Report) -> str:
    sections = [
        _header(report),
        _ladder(report),
        _levers(report),
        _staff(report),
        _peers(report),
        _departments(report),
        _next(report),
        _findings(report),
        _unassessed(report),
    ]
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"
