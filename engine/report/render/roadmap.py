"""The plan (``smgov plan``) for a board or a tracker: pure ``render(report) -> str`` functions.

``text`` is the terminal plan (assessment, then the whole road); ``json`` is the plan
document (``schemas/plan.schema.json``); ``markdown`` and ``html`` are for a board pack;
``csv`` has one row per item, for a tracker, through the same spreadsheet-safe cell as the
CSV report (``csv_report.cell``).
"""

from __future__ import annotations

import csv
import html as html_lib
import io
from collections.abc import Callable
from typing import Any

from engine.report.model import Report, _plain
from engine.report.output import json_text
from engine.report.render import text
from engine.report.render.common import REASONS, after_text, gate_text, owner_text, visible
from engine.report.render.csv_report import cell
from engine.report.render.markdown import code, md

PLAN_VERSION = 1

#: One row per plan item (CSV).
COLUMNS = (
    "step",
    "order",
    "stage",
    "rule_id",
    "title",
    "severity",
    "lever",
    "reason",
    "owner",
    "owner_role",
    "effort",
    "depends_on",
    "incidents",
    "scope",
    "subjects",
    "departments",
    "action",
    "record",
)


def to_data(report: Report) -> dict[str, Any]:
    """The plan document v1 (``schemas/plan.schema.json``)."""
    step = report.next_step
    a = report.assessment
    return {
        "plan_version": PLAN_VERSION,
        "tool": {"name": "smgov", "version": report.tool_version},
        "as_of": report.as_of,
        "organisation": report.organisation,
        "stage": a.organisation.stage,
        "target": step.target,
        "status": step.status,
        "message": step.message,
        "target_message": a.target.message,
        "steps": _plain(step.steps),
    }


def render_json(report: Report) -> str:
    return json_text(to_data(report)) + "\n"


def render_text(report: Report) -> str:
    return text.render_plan(report)


def _name(report: Report) -> str:
    return visible(str(report.organisation.get("name") or report.organisation.get("id")))


def render_markdown(report: Report) -> str:
    step = report.next_step
    a = report.assessment
    lines = [
        f"# Social-media roadmap: {md(_name(report))}",
        "",
        f"As of {report.as_of}. Stage **{a.organisation.stage}**, target **{step.target}**. {md(a.target.message)}",
        "",
        md(step.message),
    ]
    for s in step.steps:
        lines += ["", f"## {md(s.title)} ({s.stage})", "", md(gate_text(s.gate))]
        if s.items:
            lines += [
                "",
                "| # | severity | rule | why | owner | effort | after | do | record in the inventory |",
                "|---|---|---|---|---|---|---|---|---|",
            ]
        for number, item in enumerate(s.items, 1):
            after = ", ".join(code(r) for r in item.depends_on)
            cells = [
                str(number),
                item.severity,
                f"{code(item.rule_id)} {md(item.title)}",
                md(REASONS[item.reason]),
                md(owner_text(item)),
                item.effort,
                after,
                md(item.action),
                md(item.record),
            ]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        if s.may_wait:
            lines += [
                "",
                "May wait (the gate tolerates these failures): " + ", ".join(code(w.rule_id) for w in s.may_wait),
            ]
    return "\n".join(lines) + "\n"


def _e(value: object) -> str:
    return html_lib.escape(visible(str(value)), quote=True)


def render_html(report: Report) -> str:
    """One self-contained page (no script), printable for a board pack."""
    step = report.next_step
    a = report.assessment
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Social-media roadmap: {_e(_name(report))}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.3em .5em;"
        "vertical-align:top;text-align:left}th{background:#f3f3f3}.sev-critical,.sev-high{font-weight:bold}"
        "</style></head><body>",
        f"<h1>Social-media roadmap: {_e(_name(report))}</h1>",
        f"<p>As of {_e(report.as_of)}. Stage <strong>{_e(a.organisation.stage)}</strong>, "
        f"target <strong>{_e(step.target)}</strong>. {_e(a.target.message)}</p>",
        f"<p>{_e(step.message)}</p>",
    ]
    for s in step.steps:
        parts.append(f'<section id="step-{_e(s.stage)}"><h2>{_e(s.title)} ({_e(s.stage)})</h2>')
        parts.append(f"<p>{_e(gate_text(s.gate))}</p>")
        if s.items:
            parts.append(
                "<table><thead><tr><th>#</th><th>severity</th><th>rule</th><th>why</th><th>owner</th>"
                "<th>effort</th><th>after</th><th>do</th><th>record in the inventory</th></tr></thead><tbody>"
            )
            for number, item in enumerate(s.items, 1):
                parts.append(
                    f'<tr class="sev-{_e(item.severity)}"><td>{number}</td><td>{_e(item.severity)}</td>'
                    f"<td><code>{_e(item.rule_id)}</code> {_e(item.title)}</td><td>{_e(REASONS[item.reason])}</td>"
                    f"<td>{_e(owner_text(item))}</td><td>{_e(item.effort)}</td>"
                    f"<td>{_e(', '.join(item.depends_on))}</td><td>{_e(item.action)}</td>"
                    f"<td>{_e(item.record)}</td></tr>"
                )
            parts.append("</tbody></table>")
        if s.may_wait:
            waits = ", ".join(f"<code>{_e(w.rule_id)}</code>" for w in s.may_wait)
            parts.append(f"<p>May wait (the gate tolerates these failures): {waits}</p>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for number, s in enumerate(report.next_step.steps, 1):
        for order, item in enumerate(s.items, 1):
            values: list[object] = [
                number,
                order,
                s.stage,
                item.rule_id,
                item.title,
                item.severity,
                item.lever,
                item.reason,
                item.owner,
                item.owner_role,
                item.effort,
                "; ".join(item.depends_on),
                "; ".join(item.incidents),
                item.scope,
                "; ".join(item.subjects),
                "; ".join(item.departments),
                item.action,
                item.record,
            ]
            writer.writerow([cell(v) for v in values])
    return out.getvalue()


def render(fmt: str, report: Report, color: bool = False) -> str:
    """The plan in ``fmt``; colour only for the terminal text."""
    return text.render_plan(report, color=color) if fmt == "text" else PLAN_RENDERERS[fmt](report)


#: The plan's formats, each a pure function of the report.
PLAN_RENDERERS: dict[str, Callable[[Report], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
    "csv": render_csv,
}

__all__ = ["PLAN_RENDERERS", "after_text", "render", "to_data"]
