"""CSV of a portfolio for spreadsheets: one row per organisation, RFC 4180 (``\\r\\n``).

Every cell goes through the CSV report's ``cell`` (a formula-like value gets a leading
``'``, control characters are made visible), since names, tags and messages are the
user's text.
"""

from __future__ import annotations

import csv
import io

from engine.report.portfolio import PortfolioReport, UnitResult, tags_text
from engine.report.render.csv_report import cell
from engine.vocabulary import SEVERITIES

COLUMNS = (
    "name",
    "path",
    "tags",
    "status",
    "organisation_id",
    "stage",
    "target_stage",
    "meets_target",
    "gates_passed",
    "findings",
    *SEVERITIES,
    "failed_rules",
    "problems",
)


def _yes(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


def _row(unit: UnitResult) -> list[str]:
    counts = unit.severity_counts()
    problems = [p.format() for p in unit.problems] or ([unit.error] if unit.error else [])
    values = [
        unit.name,
        unit.path,
        tags_text(unit),
        unit.status,
        unit.organisation_id or "",
        unit.stage or "",
        unit.target_stage or "",
        _yes(unit.meets_target),
        " ".join(g.stage for g in unit.gates if g.passed),
        str(unit.findings) if unit.status == "ok" else "",
        *(str(counts[s]) if unit.status == "ok" else "" for s in SEVERITIES),
        "; ".join(f"{rule} ({n})" for rule, n in unit.failed_rules),
        "\n".join(problems),
    ]
    return [cell(v) for v in values]


def render(report: PortfolioReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_row(u) for u in report.units)
    return out.getvalue()
