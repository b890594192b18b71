"""`smgov trend REPORT.json...`: stage, department stages and findings per lever over time."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import cli
from tests.render_fixture import at_root


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The automotive example's JSON report at three dates, written out of order."""
    directory = tmp_path_factory.mktemp("history")
    paths = []
    for name, as_of in (("b", "2026-10-01"), ("a", "2026-01-15"), ("c", "2027-06-01")):
        path = directory / f"{name}.json"
        with at_root():
            result = cli(
                "check",
                "examples/automotive",
                "--as-of",
                as_of,
                "--format",
                "json",
                "-o",
                str(path),
                "--fail-on",
                "never",
            )
        assert result.exit_code == 0, result.output
        paths.append(path)
    return paths


def test_markdown_trend_is_ordered_by_date(history: list[Path]) -> None:
    result = cli("trend", *map(str, history))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("# smgov trend: Ardena Motors S.p.A.")
    rows = [line for line in text.splitlines() if re.match(r"^\| \d{4}-", line)]
    assert [r.split(" | ")[0] for r in rows] == ["| 2026-01-15", "| 2026-10-01", "| 2027-06-01"]
    header = next(line for line in text.splitlines() if line.startswith("| as of"))
    assert header.split(" | ")[4:] == ["belief", "boundary", "diagnostic", "interactive |"]
    assert "## Departments" in text
    assert "| Quality Assurance (`dep-aut-quality`) | not using | not using | not using |" in text
    for path, row in zip(sorted(history, key=lambda p: json.loads(p.read_text())["as_of"]), rows, strict=True):
        data = json.loads(path.read_text())
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1].split(" ")[0] == data["assessment"]["organisation"]["stage"]
        assert int(cells[3]) == data["summary"]["findings"]
        assert [int(c) for c in cells[4:8]] == [
            data["summary"]["by_lever"][lever]["failed"]
            for lever in ("belief", "boundary", "diagnostic", "interactive")
        ]


def test_html_trend_has_three_charts_and_no_network(history: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "trend.html"
    result = cli("trend", *map(str, history), "--format", "html", "-o", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    for chart in ("chart-organisation", "chart-departments", "chart-levers"):
        assert f'id="{chart}"' in page
    assert page.count("<polyline") >= 2 + 4
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_a_file_that_is_not_a_report_is_an_input_error(history: list[Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"report_version": 1}', encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    result = cli("trend", str(history[0]), str(bad), str(broken))
    assert result.exit_code == 2
    # every problem of the schema, each with its position, like diff and --baseline
    assert f"{bad}:1:1: 'tool' is required" in result.stderr
    assert f"{bad}:1:1: 'assessment' is required" in result.stderr
    assert f"{broken}:1:2: invalid JSON" in result.stderr
