"""QA fix: a ``days_until`` condition shows ``days_until(field)`` with its own sign in the
evidence (not ``days_since(field)`` with the opposite one), in every evaluator and every
report; which subjects fail does not change."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from engine.evaluate import derive, findings
from engine.policy import ir
from engine.policy.policies import PolicySet
from tests.helpers import ENGINES, all_engines_agree, cli, evaluate, inventory, policy_set, rule, write

AS_OF = dt.date(2026, 10, 1)
IDLE = {"id": "a1", "platform": "x", "handle": "@a", "owner": "al", "last_activity_on": "2026-04-04"}
SOON = {"id": "a2", "platform": "x", "handle": "@b", "owner": "bo", "last_activity_on": "2026-10-31"}
NEVER = {"id": "a3", "platform": "x", "handle": "@c", "owner": "cy"}
UNTIL = {"field": "last_activity_on", "days_until": {"gte": 0}}


def _evidence(policies: PolicySet, engine: str) -> dict[str, list[tuple[str, object]]]:
    inv = inventory({"accounts": [IDLE, SOON, NEVER]})
    found = findings.build(policies, evaluate(engine, policies, inv, AS_OF), inv, AS_OF)
    return {f.subject_id: [(e.label, e.value) for e in f.evidence] for f in found}


@pytest.mark.parametrize("engine", ENGINES)
def test_days_until_evidence_is_the_value_as_written(engine: str) -> None:
    policies = policy_set(rule("account", UNTIL))
    assert _evidence(policies, engine) == {
        "a1": [("days_until(last_activity_on)", -180)],
        "a3": [("days_until(last_activity_on)", None)],
    }


def test_days_until_compiles_to_its_own_operand_with_the_comparison_as_written() -> None:
    require = policy_set(rule("account", {"field": "last_activity_on", "days_until": {"gt": 2, "lte": 30}})).rules[0]
    field = ir.Field("subject", ("last_activity_on",))
    assert require.require == ir.AllOf(
        (ir.Test(ir.DaysSince(field, until=True), "gt", 2), ir.Test(ir.DaysSince(field, until=True), "lte", 30))
    )
    assert ir.DaysSince(field, until=True).label() == "days_until(last_activity_on)"
    assert ir.DaysSince(field).label() == "days_since(last_activity_on)"


@pytest.mark.parametrize(
    ("until", "since"),
    [
        ({"gte": 0}, {"lte": 0}),
        ({"gt": 10}, {"lt": -10}),
        ({"lt": -100, "gte": -200}, {"gt": 100, "lte": 200}),
        ({"equals": 27}, {"equals": -27}),
        ({"not_equals": 27}, {"not_equals": -27}),
        ({"gt": 1.5}, {"lt": -1.5}),
    ],
)
def test_the_same_subjects_fail_as_with_days_since_mirrored(until: dict, since: dict) -> None:
    """The findings are those of the days_since comparison it means; the three evaluators agree."""
    inv = inventory({"accounts": [IDLE, SOON, NEVER]})
    a = all_engines_agree(policy_set(rule("account", {"field": "last_activity_on", "days_until": until})), inv, AS_OF)
    b = all_engines_agree(policy_set(rule("account", {"field": "last_activity_on", "days_since": since})), inv, AS_OF)
    assert [r.failed for r in a] == [r.failed for r in b]


def test_the_reference_interpreter_gives_the_same_value() -> None:
    inv = inventory({"accounts": [IDLE, SOON, NEVER]})
    scope = derive.Scope(inv, AS_OF)
    operand = ir.DaysSince(ir.Field("subject", ("last_activity_on",)), until=True)
    assert [derive.value(operand, (s, None), scope) for s in inv.items("account")] == [-180, 30, None]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_cli_report_shows_days_until(tmp_path: Path, engine: str) -> None:
    write(tmp_path / "pol" / "rules.yaml", {"version": 1, "rules": [rule("account", UNTIL, message="acc {id}")]})
    write(tmp_path / "inv" / "inventory.yaml", {"organisation": {"name": "O"}, "accounts": [IDLE]})
    args = ["check", str(tmp_path / "inv"), "--policies", str(tmp_path / "pol"), "--as-of", "2026-10-01"]
    text = cli(*args, "--engine", engine)
    assert text.exit_code == 1
    assert "evidence: last activity: 180 days ago" in text.output  # days_until = -180, in words
    assert "days_since" not in text.output
    report = cli(*args, "--engine", engine, "--format", "json")
    finding = json.loads(report.stdout)["findings"][0]
    assert finding["evidence"] == [{"field": "days_until(last_activity_on)", "value": -180}]


def test_a_contradiction_is_reported_in_the_author_s_terms(tmp_path: Path) -> None:
    directory = tmp_path / "pack"
    write(directory / "pack.yaml", {"name": "t", "version": "0.1", "description": "test pack"})
    bad = rule("account", {"field": "last_activity_on", "days_until": {"gte": 5, "lte": 2}})
    write(directory / "rules.yaml", {"version": 1, "rules": [bad]})
    result = cli("policy", "validate", str(directory))
    assert result.exit_code == 2
    assert "no value of days_until(last_activity_on) satisfies gte 5, lte 2" in result.output
