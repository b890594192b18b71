"""One self-contained HTML page for people: no network, no CDN; it works offline, from an
e-mail attachment, and prints to a clean A4 PDF.

Pictures where people would rather look than read: the stage ladder with the organisation's
position and target, a lever balance chart, a departments × levers heat map; then a findings
table sortable by every column and filterable by lever, stage, severity and department.

The templates are ``reports/templates/report.html.j2`` (with ``report.css`` and
``report.js`` inlined). Jinja2 autoescapes every value; the script reads only the page's own
DOM and never evaluates text from the inventory. Charts are inline SVG computed here, so
the page needs no chart library.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import jinja2
import markupsafe

from engine.evaluate.findings import show
from engine.inputs.schemas import data_dir
from engine.report.model import Report
from engine.report.render.common import (
    NOT_APPLICABLE_TEXT,
    REASONS,
    after_text,
    coverage_text,
    department_state,
    gate_coverage,
    gate_text,
    heat_map,
    not_applicable,
    not_assessed,
    org_wide,
    owner_text,
    peer_lines,
    percent,
    plural,
    questionnaire_lines,
    visible,
    waiver,
    waiver_reason,
)
from engine.vocabulary import LEVERS, SEVERITIES, SEVERITY_RANK

#: Geometry of the stage ladder (SVG user units).
STEP_W, STEP_H, LADDER_PAD = 150, 34, 28
#: Heat map shades: 0 failing checks, then 1, 2-3, 4-7, 8+.
HEAT_BOUNDS = (0, 1, 2, 4, 8)


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("reports/templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
    )


def _finalize(value: Any) -> Any:
    """Every ``{{ value }}``: control characters made visible (then autoescaped); the
    template's own ``| safe`` CSS and script pass unchanged."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible(value)
    return value


def _heat_class(count: int) -> str:
    return f"heat-{sum(1 for bound in HEAT_BOUNDS[1:] if count >= bound)}"


def _ladder(report: Report) -> dict[str, Any]:
    a = report.assessment
    gates = a.organisation.gates
    n = len(gates)
    height = LADDER_PAD * 2 + STEP_H * (n + 1)
    steps = []
    for i, g in enumerate(gates):
        top = height - LADDER_PAD - STEP_H * (i + 1)
        steps.append(
            {
                "id": g.stage,
                "title": a.ladder.stages[i].title,
                "x": LADDER_PAD + i * STEP_W,
                "y": top,
                "w": STEP_W - 4,
                "h": height - LADDER_PAD - top,
                "passed": g.passed,
                "gate": gate_text(g),
                "org": g.stage == a.organisation.stage,
                "target": g.stage == a.target.stage,
            }
        )
    rank = a.ladder.rank(a.organisation.stage)
    here_x = LADDER_PAD + (rank - 1) * STEP_W + STEP_W // 2 - 2 if rank else LADDER_PAD // 2
    here_y = height - LADDER_PAD - STEP_H * rank - 12
    return {
        "width": LADDER_PAD * 2 + STEP_W * n,
        "height": height,
        "steps": steps,
        "here": {"x": here_x, "y": here_y},
        "none": rank == 0,
    }


def _levers(report: Report) -> dict[str, Any]:
    a = report.assessment
    ladder = a.ladder
    width = 360
    bars = []
    for i, lv in enumerate(a.levers):
        ratio = lv.weighted_pass_ratio
        bars.append(
            {
                "lever": lv.lever,
                "y": 10 + i * 34,
                "w": round(width * (ratio or 0), 1),
                "ratio": percent(ratio),
                "stage": lv.stage if lv.stage is not None else "no checks",
                "rank": ladder.rank(lv.stage) if lv.stage is not None else 0,
                "rules": lv.rules,
                "checks": lv.checks,
                "failed": lv.failed,
            }
        )
    return {
        "width": width,
        "bars": bars,
        "height": 20 + 34 * len(bars),
        "stages": len(ladder.stages),
        "imbalance": a.imbalance,
    }


#: Geometry of the lever radar (SVG user units): centre and radius.
RADAR_C, RADAR_R = 170, 110


def _radar(report: Report) -> dict[str, Any]:
    """The four levers on a radar: one axis each (first up, then clockwise), one polygon for
    the stage each lever reaches on its own (as a share of the ladder) and one for its
    weighted pass share; a ring per stage."""
    a = report.assessment
    n_stages = len(a.ladder.stages)
    levers = a.levers
    count = len(levers)

    def point(i: int, value: float) -> tuple[float, float]:
        angle = 2 * math.pi * i / count - math.pi / 2
        return (
            round(RADAR_C + RADAR_R * value * math.cos(angle), 1),
            round(RADAR_C + RADAR_R * value * math.sin(angle), 1),
        )

    def polygon(values: list[float]) -> str:
        return " ".join(f"{x},{y}" for x, y in (point(i, v) for i, v in enumerate(values)))

    stage_values = [a.ladder.rank(lv.stage) / n_stages if lv.stage is not None else 0.0 for lv in levers]
    ratio_values = [lv.weighted_pass_ratio or 0.0 for lv in levers]
    axes = []
    for i, lv in enumerate(levers):
        x, y = point(i, 1.0)
        lx, ly = point(i, 1.18)
        axes.append(
            {
                "lever": lv.lever,
                "x": x,
                "y": y,
                "lx": lx,
                "ly": ly,
                "stage": lv.stage if lv.stage is not None else "no checks",
                "ratio": percent(lv.weighted_pass_ratio),
                "stage_value": round(stage_values[i], 4),
                "ratio_value": round(ratio_values[i], 4),
            }
        )
    rings = [{"stage": s.id, "points": polygon([(k + 1) / n_stages] * count)} for k, s in enumerate(a.ladder.stages)]
    return {
        "size": RADAR_C * 2,
        "c": RADAR_C,
        "axes": axes,
        "rings": rings,
        "stages": polygon(stage_values),
        "ratios": polygon(ratio_values),
    }


def _heat(report: Report) -> dict[str, Any]:
    rows = [
        {
            "id": r.id,
            "name": r.name,
            "state": r.stage or ("not using social media" if r.status == "not_using_social_media" else "no checks"),
            "cells": [
                {"count": c, "cls": _heat_class(c), "lever": lever} for c, lever in zip(r.failing, LEVERS, strict=True)
            ],
        }
        for r in heat_map(report)
    ]
    wide = org_wide(report)
    rows.append(
        {
            "id": "",
            "name": "Organisation-wide",
            "state": "",
            "cells": [
                {"count": c, "cls": _heat_class(c), "lever": lever} for c, lever in zip(wide, LEVERS, strict=True)
            ],
        }
    )
    return {"rows": rows, "levers": LEVERS}


def _findings(report: Report) -> list[dict[str, Any]]:
    names = {d.id: d.name for d in report.assessment.departments}
    out = []
    for number, f in enumerate(report.findings):
        out.append(
            {
                "n": number,
                "rule_id": f.rule_id,
                "title": visible(f.title),
                "lever": f.lever,
                "lever_rank": LEVERS.index(f.lever),
                "stage": f.stage,
                "stage_rank": report.assessment.ladder.rank(f.stage) if f.stage in report.assessment.ladder.ids else 0,
                "severity": f.severity,
                "severity_rank": SEVERITY_RANK[f.severity],
                "kind": f.subject_kind,
                "subject": visible(f.subject_id),
                "departments": [visible(d) for d in f.departments],
                "department_names": [visible(names.get(d, d)) for d in f.departments],
                "message": visible(f.message),
                "evidence": [(visible(e.label), visible(show(e.value))) for e in f.evidence],
                "file": visible(f.location.file),
                "line": f.location.line,
                "remediation": visible(f.remediation),
                "frameworks": visible(", ".join(f.frameworks)),
                "references": visible("; ".join(f.references)) if f.frameworks else "",
                "waived": bool(waiver(f)),
                "waiver_reason": visible(waiver_reason(f)),
            }
        )
    return out


def context(report: Report) -> dict[str, Any]:
    a = report.assessment
    env = environment()
    assert env.loader is not None
    css, _, _ = env.loader.get_source(env, "report.css")
    js, _, _ = env.loader.get_source(env, "report.js")
    return {
        "r": report,
        "org_name": visible(str(report.organisation.get("name") or report.organisation.get("id"))),
        "a": a,
        "summary": report.summary,
        "ladder": _ladder(report),
        "levers": _levers(report),
        "radar": _radar(report),
        "peers": peer_lines(report),
        "staff": questionnaire_lines(report) if report.questionnaire is not None else None,
        "heat": _heat(report),
        "departments": [
            {"id": d.id, "name": visible(d.name), "state": department_state(d), "status": d.status}
            for d in a.departments
        ],
        "next": report.next_step,
        "first_step": report.next_step.steps[0] if report.next_step.steps else None,
        "gate_text": gate_text,
        "reasons": REASONS,
        "owner_text": owner_text,
        "after_text": after_text,
        "gate_coverage": gate_coverage,
        "coverage_text": coverage_text(report),
        "not_assessed": not_assessed(report),
        "not_applicable": not_applicable(report),
        "not_applicable_text": NOT_APPLICABLE_TEXT,
        "findings": _findings(report),
        "severities": SEVERITIES,
        "lever_names": LEVERS,
        "stage_ids": a.ladder.ids,
        "percent": percent,
        "plural": plural,
        "visible": visible,
        "css": css,
        "js": js,
    }


def render(report: Report) -> str:
    return environment().get_template("report.html.j2").render(context(report))
