"""Smoke tests of the benchmark scripts this work added or changed (bench/portfolio.py,
bench/yaml_speed.py, bench/run.py): each still runs end to end on a tiny input and measures
what it says. (Figures are for the scripts themselves, never asserted here.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT, cli

sys.path.insert(0, str(ROOT / "bench"))

import portfolio as portfolio_bench
import run as run_bench
import yaml_speed


def test_portfolio_generator_is_deterministic_and_valid(tmp_path: Path) -> None:
    for out in (tmp_path / "a", tmp_path / "b"):
        portfolio_bench.write_portfolio(out, 4, 20, 40, seed=5)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("inventory.*"))
    assert [p.suffix for p in files] == [".yaml", ".json", ".yaml", ".json"]
    assert all((tmp_path / "a" / p).read_bytes() == (tmp_path / "b" / p).read_bytes() for p in files)
    result = cli("portfolio", str(tmp_path / "a"), "--jobs", "1", "--format", "json", "--as-of", "2026-10-01")
    data = json.loads(result.stdout)
    assert [u["status"] for u in data["organisations"]] == ["ok"] * 4
    assert len({u["organisation_id"] for u in data["organisations"]}) == 4


def test_portfolio_benchmark_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portfolio_bench, "OUT", tmp_path)
    args = ["--orgs", "4", "--min-accounts", "20", "--max-accounts", "30", "--repeat", "1"]
    assert portfolio_bench.main(args) == 0
    result = json.loads((tmp_path / "portfolio.json").read_text(encoding="utf-8"))
    assert result["organisations"] == 4 and result["identical_reports"] is True
    assert result["single_checks_s"] > result["single_evaluate_findings_s"] > 0
    assert set(result["wall_s"]) == {"1", "2"} and result["speedup"] > 0


def test_yaml_speed_measures_the_same_data() -> None:
    result = yaml_speed.measure(60, seed=2, repeat=1)
    assert result["fast_path_taken"] and result["same_data"]
    assert {"csafe", "reference", "fast", "fast+marks"} <= set(result["medians"])


def test_check_benchmark_runs_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_bench, "OUT", tmp_path)
    args = ["--sizes", "150", "--rule-curve", "", "--repeat", "1", "--skip-durable", "--rules", "25"]
    assert run_bench.main(args) == 0
    results = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    native = results["sizes"][0]["native"]
    assert "error" not in native and native["child_peak_mb"] == 0 and native["findings"] > 0
    targets = {t["target"].split(" (")[0].split(":")[0]: t["verdict"] for t in results["targets"]}
    assert targets["memory"] == "PASS"


def test_portfolio_benchmark_takes_the_first_organisations_of_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(portfolio_bench, "OUT", tmp_path)
    portfolio_bench.write_portfolio(tmp_path / "orgs", 3, 20, 30, seed=7)
    args = ["--dir", str(tmp_path / "orgs"), "--limit", "2", "--repeat", "1", "--jobs", "2"]
    assert portfolio_bench.main(args) == 0
    result = json.loads((tmp_path / "portfolio.json").read_text(encoding="utf-8"))
    assert result["organisations"] == 2 and result["identical_reports"] is True
