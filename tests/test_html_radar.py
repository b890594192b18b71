"""The radar of the four levers in the HTML report (issue 17): inline SVG, parsed here; each
lever's vertex lies at its stage's share of the ladder (filled) and at its weighted pass
share (outline), on its own axis."""

from __future__ import annotations

import datetime as dt
import math
import re
import xml.etree.ElementTree as ET

import pytest

from engine import pipeline
from engine.report.render import RENDERERS
from engine.report.render.html import RADAR_C, RADAR_R
from engine.vocabulary import LEVERS
from tests.helpers import ROOT

SVG = "{http://www.w3.org/2000/svg}"


def _radar(example: str) -> tuple[ET.Element, object]:
    report = pipeline.run_check(
        pipeline.CheckOptions(inventory=(str(ROOT / "examples" / example),), as_of=dt.date(2026, 10, 1))
    )
    page = RENDERERS["html"](report)
    match = re.search(r'<svg id="lever-radar".*?</svg>', page, re.S)
    assert match, "no radar in the HTML report"
    svg = match.group(0).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return ET.fromstring(svg), report


def _points(polygon: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in polygon.get("points", "").split()]  # type: ignore[misc]


@pytest.mark.parametrize("example", ["telecom", "automotive", "energy"])
def test_the_radar_draws_each_lever_at_its_stage_and_pass_share(example: str) -> None:
    svg, report = _radar(example)
    labels = svg.findall(f"{SVG}text[@class='axis-label']")
    assert [t.get("data-lever") for t in labels] == list(LEVERS)
    assert len(svg.findall(f"{SVG}line[@class='axis']")) == 4
    assert len(svg.findall(f"{SVG}polygon[@class='ring']")) == len(report.assessment.ladder.stages)
    stages = _points(svg.find(f"{SVG}polygon[@class='stage-area']"))
    ratios = _points(svg.find(f"{SVG}polygon[@class='ratio-line']"))
    n = len(report.assessment.ladder.stages)
    for i, lever in enumerate(report.assessment.levers):
        want_stage = report.assessment.ladder.rank(lever.stage) / n if lever.stage else 0.0
        want_ratio = lever.weighted_pass_ratio or 0.0
        for (x, y), value in ((stages[i], want_stage), (ratios[i], want_ratio)):
            assert math.dist((x, y), (RADAR_C, RADAR_C)) == pytest.approx(RADAR_R * value, abs=0.2)
            if value:  # on the lever's own axis: first up, then clockwise
                angle = math.atan2(y - RADAR_C, x - RADAR_C)
                assert angle == pytest.approx(2 * math.pi * i / 4 - math.pi / 2, abs=0.01) or angle == pytest.approx(
                    2 * math.pi * i / 4 - math.pi / 2 + 2 * math.pi, abs=0.01
                )
        assert f"{lever.lever}: " in labels[i].text


def test_the_radar_shows_the_energy_belief_lever_behind_the_others() -> None:
    svg, _ = _radar("energy")
    values = {
        t.get("data-lever"): float(t.get("data-stage-value")) for t in svg.findall(f"{SVG}text[@class='axis-label']")
    }
    assert values == {"belief": 0.75, "boundary": 1.0, "diagnostic": 1.0, "interactive": 1.0}
