"""Peer context, honestly dated (issue 17): the sources' survey figures as data (source,
sample, year) beside the organisation's own figures, never a pass mark; a pack's own
dataset replaces the baseline's."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from engine import pipeline
from engine.inputs.diagnostics import InputError
from engine.inputs.schemas import load_schema
from engine.policy import policies
from tests.helpers import ROOT, cli, write

AS_OF = dt.date(2026, 10, 1)


def _check(*policy_dirs: Path, example: str = "telecom"):
    options = pipeline.CheckOptions(
        inventory=(str(ROOT / "examples" / example),), policies=tuple(map(str, policy_dirs)), as_of=AS_OF
    )
    return pipeline.run_check(options)


def test_the_baseline_shows_its_sources_figures_beside_the_organisations() -> None:
    report = _check()
    lines = {p.measure: p for p in report.peer_context}
    assert set(lines) == {
        "long_term_plan",
        "executive_sponsor",
        "metrics_tied_to_outcomes",
        "staff_trained",
        "coordinated",
    }
    metrics = lines["metrics_tied_to_outcomes"]
    assert (metrics.own, metrics.own_text, metrics.peers) == (0.0, "0 of 6 metrics tied to a business outcome", 0.33)
    assert (metrics.source, metrics.year) == ("Altimeter-2013", 2012) and "700" in metrics.sample
    assert lines["staff_trained"].own is None  # Lumetra records no department training: said, not guessed
    assert lines["long_term_plan"].peers == 0.12 and lines["coordinated"].peers == 0.28
    automotive = {p.measure: p for p in _check(example="automotive").peer_context}
    assert automotive["metrics_tied_to_outcomes"].own_text == "11 of 12 metrics tied to a business outcome"


def test_peer_context_is_in_every_human_format_and_the_json_report() -> None:
    args = [str(ROOT / "examples" / "telecom"), "--as-of", "2026-10-01", "--fail-on", "never"]
    data = json.loads(cli("check", *args, "--format", "json").output)
    jsonschema.Draft202012Validator(load_schema("report")).validate(data)
    assert data["peer_context"][0]["source"] == "Altimeter-2013"
    assert {"path": "policies/baseline/peers.yaml", "role": "peers"}.items() <= data["inputs"][-1].items()
    text = cli("check", *args).output
    assert "Peer context (survey figures beside yours; context, not a pass mark)" in text
    assert "metrics tied to outcomes: yours 0% (0 of 6 metrics tied to a business outcome)" in text
    assert "## Peer context" in cli("check", *args, "--format", "markdown").output
    assert 'id="peers"' in cli("check", *args, "--format", "html").output


def _pack(tmp_path: Path, figures: list[dict]) -> Path:
    pack = tmp_path / "utilities"
    write(
        pack / "pack.yaml", {"name": "utilities", "version": "1.0", "description": "Utilities", "extends": "baseline"}
    )
    write(pack / "peers.yaml", {"version": 1, "description": "A sector survey", "figures": figures})
    return pack


FIGURE = {
    "id": "utility-plans",
    "measure": "long_term_plan",
    "value": 0.61,
    "statement": "61% of European utilities had a multi-year social-media plan",
    "source": "Utility Panel 2025",
    "sample": "120 utilities",
    "year": 2025,
    "sector": "energy",
    "size": "large",
}


def test_a_pack_supplies_its_own_peer_dataset_that_replaces_the_baseline(tmp_path: Path) -> None:
    pack = _pack(tmp_path, [FIGURE])
    report = _check(pack, example="energy")
    (line,) = report.peer_context
    assert (line.id, line.peers, line.year, line.sector, line.own) == ("utility-plans", 0.61, 2025, "energy", 1.0)
    assert report.inputs[-1].role == "peers" and report.inputs[-1].path.endswith("utilities/peers.yaml")


def test_peers_are_context_never_a_pass_mark(tmp_path: Path) -> None:
    base = _check(example="automotive")
    other = _check(_pack(tmp_path, [{**FIGURE, "value": 1.0}]), example="automotive")
    assert [f.fingerprint for f in base.findings] == [f.fingerprint for f in other.findings]
    assert base.assessment == other.assessment


@pytest.mark.parametrize(
    ("figure", "path"),
    [({**FIGURE, "value": 61}, "figures[0].value"), ({**FIGURE, "measure": "followers"}, "figures[0].measure")],
)
def test_a_bad_peer_dataset_is_an_input_error(tmp_path: Path, figure: dict, path: str) -> None:
    with pytest.raises(InputError) as caught:
        policies.load([_pack(tmp_path, [figure])])
    assert any(d.path == path and d.file.endswith("peers.yaml") and d.line > 1 for d in caught.value.diagnostics)
