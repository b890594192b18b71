"""Safety of the durable-rules evaluator (engine/durable/) against durable's measured quirks.

See /work/shared/durable-rules-notes.md: 32-bit fact-id hashes that drop facts silently,
per-ruleset limits, swallowed action exceptions, state shared between runs, and the
missing / null / coercion semantics that must not leak into findings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from engine.evaluate import native
from engine.evaluate.evaluation import EvaluatorRefused
from engine.inputs.inventory import build
from engine.inputs.sources import read
from engine.policy import ir
from engine.policy.policies import load
from tests.helpers import ROOT, all_engines_agree, failing_ids, inventory, policy_set, rule

pytest.importorskip("durable_rules_engine", reason="durable-rules is not installed (pip install 'smgov[durable]')")
from engine.evaluate import durable

AS_OF = dt.date(2026, 10, 1)
COLLIDING = ("acct-528056", "acct-1010190")  # same 32-bit FNV-1a hash (the notes)


def accounts(*rows: dict) -> dict:
    return {"accounts": [{"id": f"a{k}", "platform": "x", **row} for k, row in enumerate(rows)]}


# -- fact identity --------------------------------------------------------------------------


def test_fnv1a32_is_the_hash_of_durables_core() -> None:
    # constants of durable's rete.c / state.h, computed by its fnv1Hash32
    assert durable.fnv1a32("id") == 926444256
    assert durable.fnv1a32("sid") == 3593476751
    assert durable.fnv1a32("$or") == 340911698
    assert durable.fnv1a32(COLLIDING[0]) == durable.fnv1a32(COLLIDING[1])


def test_check_ids_refuses_colliding_or_repeated_ids() -> None:
    durable.check_ids(["0", "1", "$evaluate"])
    with pytest.raises(EvaluatorRefused, match=r"acct-528056.*acct-1010190"):
        durable.check_ids(["x", *COLLIDING])
    with pytest.raises(EvaluatorRefused, match="used twice"):
        durable.check_ids(["a", "a"])


def test_a_forced_id_collision_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    inv = inventory(accounts({"mfa": True}, {"mfa": False}, {}))
    policies = policy_set(rule("account", {"field": "mfa", "equals": True}))
    ids = {0: COLLIDING[0], 1: COLLIDING[1]}
    monkeypatch.setattr(durable.ids, "_fact_id", lambda index, attempt: ids.get(index, f"other-{index}"))
    with pytest.raises(EvaluatorRefused, match=r"acct-528056.*acct-1010190.*lose its findings"):
        durable.evaluate(policies, inv, AS_OF)


def test_a_colliding_id_is_resalted(monkeypatch: pytest.MonkeyPatch) -> None:
    inv = inventory(accounts({"mfa": True}, {"mfa": False}, {}))
    policies = policy_set(rule("account", {"field": "mfa", "equals": True}))
    original = durable.ids._fact_id

    def first_try_collides(index: int, attempt: int) -> str:
        return COLLIDING[index % 2] if attempt == 0 else original(index, attempt)

    monkeypatch.setattr(durable.ids, "_fact_id", first_try_collides)
    assert durable.evaluate(policies, inv, AS_OF) == native.evaluate(policies, inv, AS_OF)


# -- limits ---------------------------------------------------------------------------------


def test_more_than_32_rules_in_one_scope_are_split_and_all_findings_come_out() -> None:
    count = 45
    rules = []
    for k in range(count):
        when = {"field": "status", "one_of": ["active", "dormant"]} if k % 2 else None
        rules.append(rule("account", {"field": "handle", "not_equals": f"h{k}"}, when, id=f"R-{k:03}"))
    policies = policy_set(*rules)
    inv = inventory(accounts(*({"handle": f"h{k}", "status": "active"} for k in range(count))))

    _, chunks = durable.rulesets._compile_scope("account", policies.rules, [False] * count)
    assert len(chunks) > 1
    assert all(chunk.text.count('"all":') <= 32 for chunk in chunks)  # rules + trigger

    results = all_engines_agree(policies, inv, AS_OF)
    assert failing_ids(policies, inv, results) == {f"R-{k:03}": [f"a{k}"] for k in range(count)}


def test_a_wide_condition_is_split_to_fit_durables_stack() -> None:
    # 80 alternatives: one durable rule would overflow handleAlpha's 64-entry stack (error 303)
    handles = [f"h{k}" for k in range(80)]
    any_of = {"any": [{"field": "handle", "equals": h} for h in handles]}
    policies = policy_set(rule("account", {"not": any_of}), rule("account", any_of, id="T-002"))
    inv = inventory(accounts(*({"handle": h} for h in [*handles[::7], "other"]), {}))
    all_engines_agree(policies, inv, AS_OF)


# -- isolation and errors -----------------------------------------------------------------------


def test_two_calls_in_one_process_give_identical_results() -> None:
    policies = load([ROOT / "policies" / "baseline"])
    inv = build([read(ROOT / "examples" / "telecom" / "inventory.yaml")])
    other = build([read(ROOT / "examples" / "energy" / "inventory.yaml")])
    first = durable.evaluate(policies, inv, AS_OF)
    durable.evaluate(policies, other, AS_OF)  # a different check in between shares no state
    second = durable.evaluate(policies, inv, AS_OF)
    assert first == second == native.evaluate(policies, inv, AS_OF)


def test_an_exception_while_collecting_results_surfaces(monkeypatch: pytest.MonkeyPatch) -> None:
    inv = inventory(accounts({"mfa": False}, {"mfa": False}, {"mfa": True}))
    policies = policy_set(rule("account", {"field": "mfa", "equals": True}))

    def boom(self: object, name: str, index: int) -> None:
        raise ValueError("raised inside an action")

    with monkeypatch.context() as patch:
        patch.setattr(durable.session._Run, "record", boom)
        with pytest.raises(ValueError, match="raised inside an action"):
            durable.evaluate(policies, inv, AS_OF)
    # the failed run left nothing behind
    assert durable.evaluate(policies, inv, AS_OF) == native.evaluate(policies, inv, AS_OF)


def test_a_run_that_misses_the_trigger_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    # the trigger fact's result comes last, after every queued finding: if it is not seen,
    # findings may be missing, and the run must fail rather than report what it has
    inv = inventory(accounts({"mfa": False}))
    policies = policy_set(rule("account", {"field": "mfa", "equals": True}))
    take = durable.session._Run.take

    def drop_trigger(self: object, text: str) -> None:
        if not text.startswith('{"trigger"'):
            take(self, text)

    monkeypatch.setattr(durable.session._Run, "take", drop_trigger)
    with pytest.raises(RuntimeError, match="trigger rule ran 0 time"):
        durable.evaluate(policies, inv, AS_OF)


# -- semantics that durable-rules would get wrong unaided ------------------------------------

MFA = accounts({"mfa": True}, {"mfa": False}, {}, {"mfa": None})  # a0 true, a1 false, a2 absent, a3 null


@pytest.mark.parametrize(
    ("require", "fails"),
    [
        ({"field": "mfa", "exists": True}, ["a2", "a3"]),
        ({"field": "mfa", "exists": False}, ["a0", "a1"]),
        ({"not": {"field": "mfa", "exists": True}}, ["a0", "a1"]),
        ({"field": "mfa", "equals": True}, ["a1", "a2", "a3"]),
        ({"field": "mfa", "equals": False}, ["a0", "a2", "a3"]),
        ({"field": "mfa", "not_equals": True}, ["a0", "a2", "a3"]),  # false on missing and null
        ({"not": {"field": "mfa", "equals": True}}, ["a0"]),  # true on missing and null
        ({"not": {"field": "mfa", "not_equals": True}}, ["a1"]),
        ({"not": {"not": {"field": "mfa", "equals": True}}}, ["a1", "a2", "a3"]),
        ({"any": [{"field": "mfa", "equals": True}, {"not": {"field": "mfa", "exists": True}}]}, ["a1"]),
        ({"not": {"all": [{"field": "mfa", "exists": True}, {"field": "mfa", "not_equals": False}]}}, ["a0"]),
        ({"field": "mfa", "one_of": [True]}, ["a1", "a2", "a3"]),
        ({"not": {"field": "mfa", "one_of": [False]}}, ["a1"]),
    ],
)
def test_missing_null_and_false(require: dict, fails: list[str]) -> None:
    policies = policy_set(rule("account", require))
    inv = inventory(MFA)
    assert failing_ids(policies, inv, all_engines_agree(policies, inv, AS_OF))["T-001"] == fails


def test_when_selects_like_native_on_missing_and_null() -> None:
    policies = policy_set(
        rule("account", {"field": "mfa", "exists": True}, {"field": "mfa", "not_equals": True}),
        rule("account", {"field": "mfa", "equals": True}, {"not": {"field": "mfa", "equals": False}}, id="T-002"),
    )
    inv = inventory(MFA)
    results = all_engines_agree(policies, inv, AS_OF)
    assert [r.selected for r in results] == [(1,), (0, 2, 3)]
    assert failing_ids(policies, inv, results) == {"T-001": [], "T-002": ["a2", "a3"]}


def test_strings_are_compared_exactly() -> None:
    tricky = ["10", "1", "true", 'a"b', "x\\y", "é", "{x}", "s61", "m", "z", "bt", " "]
    inv = inventory(accounts(*({"handle": h, "admins": [h, "other"]} for h in tricky), {}))
    for value in tricky:
        policies = policy_set(
            rule("account", {"field": "handle", "equals": value}),
            rule("account", {"field": "handle", "not_equals": value}, id="T-002"),
            rule("account", {"not": {"field": "handle", "one_of": [value, "zz"]}}, id="T-003"),
            rule("account", {"field": "admins", "contains": value}, id="T-004"),
            rule("account", {"not": {"field": "admins", "contains": value}}, id="T-005"),
            rule("account", {"field": "handle", "equals": {"ref": "owner"}}, id="T-006"),
        )
        all_engines_agree(policies, inv, AS_OF)


def test_numbers_durable_would_misread() -> None:
    # durable's JSON reader takes 1e-05 as 1 (and loses the rest of a batch); 2.0 == 2
    values = [1e-05, 1.1e-05, 9e-06, 1e16, 2, 2.0, 0.8, 4 / 5, 0.1 + 0.2, -0.0, 0]
    inv = inventory(
        {
            "metrics": [{"id": f"m{k}", "name": "n", "target": v, "benchmark": 2} for k, v in enumerate(values)]
            + [{"id": "none", "name": "n"}]
        }
    )
    for bound in (1e-05, 2, 0.3, 1e16):
        policies = policy_set(
            rule("metric", {"field": "target", "gte": bound}),
            rule("metric", {"not": {"field": "target", "lt": bound}}, id="T-002"),
            rule("metric", {"field": "target", "equals": bound}, id="T-003"),
            rule("metric", {"field": "target", "lte": {"ref": "benchmark"}}, id="T-004"),
            rule("metric", {"not": {"field": "target", "gt": {"ref": "benchmark"}}}, id="T-005"),
        )
        all_engines_agree(policies, inv, AS_OF)


def test_a_type_mismatch_is_refused_not_coerced() -> None:
    # the policy compiler rejects this; built by hand, native says True == 1, durable-rules
    # would compare "bt" with 1 as text: the durable evaluator refuses instead of differing
    policies = policy_set(rule("account", {"field": "mfa", "equals": True}))
    bad = dataclasses.replace(policies.rules[0], require=ir.Test(ir.Field("subject", ("mfa",)), "equals", 1))
    policies = dataclasses.replace(policies, rules=(bad,))
    with pytest.raises(EvaluatorRefused, match="T-001"):
        durable.evaluate(policies, inventory(MFA), AS_OF)


def test_examples_match_native() -> None:
    policies = load([ROOT / "policies" / "baseline"])
    for example in sorted((ROOT / "examples").glob("*/inventory.yaml")):
        inv = build([read(example)])
        for as_of in (AS_OF, dt.date(2024, 1, 1)):
            assert durable.evaluate(policies, inv, as_of) == native.evaluate(policies, inv, as_of), example
