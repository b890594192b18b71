"""The fixed example every renderer test uses: ``tests/fixtures/render`` checked as of a fixed
date, from the repository root (so every path in the report is the same on every machine).

Its names carry ``<script>``, Markdown and HTML control characters, a CSV formula and an
escape character on purpose: ``HOSTILE`` lists them, and every format must show them as text.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from engine import pipeline
from engine.report.model import Report
from tests.helpers import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "render"
INVENTORY = "tests/fixtures/render/inventory.yaml"
POLICIES = "tests/fixtures/render/policies"
AS_OF = "2026-10-01"
SNAPSHOTS = ROOT / "tests" / "snapshots"
#: Set to regenerate the snapshots and the rendered example (then review the diff).
UPDATE = bool(os.environ.get("SMGOV_UPDATE_SNAPSHOTS"))

HOSTILE = (
    "<script>alert('org')</script>",
    "<script>alert(2)</script>",
    "<img src=x onerror=alert(1)>",
    "</td></tr><tr><td>",
    "[x](javascript:alert(1))",
)


@contextmanager
def at_root() -> Iterator[None]:
    before = os.getcwd()
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(before)


@cache
def fixture_report() -> Report:
    with at_root():
        return pipeline.run_check(
            pipeline.CheckOptions(inventory=(INVENTORY,), policies=(POLICIES,), as_of=dt.date.fromisoformat(AS_OF))
        )


@cache
def automotive_report() -> Report:
    with at_root():
        return pipeline.run_check(
            pipeline.CheckOptions(inventory=("examples/automotive",), as_of=dt.date.fromisoformat(AS_OF))
        )
