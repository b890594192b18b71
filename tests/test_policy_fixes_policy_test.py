"""QA fixes in ``smgov policy test``: an inventory problem of a case is placed inside the test
file; duplicate case names in one pack and duplicate expectations are errors; --min-coverage
takes only a finite number from 0 to 100."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT, cli, rule, write

OWNER = rule("account", {"field": "owner", "exists": True}, id="T-OWN-001", message="Account {id} has no owner")
ACCOUNT = {"id": "a1", "platform": "x", "handle": "@a1"}


def _pack(directory: Path, files: dict[str, str]) -> Path:
    write(directory / "pack.yaml", {"name": "t", "version": "0.1", "description": "test pack"})
    write(directory / "rules.yaml", {"version": 1, "rules": [OWNER]})
    for name, text in files.items():
        write(directory / "tests" / name, text)
    return directory


def _problems(output: str) -> list[str]:
    return [line for line in output.splitlines() if line and not line.startswith("smgov:")]


CASE_WITH_A_BAD_REFERENCE = """\
version: 1
as_of: "2026-10-01"
cases:
  - name: fine
    rules: [T-OWN-001]
    inventory: {}
    expect: []
  - name: an account of a department that does not exist
    rules: [T-OWN-001]
    inventory:
      accounts:
        - {id: a1, platform: x, handle: "@a1", owner: ann, department: nope}
    expect: []
"""


@pytest.mark.parametrize("command", ["test", "validate"])
def test_an_inventory_problem_is_placed_inside_the_test_file(tmp_path: Path, command: str) -> None:
    directory = _pack(tmp_path / "pack", {"rules.test.yaml": CASE_WITH_A_BAD_REFERENCE})
    result = cli("policy", command, str(directory))
    assert result.exit_code == 2, result.output
    file = directory / "tests" / "rules.test.yaml"
    # line 12 is the case's account, column 60 its department: inside cases[1], not in a fragment
    assert _problems(result.output) == [
        f"{file}:12:60: account 'a1' refers to department 'nope', which is not defined in 'departments' "
        "(cases[1].inventory.accounts[0].department)"
    ]


def test_a_schema_problem_of_a_case_inventory_has_the_full_path(tmp_path: Path) -> None:
    text = CASE_WITH_A_BAD_REFERENCE.replace("department: nope", "bogus: 1")
    directory = _pack(tmp_path / "pack", {"rules.test.yaml": text})
    result = cli("policy", "test", str(directory))
    assert result.exit_code == 2
    (line,) = _problems(result.output)
    assert line.startswith(f"{directory / 'tests' / 'rules.test.yaml'}:12:60: unknown key 'bogus'")
    assert line.endswith("(cases[1].inventory.accounts[0].bogus)")


def _case(name: str, expect: str = "[]") -> str:
    return (
        f"  - name: {name}\n"
        "    rules: [T-OWN-001]\n"
        "    inventory:\n"
        "      accounts:\n"
        '        - {id: a1, platform: x, handle: "@a1"}\n'
        f"    expect: {expect}\n"
    )


def test_two_cases_with_one_name_in_a_pack_are_an_error(tmp_path: Path) -> None:
    first = "cases:\n" + _case("same") + _case("other", "[{rule: T-OWN-001, subject: a1}]")
    second = "cases:\n" + _case("same", "[{rule: T-OWN-001, subject: a1}]")
    directory = _pack(tmp_path / "pack", {"a.test.yaml": first, "b.test.yaml": second + _case("other")})
    result = cli("policy", "test", str(directory))
    assert result.exit_code == 2, result.output
    a, b = directory / "tests" / "a.test.yaml", directory / "tests" / "b.test.yaml"
    assert _problems(result.output) == [
        f"{b}:2:5: duplicate case name 'same' in this pack (first at {a}:2) (cases[0].name)",
        f"{b}:8:5: duplicate case name 'other' in this pack (first at {a}:8) (cases[1].name)",
    ]
    assert cli("policy", "validate", str(directory)).exit_code == 2


def test_two_cases_with_one_name_in_one_file_are_an_error(tmp_path: Path) -> None:
    directory = _pack(tmp_path / "pack", {"a.test.yaml": "cases:\n" + _case("same") + _case("same")})
    result = cli("policy", "test", str(directory))
    assert result.exit_code == 2
    a = directory / "tests" / "a.test.yaml"
    assert _problems(result.output) == [
        f"{a}:8:5: duplicate case name 'same' in this pack (first at {a}:2) (cases[1].name)"
    ]


def test_a_case_name_may_be_used_again_by_another_pack(tmp_path: Path) -> None:
    """Case names are unique per pack: a pack extending the baseline may reuse one of its names."""
    directory = tmp_path / "acme"
    write(directory / "pack.yaml", {"name": "acme", "version": "1", "description": "d", "extends": "baseline"})
    write(directory / "rules.yaml", {"version": 1, "rules": [OWNER]})
    baseline_name = "an exemplary organisation passes every boundary rule"
    assert baseline_name in (ROOT / "policies/baseline/tests/boundary.test.yaml").read_text(encoding="utf-8")
    write(directory / "tests" / "acme.test.yaml", "cases:\n" + _case(baseline_name, "[{rule: T-OWN-001, subject: a1}]"))
    result = cli("policy", "test", str(directory))
    assert result.exit_code == 0, result.output


def test_an_expectation_named_twice_is_an_error(tmp_path: Path) -> None:
    expect = "\n      - {rule: T-OWN-001, subject: a1}\n      - {rule: T-OWN-001, subject: a1}"
    directory = _pack(tmp_path / "pack", {"a.test.yaml": "cases:\n" + _case("twice", expect)})
    result = cli("policy", "test", str(directory))
    assert result.exit_code == 2, result.output
    a = directory / "tests" / "a.test.yaml"
    assert _problems(result.output) == [
        f"{a}:9:9: duplicate expectation: T-OWN-001 on a1 is already expected at line 8 (expect[0]) "
        "(cases[0].expect[1])"
    ]


def test_the_same_subject_of_two_rules_is_not_a_duplicate(tmp_path: Path) -> None:
    mfa = rule("account", {"field": "mfa", "equals": True}, id="T-MFA-001")
    directory = _pack(tmp_path / "pack", {})
    write(directory / "rules.yaml", {"version": 1, "rules": [OWNER, mfa]})
    text = (
        "cases:\n  - name: both\n    rules: [T-OWN-001, T-MFA-001]\n    inventory:\n      accounts:\n"
        '        - {id: a1, platform: x, handle: "@a1"}\n'
        "    expect:\n      - {rule: T-OWN-001, subject: a1}\n      - {rule: T-MFA-001, subject: a1}\n"
    )
    write(directory / "tests" / "a.test.yaml", text)
    assert cli("policy", "test", str(directory)).exit_code == 0


# --------------------------------------------------------------------------- --min-coverage


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan", "+nan", "inf", "-inf", "101", "-1", "1e400"])
def test_min_coverage_must_be_a_finite_percentage(value: str) -> None:
    result = cli("policy", "test", str(ROOT / "policies/baseline"), "--min-coverage", value)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--min-coverage'" in result.output
    assert "coverage:" not in result.output  # a usage error: nothing was run


@pytest.mark.parametrize("value", ["0", "99.5", "100"])
def test_min_coverage_accepts_finite_percentages(value: str) -> None:
    result = cli("policy", "test", str(ROOT / "policies/baseline"), "--min-coverage", value, "--as-of", "2026-10-01")
    assert result.exit_code == 0, result.output
