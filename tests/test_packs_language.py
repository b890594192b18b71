"""Policy errors of the language additions the packs need: days_after and fold are checked
when a policy is compiled, with the path inside the rule, never silently false."""

from __future__ import annotations

import pytest

from engine.inputs.diagnostics import InputError
from engine.policy import ir
from tests.helpers import policy_set, rule


@pytest.mark.parametrize(
    ("require", "message"),
    [
        ({"field": "mfa", "equals": {"value": True, "fold": True}}, "fold compares texts"),
        ({"field": "status", "equals": {"value": "ACTVE", "fold": True}}, "can never match"),
        ({"field": "platform", "equals": {"value": "x", "ref": "owner", "fold": True}}, "expected {value"),
        ({"field": "platform", "equals": {"value": "x", "fold": "yes"}}, "fold takes true or false"),
        ({"field": "platform", "one_of": {"values": ["x"], "fold": 1}}, "one_of takes"),
        ({"field": "admins", "contains": {"ref": "owner", "fold": True}}, "not a {ref: PATH}"),
        ({"field": "created_on", "days_after": {"lte": 60}}, "days_after needs 'from'"),
        ({"field": "created_on", "days_after": {"from": "2026-02-30", "lte": 0}}, "calendar date"),
        ({"field": "created_on", "days_after": {"from": {"ref": "owner"}, "lte": 0}}, "counts from a date"),
        ({"field": "owner", "days_after": {"from": "2026-01-01", "lte": 0}}, "applies to dates"),
        ({"field": "created_on", "days_after": {"from": {"ref": "creatd_on"}, "lte": 0}}, "did you mean"),
    ],
)
def test_misuse_is_a_policy_error(require: dict, message: str) -> None:
    with pytest.raises(InputError) as caught:
        policy_set(rule("account", require))
    text = "\n".join(d.message for d in caught.value.diagnostics)
    assert message in text, text


def test_folded_literals_and_refs_compile_to_their_own_operands() -> None:
    folded = policy_set(rule("account", {"field": "status", "equals": {"value": "ACTIVE", "fold": True}}))
    assert folded.rules[0].require == ir.Test(ir.Folded(ir.Field("subject", ("status",))), "equals", "active")
    same = policy_set(rule("account", {"field": "owner", "not_equals": {"ref": "backup_owner", "fold": True}}))
    left = same.rules[0].require.left
    assert isinstance(left, ir.SameFolded) and same.rules[0].require.right is False
    plain = policy_set(rule("account", {"field": "platform", "equals": {"value": "x"}}))
    assert plain.rules[0].require == ir.Test(ir.Field("subject", ("platform",)), "equals", "x")


def test_days_after_compiles_to_a_difference_of_dates() -> None:
    since = {"field": "last_reviewed_on", "days_after": {"from": "2017-01-01", "gte": 0}}
    compiled = policy_set(rule("account", since))
    assert compiled.rules[0].require == ir.Test(
        ir.DaysBetween(ir.Field("subject", ("last_reviewed_on",)), "2017-01-01"), "gte", 0
    )


def test_a_rule_comparing_dates_or_folding_a_field_not_recorded_is_not_assessed(tmp_path) -> None:
    import json

    from tests.helpers import cli, write

    org = write(
        tmp_path / "org" / "inventory.yaml",
        {
            "organisation": {"name": "Recorded"},
            "recorded": {"accounts": ["id", "platform", "created_on"]},
            "accounts": [{"id": "a1", "platform": "x", "created_on": "2026-01-01"}],
        },
    )
    rules = [
        rule("account", {"field": "last_reviewed_on", "days_after": {"from": {"ref": "created_on"}, "lte": 60}}),
        rule("account", {"field": "owner", "not_equals": {"ref": "backup_owner", "fold": True}}, id="T-002"),
        rule("account", {"field": "created_on", "days_after": {"from": "2017-01-01", "gte": 0}}, id="T-003"),
    ]
    policy = write(tmp_path / "policy.yaml", {"version": 1, "rules": rules})
    result = cli("check", str(org.parent), "--policies", str(policy), "--format", "json", "--as-of", "2026-10-01")
    data = json.loads(result.output)
    status = {r["id"]: (r["status"], r.get("missing")) for r in data["rules"]}
    assert status["T-001"] == ("not_assessed", ["accounts.last_reviewed_on"])
    assert status["T-002"] == ("not_assessed", ["accounts.backup_owner", "accounts.owner"])
    assert status["T-003"][0] == "assessed"
    assert data["findings"] == []


MISSING_OWNER = {"field": "owner", "exists": False}
MISSING_CREATED = {"field": "created_on", "exists": False}
MISSING_BACKUP = {"field": "backup_owner", "exists": False}


@pytest.mark.parametrize(
    "when",
    [
        {"all": [MISSING_OWNER, {"field": "owner", "equals": {"value": "Ann", "fold": True}}]},
        {
            "all": [
                MISSING_CREATED,
                {"field": "last_reviewed_on", "days_after": {"from": {"ref": "created_on"}, "gte": 0}},
            ]
        },
        {"all": [MISSING_BACKUP, {"field": "owner", "equals": {"ref": "backup_owner", "fold": True}}]},
        {
            "all": [
                {"field": "platform", "equals": {"value": "X", "fold": True}},
                {"field": "platform", "equals": {"value": "y", "fold": True}},
            ]
        },
    ],
)
def test_a_condition_the_new_operators_make_impossible_is_a_policy_error(when: dict) -> None:
    from engine.policy.policylint import never_holds

    compiled = policy_set(rule("account", {"field": "owner", "exists": True}, when))
    assert never_holds(compiled.rules[0].when) is not None
