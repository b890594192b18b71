"""The next step and the road to the target; ``smgov plan`` and the report's new parts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from engine import pipeline
from engine.assess.plan import NextStep, PlanItem, split_remediation
from engine.inputs.schemas import load_schema
from tests.fixtures.assess.build import (
    AS_OF,
    FIELD_VALUES,
    LADDER_RULES,
    account,
    accounts,
    field_of,
    inventory,
    ladder,
    pack,
    rule,
    run,
    write_yaml,
)
from tests.helpers import ROOT, cli

FIELDS = field_of(LADDER_RULES)


def _items(next_step: NextStep, step: int = 0) -> list[PlanItem]:
    return list(next_step.steps[step].items)


def _fix(items: list[dict[str, Any]], plan: list[PlanItem], fields: dict[str, str]) -> list[dict[str, Any]]:
    """Apply a plan: make each item's rule pass on every one of its subjects (whole rules)."""
    by_id = {a["id"]: dict(a) for a in items}
    for item in plan:
        for subject in item.subjects:
            by_id[subject][fields[item.rule_id]] = FIELD_VALUES[fields[item.rule_id]]
    return list(by_id.values())


# Ten accounts, at initialisation. Contagion: C-H (blocking) fails on 2; C-M fails on 3 and
# the second medium rule C-M2 on 2: of the other rules' weight (C-M 2, C-M2 2) none passes,
# and 80% of 4 is 4: both must be fixed. Control: K-H fails on one account (a later gate).
# Integration: N-M fails on one (the other rules' weight there is 2: N-M is needed too).
SCENARIO_RULES = (*LADDER_RULES, rule("C-M2", "contagion", "medium", "boundary", "official"))
SCENARIO_FIELDS = field_of(SCENARIO_RULES)


def _scenario() -> list[dict[str, Any]]:
    return accounts(10, {"C-H": 2, "C-M": 3, "C-M2": 2, "K-H": 1, "N-M": 1}, rules=SCENARIO_RULES)


def test_the_next_step_fixes_whole_rules(tmp_path: Path) -> None:
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
    assert (first.gate.weight, first.gate.shortfall) == (4, 4)
    items = {i.rule_id: i for i in _items(step)}
    assert set(items) == {"C-H", "C-M", "C-M2"}  # nothing from control or integration
    assert (items["C-H"].reason, items["C-H"].subjects) == ("blocking", ("a00", "a01"))
    assert (items["C-M"].reason, items["C-M"].subjects) == ("pass_ratio", ("a00", "a01", "a02"))  # all three
    assert first.may_wait == ()
    for item in items.values():
        assert item.unblocks == "contagion" and item.action == f"Set {SCENARIO_FIELDS[item.rule_id]}."


def test_the_plan_lists_every_blocking_item_before_any_other(tmp_path: Path) -> None:
    rules = (
        *LADDER_RULES,
        rule("C-X", "contagion", "critical", "boundary", "official"),
        rule("C-Y", "contagion", "medium", "boundary", "archived"),
        rule("C-Z", "contagion", "low", "boundary", "regulated"),
    )
    # the blocking rule is high and fails on one account; the others fail on many, one is critical
    items = accounts(10, {"C-H": 1, "C-X": 9, "C-Y": 9, "C-Z": 9, "C-M": 9}, rules=rules)
    doc = ladder(gate={"blocking_severities": [], "min_pass_ratio": 0.8})
    doc["stages"][1]["gate"] = {"requires": ["C-H"]}
    step = run(tmp_path, rules, items, stages=doc).next_step
    plan = _items(step)
    reasons = [i.reason for i in plan]
    assert reasons[0] == "blocking" and "blocking" not in reasons[1:]
    # then by severity, never by count: C-X (8), C-M and C-Y (2 each) close 11 of the 13 weight
    assert [i.rule_id for i in plan] == ["C-H", "C-X", "C-M", "C-Y"]
    assert [w.rule_id for w in step.steps[0].may_wait] == ["C-Z"]


def test_doing_the_plan_reaches_the_next_stage(tmp_path: Path) -> None:
    items = _scenario()
    plan = _items(run(tmp_path / "before", SCENARIO_RULES, items).next_step)
    after = run(tmp_path / "after", SCENARIO_RULES, _fix(items, plan, SCENARIO_FIELDS))
    assert after.assessment.organisation.stage == "contagion"
    blocking = [i for i in plan if i.reason == "blocking"]
    short = [i for i in plan if i not in blocking]
    skipped = run(tmp_path / "short", SCENARIO_RULES, _fix(items, short, SCENARIO_FIELDS))
    assert skipped.assessment.organisation.stage == "initialisation"


def test_the_road_goes_stage_by_stage_to_the_target(tmp_path: Path) -> None:
    step = run(tmp_path, SCENARIO_RULES, _scenario()).next_step
    assert [s.stage for s in step.steps] == ["contagion", "control", "integration"]
    control = step.steps[1]
    assert [i.rule_id for i in _items(step, 1)] == ["K-H"] and control.may_wait == ()
    integration = step.steps[2]
    assert not integration.already_met and [i.rule_id for i in integration.items] == ["N-M"]


def test_the_road_stops_at_the_target(tmp_path: Path) -> None:
    step = run(tmp_path, SCENARIO_RULES, _scenario(), target="control").next_step
    assert [s.stage for s in step.steps] == ["contagion", "control"]


def test_with_the_ratio_met_every_non_blocking_failure_may_wait(tmp_path: Path) -> None:
    rules = (*LADDER_RULES, *(rule(f"C-L{n}", "contagion", "low", "boundary", f) for n, f in enumerate(["official"])))
    # contagion's other weight: C-M 2 + C-L0 1 = 3, 80% is 3: one low failing is short... so fail nothing there
    step = run(tmp_path, rules, accounts(10, {"C-H": 1}, rules=rules)).next_step
    assert [(i.rule_id, i.reason) for i in _items(step)] == [("C-H", "blocking")]
    doc = ladder(gate={"blocking_severities": ["critical", "high"], "min_pass_ratio": 0.6})
    step = run(tmp_path / "b", rules, accounts(10, {"C-H": 1, "C-L0": 4}, rules=rules), stages=doc).next_step
    assert [(i.rule_id, i.reason) for i in _items(step)] == [("C-H", "blocking")]
    assert [(w.rule_id, w.may_wait, len(w.subjects)) for w in step.steps[0].may_wait] == [("C-L0", 4, 4)]


def test_a_shortfall_takes_the_most_severe_whole_rules_first(tmp_path: Path) -> None:
    rules = (
        *LADDER_RULES,
        rule("C-L", "contagion", "low", "boundary", "official"),
        rule("C-L2", "contagion", "low", "boundary", "archived"),
    )
    # other weight at contagion: C-M 2, C-L 1, C-L2 1 = 4; 80% is 4 -> C-L2 passes, C-M and C-L fail
    # (3 short). C-M, fewer failing subjects but more severe, comes first; C-L follows: whole rules.
    step = run(tmp_path, rules, accounts(10, {"C-M": 1, "C-L": 7}, rules=rules)).next_step
    got = [(i.rule_id, len(i.subjects)) for i in _items(step)]
    assert got == [("C-M", 1), ("C-L", 7)]


def test_critical_rules_and_legal_duties_never_wait(tmp_path: Path) -> None:
    rules = (
        *LADDER_RULES,
        rule("N-C", "integration", "critical", "boundary", "official"),
        {**rule("N-L", "integration", "low", "boundary", "archived"), "tags": ["legal-duty"]},
    )
    step = run(tmp_path, rules, accounts(5, {"C-H": 1, "N-C": 1, "N-L": 1}, rules=rules), target="contagion")
    plan = {i.rule_id: i.reason for i in _items(step.next_step)}
    # both are beyond the target and would otherwise be in no step at all
    assert plan == {"C-H": "blocking", "N-C": "critical", "N-L": "legal_duty"}


def test_an_incident_on_record_raises_the_items_it_bears_on(tmp_path: Path) -> None:
    rules = (*LADDER_RULES, {**rule("K-C", "control", "medium", "boundary", "official"), "tags": ["crisis"]})
    items = accounts(5, {"C-H": 1, "K-C": 1}, rules=rules)
    calm = _items(run(tmp_path / "calm", rules, items).next_step)
    assert [i.rule_id for i in calm] == ["C-H"]
    directory = pack(tmp_path / "hit" / "pack", rules, ladder())
    inv = inventory(tmp_path / "hit" / "inventory.yaml", items)
    data = yaml.safe_load(inv.read_text())
    data["incidents"] = [
        {"id": "inc-old", "date": "2024-01-01", "category": "crisis", "summary": "long ago"},
        {"id": "inc-layoffs", "date": "2026-08-01", "category": "crisis", "summary": "brand account hijacked"},
    ]
    write_yaml(inv, data)
    report = pipeline.run_check(pipeline.CheckOptions((str(inv),), (str(directory),), as_of=AS_OF))
    raised = {i.rule_id: i for i in _items(report.next_step)}
    assert raised["K-C"].reason == "incident" and raised["K-C"].incidents == ("inc-layoffs",)


def test_dependencies_come_first_and_are_pulled_in(tmp_path: Path) -> None:
    rules = (
        *LADDER_RULES,
        rule("C-P", "contagion", "low", "boundary", "official"),  # "the policy"
        {**rule("C-T", "contagion", "medium", "boundary", "archived"), "after": ["C-P"]},  # "training on it"
    )
    doc = ladder(gate={"blocking_severities": ["critical", "high"], "min_pass_ratio": 0.5})
    # other weight: C-M 2 + C-P 1 + C-T 2 = 5, half is 3: fixing C-T alone would do, but C-T
    # comes after C-P, which is pulled in and put first
    step = run(tmp_path, rules, accounts(4, {"C-P": 1, "C-T": 2}, rules=rules), stages=doc).next_step
    plan = _items(step)
    assert [(i.rule_id, i.reason, i.depends_on) for i in plan] == [
        ("C-P", "dependency", ()),
        ("C-T", "pass_ratio", ("C-P",)),
    ]


def test_items_name_owner_effort_and_what_to_record(tmp_path: Path) -> None:
    departments = [{"id": "mkt", "name": "Marketing", "head": "Maria Neri", "uses_social_media": True}]
    items = [account("a0", "mkt", fails=["C-H"]), account("a1", "mkt", fails=["C-H"]), account("a2")]
    items[0]["owner"] = "Ann"
    items[1]["owner"] = "Bob"
    step = run(tmp_path, LADDER_RULES, items, departments=departments).next_step
    (item,) = _items(step)
    assert (item.subjects, item.departments) == (("a0", "a1"), ("mkt",))
    assert (item.owner, item.owner_role) == ("Maria Neri", "department head")  # two owners: their head answers
    assert item.effort == "small"


@pytest.mark.parametrize(
    ("owners", "expected"),
    [
        (["Ann", "Ann", "Ann"], ("Ann", "account owner")),  # one owner of every failing subject
        (["Ann", None, "Ann"], ("Maria Neri", "department head")),  # one without: their head answers
        (["Ann", "Bob", "Ann"], ("Maria Neri", "department head")),
        (["None", "Ann", "Ann"], ("Ann", "account owner")),  # (a text "None" counts as no one, as before)
    ],
)
def test_the_owner_of_an_item_is_the_one_owner_of_every_failing_subject(
    tmp_path: Path, owners: list[str | None], expected: tuple[str, str]
) -> None:
    departments = [{"id": "mkt", "name": "Marketing", "head": "Maria Neri", "uses_social_media": True}]
    items = [account(f"a{n}", "mkt", fails=["C-H"]) for n in range(3)]
    for item, owner in zip(items, owners, strict=True):
        item.pop("owner", None)
        if owner is not None:
            item["owner"] = owner
    step = run(tmp_path, LADDER_RULES, items, departments=departments).next_step
    (item,) = _items(step)
    assert (item.owner, item.owner_role) == expected


@pytest.mark.parametrize(
    ("text", "action", "record"),
    [
        ("Name a backup owner and record it in backup_owner.", "Name a backup owner.", "Record it in backup_owner."),
        (
            "Pick a metric. In the inventory: record target and benchmark.",
            "Pick a metric.",
            "Record target and benchmark.",
        ),
        ("Extend training and update the training record.", "Extend training and update the training record.", ""),
        (
            "Record the purpose; close communities that have none.",
            "Close communities that have none.",
            "Record the purpose.",
        ),
    ],
)
def test_remediation_is_split_into_what_to_do_and_what_to_record(text: str, action: str, record: str) -> None:
    assert split_remediation(text) == (action, record)


def test_baseline_plans_name_owners_from_the_inventory() -> None:
    report = pipeline.run_check(pipeline.CheckOptions(inventory=(str(ROOT / "examples" / "automotive"),), as_of=AS_OF))
    items = [i for s in report.next_step.steps for i in s.items]
    assert all(i.owner or "management team" in i.owner_role for i in items)
    care = next(i for i in items if i.rule_id == "INT-CMP-003")
    assert (care.owner, care.owner_role) == ("Valentina Riva", "process owner")
    assert care.incidents == ("inc-aut-2026-infotainment",)  # the defect on record raises it
    assert all(not i.action.lower().startswith("record") for i in items)


# ----------------------------------------------------------------- the command line


@pytest.fixture
def case(tmp_path: Path) -> tuple[str, str]:
    directory = pack(tmp_path / "pack", SCENARIO_RULES, ladder())
    inv = inventory(tmp_path / "inventory.yaml", _scenario())
    return str(inv), str(directory)


def _validate(text: str, name: str = "report") -> dict[str, Any]:
    data = json.loads(text)
    schema = load_schema(name)
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
        "Reach integration",
    ]
    positions = [out.index(marker) for marker in order]
    assert positions == sorted(positions), out
    assert "C-H: purpose is set (defines the stage; belief)" in out
    assert "account (all 3): a00, a01, a02" in out
    assert "do: Set business_objective." in out
    assert "Altimeter-2013 ≈ Presence (approximate)" in out
    assert "CRITICAL (" not in out and "HIGH (" not in out  # the plan has no findings list


def test_check_text_puts_the_assessment_and_next_step_before_the_findings(case: tuple[str, str]) -> None:
    inv, directory = case
    out = cli("check", inv, "--policies", directory, "--as-of", "2026-10-01", "--fail-on", "never").output
    order = ["Stage ladder", "Levers", "Next step:", "Reach contagion", "Road to the target:", "HIGH (", "MEDIUM ("]
    positions = [out.index(marker) for marker in order]
    assert positions == sorted(positions), out
    assert "Reach control" not in out  # check shows the next step only; plan shows the road


def test_the_json_report_validates_against_the_schema(case: tuple[str, str]) -> None:
    inv, directory = case
    result = cli(
        "check", inv, "--policies", directory, "--as-of", "2026-10-01", "--format", "json", "--fail-on", "never"
    )
    data = _validate(result.stdout)
    assert data["assessment"]["organisation"]["stage"] == "initialisation"
    assert data["assessment"]["crosswalk"]["approximate"] is True
    assert [s["stage"] for s in data["next_step"]["steps"]] == ["contagion", "control", "integration"]
    assert data["next_step"]["steps"][0]["items"][0]["rule_id"] == "C-H"
    ladder = data["inputs"][-1]  # the stage ladder assessed on is an input like the others
    assert ladder["role"] == "stages" and ladder["path"].endswith("stages.yaml") and len(ladder["sha256"]) == 64


def test_plan_at_target_exits_0_and_writes_the_output_file(tmp_path: Path) -> None:
    directory = pack(tmp_path / "pack", LADDER_RULES, ladder())
    inv = inventory(tmp_path / "inventory.yaml", accounts(3, {"K-H": 1}), target="contagion")
    out = tmp_path / "out" / "plan.json"
    result = cli(
        "plan", str(inv), "--policies", str(directory), "--as-of", "2026-10-01", "--format", "json", "-o", str(out)
    )
    assert result.exit_code == 0 and result.output == ""
    data = _validate(out.read_text(), "plan")
    assert data["status"] == "at_target" and data["steps"] == []
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


def test_plan_json_is_the_plan_document(case: tuple[str, str]) -> None:
    inv, directory = case
    result = cli("plan", inv, "--policies", directory, "--as-of", "2026-10-01", "--format", "json")
    assert result.exit_code == 1
    data = _validate(result.output, "plan")
    assert (data["stage"], data["target"], data["status"]) == ("initialisation", "integration", "below_target")
    first = data["steps"][0]["items"][0]
    assert (first["rule_id"], first["reason"], first["effort"]) == ("C-H", "blocking", "small")


@pytest.mark.parametrize("fmt", ["markdown", "html", "csv"])
def test_plan_formats_for_a_board_or_a_tracker(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"plan.{fmt}"
    result = cli("plan", str(ROOT / "examples" / "telecom"), "--as-of", "2026-10-01", "--format", fmt, "-o", str(out))
    assert result.exit_code == 1 and result.output == ""
    text = out.read_text(encoding="utf-8")
    assert "DIA-TGT-004" in text and "BEL-POL-001" in text
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows[0]["rule_id"] == "DIA-TGT-004" and rows[0]["reason"] == "blocking"
        assert {r["stage"] for r in rows} == {"contagion", "control"}
        assert any(r["incidents"] == "inc-tel-2025-layoffs" for r in rows)
    elif fmt == "html":
        assert text.startswith("<!DOCTYPE html>") and "<script" not in text
        assert text.index('id="step-contagion"') < text.index('id="step-control"')
    else:
        assert text.startswith("# Social-media roadmap: Lumetra Telecom S.p.A.")
        assert "| # | severity | rule |" in text


def test_plan_csv_cells_are_spreadsheet_safe(tmp_path: Path) -> None:
    departments = [{"id": "mkt", "name": "Marketing", "head": "=HYPERLINK(1)", "uses_social_media": True}]
    items = [account("a0", "mkt", fails=["C-H"]), account("a1", "mkt", fails=["C-H"])]
    items[1]["owner"] = "Other"
    directory = pack(tmp_path / "pack", LADDER_RULES, ladder())
    inv = inventory(tmp_path / "inventory.yaml", items, departments)
    result = cli("plan", str(inv), "--policies", str(directory), "--as-of", "2026-10-01", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[0]["owner"] == "'=HYPERLINK(1)"
