"""bench/operators.py keeps running and keeps checking both evaluators (a smoke run, not a
timing: the figures are in bench/README.md)."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_operators_bench_runs_and_the_evaluators_agree() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "operators.py"), "--size", "3000", "--repeat", "1"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    rows = [line for line in run.stdout.splitlines() if "ratio" in line]
    assert len(rows) == 4 and all(line.endswith("durable agrees: True") for line in rows), run.stdout
