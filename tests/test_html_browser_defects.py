"""Small HTML defects, each checked in the real headless Chromium (tests/test_html_browser.py
drives it): the ladder's "you are here" label at stage none is neither clipped nor drawn over a
step; trend end labels never overlap; "Levers in balance" is not green when every lever is at 0%."""

# ruff: noqa: F811 - `browser` is the fixture imported from tests/test_html_browser.py
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from engine.report import trend
from tests.render_fixture import automotive_report, fixture_report
from tests.test_html_browser import Page, _open, browser  # noqa: F401

BOX = "(e => {{ const b = e.getBBox(); return [b.x, b.y, b.width, b.height]; }})({})"


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_the_ladder_label_at_stage_none_is_whole_and_beside_the_steps(browser: Any, tmp_path: Path) -> None:
    report = fixture_report()
    assert report.assessment.organisation.stage == "none"
    page = _open(browser, tmp_path, report)
    label = page.js(BOX.format("document.querySelector('#ladder-here text')"))
    width, height = page.js(
        "(s => [s.viewBox.baseVal.width, s.viewBox.baseVal.height])(document.getElementById('ladder-chart'))"
    )
    assert page.js("document.querySelector('#ladder-here text').textContent") == "below the first stage"
    assert label[0] >= 0 and label[0] + label[2] <= width, f"clipped: {label} in a chart {width} wide"
    assert label[1] >= 0 and label[1] + label[3] <= height, f"clipped: {label} in a chart {height} high"
    steps = page.js(
        "[...document.querySelectorAll('#ladder-chart g.step rect')]"
        ".map(r => { const b = r.getBBox(); return [b.x, b.y, b.width, b.height]; })"
    )
    assert not any(_overlap(label, step) for step in steps), "the label is drawn over a step"


def test_the_ladder_label_above_a_reached_stage_is_whole(browser: Any, tmp_path: Path) -> None:
    page = _open(browser, tmp_path, automotive_report())
    label = page.js(BOX.format("document.querySelector('#ladder-here text')"))
    width = page.js("document.getElementById('ladder-chart').viewBox.baseVal.width")
    assert label[0] >= 0 and label[0] + label[2] <= width and label[1] >= 0


def _colour(page: Page, selector: str) -> str:
    return page.js(f"getComputedStyle(document.querySelector('{selector}')).color")


def test_balance_is_not_green_when_every_lever_is_at_zero(browser: Any, tmp_path: Path) -> None:
    report = fixture_report()
    a = report.assessment
    zero = tuple(dataclasses.replace(lv, weighted_pass_ratio=0.0, stage="none") for lv in a.levers)
    even = dataclasses.replace(a.imbalance, flagged=False, message="Levers in balance: their stages differ by 0.")
    nothing = dataclasses.replace(report, assessment=dataclasses.replace(a, levers=zero, imbalance=even))
    page = _open(browser, tmp_path, nothing)
    green = page.js("getComputedStyle(document.documentElement).getPropertyValue('--ok').trim()")
    probe = page.js(
        f"(() => {{ const p = document.createElement('p'); p.style.color = '{green}'; document.body.append(p);"
        " const c = getComputedStyle(p).color; p.remove(); return c; })()"
    )
    assert _colour(page, "#lever-balance") != probe, "every lever at 0% is shown green"
    assert "nothing is in place yet" in page.js("document.getElementById('lever-balance').textContent")
    healthy = automotive_report()
    assert not healthy.assessment.imbalance.flagged
    (tmp_path / "healthy").mkdir()
    assert _colour(_open(browser, tmp_path / "healthy", healthy), "#lever-balance") == probe  # a real balance: green


def _points(departments: int) -> list[trend.Point]:
    stages = ("initialisation", "contagion", "control", "integration")
    names = tuple((f"dep-{k}", f"Department number {k}", "none") for k in range(departments))
    return [
        trend.Point(
            file=f"r{k}.json",
            as_of=f"2026-0{k + 1}-01",
            organisation="O",
            stages=stages,
            stage="none",
            target="integration",
            findings=10,
            by_lever=(3, 3, 2, 2),
            departments=names,
            organisation_id="o",
        )
        for k in range(3)
    ]


def test_trend_end_labels_never_overlap(browser: Any, tmp_path: Path) -> None:
    """Eight departments on the same stage: eight end labels at one height, before the fix
    pushed below the chart and over each other."""
    path = tmp_path / "trend.html"
    path.write_text(trend.render_html(_points(8)), encoding="utf-8")
    page = Page(browser)
    page.open(path.as_uri())
    charts = page.js("[...document.querySelectorAll('svg.trend-chart')].map(s => s.id)")
    assert len(charts) >= 2
    for chart in charts:
        labels = page.js(
            f"[...document.querySelectorAll('#{chart} g.series > text')]"
            ".map(t => { const b = t.getBBox(); return [b.x, b.y, b.width, b.height]; })"
        )
        dates = page.js(
            f"[...document.querySelectorAll('#{chart} > text[text-anchor=middle]')]"
            ".map(t => { const b = t.getBBox(); return [b.x, b.y, b.width, b.height]; })"
        )
        height = page.js(f"document.getElementById('{chart}').viewBox.baseVal.height")
        for i, a in enumerate(labels):
            assert a[1] >= 0 and a[1] + a[3] <= height, f"{chart}: label {i} outside the chart"
            assert not any(_overlap(a, b) for b in labels[i + 1 :]), f"{chart}: labels overlap"
            assert not any(_overlap(a, d) for d in dates), f"{chart}: a label covers a date"
    assert page.problems() == []
