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


@pytest.mark.parametrize(
    ("count", "failing", "reached"),
    [
        (50, 10, "integration"),  # 40/50 = 80%: exactly the threshold passes
        (50, 11, "initialisation"),  # 39/50 = 78%: just under fails
        (5, 1, "integration"),  # 4/5 = 80%
        (5, 2, "initialisation"),  # 3/5 = 60%
        (49, 10, "initialisation"),  # 39/49 = 79.6%
    ],
)
def test_the_80_percent_rule_at_the_edge(tmp_path: Path, count: int, failing: int, reached: str) -> None:
    report = run(tmp_path, LADDER_RULES, accounts(count, {"C-M": failing}))
    gate = report.assessment.organisation.gates[1]
    assert report.assessment.organisation.stage == reached
    assert (gate.checks, gate.passed_checks) == (count, count - failing)
    assert gate.must_pass == -(-4 * count // 5)  # ceil(0.8 * count), exactly
    assert gate.passed == (reached == "integration")


def test_blocking_rules_do_not_count_in_the_ratio(tmp_path: Path) -> None:
    report = run(tmp_path, LADDER_RULES, accounts(10, {"I-M": 2}))
    gate = report.assessment.organisation.gates[0]
    assert gate.checks == 10  # I-M only; I-H is blocking and counted apart
    assert gate.blocking_rules == ("I-H",)
    assert (gate.spare, gate.shortfall) == (0, 0)


def test_a_stage_without_checks_passes_vacuously(tmp_path: Path) -> None:
    rules = [r for r in LADDER_RULES if r["stage"] != "control"]
    report = run(tmp_path, rules, accounts(3))
    gate = report.assessment.organisation.gates[2]
    assert gate.passed and gate.checks == 0 and gate.blocking_rules == () and gate.pass_ratio is None


def test_the_ratio_threshold_is_exact_not_floating_point(tmp_path: Path) -> None:
    # 0.7 * 10 is 7.000000000000001 in binary floating point: 7 of 10 must still pass.
    report = run(
        tmp_path,
        LADDER_RULES,
        accounts(10, {"C-M": 3}),
        stages=ladder(gate={"blocking_severities": ["critical", "high"], "min_pass_ratio": 0.7}),
    )
    assert report.assessment.organisation.gates[1].must_pass == 7
    assert report.assessment.organisation.stage == "integration"


def test_a_pack_can_define_its_own_gate(tmp_path: Path) -> None:
    # Only critical rules block, and the contagion stage demands every other check pass.
    doc = ladder(gate={"blocking_severities": ["critical"], "min_pass_ratio": 0.5})
    doc["stages"][1]["gate"] = {"min_pass_ratio": 1.0}
    report = run(tmp_path / "a", LADDER_RULES, accounts(4, {"I-H": 1}), stages=doc)
    assert report.assessment.organisation.stage == "integration"  # I-H is high: 3/4 >= 50%
    report = run(tmp_path / "b", LADDER_RULES, accounts(4, {"C-M": 1}), stages=doc)
    assert report.assessment.organisation.stage == "initialisation"  # 7/8 < 100% at contagion


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
    # Organisation: C-M passes on 10 of 11 accounts (91%), N-M on 10 of 11.
    assert a.organisation.stage == "integration"
    by_id = {d.id: d for d in a.departments}
    assert (by_id["mkt"].stage, by_id["mkt"].relative) == ("integration", "level")
    # Sales: C-M passes on 1 of its 2 accounts (50%), so it is stuck at initialisation.
    assert (by_id["sales"].stage, by_id["sales"].relative) == ("initialisation", "behind")
    assert by_id["sales"].gates[1].checks == 2 and by_id["sales"].gates[1].passed_checks == 1
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
    directory = pack(tmp_path / "pack", [*LADDER_RULES, tool_rule])
    inv = inventory(tmp_path / "inv.yaml", [account("m0", "mkt"), account("s0", "sales")], DEPARTMENTS[:2])
    data = __import__("yaml").safe_load(inv.read_text())
    data["tools"] = [{"id": "t1", "name": "Listening", "category": "listening", "departments": ["mkt", "sales"]}]
    write_yaml(inv, data)
    report = pipeline.run_check(pipeline.CheckOptions((str(inv),), (str(directory),), as_of=None))
    by_id = {d.id: d for d in report.assessment.departments}
    for ident in ("mkt", "sales"):
        contagion = by_id[ident].gates[1]
        assert (contagion.checks, contagion.passed_checks) == (2, 1)  # C-M on its account, T-M on the tool


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
    # passing weight: critical 8 x 1 + low 1 x 2 = 10, out of 8 x 2 + 1 x 2 = 18
    assert boundary.weighted_pass_ratio == round(10 / 18, 4)
    assert (boundary.checks, boundary.failed) == (4, 1)


# ----------------------------------------------------------------- target and crosswalk


def test_an_organisation_above_its_target(tmp_path: Path) -> None:
    report = run(tmp_path, LADDER_RULES, accounts(10, {"I-M": 2}), target="contagion")
    t = report.assessment.target
    assert (t.stage, t.source, t.status, t.distance) == ("contagion", "inventory", "above", -2)
    assert "Above target" in t.message and "not every firm needs the highest stage" in t.message
    assert [k.stage for k in t.keep] == ["initialisation", "contagion"]
    assert t.keep[0].blocking_rules == ("I-H",) and t.keep[0].spare == 0  # 8/10: no more failures allowed
    assert t.keep[1].spare == 2  # C-M passes 10/10: two may fail
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
    assert all(s.gate.blocking_severities == ("critical", "high") for s in bundled.stages)
    assert all(s.gate.min_pass_ratio == Fraction(4, 5) for s in bundled.stages)
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
