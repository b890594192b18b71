"""Every class of bad input: reported with file:line:col and a plain message, exit 2, no traceback."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from engine.inputs.diagnostics import Diagnostic
from engine.inputs.json_source import _fast_walk, parse_json
from tests.helpers import cli, write

POLICY = """\
version: 1
rules:
  - id: BND-ACC-001
    title: Every account has an owner
    description: Accounts nobody owns cannot be revoked.
    lever: boundary
    stage: initialisation
    severity: critical
    scope: account
    require: {field: owner, exists: true}
    message: "Account {handle} has no owner"
    remediation: Name an owner.
    references: [Altimeter-2013]
"""

GOOD = """\
organisation:
  name: Example
departments:
  - id: mkt
    name: Marketing
accounts:
  - id: a1
    platform: x
    handle: "@ex"
    department: mkt
    owner: ann
"""


@pytest.fixture(autouse=True, params=["serial"])
def validation(request, monkeypatch) -> None:
    """Every case also with the inventory validated in a child process beside the evaluation
    (as large inventories are): the same problems, the same report, nothing else."""


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return write(tmp_path / "policy" / "rules.yaml", POLICY)


def run(policy: Path, *inputs: Path) -> tuple[int, str]:
    result = cli("check", *map(str, inputs), "--policies", str(policy), "--as-of", "2026-10-01")
    return result.exit_code, result.output


def expect(policy: Path, path: Path, *fragments: str) -> str:
    before = path.read_bytes() if path.is_file() else None
    code, out = run(policy, path)
    assert code == 2, out
    assert "Traceback" not in out
    for fragment in fragments:
        assert fragment in out, out
    assert "nothing was checked" in out
    if before is not None:
        assert path.read_bytes() == before  # inputs are never modified
    return out


def test_good_input_passes(policy: Path, tmp_path: Path) -> None:
    code, out = run(policy, write(tmp_path / "org.yaml", GOOD))
    assert code == 0, out


def test_malformed_yaml(policy: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "org.yaml", "organisation:\n  name: [unclosed\naccounts: []\n")
    expect(policy, path, f"{path}:3:", "invalid YAML")


def test_malformed_json(policy: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "org.json", '{"organisation": {"name": "x"},\n "accounts": [ {"id": "a1",, } ]}')
    expect(policy, path, f"{path}:2:", "invalid JSON")


def test_wrong_type(policy: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "org.yaml", GOOD.replace("owner: ann", "owner: ann\n    mfa: 'yes'"))
    expect(policy, path, f"{path}:12:", "expected true or false", "(accounts[0].mfa)")


def test_unknown_key_is_an_error(policy: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "org.yaml", GOOD.replace("owner: ann", "onwer: ann"))
    expect(policy, path, f"{path}:11:5: unknown key 'onwer'", "(accounts[0].onwer)")


def test_duplicate_ids_across_files(policy: Path, tmp_path: Path) -> None:
    write(tmp_path / "org" / "a.yaml", GOOD)
    write(tmp_path / "org" / "b.yaml", "accounts:\n  - id: a1\n    platform: x\n")
    expect(policy, tmp_path / "org", "b.yaml:2:5: duplicate account id 'a1' (first defined at", "a.yaml:7")


def test_duplicate_yaml_key(policy: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "org.yaml", GOOD.replace("owner: ann", "owner: ann\n    owner: bob"))
    expect(policy, path, f"{path}:12:5: duplicate key 'owner'")


def test_dangling_reference_names_both_places(policy: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "org.yaml", GOOD.replace("department: mkt", "department: mtk"))
    expect(
        policy, path, f"{path}:10:", "account 'a1' refers to department 'mtk'", "'departments'", "did you mean 'mkt'"
    )


def test_not_a_real_date(policy: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "org.yaml", GOOD.replace("owner: ann", "owner: ann\n    created_on: 2026-02-30"))
    expect(policy, path, f"{path}:12:", "'2026-02-30' is not a real calendar date")


def test_empty_file(policy: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "org.yaml", "  \n")
    expect(policy, path, f"{path}:1:1: the file is empty")


def test_binary_file(policy: Path, tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    expect(policy, path, f"{path}:1:1: binary file")


def test_directory_with_no_inventory(policy: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    write(tmp_path / "empty" / "notes.txt", "hello")
    expect(policy, tmp_path / "empty", "no inventory files")


def test_missing_path(policy: Path, tmp_path: Path) -> None:
    expect(policy, tmp_path / "nope.yaml", "no such file or directory")


def test_no_organisation(policy: Path, tmp_path: Path) -> None:
    path = write(tmp_path / "org.yaml", "accounts: []\n")
    expect(policy, path, "no organisation")


def test_all_problems_reported_together(policy: Path, tmp_path: Path) -> None:
    text = GOOD.replace("owner: ann", "onwer: ann").replace("name: Marketing", "name: Marketing\n    hedcount: 3")
    path = write(tmp_path / "org.yaml", text)
    out = expect(policy, path, "unknown key 'onwer'", "unknown key 'hedcount'")
    assert "2 input problems" in out


def _policy_error(tmp_path: Path, old: str, new: str, *fragments: str) -> None:
    policy = write(tmp_path / "p" / "rules.yaml", POLICY.replace(old, new))
    before = hashlib.sha256(policy.read_bytes()).hexdigest()
    inv = write(tmp_path / "org.yaml", GOOD)
    code, out = run(policy, inv)
    assert code == 2, out
    for fragment in fragments:
        assert fragment in out, out
    assert hashlib.sha256(policy.read_bytes()).hexdigest() == before


def test_unknown_operator(tmp_path: Path) -> None:
    _policy_error(
        tmp_path, "exists: true", "exsits: true", "rules.yaml:10:", "unknown operator 'exsits'", "did you mean 'exists'"
    )


def test_unknown_field_in_policy(tmp_path: Path) -> None:
    _policy_error(
        tmp_path,
        "field: owner",
        "field: onwer",
        "rules.yaml:10:",
        "unknown field 'onwer' for account",
        "did you mean 'owner'",
    )


def test_regex_that_does_not_compile(tmp_path: Path) -> None:
    _policy_error(
        tmp_path,
        "{field: owner, exists: true}",
        "{field: handle, matches: '(unclosed'}",
        "rules.yaml:10:",
        "does not compile",
    )


def test_type_mismatch_in_policy(tmp_path: Path) -> None:
    _policy_error(tmp_path, "{field: owner, exists: true}", "{field: mfa, equals: 'true'}", "values are never coerced")


def test_enum_value_that_can_never_match(tmp_path: Path) -> None:
    _policy_error(
        tmp_path, "{field: owner, exists: true}", "{field: status, equals: actve}", "'actve' can never match 'status'"
    )


@pytest.mark.parametrize(
    ("condition", "shown"),
    [
        ("{field: admins, count: {lt: .inf}}", "inf"),
        ("{field: admins, count: {gte: -.inf}}", "-inf"),
        ("{field: admins, count: {not_equals: .nan}}", "nan"),
        ("{field: admins, count: {lte: 1.0e+400}}", "inf"),
        ("{field: last_activity_on, days_since: {gt: .inf}}", "inf"),
    ],
)
def test_a_number_that_is_not_finite(tmp_path: Path, condition: str, shown: str) -> None:
    # once emitted as a bare ``inf`` in the generated evaluator: an internal error (exit 3)
    _policy_error(
        tmp_path, "{field: owner, exists: true}", condition, "rules.yaml:10:", f"{shown} is not a finite number"
    )


def test_unknown_lever_and_missing_field(tmp_path: Path) -> None:
    _policy_error(tmp_path, "lever: boundary", "lever: boundry", "rules.yaml:6:", "'boundry' is not one of")


def test_message_placeholder_typo(tmp_path: Path) -> None:
    _policy_error(tmp_path, "{handle}", "{handel}", "message placeholder {handel}", "did you mean 'handle'")


def test_duplicate_rule_id_across_files(tmp_path: Path) -> None:
    write(tmp_path / "p" / "a.yaml", POLICY)
    write(tmp_path / "p" / "b.yaml", POLICY)
    inv = write(tmp_path / "org.yaml", GOOD)
    code, out = run(tmp_path / "p", inv)
    assert code == 2
    assert "b.yaml:3:5: duplicate rule id 'BND-ACC-001' (first defined at" in out


def test_zero_rules_is_an_error(tmp_path: Path) -> None:
    policy = write(tmp_path / "p" / "rules.yaml", "version: 1\nrules: []\n")
    code, out = run(policy, write(tmp_path / "org.yaml", GOOD))
    assert code == 2
    assert "no rules loaded" in out


def test_validate_reports_the_same_problems(tmp_path: Path, policy: Path) -> None:
    path = write(tmp_path / "org.yaml", GOOD.replace("owner: ann", "onwer: ann"))
    result = cli("validate", str(path), str(policy.parent))
    assert result.exit_code == 2
    assert f"{path}:11:5: unknown key 'onwer'" in result.output
    ok = cli("validate", str(write(tmp_path / "ok.yaml", GOOD)), str(policy.parent))
    assert ok.exit_code == 0, ok.output
    assert "1 rules" in ok.output


def test_duplicate_top_level_json_key(policy: Path, tmp_path: Path) -> None:
    """msgspec keeps one of two equal keys; the fast path notices and the exact walk reports it."""
    text = '{"organisation": {"name": "x"},\n "accounts": [],\n "accounts": []}'
    path = write(tmp_path / "org.json", text)
    assert _fast_walk(text, text.encode()) is None
    expect(policy, path, f"{path}:3:2: invalid JSON: duplicate key 'accounts'")


def test_json_numbers_msgspec_refuses_take_the_exact_path(tmp_path: Path) -> None:
    """NaN and 1e400 are not valid JSON numbers for msgspec; the exact walk refuses them too,
    at their position (a JSON report would otherwise carry a bare NaN strict parsers reject)."""
    for number, expected, fast in [("1e400", "number '1e400' is too large", False), ("2", 2, True)]:
        text = f'{{"organisation": {{"name": "x", "employees": {number}}}, "accounts": [{{"id": "a"}}]}}'
        assert (_fast_walk(text, text.encode()) is not None) is fast
        parsed = parse_json(text, "org.json")
        if isinstance(parsed, Diagnostic):
            assert (parsed.line, parsed.col) == (1, 45)  # where 1e400 starts
            assert parsed.message.startswith(str(expected)) and "finite" in parsed.message
        else:
            assert parsed[0]["organisation"]["employees"] == expected


def test_json_positions_are_characters_not_bytes(policy: Path, tmp_path: Path) -> None:
    """Non-ASCII text before an item shifts bytes but not characters: lines and columns hold."""
    inventory = {
        "organisation": {"name": "Société Générale de Café ☕"},
        "departments": [{"id": "mkt", "name": "Marketing é"}],
        "accounts": [
            {"id": "a1", "platform": "x", "department": "mkt", "notes": "naïve ☕☕"},
            {"id": "a2", "platform": "x", "department": "mkt", "onwer": "ann"},
        ],
    }
    path = tmp_path / "org.json"
    path.write_text(json.dumps(inventory, ensure_ascii=False, indent=1), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert _fast_walk(text, text.encode()) is not None  # the msgspec path, with its offset conversion
    lines = text.splitlines()
    line = next(n for n, text in enumerate(lines, 1) if '"onwer"' in text)
    col = lines[line - 1].index('"onwer"') + 1
    expect(policy, path, f"{path}:{line}:{col}: unknown key 'onwer'")
