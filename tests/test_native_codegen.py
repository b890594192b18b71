"""The generated code of engine.evaluate.native: a subject field the rules read several times is read
once per subject, with the same results as the reference interpreter."""

from __future__ import annotations

import datetime as dt

from engine.evaluate import native
from engine.policy import ir
from tests.helpers import all_engines_agree, failing_ids, inventory, policy_set, rule

AS_OF = dt.date(2026, 10, 1)


def test_fields_read_by_several_rules_are_read_once_per_subject() -> None:
    active = {"field": "status", "equals": "active"}
    policies = policy_set(
        rule("account", {"field": "owner", "exists": True}, when=active, id="T-001"),
        rule("account", {"field": "mfa", "equals": True}, when=active, id="T-002"),
        rule("account", {"field": "backup_owner", "not_equals": {"ref": "owner"}}, id="T-003"),
        rule("account", {"field": "admins", "count": {"gte": 2}}, id="T-004"),  # read once: not hoisted
    )
    inv = inventory(
        {
            "accounts": [
                {"id": "a1", "platform": "x", "status": "active", "owner": "ann", "backup_owner": "ann", "mfa": True},
                {"id": "a2", "platform": "x", "status": "dormant", "admins": ["b", "c"]},
                {"id": "a3", "platform": "x", "status": "active", "mfa": False, "owner": None},
                {"id": "a4", "platform": "x"},
            ]
        }
    )
    failing = failing_ids(policies, inv, all_engines_agree(policies, inv, AS_OF))
    assert failing == {"T-001": ["a3"], "T-002": ["a3"], "T-003": ["a1", "a2", "a3", "a4"], "T-004": ["a1", "a3", "a4"]}
    gen = native._Gen()
    source = native.generate(gen, list(policies.rules))
    assert source.count("'status'") == 1 and source.count("'owner'") == 1  # one read each, into a local
    assert "s.get('admins')" in source


def _where(condition: dict) -> ir.Node:
    """The compiled ``where`` of a department rule counting related training records."""
    require = {"related": {"collection": "training", "on": {"department": "id"}, "where": condition}}
    compiled = policy_set(rule("department", require)).rules[0].require
    return compiled.left.where  # type: ignore[union-attr]


def test_fields_a_where_needs() -> None:
    assert native.needed(_where({"field": "trained", "ratio": {"to": "headcount", "gte": 0.8}})) == {
        "trained",
        "headcount",
    }
    assert native.needed(_where({"field": "completed_on", "within_days": 365})) == {"completed_on"}
    assert native.needed(_where({"field": "topic", "exists": False})) == set()
    assert native.needed(_where({"not": {"field": "topic", "equals": "x"}})) == set()
    both = {"all": [{"field": "topic", "equals": "x"}, {"field": "mandatory", "equals": True}]}
    assert native.needed(_where(both)) == {"topic", "mandatory"}
    either = {
        "any": [
            {"field": "topic", "equals": "x"},
            {"all": [{"field": "topic", "exists": True}, {"field": "mandatory", "equals": True}]},
        ]
    }
    assert native.needed(_where(either)) == {"topic"}
    subject = {"field": "headcount", "gte": {"ref": "$subject.headcount"}}
    assert native.needed(_where(subject)) == {"headcount"}  # the subject's own field is not the item's


def test_related_items_without_a_needed_field_are_left_out_with_the_same_results() -> None:
    ratio = {"field": "trained", "ratio": {"to": "headcount", "gte": 0.5}}
    policies = policy_set(
        rule("department", {"related": {"collection": "training", "on": {"department": "id"}, "where": ratio}}),
        rule(
            "department",
            {"related": {"collection": "training", "where": {"not": {"field": "trained", "exists": True}}}},
            id="T-002",
        ),
        rule(
            "department",
            {"related": {"collection": "training", "where": {"field": "headcount", "gte": 5}, "count": {"gte": 2}}},
            id="T-003",
        ),
        rule(  # every item has a topic: the index without needs serves
            "department",
            {
                "related": {
                    "collection": "training",
                    "on": {"department": "id"},
                    "where": {"field": "topic", "equals": "x"},
                }
            },
            id="T-004",
        ),
    )
    inv = inventory(
        {
            "departments": [{"id": "d1", "name": "One"}, {"id": "d2", "name": "Two"}, {"id": "d3", "name": "Three"}],
            "training": [
                {"id": "t1", "department": "d1", "topic": "x", "trained": 4, "headcount": 5},
                {"id": "t2", "department": "d2", "topic": "x", "trained": 1, "headcount": 5},
                {"id": "t3", "department": "d2", "topic": "x"},  # no ratio: never counts
                {"id": "t4", "department": "d3", "topic": "x", "headcount": 9},
            ],
        }
    )
    failing = failing_ids(policies, inv, all_engines_agree(policies, inv, AS_OF))
    assert failing == {"T-001": ["d2", "d3"], "T-002": [], "T-003": [], "T-004": []}


def test_counted_links_match_the_index() -> None:
    from engine.evaluate import derive

    inv = inventory(
        {
            "departments": [{"id": "d1", "name": "One"}, {"id": "d2", "name": "Two"}],
            "tools": [
                {"id": "t1", "name": "a", "category": "listening", "departments": ["d1", "d2"]},
                {"id": "t2", "name": "b", "category": "listening", "departments": ["d2"]},
                {"id": "t3", "name": "c", "category": "listening"},
            ],
            "training": [
                {"id": "r1", "department": "d1", "topic": "x"},
                {"id": "r2", "department": "d1", "topic": "x"},
                {"id": "r3", "topic": "x"},
            ],
        }
    )
    scope = derive.Scope(inv, AS_OF)
    for collection, path in (("training", "department"), ("tools", "departments"), ("training", "topic")):
        paths = ((path,),)
        assert scope.counts(collection, paths) == {k: len(v) for k, v in scope.index(collection, paths).items()}
    assert scope.counts("training", (("department",),)) == {("d1",): 2}
    assert scope.counts("tools", (("departments",),)) == {("d1",): 1, ("d2",): 2}  # list values fan out
    policies = policy_set(
        rule("department", {"related": {"collection": "training", "on": {"department": "id"}}}),
        rule(
            "department",
            {"related": {"collection": "tools", "on": {"departments": "id"}, "count": {"gte": 2}}},
            id="T-2",
        ),
    )
    assert failing_ids(policies, inv, all_engines_agree(policies, inv, AS_OF)) == {"T-001": ["d2"], "T-2": ["d1"]}


def test_items_are_left_out_of_an_index_only_when_that_leaves_out_many() -> None:
    """An index with ``needs`` is worth its pass over the collection only when it leaves out at
    least half the items (judged on a spread sample); otherwise the plain index serves, the
    same object for every rule. Either way the rules give the same results."""
    from engine.evaluate import derive

    training = [
        {
            "id": f"t{n}",
            "department": f"d{n % 3}",
            "topic": "x",
            **({"completed_on": "2026-01-01"} if n % 10 else {}),
            **({"headcount": 5} if n % 100 == 0 else {}),
        }
        for n in range(3000)
    ]
    inv = inventory({"departments": [{"id": f"d{n}", "name": f"D{n}"} for n in range(3)], "training": training})
    scope = derive.Scope(inv, AS_OF)
    plain = scope.index("training", (("department",),))
    assert scope.index("training", (("department",),), ("completed_on",)) is plain  # 9 in 10 have one
    few = scope.index("training", (("department",),), ("headcount",))
    assert few is not plain and sum(map(len, few.values())) == 30  # 1 in 100 has a head count

    def counting(where: dict, **extra: str) -> dict:
        related = {"collection": "training", "on": {"department": "id"}, "where": where}
        return rule("department", {"related": related}, **extra)

    policies = policy_set(
        counting({"field": "completed_on", "within_days": 365}),
        counting({"field": "headcount", "gte": 6}, id="T-002"),
    )
    failing = failing_ids(policies, inv, all_engines_agree(policies, inv, AS_OF))
    assert failing == {"T-001": [], "T-002": ["d0", "d1", "d2"]}


def test_counts_keyed_by_the_subjects_own_fields_are_looked_up_before_the_pass() -> None:
    """A plain count keyed by the subject's own top-level fields reads ``CC[n][i]``, looked up
    for every subject at once (``engine.evaluate.columns.counted``), the same counts as the
    per-subject expression it replaces: duplicates in the subject's own collection (their keys
    reused from the count), a count in another collection, normalised and missing values; a
    count keyed by a nested field keeps the per-subject lookup."""
    same = {
        "collection": "accounts",
        "on": {"platform": "platform", "handle": "handle"},
        "normalise": {"platform": "casefold", "handle": "handle"},
        "others": True,
    }
    trained = {"collection": "training", "on": {"person": "owner"}}
    nested = {"collection": "departments", "on": {"id": "$organisation.id"}}
    policies = policy_set(
        rule("account", {"related": {**same, "count": {"equals": 0}}}),
        rule("account", {"related": {**trained, "count": {"gte": 1}}}, id="T-002"),
        rule("account", {"related": {**nested, "count": {"equals": 0}}}, id="T-003"),
    )
    source = native.generate(native._Gen(), list(policies.rules))
    assert source.count("CC[") == 2 and "C[2].get((ORG.get('id'),), 0)" in source
    accounts = [
        {"id": "a1", "platform": "X", "handle": "@Brand", "owner": "ann"},
        {"id": "a2", "platform": "x ", "handle": "brand", "owner": "bob"},
        {"id": "a3", "platform": "x", "handle": "other", "owner": "ann"},
        {"id": "a4", "platform": "x", "owner": "cid"},  # no handle: never a duplicate
        {"id": "a5", "platform": "x"},  # no owner: counts nothing
    ]
    training = [{"id": f"t{n}", "person": p, "topic": "x"} for n, p in enumerate(["ann", "ann", "bob"])]
    inv = inventory({"organisation": {"id": "org", "name": "Org"}, "accounts": accounts, "training": training})
    failing = failing_ids(policies, inv, all_engines_agree(policies, inv, AS_OF))
    assert failing == {"T-001": ["a1", "a2"], "T-002": ["a4", "a5"], "T-003": []}


def test_quantifiers_over_the_elements_alone_are_answered_before_the_pass() -> None:
    """``any_item``/``all_items`` over the subject's own list, with a condition on the element
    alone, reads ``Q[n][i]`` (``engine.evaluate.columns.quantified``: the condition once per
    distinct element, patterns in one scan); one that reads the subject keeps the per-subject
    generator. Both agree with the reference and durable-rules on texts, numbers, missing and
    empty lists and missing ones."""
    webmail = {"field": "$item", "matches": "(?i)@(gmail|yahoo)\\."}
    policies = policy_set(
        rule("account", {"field": "admins", "all_items": {"not": webmail}}),
        rule("account", {"field": "admins", "any_item": {"field": "$item", "one_of": ["ann", "7"]}}, id="T-002"),
        rule(
            "account",
            {"field": "admins", "any_item": {"field": "$item", "equals": {"value": "ANN", "fold": True}}},
            id="T-003",
        ),
        rule(
            "account",
            {"field": "admins", "all_items": {"field": "$item", "not_equals": {"ref": "$subject.owner"}}},
            id="T-004",
        ),
    )
    source = native.generate(native._Gen(), list(policies.rules))
    assert source.count("Q[") == 3 and source.count(" for _i") == 1
    admins: list[object] = [
        ["ann@example.org", "bob@gmail.com"],
        ["Ann", "cid@example.org"],
        [],
        None,
        ["7", "dan@yahoo.fr"],
        ["ann@example.org", "eve@example.org"],
    ]
    accounts = [{"id": f"a{n}", "platform": "x", "owner": "Ann"} for n in range(len(admins))]
    for account, value in zip(accounts, admins, strict=True):
        if value is not None:
            account["admins"] = value
    failing = failing_ids(
        policies,
        inventory({"accounts": accounts}),
        all_engines_agree(policies, inventory({"accounts": accounts}), AS_OF),
    )
    assert failing == {  # (no list: undefined, so each require fails)
        "T-001": ["a0", "a3", "a4"],
        "T-002": ["a0", "a1", "a2", "a3", "a5"],
        "T-003": ["a0", "a2", "a3", "a4", "a5"],
        "T-004": ["a1", "a3"],
    }


def test_elements_that_cannot_be_looked_up_are_asked_one_by_one() -> None:
    from engine.evaluate import columns

    items = [{"x": [{"a": 1}, None]}, {"x": [{"a": 2}]}, {"x": "not a list"}, {}]
    specs = [("any", "x", "(_e is None)", ()), ("all", "x", "(_e is not None)", ())]
    assert columns.quantified(specs, items, {"M": []}) == [[True, False, None, None], [False, True, None, None]]


def test_at_least_k_matching_items_stops_at_the_kth() -> None:
    """``count >= k`` (or ``> k - 1``) of items meeting a condition is generated as "stop at the
    k-th" (``any`` for 1, ``_at_least`` beyond), the rest as full counts; the results equal the
    reference's and durable-rules' at every threshold, nested counts included."""
    where = {"field": "type", "equals": "customer_service"}
    counting = {"collection": "processes", "on": {"department": "id"}, "where": where}
    policies = policy_set(
        *(
            rule("department", {"related": {**counting, "count": {op: k}}}, id=f"T-{op.upper()}-{k}")
            for op in ("gte", "gt", "lte", "equals")
            for k in (0, 1, 2, 3)
        ),
    )
    source = native.generate(native._Gen(), list(policies.rules))
    assert "any(True for" in source and "_at_least(2, (True for" in source and "_at_least(4," in source
    processes = [
        {"id": f"p{n}", "name": f"P{n}", "department": d, "type": t}
        for n, (d, t) in enumerate(
            [
                ("d1", "customer_service"),
                ("d1", "customer_service"),
                ("d1", "hr"),
                ("d2", "customer_service"),
                ("d3", "hr"),
            ]
        )
    ]
    departments = [{"id": f"d{n}", "name": f"D{n}"} for n in range(1, 5)]
    inv = inventory({"departments": departments, "processes": processes})
    failing = failing_ids(policies, inv, all_engines_agree(policies, inv, AS_OF))
    assert failing["T-GTE-2"] == ["d2", "d3", "d4"] and failing["T-GT-0"] == ["d3", "d4"]
    assert failing["T-GTE-3"] == ["d1", "d2", "d3", "d4"]
