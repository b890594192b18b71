"""JSON report v1: stable keys and order, UTF-8, one trailing newline."""

from __future__ import annotations

from engine.jsontext import dumps
from engine.report import Report, to_data


def render(report: Report) -> str:
    return dumps(to_data(report)) + "\n"
