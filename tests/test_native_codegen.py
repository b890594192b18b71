"""The generated code of engine.native: a subject field the rules read several times is read
once per subject, with the same results as the reference interpreter."""

from __future__ import annotations

import datetime as dt

from engine import native
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
