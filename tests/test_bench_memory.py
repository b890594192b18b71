"""bench/memory.py keeps measuring what it says, as the engine it measures changes.

Each part runs in a fresh process, as the script runs it, on a small generated inventory.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from engine import pipeline

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import generate  # noqa: E402
import memory  # noqa: E402


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    where = tmp_path_factory.mktemp("bench")
    inventory = where / "inventory.json"
    inventory.write_text(generate.dumps_inventory(generate.generate_inventory(200, 3)), encoding="utf-8")
    rules = where / "rules"
    generate.write_rules(20, 3, rules)
    return inventory, rules


def test_every_part_measures_the_file_it_was_given(small: tuple[Path, Path]) -> None:
    inventory, rules = small
    as_of = generate.AS_OF.isoformat()
    got = {part: memory.measure(part, inventory, rules, as_of) for part in memory.PARTS[1:]}
    assert got["bytes"]["size_mb"] == pytest.approx(inventory.stat().st_size / 2**20)
    assert got["reader"]["ok"] and got["typed"]["ok"]
    assert got["reader"]["seconds"] > 0 and got["typed"]["seconds"] > 0
    for part in got.values():
        assert part["imports_mb"] > 10  # the interpreter and the engine, measured in each process
        assert part["mb"] >= 0
    options = pipeline.CheckOptions(
        inventory=(str(inventory),), policies=(str(rules),), as_of=generate.AS_OF
    )
    expected = len(pipeline.run_check(options).findings)
    assert expected > 0
    assert got["check"]["findings"] == expected
    assert got["check"]["peak_mb"] >= got["check"]["imports_mb"] + got["check"]["mb"]


def test_a_failing_part_is_reported_not_hidden(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(SystemExit, match="the typed measurement failed"):
        memory.measure("typed", missing, tmp_path, dt.date(2026, 1, 1).isoformat())


def test_the_budget_comes_from_the_last_durable_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "OUT", tmp_path)
    assert memory.durable_peak(100) is None  # no results yet
    sizes = [
        {"accounts": 100, "durable": {"peak_mb": 1234.5}},
        {"accounts": 1000, "durable": {"error": "timeout", "peak_mb": 99}},
    ]
    (tmp_path / "results.json").write_text(json.dumps({"sizes": sizes}))
    assert memory.durable_peak(100) == 1234.5
    assert memory.durable_peak(1000) is None  # a failed durable run sets no budget
    assert memory.durable_peak(10) is None
