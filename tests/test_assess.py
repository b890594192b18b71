"""The assess step: stage boundaries, the 80% edge, departments, levers, imbalance, target,
crosswalk, and the stage ladder as data (stages.yaml)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from engine import pipeline
from engine.inputs.diagnostics import InputError
from engine.policy import policies, stages
from engine.vocabulary import DEFAULT_STAGES
from tests.fixtures.assess.build import (
    LADDER_RULES,
    STAGES,
    account,
    accounts,
    inventory,
    ladder,
    pack,
    rule,
    run,
    write_yaml,
)

# ----------------------------------------------------------------- stage boundaries


def test_everything_passing_reaches_the_top_stage(tmp_path: Path) -> None:
    report = run(tmp_path, LADDER_RULES, accounts(5))
    a = report.assessment
    assert a.organisation.stage == "integration"
    assert all(g.passed for g in a.organisation.gates)


@pytest.mark.parametrize("index", range(len(STAGES)))
def test_one_failing_high_rule_keeps_the_organisation_below_its_stage(tmp_path: Path, index: int) -> None:
    stage = STAGES[index]
    high = next(r["id"] for r in LADDER_RULES if r["stage"] == stage and r["severity"] == "high")
    below = "none" if index == 0 else STAGES[index - 1]

    broken = run(tmp_path / "broken", LADDER_RULES, accounts(20, {high: 1}))
    assert broken.assessment.organisation.stage == below
    gate = broken.assessment.organisation.gates[index]
    assert not gate.passed
    assert gate.blocking_failed == (high,)
    assert gate.shortfall == 0  # the ratio part is met: only the blocking rule holds it back

    fixed = run(tmp_path / "fixed", LADDER_RULES, accounts(20))
    assert fixed.assessment.organisation.stage == "integration"


def test_a_gate_above_a_failing_one_does_not_count(tmp_path: Path) -> None:
    # contagion fails; control and integration gates pass on their own, yet the stage is cumulative
    report = run(tmp_path, LADDER_RULES, accounts(5, {"C-H": 1}))
    gates = {g.stage: g.passed for g in report.assessment.organisation.gates}
    assert gates == {"initialisation": True, "contagion": False, "control": True, "integration": True}
    assert report.assessment.organisation.stage == "initialisation"


#: Five medium rules at contagion and nothing else: the gate's ratio in its simplest form.
RATIO_FIELDS = ("official", "archived", "regulated", "spokesperson_approved", "notes")
RATIO_RULES = tuple(rule(f"R-{n}", "contagion", "medium", "boundary", f) for n, f in enumerate(RATIO_FIELDS))


@pytest.mark.parametrize(
    ("failing_rules", "subjects", "reached"),
    [
        (0, 1, "integration"),
        (1, 1, "integration"),  # 4 of 5 rules, 8 of 10 weight: exactly 80% passes
        (1, 50, "integration"),  # however many subjects the failing rule fails on
        (2, 1, "initialisation"),  # 6 of 10: below 80%
        (2, 50, "initialisation"),
    ],
)
def test_the_80_percent_rule_counts_rules_not_subjects(
    tmp_path: Path, failing_rules: int, subjects: int, reached: str
) -> None:
    failing = {f"R-{n}": subjects for n in range(failing_rules)}
    report = run(tmp_path, RATIO_RULES, accounts(50, failing, rules=RATIO_RULES))
    gate = report.assessment.organisation.gates[1]
    assert report.assessment.organisation.stage == reached
    assert (gate.rules, gate.passed_rules) == (5, 5 - failing_rules)
    assert (gate.weight, gate.passed_weight, gate.must_pass) == (10, 10 - 2 * failing_rules, 8)
    assert gate.checks == 250 and gate.passed_checks == 250 - failing_rules * subjects  # information only


def test_a_failing_rule_weighs_by_its_severity(tmp_path: Path) -> None:
    rules = [
        rule("W-H", "contagion", "high", "boundary", "official"),
        *(rule(f"W-L{n}", "contagion", "low", "boundary", f) for n, f in enumerate(RATIO_FIELDS[1:])),
    ]
    doc = ladder(gate={"blocking_severities": ["critical"], "min_pass_ratio": 0.8})
    high = run(tmp_path / "high", rules, accounts(3, {"W-H": 1}, rules=rules), stages=doc)
    low = run(tmp_path / "low", rules, accounts(3, {"W-L0": 1}, rules=rules), stages=doc)
    assert high.assessment.organisation.gates[1].pass_ratio == 0.5  # 4 of 8 lost
    assert low.assessment.organisation.gates[1].pass_ratio == 0.875  # 1 of 8 lost
    assert (high.assessment.organisation.stage, low.assessment.organisation.stage) == ("initialisation", "integration")


def test_a_required_rule_defines_its_stage(tmp_path: Path) -> None:
    doc = ladder(gate={"blocking_severities": [], "min_pass_ratio": 0.5})
    doc["stages"][1]["gate"] = {"requires": ["C-M"]}
    report = run(tmp_path, LADDER_RULES, accounts(4, {"C-M": 1}), stages=doc)
    gate = report.assessment.organisation.gates[1]
    assert gate.requires == ("C-M",) and gate.blocking_failed == ("C-M",)
    assert gate.pass_ratio == 1.0  # C-H, the only other rule, passes: the requirement alone closes the gate
    assert report.assessment.organisation.stage == "initialisation"


def test_blocking_rules_do_not_count_in_the_ratio(tmp_path: Path) -> None:
    report = run(tmp_path, LADDER_RULES, accounts(10, {"I-M": 2}))
    gate = report.assessment.organisation.gates[0]
    assert (gate.rules, gate.weight, gate.checks) == (1, 2, 10)  # I-M only; I-H is blocking and counted apart
    assert gate.blocking_rules == ("I-H",)
    assert (gate.passed_weight, gate.spare, gate.shortfall, gate.passed) == (0, 0, 2, False)


def test_a_stage_without_checks_passes_vacuously(tmp_path: Path) -> None:
    rules = [r for r in LADDER_RULES if r["stage"] != "control"]
    report = run(tmp_path, rules, accounts(3))
    gate = report.assessment.organisation.gates[2]
    assert gate.passed and gate.checks == 0 and gate.blocking_rules == () and gate.pass_ratio is None


def test_the_ratio_threshold_is_exact_not_floating_point(tmp_path: Path) -> None:
    # 0.7 * 10 is 7.000000000000001 in binary floating point: 7 of 10 must still pass.
    fields = ("owner", "backup_owner", "purpose", "business_objective", "handle", *RATIO_FIELDS)
    rules = [rule(f"F-{n}", "contagion", "medium", "boundary", f) for n, f in enumerate(fields)]
    weights = {"critical": 1, "high": 1, "medium": 1, "low": 1, "info": 0}
    doc = ladder(gate={"blocking_severities": [], "min_pass_ratio": 0.7}, weights=weights)
    report = run(tmp_path, rules, accounts(2, {"F-0": 1, "F-1": 1, "F-2": 1}, rules=rules), stages=doc)
    assert report.assessment.organisation.gates[1].must_pass == 7
    assert report.assessment.organisation.gates[1].passed_weight == 7
    assert report.assessment.organisation.stage == "integration"


def test_a_pack_can_define_its_own_gate(tmp_path: Path) -> None:
    # Only critical rules block, and the contagion stage demands every other rule pass.
    doc = ladder(gate={"blocking_severities": ["critical"], "min_pass_ratio": 0.3})
    doc["stages"][1]["gate"] = {"min_pass_ratio": 1.0}
    report = run(tmp_path / "a", LADDER_RULES, accounts(4, {"I-H": 1}), stages=doc)
    assert report.assessment.organisation.stage == "integration"  # I-H is high: 2 of 6 weight >= 30%
    report = run(tmp_path / "b", LADDER_RULES, accounts(4, {"C-M": 1}), stages=doc)
    assert report.assessment.organisation.stage == "initialisation"  # 4 of 6 < 100% at contagion


# ----------------------------------------------------------------- departments

DEPARTMENTS = [
    {"id": "mkt", "name": "Marketing", "uses_social_media": True},
    {"id": "sales", "name": "Sales", "uses_social_media": True},
    {"id": "hr", "name": "Human Resources", "uses_social_media": False},
    {"id": "ops", "name": "Operations", "uses_social_media": True},
]


def _department_accounts() -> list[dict[str, object]]:
    items = [account(f"m{i}", "mkt") for i in range(8)]
    items += [account("s0", "sales"), account("s1", "sales", fails=["C-M"])]
    items += [account("h0", "hr", fails=["N-M"])]
    return items


def test_a_department_lagging_the_organisation(tmp_path: Path) -> None:
    report = run(tmp_path, LADDER_RULES, _department_accounts(), departments=DEPARTMENTS)
    a = report.assessment
    # Organisation: C-M fails on one account, so the rule fails: contagion's only other rule.
    assert a.organisation.stage == "initialisation"
    by_id = {d.id: d for d in a.departments}
    # Marketing's own subjects pass everything: it is ahead of the organisation.
    assert (by_id["mkt"].stage, by_id["mkt"].relative) == ("integration", "ahead")
    # Sales: C-M fails on 1 of its 2 accounts, so on Sales' subjects the rule fails.
    assert (by_id["sales"].stage, by_id["sales"].relative) == ("initialisation", "level")
    assert (by_id["sales"].gates[1].rules, by_id["sales"].gates[1].passed_rules) == (1, 0)
    # HR says it does not use social media: reported as such, not failing, even with a failing account.
    assert (by_id["hr"].status, by_id["hr"].stage, by_id["hr"].failed) == ("not_using_social_media", None, 1)
    # Operations uses social media but nothing checked concerns it.
    assert (by_id["ops"].status, by_id["ops"].stage, by_id["ops"].checks) == ("no_checks", None, 0)


def test_organisation_scope_rules_do_not_count_for_departments(tmp_path: Path) -> None:
    rules = [*LADDER_RULES, rule("O-H", "contagion", "high", "belief", "industry", scope="organisation")]
    report = run(tmp_path, rules, _department_accounts(), departments=DEPARTMENTS)
    a = report.assessment
    assert a.organisation.stage == "initialisation"  # the organisation has no industry
    by_id = {d.id: d for d in a.departments}
    assert (by_id["mkt"].stage, by_id["mkt"].relative) == ("integration", "ahead")
    assert all("O-H" not in g.blocking_rules for d in a.departments for g in d.gates)


def test_a_list_field_counts_toward_each_department_it_names(tmp_path: Path) -> None:
    tool_rule = rule("T-M", "contagion", "medium", "boundary", "owner", scope="tool")
    directory = pack(tmp_path / "pack", [*LADDER_RULES, tool_rule], ladder())
    inv = inventory(tmp_path / "inv.yaml", [account("m0", "mkt"), account("s0", "sales")], DEPARTMENTS[:2])
    data = __import__("yaml").safe_load(inv.read_text())
    data["tools"] = [{"id": "t1", "name": "Listening", "category": "listening", "departments": ["mkt", "sales"]}]
    write_yaml(inv, data)
    report = pipeline.run_check(pipeline.CheckOptions((str(inv),), (str(directory),), as_of=None))
    by_id = {d.id: d for d in report.assessment.departments}
    for ident in ("mkt", "sales"):
        contagion = by_id[ident].gates[1]
        assert (contagion.checks, contagion.passed_checks) == (2, 1)  # C-M on its account, T-M on the tool
        assert (contagion.rules, contagion.passed_rules) == (2, 1)


# ----------------------------------------------------------------- levers and imbalance

BOUNDARY_AND_BELIEF = (
    *(
        rule(f"B-{n}", s, "high", "boundary", f)
        for n, (s, f) in enumerate(zip(STAGES, ("owner", "backup_owner", "handle", "notes"), strict=True))
    ),
    *(
        rule(f"E-{n}", s, "high", "belief", f)
        for n, (s, f) in enumerate(zip(STAGES, ("purpose", "business_objective", "mfa", "verified"), strict=True))
    ),
)


def _imbalance(tmp_path: Path, belief_failing: list[str]):  # type: ignore[no-untyped-def]
    items = [account(f"a{i}", fails=belief_failing, rules=BOUNDARY_AND_BELIEF) for i in range(3)]
    return run(tmp_path, BOUNDARY_AND_BELIEF, items).assessment


def test_an_imbalanced_organisation_strong_boundaries_no_shared_beliefs(tmp_path: Path) -> None:
    a = _imbalance(tmp_path, ["E-0", "E-1", "E-2", "E-3"])
    levers = {lv.lever: lv for lv in a.levers}
    assert levers["boundary"].stage == "integration"
    assert levers["belief"].stage == "none"
    assert levers["diagnostic"].stage is None and levers["diagnostic"].checks == 0  # no rules: not assessed
    assert a.imbalance.flagged and a.imbalance.spread == 4
    assert a.imbalance.strongest == ("boundary",) and a.imbalance.weakest == ("belief",)
    assert "out of balance" in a.imbalance.message
    assert a.organisation.stage == "none"


@pytest.mark.parametrize(("failing", "spread", "flagged"), [(["E-2"], 2, True), (["E-3"], 1, False), ([], 0, False)])
def test_imbalance_is_flagged_from_two_stages_apart(
    tmp_path: Path, failing: list[str], spread: int, flagged: bool
) -> None:
    a = _imbalance(tmp_path, failing)
    assert (a.imbalance.spread, a.imbalance.flagged) == (spread, flagged)


def test_lever_pass_ratio_is_weighted_by_severity(tmp_path: Path) -> None:
    rules = [
        rule("X-C", "initialisation", "critical", "boundary", "owner"),
        rule("X-L", "initialisation", "low", "boundary", "handle"),
    ]
    items = [account("a0", rules=rules, fails=["X-C"]), account("a1", rules=rules)]
    a = run(tmp_path, rules, items).assessment
    boundary = next(lv for lv in a.levers if lv.lever == "boundary")
    # by rules, like the gates: the critical rule fails (on one account), the low one passes:
    # 1 of 8 + 1 = 9 weight passes, whatever the number of accounts
    assert boundary.weighted_pass_ratio == round(1 / 9, 4)
    assert (boundary.checks, boundary.failed) == (4, 1)


# ----------------------------------------------------------------- target and crosswalk


def test_an_organisation_above_its_target(tmp_path: Path) -> None:
    report = run(tmp_path, LADDER_RULES, accounts(10), target="contagion")
    t = report.assessment.target
    assert (t.stage, t.source, t.status, t.distance) == ("contagion", "inventory", "above", -2)
    assert "Above target" in t.message and "not every firm needs the highest stage" in t.message
    assert [k.stage for k in t.keep] == ["initialisation", "contagion"]
    assert t.keep[0].blocking_rules == ("I-H",) and (t.keep[0].weight, t.keep[0].spare) == (2, 0)
    assert (t.keep[1].weight, t.keep[1].must_pass, t.keep[1].spare) == (2, 2, 0)  # C-M may not fail
    assert report.next_step.status == "above_target" and report.next_step.steps == ()


def test_an_organisation_at_its_target_says_what_keeps_it_there(tmp_path: Path) -> None:
    report = run(tmp_path, LADDER_RULES, accounts(10, {"K-H": 1}), target="contagion")
    t = report.assessment.target
    assert (t.status, t.distance) == ("at", 0)
    assert "What keeps it there" in t.message
    assert report.next_step.status == "at_target" and report.next_step.next is None


def test_the_default_target_is_the_top_stage(tmp_path: Path) -> None:
    report = run(tmp_path, LADDER_RULES, accounts(3, {"C-H": 1}))
    t = report.assessment.target
    assert (t.stage, t.source, t.status, t.distance) == ("integration", "default", "below", 3)
    assert report.organisation["target_stage"] == "integration"


def test_an_unknown_target_stage_is_an_input_error_with_its_position(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        run(tmp_path, LADDER_RULES, accounts(1), target="nirvana")
    (problem,) = caught.value.diagnostics
    lines = (tmp_path / "inventory.yaml").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "target_stage: nirvana" in text)
    assert problem.file.endswith("inventory.yaml") and (problem.line, problem.col) == (line, 3)
    assert problem.path == "organisation.target_stage"
    assert "unknown target_stage 'nirvana'" in problem.message
    assert "initialisation, contagion, control, integration" in problem.message


@pytest.mark.parametrize(
    ("failing", "stage", "position"),
    [
        ({"I-H": 1}, "none", ("Planning",)),
        ({"C-H": 1}, "initialisation", ("Presence",)),
        ({"K-H": 1}, "contagion", ("Engagement",)),
        ({"N-H": 1}, "control", ("Formalized",)),
        ({}, "integration", ("Strategic", "Converged")),
    ],
)
def test_the_altimeter_crosswalk_is_an_approximation(
    tmp_path: Path, failing: dict[str, int], stage: str, position: tuple[str, ...]
) -> None:
    c = run(tmp_path, LADDER_RULES, accounts(3, failing)).assessment.crosswalk
    assert (c.scale, c.position, c.approximate) == ("Altimeter-2013", position, True)
    assert c.stages == ("Planning", "Presence", "Engagement", "Formalized", "Strategic", "Converged")
    assert "Approximate" in c.note


# ----------------------------------------------------------------- the ladder as data


def test_the_bundled_ladder_is_the_four_stages_of_mip_2015() -> None:
    bundled = stages.default_ladder()
    assert bundled.ids == DEFAULT_STAGES
    assert all(s.gate.blocking_severities == () for s in bundled.stages)  # requirements define the stages
    assert [s.gate.min_pass_ratio for s in bundled.stages] == [Fraction(3, 5)] + [Fraction(4, 5)] * 3
    assert all(s.gate.requires for s in bundled.stages)
    assert dict(bundled.weights) == {"critical": 8, "high": 4, "medium": 2, "low": 1, "info": 0}
    assert all(s.description and s.altimeter for s in bundled.stages)


def test_a_pack_defines_its_own_stages(tmp_path: Path) -> None:
    doc = ladder(stages=[{"id": s, "title": s, "description": s} for s in ("crawl", "walk", "run")])
    rules = [rule("W-H", "walk", "high", "boundary", "owner")]
    report = run(tmp_path, rules, [account("a0", rules=rules, fails=["W-H"])], stages=doc)
    assert report.assessment.organisation.stage == "crawl"
    assert report.assessment.target.stage == "run"
    assert report.assessment.crosswalk.position == ()


def test_a_rule_stage_not_in_the_ladder_is_an_input_error(tmp_path: Path) -> None:
    doc = ladder(stages=[{"id": s, "title": s, "description": s} for s in ("crawl", "walk")])
    directory = pack(tmp_path / "pack", [rule("X-1", "control", "high", "boundary", "owner")], doc)
    with pytest.raises(InputError) as caught:
        policies.load([directory])
    (problem,) = caught.value.diagnostics
    assert problem.path == "rules[0].stage" and problem.line > 0
    assert "unknown stage 'control' (stages: crawl, walk)" in problem.message


def test_identical_ladders_in_two_packs_are_fine_conflicting_ones_are_an_error(tmp_path: Path) -> None:
    one = pack(tmp_path / "one", [rule("A-1", "control", "high", "boundary", "owner")], ladder())
    same = pack(
        tmp_path / "same", [rule("B-1", "control", "high", "boundary", "handle")], ladder(description="same stages")
    )
    assert policies.load([one, same]).stages == STAGES
    other = pack(tmp_path / "other", [rule("C-1", "control", "high", "boundary", "notes")], ladder(imbalance_spread=3))
    with pytest.raises(InputError) as caught:
        policies.load([one, other])
    (problem,) = caught.value.diagnostics
    assert problem.file.endswith("stages.yaml") and "conflicting stage ladder" in problem.message


def test_a_ladder_file_can_be_passed_on_its_own(tmp_path: Path) -> None:
    rules_file = write_yaml(
        tmp_path / "rules.yaml", {"version": 1, "rules": [rule("A-1", "walk", "high", "boundary", "owner")]}
    )
    ladder_file = write_yaml(
        tmp_path / "x" / "stages.yaml", ladder(stages=[{"id": "walk", "title": "W", "description": "w"}])
    )
    assert policies.load([rules_file, ladder_file]).stages == ("walk",)


@pytest.mark.parametrize(
    ("doc", "path", "message"),
    [
        (ladder(stages=[]), "stages", "should be non-empty"),
        (ladder(weights={"critical": 1}), "weights", "'high' is required"),
        (
            ladder(gate={"blocking_severities": ["severe"], "min_pass_ratio": 0.8}),
            "gate.blocking_severities[0]",
            "not one of",
        ),
        (ladder(gate={"blocking_severities": [], "min_pass_ratio": 1.5}), "gate.min_pass_ratio", "maximum"),
        (ladder(stages=[{"id": "none", "title": "t", "description": "d"}]), "stages[0].id", "should not be valid"),
        (ladder(stages=[{"id": "a", "title": "t", "description": "d"}] * 2), "stages[1].id", "duplicate stage id 'a'"),
        (
            ladder(
                stages=[
                    {"id": "a", "title": "t", "description": "d", "altimeter": ["Formalized"]},
                    {"id": "b", "title": "t", "description": "d", "altimeter": ["Presence"]},
                ]
            ),
            "stages[1].altimeter",
            "must not go down",
        ),
    ],
)
def test_a_bad_ladder_is_an_input_error_with_its_position(
    tmp_path: Path, doc: dict[str, object], path: str, message: str
) -> None:
    directory = pack(tmp_path / "pack", [rule("A-1", "initialisation", "high", "boundary", "owner")], doc)
    with pytest.raises(InputError) as caught:
        policies.load([directory])
    problems = [d for d in caught.value.diagnostics if d.file.endswith("stages.yaml")]
    assert any(d.path == path and message in d.message and d.line > 0 for d in problems), [d.format() for d in problems]
