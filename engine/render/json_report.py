"""JSON report v1: stable keys and order, UTF-8, one trailing newline."""

from __future__ import annotations

import json

from engine.report import Report, to_data


def render(report: Report) -> str:
    return json.dumps(to_data(report), indent=2, ensure_ascii=False) + "\n"
