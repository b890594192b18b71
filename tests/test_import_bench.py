"""bench/import_bench.py keeps running and measuring what it says (a small run; the figures
themselves belong to bench/README.md, never to a test)."""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from tests.helpers import ROOT


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("import_bench", ROOT / "bench" / "import_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_generated_rows_are_dirty_and_import_into_accounts() -> None:
    bench = _bench()
    rows = bench.rows(500)
    assert len(rows) == 500
    platforms = {row[0] for row in rows}
    assert {"X", "twitter", "Youtube", "Google+", "Intagram"} <= platforms
    assert any(row[1] == "" and row[2] for row in rows)  # handles only in URLs
    assert len({tuple(r) for r in rows}) < len(rows)  # duplicates


def test_the_bench_runs_and_prints_each_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("xlsxwriter", reason="the bench writes its XLSX with xlsxwriter (the test extra)")
    code = _bench().main(["--rows", "300", "--repeat", "1"])
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "ratio" in line]
    assert [line.split(":")[0].strip() for line in lines] == ["csv", "xlsx"]
    for line in lines:
        numbers = r"library +([\d.]+) s \| reader +([\d.]+) s \| import +([\d.]+) s \| ratio +([\d.]+)x"
        found = re.search(r"300 rows -> (\d+) accounts \| " + numbers, line)
        assert found, line
        accounts, library_s, read_s, import_s, ratio = found.groups()
        assert 250 < int(accounts) < 300  # the duplicates are left out
        assert float(library_s) >= 0 and float(read_s) < float(import_s)  # the reader, then the whole import
        assert float(ratio) > 1  # the import reads the file, then does its work
    splits = [line for line in out.splitlines() if line.strip().startswith("import =")]
    assert len(splits) == 2  # one per format: where the import's time goes
    for line in splits:
        found = re.search(
            r"reader ([\d.]+) \+ rows ([\d.]+) \+ check ([\d.]+) \+ inventory JSON ([\d.]+)"
            r" \+ report JSON ([\d.]+) s; without the rows: ([\d.]+)x the reader",
            line,
        )
        assert found, line
        reader, rows, _, _, _, floor = map(float, found.groups())
        assert reader > 0 and rows > 0 and floor >= 1  # the floor counts the reader itself
    assert code in (0, 1)  # 1: a ratio over the target, which the line says
