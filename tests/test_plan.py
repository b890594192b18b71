"""The next step and the road to the target; ``smgov plan`` and the report's new parts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from engine.assess.plan import NextStep, PlanItem
from engine.inputs.schemas import load_schema
from tests.fixtures.assess.build import (
    FIELD_VALUES,
    LADDER_RULES,
    account,
    accounts,
    field_of,
    inventory,
    pack,
    rule,
    run,
)
from tests.helpers import cli

FIELDS = field_of(LADDER_RULES)


def _items(next_step: NextStep, step: int = 0) -> list[PlanItem]:
    return [i for g in next_step.steps[step].groups for i in g.items]


def _fix(items: list[dict[str, Any]], plan: list[PlanItem], fields: dict[str, str]) -> list[dict[str, Any]]:
    """Apply a plan: make each item's rule pass on the first ``fix_at_least`` of its subjects."""
    by_id = {a["id"]: dict(a) for a in items}
    for item in plan:
        for subject in item.subjects[: item.fix_at_least]:
            by_id[subject][fields[item.rule_id]] = FIELD_VALUES[fields[item.rule_id]]
    return list(by_id.values())


# Ten accounts, at initialisation. Contagion: C-H (blocking) fails on 2; C-M fails on 3 and
# the second medium rule C-M2 on 2, so the other checks pass 15/20 = 75% < 80%: one short.
# Control: K-H fails on one account (a later gate). Integration: N-M fails on one (tolerated).
SCENARIO_RULES = (*LADDER_RULES, rule("C-M2", "contagion", "medium", "boundary", "official"))
SCENARIO_FIELDS = field_of(SCENARIO_RULES)


def _scenario() -> list[dict[str, Any]]:
    return accounts(10, {"C-H": 2, "C-M": 3, "C-M2": 2, "K-H": 1, "N-M": 1}, rules=SCENARIO_RULES)


def test_the_next_step_is_exactly_what_blocks_the_next_gate(tmp_path: Path) -> None:
    report = run(tmp_path, SCENARIO_RULES, _scenario())
    step = report.next_step
    assert (step.status, step.current, step.next, step.target) == (
        "below_target",
        "initialisation",
        "contagion",
        "integration",
    )
    first = step.steps[0]
    assert first.stage == "contagion" and not first.already_met
    assert first.gate.shortfall == 1
    items = {i.rule_id: i for i in _items(step)}
    assert set(items) == {"C-H", "C-M"}  # nothing from control or integration, and not C-M2
    assert (items["C-H"].reason, items["C-H"].fix_at_least, items["C-H"].subjects) == ("blocking", 2, ("a00", "a01"))
    # the rule with the most failing subjects closes the one-check gap; the rest may wait
    assert (items["C-M"].reason, items["C-M"].fix_at_least, len(items["C-M"].subjects)) == ("pass_ratio", 1, 3)
    assert {(w.rule_id, w.may_wait) for w in first.may_wait} == {("C-M", 2), ("C-M2", 2)}
    for item in items.values():
        assert item.unblocks == "contagion" and item.remediation.startswith("Set ")


def test_doing_the_plan_reaches_the_next_stage_and_doing_less_does_not(tmp_path: Path) -> None:
    items = _scenario()
    plan = _items(run(tmp_path / "before", SCENARIO_RULES, items).next_step)
    after = run(tmp_path / "after", SCENARIO_RULES, _fix(items, plan, SCENARIO_FIELDS))
    assert after.assessment.organisation.stage == "contagion"
    for skipped in range(len(plan)):
        short = [*plan[:skipped], *plan[skipped + 1 :]]
        result = run(tmp_path / f"short{skipped}", SCENARIO_RULES, _fix(items, short, SCENARIO_FIELDS))
        assert result.assessment.organisation.stage == "initialisation", plan[skipped].rule_id


def test_the_road_goes_stage_by_stage_to_the_target(tmp_path: Path) -> None:
    step = run(tmp_path, SCENARIO_RULES, _scenario()).next_step
    assert [s.stage for s in step.steps] == ["contagion", "control", "integration"]
    control = step.steps[1]
    assert [i.rule_id for i in _items(step, 1)] == ["K-H"] and control.may_wait == ()
    integration = step.steps[2]
    assert integration.already_met and integration.groups == ()
    assert [(w.rule_id, w.may_wait) for w in integration.may_wait] == [("N-M", 1)]


def test_the_road_stops_at_the_target(tmp_path: Path) -> None:
    step = run(tmp_path, SCENARIO_RULES, _scenario(), target="control").next_step
    assert [s.stage for s in step.steps] == ["contagion", "control"]


def test_with_the_ratio_met_every_non_blocking_failure_may_wait(tmp_path: Path) -> None:
    step = run(tmp_path, LADDER_RULES, accounts(10, {"C-H": 1, "C-M": 2})).next_step
    assert [(i.rule_id, i.reason) for i in _items(step)] == [("C-H", "blocking")]
    assert [(w.rule_id, w.may_wait, len(w.subjects)) for w in step.steps[0].may_wait] == [("C-M", 2, 2)]


def test_items_are_grouped_by_lever_then_ordered_by_severity_then_subjects(tmp_path: Path) -> None:
    rules = (
        *LADDER_RULES,
        rule("C-X", "contagion", "critical", "boundary", "official"),
        rule("C-Y", "contagion", "high", "boundary", "archived"),
        rule("C-Z", "contagion", "high", "boundary", "regulated"),
    )
    items = accounts(10, {"C-H": 1, "C-X": 1, "C-Y": 3, "C-Z": 5}, rules=rules)
    step = run(tmp_path, rules, items).next_step
    assert [(g.lever, [i.rule_id for i in g.items]) for g in step.steps[0].groups] == [
        ("belief", ["C-H"]),
        ("boundary", ["C-X", "C-Z", "C-Y"]),
    ]


def test_a_shortfall_takes_the_rules_with_most_failing_subjects_first(tmp_path: Path) -> None:
    rules = (*LADDER_RULES, rule("C-L", "contagion", "low", "boundary", "official"))
    # other checks at contagion: C-M fails 4, C-L fails 3 of 20 -> 13/20 pass, 16 needed: 3 short
    step = run(tmp_path, rules, accounts(10, {"C-M": 4, "C-L": 3}, rules=rules)).next_step
    got = [(i.rule_id, i.fix_at_least) for i in _items(step)]
    assert got == [("C-M", 3)]
    assert [(w.rule_id, w.may_wait) for w in step.steps[0].may_wait] == [("C-M", 1), ("C-L", 3)]


def test_plan_items_name_the_departments_concerned(tmp_path: Path) -> None:
    departments = [{"id": "mkt", "name": "Marketing", "uses_social_media": True}]
    items = [account("a0", "mkt", fails=["C-H"]), account("a1")]
    step = run(tmp_path, LADDER_RULES, items, departments=departments).next_step
    (item,) = _items(step)
    assert (item.subjects, item.departments) == (("a0",), ("mkt",))


# ----------------------------------------------------------------- the command line


@pytest.fixture
def case(tmp_path: Path) -> tuple[str, str]:
    directory = pack(tmp_path / "pack", SCENARIO_RULES)
    inv = inventory(tmp_path / "inventory.yaml", _scenario())
    return str(inv), str(directory)


def _validate(text: str) -> dict[str, Any]:
    data = json.loads(text)
    schema = load_schema("report")
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)
    return data


def test_plan_text_shows_the_ladder_levers_and_the_whole_road(case: tuple[str, str]) -> None:
    inv, directory = case
    result = cli("plan", inv, "--policies", directory, "--as-of", "2026-10-01")
    assert result.exit_code == 1  # below the target
    out = result.output
    order = [
        "Stage: initialisation",
        "Stage ladder",
        "Levers",
        "Next step:",
        "Reach contagion",
        "Reach control",
        "Reach integration: its gate is already met",
    ]
    positions = [out.index(marker) for marker in order]
    assert positions == sorted(positions), out
    assert "C-H: purpose is set (blocking)" in out
    assert "account (at least 1 of 3): a00, a01, a02" in out
    assert "may wait" in out
    assert "Altimeter-2013 ≈ Presence (approximate)" in out
    assert "CRITICAL (" not in out and "HIGH (" not in out  # the plan has no findings list


def test_check_text_puts_the_assessment_and_next_step_before_the_findings(case: tuple[str, str]) -> None:
    inv, directory = case
    out = cli("check", inv, "--policies", directory, "--as-of", "2026-10-01", "--fail-on", "never").output
    order = ["Stage ladder", "Levers", "Next step:", "Reach contagion", "Road to the target:", "HIGH (", "MEDIUM ("]
    positions = [out.index(marker) for marker in order]
    assert positions == sorted(positions), out
    assert "Reach control" not in out  # check shows the next step only; plan shows the road


@pytest.mark.parametrize("command", ["check", "plan"])
def test_the_json_report_validates_against_the_schema(case: tuple[str, str], command: str) -> None:
    inv, directory = case
    result = cli(command, inv, "--policies", directory, "--as-of", "2026-10-01", "--format", "json")
    data = _validate(result.stdout)
    assert data["assessment"]["organisation"]["stage"] == "initialisation"
    assert data["assessment"]["crosswalk"]["approximate"] is True
    assert [s["stage"] for s in data["next_step"]["steps"]] == ["contagion", "control", "integration"]
    assert data["next_step"]["steps"][0]["groups"][0]["items"][0]["rule_id"] == "C-H"
    ladder = data["inputs"][-1]  # the stage ladder assessed on is an input like the others
    assert ladder["role"] == "stages" and ladder["path"].endswith("stages.yaml") and len(ladder["sha256"]) == 64


def test_plan_at_target_exits_0_and_writes_the_output_file(tmp_path: Path) -> None:
    directory = pack(tmp_path / "pack", LADDER_RULES)
    inv = inventory(tmp_path / "inventory.yaml", accounts(3, {"K-H": 1}), target="contagion")
    out = tmp_path / "out" / "plan.json"
    result = cli(
        "plan", str(inv), "--policies", str(directory), "--as-of", "2026-10-01", "--format", "json", "-o", str(out)
    )
    assert result.exit_code == 0 and result.output == ""
    data = _validate(out.read_text())
    assert data["next_step"]["status"] == "at_target" and data["next_step"]["steps"] == []
    text = cli("plan", str(inv), "--policies", str(directory), "--as-of", "2026-10-01").output
    assert "At target contagion" in text and "What keeps it there" in text


def test_plan_with_an_unknown_target_is_an_input_error(tmp_path: Path) -> None:
    directory = pack(tmp_path / "pack", LADDER_RULES)
    inv = inventory(tmp_path / "inventory.yaml", accounts(1), target="nirvana")
    result = cli("plan", str(inv), "--policies", str(directory))
    assert result.exit_code == 2
    assert f"{inv}:5:3: unknown target_stage 'nirvana'" in result.output
    assert "(organisation.target_stage)" in result.output


def test_plan_help_has_an_example() -> None:
    result = cli("plan", "--help")
    assert result.exit_code == 0 and "smgov plan examples/telecom" in result.output
