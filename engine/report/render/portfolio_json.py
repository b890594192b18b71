"""JSON portfolio report v1 (``schemas/portfolio.schema.json``): stable keys and order."""

from __future__ import annotations

from engine.report.output import json_text
from engine.report.portfolio import PortfolioReport, to_data


def render(report: PortfolioReport) -> str:
    return json_text(to_data(report)) + "\n"
