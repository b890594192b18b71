"""`smgov policy validate`, `smgov policy test`, `smgov policy docs`; static never-holds checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.policy import policylint
from tests.helpers import ROOT, cli, policy_set, rule, write

BASELINE = ROOT / "policies" / "baseline"


def pack(tmp_path: Path, rules: list[dict[str, Any]], cases: list[dict[str, Any]] | None = None) -> Path:
    directory = tmp_path / "pack"
    write(directory / "pack.yaml", {"name": "t", "version": "0.1", "description": "test pack"})
    write(directory / "rules.yaml", {"version": 1, "rules": rules})
    if cases is not None:
        write(directory / "tests" / "rules.test.yaml", {"version": 1, "as_of": "2026-10-01", "cases": cases})
    return directory


OWNER = rule("account", {"field": "owner", "exists": True}, id="T-OWN-001", message="Account {id} has no owner")
MFA = rule("account", {"field": "mfa", "equals": True}, id="T-MFA-001")
ACCOUNTS = {
    "departments": [{"id": "d1", "name": "D1"}],
    "accounts": [
        {"id": "a1", "platform": "x", "handle": "@a1", "department": "d1", "owner": "ann", "mfa": True},
        {"id": "a2", "platform": "x", "handle": "@a2", "department": "d1", "mfa": False},
    ],
}


# --------------------------------------------------------------------------- validate


def test_validate_the_baseline() -> None:
    result = cli("policy", "validate", str(BASELINE))
    assert result.exit_code == 0, result.output
    assert "ok: 98 rules (baseline 1.0.0)" in result.output and "test cases in 5 file(s)" in result.output


def test_validate_a_typo_d_field_is_an_error(tmp_path: Path) -> None:
    directory = pack(tmp_path, [rule("account", {"field": "onwer", "exists": True})])
    result = cli("policy", "validate", str(directory))
    assert result.exit_code == 2
    assert (
        f"{directory / 'rules.yaml'}:11:5: unknown field 'onwer' for account; did you mean 'owner'? "
        "(rules[0].require.field)"
    ) in result.output


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"require": {"field": "handle", "matches": "^(@"}}, "the regular expression '^(@' does not compile"),
        ({"stage": "nirvana"}, "unknown stage 'nirvana' (stages: initialisation, contagion, control, integration)"),
        ({"lever": "charisma"}, "'charisma' is not one of: belief, boundary, diagnostic, interactive"),
        ({"when": {"field": "status", "equals": "actvie"}}, "'actvie' can never match 'status'"),
        (
            {"when": {"all": [{"field": "status", "equals": "active"}, {"field": "status", "equals": "retired"}]}},
            "T-001: when can never hold: status cannot equal both 'active' and 'retired'",
        ),
        (
            {"when": {"all": [{"field": "owner", "exists": False}, {"field": "owner", "matches": "a"}]}},
            "when can never hold: owner must be missing, yet another test of it needs a value",
        ),
        (
            {"when": {"field": "admins", "count": {"lt": 0}}},
            "when can never hold: no value of count(admins) satisfies lt 0 (it is always between 0 and inf)",
        ),
        (
            {
                "require": {
                    "all": [
                        {"field": "last_activity_on", "older_than_days": 90},
                        {"field": "last_activity_on", "within_days": 30},
                    ]
                }
            },
            "require can never hold: no value of days_since(last_activity_on) satisfies gt 90, gte 0, lte 30",
        ),
    ],
)
def test_validate_reports_what_cannot_work(tmp_path: Path, bad: dict[str, Any], message: str) -> None:
    raw = rule("account", {"field": "owner", "exists": True})
    raw.update(bad)
    result = cli("policy", "validate", str(pack(tmp_path, [raw])))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "rules.yaml:" in result.output and "Traceback" not in result.output


def test_validate_duplicate_ids_across_packs(tmp_path: Path) -> None:
    one = pack(tmp_path / "one", [OWNER])
    two = pack(tmp_path / "two", [OWNER])
    result = cli("policy", "validate", str(one), str(two))
    assert result.exit_code == 2
    assert "duplicate rule id 'T-OWN-001' (first defined at " in result.output


def test_validate_checks_the_test_cases(tmp_path: Path) -> None:
    case = {"name": "c", "rules": ["T-OWN-00l"], "inventory": ACCOUNTS, "expect": []}
    result = cli("policy", "validate", str(pack(tmp_path, [OWNER], [case])))
    assert result.exit_code == 2
    assert "unknown rule 'T-OWN-00l' (not in the loaded policies) (cases[0].rules[0])" in result.output


@pytest.mark.parametrize(
    ("condition", "never"),
    [
        ({"field": "mfa", "equals": True}, False),
        ({"all": [{"field": "mfa", "equals": True}, {"field": "mfa", "equals": False}]}, True),
        ({"any": [{"field": "mfa", "equals": True}, {"field": "mfa", "equals": False}]}, False),
        (
            {
                "any": [
                    {"all": [{"field": "mfa", "equals": True}, {"field": "mfa", "equals": False}]},
                    {"field": "admins", "count": {"gt": 2, "lt": 3}},
                ]
            },
            True,
        ),
        (
            {"all": [{"field": "status", "one_of": ["active", "dormant"]}, {"field": "status", "equals": "retired"}]},
            True,
        ),
        ({"all": [{"field": "status", "one_of": ["active"]}, {"field": "status", "not_equals": "active"}]}, True),
        ({"all": [{"field": "admins", "count": {"gte": 2}}, {"field": "admins", "count": {"lte": 2}}]}, False),
        ({"not": {"all": [{"field": "mfa", "equals": True}, {"field": "mfa", "equals": False}]}}, False),
        # days_until and days_since (older_than_days) of one date are checked together
        (
            {
                "all": [
                    {"field": "last_activity_on", "older_than_days": 90},
                    {"field": "last_activity_on", "days_until": {"gte": 0}},
                ]
            },
            True,
        ),
        (
            {
                "all": [
                    {"field": "last_activity_on", "days_since": {"gte": 10}},
                    {"field": "last_activity_on", "days_until": {"lte": -5}},
                ]
            },
            False,
        ),
        ({"field": "last_activity_on", "days_until": {"gt": 5, "lt": 3}}, True),
    ],
)
def test_never_holds(condition: dict[str, Any], never: bool) -> None:
    compiled = policy_set(rule("account", condition)).rules[0]
    assert bool(policylint.never_holds(compiled.require)) is never


# --------------------------------------------------------------------------- test


def test_the_baseline_pack_passes_its_tests_with_full_coverage() -> None:
    result = cli("policy", "test", str(BASELINE), "--min-coverage", "100")
    assert result.exit_code == 0, result.output
    assert "coverage: 98 of 98 rules (100.0%)" in result.output
    assert ", 0 failed (native evaluator)" in result.output


def test_a_failing_case_prints_expected_and_actual(tmp_path: Path) -> None:
    cases = [
        {
            "name": "owner passes",
            "rules": ["T-OWN-001"],
            "inventory": {**ACCOUNTS, "accounts": ACCOUNTS["accounts"][:1]},
            "expect": [],
        },
        {
            "name": "wrong expectation",
            "rules": ["T-OWN-001"],
            "inventory": ACCOUNTS,
            "expect": [{"rule": "T-OWN-001", "subject": "a1"}],
        },
    ]
    result = cli("policy", "test", str(pack(tmp_path, [OWNER, MFA], cases)), "--engine", "all")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    start = lines.index(next(x for x in lines if x.startswith("FAIL ")))
    assert lines[start].endswith(": wrong expectation")
    assert lines[start + 1 : start + 6] == [
        "  rules:      T-OWN-001",
        "  expected:   T-OWN-001 on a1",
        "  actual:     T-OWN-001 on a2",
        "  missing:    T-OWN-001 on a1",
        "  unexpected: T-OWN-001 on a2",
    ]
    assert "coverage: 1 of 2 rules (50.0%) have a passing and a failing case" in result.output
    assert "rules without a test (1): T-MFA-001" in result.output
    assert "2 cases, 1 failed (native and durable evaluator)" in result.output


def test_coverage_below_the_minimum_fails(tmp_path: Path) -> None:
    cases = [
        {
            "name": "pass",
            "rules": ["T-OWN-001"],
            "inventory": {**ACCOUNTS, "accounts": ACCOUNTS["accounts"][:1]},
            "expect": [],
        },
        {
            "name": "fail",
            "rules": ["T-OWN-001"],
            "inventory": ACCOUNTS,
            "expect": [{"rule": "T-OWN-001", "subject": "a2"}],
        },
    ]
    directory = pack(tmp_path, [OWNER, MFA], cases)
    assert cli("policy", "test", str(directory)).exit_code == 0
    result = cli("policy", "test", str(directory), "--min-coverage", "60", "-v")
    assert result.exit_code == 1
    assert "PASS " in result.output and "coverage 50.0% is below --min-coverage 60%" in result.output


def test_policy_test_bad_input_is_exit_2(tmp_path: Path) -> None:
    bad_inventory = {"name": "c", "rules": ["T-OWN-001"], "inventory": {"accounts": [{"id": 3}]}, "expect": []}
    result = cli("policy", "test", str(pack(tmp_path, [OWNER], [bad_inventory])))
    assert result.exit_code == 2
    # the path inside the test file, not inside the case's inventory fragment
    assert "rules.test.yaml:9:7: " in result.output and "(cases[0].inventory.accounts[0].id)" in result.output
    result = cli("policy", "test", str(pack(tmp_path / "none", [OWNER])))
    assert result.exit_code == 2 and "no test cases" in result.output


def test_extended_packs_are_tested_and_disabled_rules_skipped(tmp_path: Path) -> None:
    directory = tmp_path / "acme"
    write(
        directory / "pack.yaml",
        {
            "name": "acme",
            "version": "1",
            "description": "d",
            "extends": "baseline",
            "overrides": {"BND-ACC-001": {"disabled": True, "reason": "not ours"}},
        },
    )
    write(directory / "rules.yaml", {"version": 1, "rules": [OWNER]})
    result = cli("policy", "test", str(directory))
    assert result.exit_code == 0, result.output
    assert "coverage: 97 of 98 rules" in result.output and "rules without a test (1): T-OWN-001" in result.output


# --------------------------------------------------------------------------- docs


def test_docs_rules_md_is_up_to_date() -> None:
    result = cli("policy", "docs", str(BASELINE))
    assert result.exit_code == 0
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert result.output == committed, (
        "docs/rules.md is stale: run make docs (smgov policy docs policies/baseline -o docs/rules.md)"
    )


def test_docs_show_a_passing_and_a_failing_example(tmp_path: Path) -> None:
    cases = [
        {
            "name": "both",
            "rules": ["T-OWN-001"],
            "inventory": ACCOUNTS,
            "expect": [{"rule": "T-OWN-001", "subject": "a2"}],
        }
    ]
    output = tmp_path / "out" / "rules.md"
    result = cli("policy", "docs", str(pack(tmp_path, [OWNER, MFA], cases)), "-o", str(output))
    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8")
    section = text[text.index("#### T-OWN-001") :]
    assert "Severity **high** · scope `account` · stage initialisation · lever boundary" in section
    assert (
        "**Passes** (`tests/rules.test.yaml`, case “both”):\n\n```yaml\naccount:\n  id: a1\n  owner: ann\n```"
        in section
    )
    assert (
        "**Fails** (`tests/rules.test.yaml`, case “both”):\n\n```yaml\naccount:\n  id: a2\n  owner: null\n```"
        in section
    )
    assert "→ Account a2 has no owner" in section
    assert "#### T-MFA-001" in text and "**Passes:** no example in the tests." in text
    assert "## Boundary" in text and "### Boundary: initialisation" in text


# --------------------------------------------------------------------------- integrations


def _options_exist(args: list[str]) -> None:
    """The smgov command named by ``args`` exists and knows every --option given."""
    words = [a for a in args if not a.startswith("-")]
    for depth in (2, 1):
        result = cli(*words[:depth], "--help")
        if result.exit_code == 0 and "Usage: main " + " ".join(words[:depth]) in result.output:
            break
    assert result.exit_code == 0, args
    for option in (a.split("=")[0] for a in args if a.startswith("--")):
        assert option in result.output, f"{' '.join(args)}: unknown option {option}"


def test_pre_commit_hooks_run_real_commands() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {h["id"] for h in hooks} >= {"smgov-policy-validate", "smgov-policy-test", "smgov-validate", "smgov-check"}
    for hook in hooks:
        assert hook["entry"].startswith("smgov ") and hook["language"] == "python"
        _options_exist(hook["entry"].split()[1:])


def test_the_github_actions_example_uses_real_commands() -> None:
    workflow = yaml.safe_load((ROOT / "docs" / "github-actions-example.yml").read_text(encoding="utf-8"))
    runs = [step.get("run", "") for step in workflow["jobs"]["governance"]["steps"]]
    commands = [line for run in runs for line in run.replace("\n", " ").split("smgov ")[1:]]
    assert len(commands) >= 4
    for command in commands:
        _options_exist([w for w in command.split(">>")[0].split() if not w.startswith(('"', "$"))])
