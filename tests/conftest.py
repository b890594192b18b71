"""Suite-wide report header: whether the durable-rules cross-check evaluator is installed."""

from __future__ import annotations

from tests.helpers import HAS_DURABLE, NO_DURABLE


def pytest_report_header() -> str:
    return "durable-rules: installed (the evaluators are cross-checked)" if HAS_DURABLE else NO_DURABLE
