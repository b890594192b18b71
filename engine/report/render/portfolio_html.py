"""The portfolio as one self-contained HTML page: no network, no script from elsewhere.

A bar chart of the organisations at each stage (inline SVG computed here), the league table
sortable in the browser by any column (a few lines of the page's own script, which reads
only the table's cells), the rules failing most widely and the organisations not checked.
Jinja2 autoescapes every value (``reports/templates/portfolio.html.j2``).
"""

from __future__ import annotations

from typing import Any

from engine.report.portfolio import PortfolioReport, UnitResult, tags_text
from engine.report.render.html import environment
from engine.vocabulary import SEVERITIES

#: Geometry of the stage chart (SVG user units).
BAR_H, BAR_GAP, LABEL_W, BAR_W = 26, 8, 150, 420


def _chart(report: PortfolioReport) -> dict[str, Any]:
    counts = report.stage_counts()
    most = max(counts.values(), default=0) or 1
    bars = [
        {
            "stage": stage,
            "count": count,
            "y": i * (BAR_H + BAR_GAP),
            "w": round(BAR_W * count / most, 1),
        }
        for i, (stage, count) in enumerate(counts.items())
    ]
    return {
        "bars": bars,
        "label_w": LABEL_W,
        "bar_h": BAR_H,
        "width": LABEL_W + BAR_W + 60,
        "height": len(bars) * (BAR_H + BAR_GAP),
    }


def _row(unit: UnitResult, order: dict[str, int]) -> dict[str, Any]:
    counts = unit.severity_counts()
    return {
        "name": unit.name,
        "tags": tags_text(unit),
        "stage": unit.stage or "",
        "stage_rank": order.get(unit.stage or "", -1),
        "target": unit.target_stage or "",
        "met": "" if unit.meets_target is None else ("yes" if unit.meets_target else "no"),
        "gates": sum(1 for g in unit.gates if g.passed),
        "findings": unit.findings,
        "severities": [counts[s] for s in SEVERITIES],
    }


def render(report: PortfolioReport) -> str:
    order = {s: i for i, s in enumerate(report.stage_counts())}
    return (
        environment()
        .get_template("portfolio.html.j2")
        .render(
            report=report,
            chart=_chart(report),
            rows=[_row(u, order) for u in report.checked()],
            severities=SEVERITIES,
            failed=[u for u in report.units if u.status != "ok"],
        )
    )
