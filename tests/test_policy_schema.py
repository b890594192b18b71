"""The policy schema and the condition compiler must agree: neither may accept what the other
rejects (the schema is what editors and reviewers see; the compiler is what runs)."""

from __future__ import annotations

import jsonschema
import pytest

from engine.inputs.schemas import load_schema
from engine.inputs.yaml_source import parse_yaml
from engine.policy.conditions import FIELD_OPERATORS, CompileError, Context, parse
from tests.helpers import ROOT, rule

VALID = [
    ("account", {"field": "owner", "exists": True}),
    ("account", {"not": {"any": [{"field": "mfa", "equals": True}, {"field": "status", "one_of": ["retired"]}]}}),
    (
        "account",
        {"field": "admins", "count": {"gte": 1, "where": {"field": "$item", "not_equals": {"ref": "$subject.owner"}}}},
    ),
    ("training", {"field": "trained", "ratio": {"to": "headcount", "gte": 0.8}}),
    ("document", {"field": "next_review_on", "days_until": {"gte": 0, "lte": 400}}),
    ("department", {"related": {"collection": "training", "on": {"department": "id"}, "count": {"equals": 0}}}),
]
INVALID = [
    ("account", {"field": "owner"}),  # no operator
    ("account", {"field": "owner", "exists": True, "equals": "x"}),  # two operators
    ("account", {"all": []}),  # empty all
    ("account", {"exsits": "owner"}),  # unknown operator
    ("account", {"field": "admins", "count": {"where": {"field": "$item", "exists": True}}}),  # no comparison
    ("account", {"field": "admins", "share": {"gte": 0.5}}),  # share without where
    ("account", {"field": "Owner", "exists": True}),  # not a path
    ("department", {"related": {"collection": "trainings"}}),  # unknown collection
    ("account", {"field": "owner", "one_of": []}),  # empty one_of
    ("account", {"field": "last_activity_on", "older_than_days": -1}),  # negative days
]


def _schema_accepts(scope: str, condition: dict) -> bool:
    document = {"version": 1, "rules": [rule(scope, condition)]}
    return jsonschema.Draft202012Validator(load_schema("policy")).is_valid(document)


def _compiler_accepts(scope: str, condition: dict) -> bool:
    try:
        parse(condition, Context(scope), ("require",))
    except CompileError:
        return False
    return True


@pytest.mark.parametrize(("scope", "condition"), VALID)
def test_both_accept(scope: str, condition: dict) -> None:
    assert _schema_accepts(scope, condition)
    assert _compiler_accepts(scope, condition)


@pytest.mark.parametrize(("scope", "condition"), INVALID)
def test_both_reject(scope: str, condition: dict) -> None:
    assert not _schema_accepts(scope, condition)
    assert not _compiler_accepts(scope, condition)


def test_every_operator_case_is_schema_valid() -> None:
    for path in sorted((ROOT / "tests" / "operators").glob("*.yaml")):
        data, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        for case in data["cases"]:
            assert _schema_accepts(case["scope"], case["require"]), case["name"]


def test_schema_lists_exactly_the_compiler_operators() -> None:
    schema = load_schema("policy")
    branches = schema["$defs"]["condition"]["oneOf"]
    field_test = next(b for b in branches if "field" in b.get("required", []))
    assert set(field_test["properties"]) - {"field"} == set(FIELD_OPERATORS)
