"""The staff questionnaire (issue 17): an optional input with its own schema, answers per
department, shown beside the inventory's view with disagreement flagged (dissonance), and
feeding named rules (BEL-TRN-005, INT-DIS-001) on both evaluators."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from engine import pipeline
from engine.inputs.diagnostics import InputError
from engine.inputs.schemas import load_schema
from tests.helpers import ROOT, cli, write

AS_OF = dt.date(2026, 10, 1)
SAMPLE = ROOT / "examples" / "automotive.questionnaire.yaml"


def _check(questionnaire: Path | None, engine: str = "native"):
    return pipeline.run_check(
        pipeline.CheckOptions(
            inventory=(str(ROOT / "examples" / "automotive"),),
            as_of=AS_OF,
            engine=engine,
            questionnaire=str(questionnaire) if questionnaire else None,
        )
    )


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_answers_feed_named_rules_on_both_evaluators(engine: str) -> None:
    report = _check(SAMPLE, engine)
    found = {(f.rule_id, f.subject_id) for f in report.findings if f.rule_id in ("BEL-TRN-005", "INT-DIS-001")}
    # care agents: 45% say they were trained where the records say 90%; they see less coordination
    assert found == {("BEL-TRN-005", "dep-aut-custservice"), ("INT-DIS-001", "dep-aut-custservice")}
    without = _check(None, engine)
    assert not {f.rule_id for f in without.findings} & {"BEL-TRN-005", "INT-DIS-001"}
    assert without.questionnaire is None


def test_answers_stand_beside_the_inventorys_view_with_dissonance_flagged() -> None:
    rows = {(c.department, c.measure): c for c in _check(SAMPLE).questionnaire}
    trained = rows[("dep-aut-custservice", "trained")]
    assert (trained.staff, trained.inventory, trained.respondents, trained.dissonance) == (0.45, 0.9048, 51, True)
    agree = rows[("dep-aut-custservice", "complaints_reach_quality")]  # both say complaints do not reach QA
    assert (agree.staff, agree.inventory, agree.dissonance) == (0.1, 0.0, False)
    assert rows[("dep-aut-marketing", "coordinated")].dissonance is False  # 0.75 beside 1.0: within 0.3


def test_the_questionnaire_is_in_the_json_text_and_html_reports(tmp_path: Path) -> None:
    args = [str(ROOT / "examples" / "automotive"), "--as-of", "2026-10-01", "--fail-on", "never"]
    args += ["--questionnaire", str(SAMPLE)]
    data = json.loads(cli("check", *args, "--format", "json").output)
    jsonschema.Draft202012Validator(load_schema("report")).validate(data)
    assert data["inputs"][-1]["role"] == "questionnaire"
    assert any(row["dissonance"] for row in data["questionnaire"])
    text = cli("check", *args).output
    assert "dep-aut-custservice trained: staff 45% of 51; inventory 90%  <- dissonance" in text
    assert 'id="questionnaire"' in cli("check", *args, "--format", "html").output
    assert cli("plan", *args[:3], "--questionnaire", str(SAMPLE)).exit_code == 1


def test_the_sample_matches_its_schema() -> None:
    import yaml

    jsonschema.Draft202012Validator(load_schema("questionnaire")).validate(yaml.safe_load(SAMPLE.read_text()))


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"department": "dep-nope", "respondents": 3, "answers": {"trained": 0.5}}, "'dep-nope' is not defined"),
        ({"department": "dep-aut-hr", "respondents": 3, "answers": {"trained": 1.5}}, "1.5"),
        ({"department": "dep-aut-hr", "respondents": 3, "answers": {"happy": 0.5}}, "happy"),
    ],
)
def test_a_bad_questionnaire_is_an_input_error_with_its_position(tmp_path: Path, answers: dict, message: str) -> None:
    path = write(tmp_path / "q.yaml", {"version": 1, "departments": [answers]})
    with pytest.raises(InputError) as caught:
        _check(path)
    problems = caught.value.diagnostics
    assert any(message in d.message and d.file.endswith("q.yaml") and d.line > 1 for d in problems), [
        d.format() for d in problems
    ]
    result = cli("check", str(ROOT / "examples" / "automotive"), "--questionnaire", str(path))
    assert result.exit_code == 2 and "Traceback" not in result.output
