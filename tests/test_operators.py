"""Every operator of the condition language, pass and fail, through every evaluator.

The cases are data (tests/operators/*.yaml). Each runs through the reference interpreter
(engine.evaluate.derive), the native evaluator and the durable-rules evaluator, which must agree with
each other and with the expected failing subjects.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.evaluate import findings
from engine.inputs.diagnostics import Diagnostic
from engine.inputs.yaml_source import parse_yaml
from engine.policy.conditions import FIELD_OPERATORS
from tests.helpers import all_engines_agree, declared, failing_ids, inventory, policy_set, rule

CASES_DIR = Path(__file__).parent / "operators"


def _cases() -> list[tuple[str, dict, dict, str]]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        parsed = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        assert not isinstance(parsed, Diagnostic), parsed
        data = parsed[0]
        for case in data["cases"]:
            out.append(pytest.param(data, case, id=f"{path.stem}: {case['name']}"))
    return out


@pytest.mark.parametrize(("data", "case"), _cases())
def test_operator_case(data: dict, case: dict) -> None:
    fields = declared(data.get("fields"))  # a file may declare fields, as a pack does
    policies = policy_set(rule(case["scope"], case["require"], case.get("when")), fields=fields)
    inv = inventory(data["inventory"], fields)
    as_of = dt.date.fromisoformat(data["as_of"])
    results = all_engines_agree(policies, inv, as_of)
    assert failing_ids(policies, inv, results)["T-001"] == case["fails"]
    if "evidence" in case:  # what a finding shows: the operand as the author wrote it, and its value
        found = findings.build(policies, results, inv, as_of)
        shown = {f.subject_id: {e.label: e.value for e in f.evidence} for f in found}
        assert shown == case["evidence"]


def test_every_operator_has_a_case() -> None:
    text = "\n".join(p.read_text() for p in CASES_DIR.glob("*.yaml"))
    missing = [op for op in [*FIELD_OPERATORS, "all", "any", "not", "related"] if f"{op}:" not in text]
    assert missing == []


def test_where_equality_with_the_subject_becomes_an_index_join() -> None:
    from engine.policy import ir

    policies = policy_set(
        rule(
            "account",
            {
                "related": {
                    "collection": "training",
                    "where": {
                        "all": [
                            {"field": "person", "equals": {"ref": "$subject.owner"}},
                            {"field": "trained", "gte": 1},
                        ]
                    },
                }
            },
        )
    )
    related = policies.rules[0].require.left
    assert isinstance(related, ir.Related)
    assert related.on == ((("person",), ir.Field("subject", ("owner",))),)
    assert related.where == ir.Test(ir.Field("item", ("trained",)), "gte", 1)
