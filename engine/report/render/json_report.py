"""JSON report v1: stable keys and order, UTF-8, one trailing newline."""

from __future__ import annotations

from engine.report.model import Report, to_data
from engine.report.output import json_text


def render(report: Report) -> str:
    return json_text(to_data(report)) + "\n"
