"""Duplicates: ``related`` with ``normalise`` and ``others``, the baseline rule BND-ACC-011, and
grouping: one duplicate group is one finding naming every member, with a stable fingerprint."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from engine.evaluate import derive, findings
from engine.inputs.diagnostics import InputError
from tests.helpers import all_engines_agree, cli, inventory, policy_set, rule, write

AS_OF = dt.date(2026, 10, 1)
SAME = {
    "related": {
        "collection": "accounts",
        "on": {"platform": "platform", "handle": "handle"},
        "normalise": {"platform": "casefold", "handle": "handle"},
        "others": True,
        "count": {"equals": 0},
    }
}


@pytest.mark.parametrize(
    ("how", "value", "expected"),
    [
        ("casefold", "  YouTube ", "youtube"),
        ("casefold", "   ", None),
        ("handle", "@Agency", "agency"),
        ("handle", " @ ", None),
        ("url", "HTTPS://www.X.com/Agency/?s=1#top", "x.com/agency"),
        ("url", "http://m.facebook.com/agency", "facebook.com/agency"),
        ("url", "x.com/agency/", "x.com/agency"),
        ("url", None, None),
        ("", "As Is", "As Is"),
    ],
)
def test_normalisers(how: str, value: str | None, expected: str | None) -> None:
    assert derive.normalised(value, how) == expected


@pytest.mark.parametrize(
    ("related", "message"),
    [
        ({**SAME["related"], "normalise": {"handel": "handle"}}, "normalise: 'handel' is not a field of 'on'"),
        ({**SAME["related"], "normalise": {"handle": "lower"}}, "normalise: unknown 'lower'"),
        ({**SAME["related"], "others": "yes"}, "others takes true or false"),
        ({"collection": "accounts", "on": {"mfa": "mfa"}, "normalise": {"mfa": "casefold"}}, "only text is normalised"),
        ({**SAME["related"], "colection": "x"}, "unknown key 'colection' in related; did you mean 'collection'?"),
    ],
)
def test_related_options_are_checked(related: dict, message: str) -> None:
    with pytest.raises(InputError) as caught:
        policy_set(rule("account", {"related": related}))
    assert any(message in d.message for d in caught.value.diagnostics), caught.value.diagnostics


def test_others_needs_the_subjects_own_collection() -> None:
    related = {"collection": "accounts", "on": {"department": "id"}, "others": True}
    with pytest.raises(InputError) as caught:
        policy_set(rule("department", {"related": related}))
    assert "a department is not one of accounts" in caught.value.diagnostics[0].message


ACCOUNTS = [
    {"id": "b", "platform": "X", "handle": "agency", "department": "cs"},
    {"id": "a", "platform": "x", "handle": "@Agency", "url": "https://x.com/agency", "department": "mkt"},
    {"id": "c", "platform": "x", "handle": "other", "url": "https://www.x.com/Agency/"},
    {"id": "d", "platform": "facebook", "handle": "agency"},
    {"id": "e", "platform": "facebook", "handle": "solo"},
]


def _duplicate_findings(accounts: list[dict]) -> tuple[findings.Finding, ...]:
    policies = policy_set(
        rule(
            "account",
            {"all": [SAME, {"related": {**SAME["related"], "on": {"url": "url"}, "normalise": {"url": "url"}}}]},
            message="Account {id} is listed more than once",
        )
    )
    inv = inventory({"departments": [{"id": "mkt", "name": "M"}, {"id": "cs", "name": "C"}], "accounts": accounts})
    results = all_engines_agree(policies, inv, AS_OF)
    assert len(results[0].failed) == 3  # every member fails the rule ...
    return findings.build(policies, results, inv, AS_OF)


def test_a_duplicate_group_is_one_finding_naming_every_member() -> None:
    found = _duplicate_findings(ACCOUNTS)
    assert len(found) == 1  # ... but a, b (same handle) and c (same URL as a) are one cause
    group = found[0]
    assert group.subject_id == "a" and group.members == ("a", "b", "c")
    assert group.message == "Account a is listed more than once (the same as b, c)"
    assert group.departments == ("mkt", "cs")


def test_the_group_fingerprint_is_stable_and_made_from_every_member() -> None:
    first = _duplicate_findings(ACCOUNTS)[0].fingerprint
    assert _duplicate_findings(list(reversed(ACCOUNTS)))[0].fingerprint == first  # order of the list aside
    assert first == findings.fingerprint("T-001", "account", "a\x1eb\x1ec")
    assert first != findings.fingerprint("T-001", "account", "a")


def test_two_groups_stay_two_findings() -> None:
    accounts = [*ACCOUNTS, {"id": "f", "platform": "Facebook", "handle": "SOLO"}]
    policies = policy_set(rule("account", SAME))
    inv = inventory({"departments": [{"id": "mkt", "name": "M"}, {"id": "cs", "name": "C"}], "accounts": accounts})
    found = findings.build(policies, all_engines_agree(policies, inv, AS_OF), inv, AS_OF)
    assert [f.members for f in found] == [("a", "b"), ("e", "f")]


def test_the_baseline_rule_reports_each_duplicate_group_once_in_json(tmp_path: Path) -> None:
    org = write(
        tmp_path / "org.yaml",
        {
            "organisation": {"name": "Agency"},
            "accounts": [
                {"id": "a1", "platform": "youtube", "handle": "@AgencyTV", "url": "https://youtube.com/@agencytv"},
                {"id": "a2", "platform": "YouTube", "handle": "agencytv"},
                {"id": "a3", "platform": "x", "url": "https://x.com/agency"},
                {"id": "a4", "platform": "x", "url": "http://www.x.com/Agency/"},
                {"id": "a5", "platform": "x", "handle": "elsewhere"},
            ],
        },
    )
    for engine in ("native", "durable"):
        out = tmp_path / f"{engine}.json"
        args = ["check", str(org), "--as-of", "2026-10-01", "--fail-on", "never", "--engine", engine]
        assert cli(*args, "--format", "json", "-o", str(out)).exit_code == 0
        data = json.loads(out.read_text())
        groups = [f["members"] for f in data["findings"] if f["rule_id"] == "BND-ACC-011"]
        assert groups == [["a1", "a2"], ["a3", "a4"]], engine
        outcome = next(r for r in data["rules"] if r["id"] == "BND-ACC-011")
        assert outcome["failed"] == 4  # the checks that failed; the findings are the groups
