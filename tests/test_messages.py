"""Finding messages: templates filled from the subject, literal braces, missing values; evidence."""

from __future__ import annotations

import datetime as dt

from engine.evaluate import findings, native
from tests.helpers import inventory, policy_set, rule


def test_message_template_fills_paths_and_braces() -> None:
    message = "{{{handle}}} on {platform}: admins {admins}, org {$organisation.name}, owner {owner}, mfa {mfa}"
    policies = policy_set(rule("account", {"field": "owner", "exists": True}, message=message))
    inv = inventory(
        {"accounts": [{"id": "a1", "platform": "x", "handle": "@a", "admins": ["ann", "bob"], "mfa": False}]}
    )
    as_of = dt.date(2026, 10, 1)
    found = findings.build(policies, native.evaluate(policies, inv, as_of), inv, as_of)
    assert [f.message for f in found] == [
        "{@a} on x: admins ann, bob, org Test organisation, owner not recorded, mfa false"
    ]
    assert [(e.label, e.value) for e in found[0].evidence] == [("owner", None)]


def test_evidence_lists_each_value_read_once() -> None:
    require = {
        "all": [
            {"field": "admins", "count": {"gte": 2}},
            {"field": "admins", "count": {"lte": 5}},
            {"field": "mfa", "equals": True},
        ]
    }
    policies = policy_set(rule("account", require))
    inv = inventory({"accounts": [{"id": "a1", "platform": "x", "admins": ["ann"], "mfa": True}]})
    as_of = dt.date(2026, 10, 1)
    (finding,) = findings.build(policies, native.evaluate(policies, inv, as_of), inv, as_of)
    assert [(e.label, e.value) for e in finding.evidence] == [("count(admins)", 1), ("mfa", True)]
