"""``assess.department_tallies`` counts at C speed (one department column per kind, each
distinct selection counted once); these tests hold it to the plain per-subject definition,
on the odd inputs as well as the usual ones."""

from __future__ import annotations

import random
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest

from engine.assess.maturity import Tally, department_tallies
from engine.evaluate.evaluation import RuleResult
from engine.evaluate.findings import departments_of
from engine.inputs.inventory import Inventory
from engine.vocabulary import DEPARTMENT_FIELD


def reference(policies: Any, results: tuple[RuleResult, ...], inventory: Inventory) -> dict[str, tuple[Tally, ...]]:
    """The definition, subject by subject: a subject belongs to the known departments its field
    names, compared as strings; a list names each of its (distinct) entries, and once any subject
    of a kind has a list, a missing value names none (otherwise it is the string "None")."""
    by_id = {r.rule_id: r for r in results}
    known = {str(d.get("id")) for d in inventory.items("department")}
    out: dict[str, list[Tally]] = {d: [] for d in known}
    for rule in policies.rules:
        if rule.scope not in DEPARTMENT_FIELD:
            continue
        items = inventory.items(rule.scope)
        column = [item.get(DEPARTMENT_FIELD[rule.scope]) for item in items]
        if any(isinstance(v, list) for v in column):
            owners = [[d for d in dict.fromkeys(map(str, departments_of(rule.scope, i))) if d in known] for i in items]
        else:
            owners = [[str(v)] if str(v) in known else [] for v in column]
        result = by_id[rule.id]
        selected = range(len(items)) if result.selected is None else result.selected
        applied = Counter(d for i in selected for d in owners[i])
        failed = Counter(d for i in result.failed for d in owners[i])
        for department, n in applied.items():
            out[department].append(Tally(rule.id, rule.stage, rule.lever, rule.severity, n, failed[department]))
    return {d: tuple(ts) for d, ts in out.items()}


def inventory_of(departments: list[dict[str, Any]], **collections: list[dict[str, Any]]) -> Inventory:
    return Inventory(
        organisation={"id": "org"}, governance={}, collections={"departments": departments, **collections}, sources=()
    )


def rule(ident: str, scope: str) -> SimpleNamespace:
    return SimpleNamespace(id=ident, scope=scope, stage="control", lever="boundary", severity="medium")


def result(ident: str, selected: list[int] | None, failed: list[int]) -> RuleResult:
    applied = -1 if selected is None else len(selected)  # not read by department_tallies
    return RuleResult(ident, applied, tuple(failed), None if selected is None else tuple(selected))


def check(rules: list[SimpleNamespace], results: list[RuleResult], inventory: Inventory) -> None:
    policies = SimpleNamespace(rules=tuple(rules))
    assert department_tallies(policies, tuple(results), inventory) == reference(policies, tuple(results), inventory)  # type: ignore[arg-type]


DEPARTMENTS = [{"id": "mkt"}, {"id": "sales"}, {"id": "7"}, {"id": "None"}, {"id": "True"}]  # ids the schema allows


@pytest.mark.parametrize("seed", range(8))
def test_random_inventories_count_as_defined(seed: int) -> None:
    rng = random.Random(seed)
    # hr is unknown; 7 names "7"; True == 1.0, but names "True"
    values: list[Any] = ["mkt", "sales", "hr", None, 7, "7", True, 1.0]
    accounts = [
        {"id": f"a{i}", **({"department": rng.choice(values)} if rng.random() < 0.9 else {})} for i in range(300)
    ]
    lists: list[Any] = [["mkt", "sales"], ["mkt", "mkt"], [], ["hr", 7], None, "sales"]
    tools = [{"id": f"t{i}", "departments": rng.choice(lists)} for i in range(40)]
    inv = inventory_of(DEPARTMENTS, accounts=accounts, tools=tools)
    shared = sorted(rng.sample(range(300), 120))
    rules, results = [], []
    for n in range(12):
        scope = rng.choice(["account", "account", "tool", "organisation"])
        size = 1 if scope == "organisation" else len(inv.items(scope))
        pick = rng.random()
        if pick < 0.25:
            selected = None
        elif pick < 0.5 and scope == "account":
            selected = list(shared)  # an equal selection, but a different tuple each time
        else:
            selected = sorted(rng.sample(range(size), rng.randrange(size + 1)))
        pool = range(size) if selected is None else selected
        failed = sorted(rng.sample(list(pool), rng.randrange(len(pool) + 1)))
        rules.append(rule(f"R{n}", scope))
        results.append(result(f"R{n}", selected, failed))
    check(rules, results, inv)


def test_a_missing_department_counts_toward_a_department_named_none_unless_lists_are_in_play() -> None:
    accounts = [{"id": "a0"}, {"id": "a1", "department": None}, {"id": "a2", "department": "mkt"}]
    tools = [{"id": "t0"}, {"id": "t1", "departments": ["mkt"]}]
    inv = inventory_of(DEPARTMENTS, accounts=accounts, tools=tools)
    rules = [rule("A", "account"), rule("T", "tool")]
    results = [result("A", None, [0, 2]), result("T", None, [0])]
    check(rules, results, inv)
    tallies = department_tallies(SimpleNamespace(rules=tuple(rules)), tuple(results), inv)  # type: ignore[arg-type]
    assert [(t.rule_id, t.applied, t.failed) for t in tallies["None"]] == [("A", 2, 1)]
    assert [(t.rule_id, t.applied, t.failed) for t in tallies["mkt"]] == [("A", 1, 1), ("T", 1, 0)]


def test_an_unhashable_value_that_is_not_a_list_is_named_as_a_string() -> None:
    accounts = [{"id": "a0", "department": {"not": "a ref"}}, {"id": "a1"}, {"id": "a2", "department": "sales"}]
    check([rule("A", "account")], [result("A", [0, 1, 2], [1])], inventory_of(DEPARTMENTS, accounts=accounts))


def test_no_departments_and_no_subjects() -> None:
    check([rule("A", "account"), rule("T", "tool")], [result("A", None, []), result("T", [], [])], inventory_of([]))
