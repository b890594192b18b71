"""The portfolio's HTML page in a real headless Chromium: no console error and no network
request, the stage chart drawn with one bar per stage, the table sorted by a click, and an
organisation's name with markup runs no script. (Same browser harness and skip rules as
tests/test_html_browser.py.)"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from tests.helpers import ROOT, cli, write
from tests.test_html_browser import Page, browser  # noqa: F401 - the browser fixture

AS_OF = "2026-10-01"


def _page(browser: Any, tmp_path: Path, orgs: Path) -> Page:  # noqa: F811
    out = tmp_path / "portfolio.html"
    result = cli("portfolio", str(orgs), "--as-of", AS_OF, "--jobs", "1", "--format", "html", "-o", str(out))
    assert result.exit_code in (1, 2), result.output
    page = Page(browser)
    page.open(out.as_uri())
    return page


def _orgs(tmp_path: Path) -> Path:
    orgs = tmp_path / "orgs"
    for name in ("automotive", "energy", "telecom"):
        shutil.copytree(ROOT / "examples" / name, orgs / name)
    return orgs


def _column(page: Page, index: int) -> list[str]:
    return page.js(f"[...document.querySelectorAll('#organisations tbody tr')].map(r => r.cells[{index}].textContent)")


def test_chart_and_sorting(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    page = _page(browser, tmp_path, _orgs(tmp_path))
    bars = page.js(
        "[...document.querySelectorAll('#stage-chart g.stage-bar')].map(g => [g.dataset.stage, +g.dataset.count])"
    )
    assert [b[0] for b in bars] == ["none", "initialisation", "contagion", "control", "integration"]
    assert sum(b[1] for b in bars) == 3
    widths = page.js("[...document.querySelectorAll('#stage-chart rect')].map(r => r.getBBox().width)")
    assert max(widths) > 100 and widths.count(0) == 2
    assert _column(page, 0) == ["automotive", "energy", "telecom"]
    page.js("document.querySelectorAll('#organisations thead button')[6].click()")  # findings, ascending
    findings = [int(x) for x in _column(page, 6)]
    assert findings == sorted(findings) and _column(page, 0) == ["energy", "automotive", "telecom"]
    page.js("document.querySelectorAll('#organisations thead button')[6].click()")  # and descending
    assert [int(x) for x in _column(page, 6)] == sorted(findings, reverse=True)
    page.js("document.querySelectorAll('#organisations thead button')[2].click()")  # stage, by rank
    assert _column(page, 2) == ["initialisation", "contagion", "integration"]
    assert page.js("document.querySelectorAll('#organisations th[aria-sort]').length") == 1
    assert page.problems() == []


def test_markup_in_a_name_runs_no_script(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    orgs = _orgs(tmp_path)
    shutil.move(orgs / "energy", orgs / "<img src=x onerror=alert(1)>")
    write(orgs / "bad.yaml", "organisation: {name: '<script>alert(2)</script>'}\naccounts: [\n")
    page = _page(browser, tmp_path, orgs)
    assert page.js("document.querySelectorAll('img, #organisations script').length") == 0
    assert "<img src=x onerror=alert(1)>" in _column(page, 0)
    assert page.problems() == []
