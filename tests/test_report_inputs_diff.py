"""`smgov diff OLD NEW`: both reports are checked against schemas/report.schema.json, reports of
two organisations are an input error, and different policy sets get a warning."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.helpers import cli, rule, write

RULES = [
    rule("account", {"field": "owner", "exists": True}, id="T-OWN-001", severity="high"),
    rule("account", {"field": "mfa", "equals": True}, id="T-MFA-001", severity="medium"),
]


def report(tmp_path: Path, name: str, org: str = "org-a", rules: list[dict[str, Any]] = RULES) -> Path:
    accounts = [
        {"id": f"{org}-1", "platform": "x", "handle": "@one"},
        {"id": "shared", "platform": "x", "handle": "@s"},
    ]
    inv = write(tmp_path / f"{name}.yaml", {"organisation": {"id": org, "name": org.upper()}, "accounts": accounts})
    policy = write(tmp_path / f"{name}-policy.yaml", {"version": 1, "rules": rules})
    out = tmp_path / f"{name}.json"
    result = cli(
        "check", str(inv), "--policies", str(policy), "--as-of", "2026-10-01",
        "--format", "json", "-o", str(out), "--fail-on", "never",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def edit(path: Path, change: Any) -> Path:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_a_report_without_assessment_or_with_a_bad_severity_is_an_input_error(tmp_path: Path) -> None:
    old = report(tmp_path, "old")
    new = report(tmp_path, "new")

    def spoil(data: dict[str, Any]) -> None:
        del data["assessment"]
        data["findings"][0]["severity"] = 5

    edit(new, spoil)
    result = cli("diff", str(old), str(new))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Stage changes" not in result.output and "-> 5" not in result.output
    assert f"{new}:1:1: 'assessment' is required\n" in result.stderr
    line = next(n for n, text in enumerate(new.read_text().splitlines(), 1) if '"severity": 5' in text)
    assert re.search(
        rf"{re.escape(str(new))}:{line}:\d+: 5 is not one of: critical, high, medium, low, info "
        r"\(findings\[0\]\.severity\)",
        result.stderr,
    )


def test_problems_of_both_reports_are_reported_together(tmp_path: Path) -> None:
    old = edit(report(tmp_path, "old"), lambda d: d["findings"][0].update(fingerprint="0" * 32))
    new = edit(report(tmp_path, "new"), lambda d: d["findings"].append(d["findings"][0]))
    result = cli("diff", str(old), str(new))
    assert result.exit_code == 2
    assert re.search(rf"{re.escape(str(old))}:\d+:\d+: fingerprint '0{{32}}' is not the one of ", result.stderr)
    assert re.search(rf"{re.escape(str(new))}:\d+:\d+: .* is listed more than once ", result.stderr)


def test_a_list_is_not_a_report_in_one_short_line(tmp_path: Path) -> None:
    old = report(tmp_path, "old")
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"id": f"R-{n}", "title": "x" * 200} for n in range(100)]))
    result = cli("diff", str(rules), str(old))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"{rules}:1:1: not an smgov JSON report v1 (write one with: smgov check ... --format json)"
    )


def test_reports_of_two_organisations_are_an_input_error(tmp_path: Path) -> None:
    old = report(tmp_path, "old", org="org-a")
    new = report(tmp_path, "new", org="org-b")
    result = cli("diff", str(old), str(new))
    assert result.exit_code == 2, result.output
    assert "resolved" not in result.stdout and result.stdout == ""
    (problem, summary) = result.stderr.splitlines()
    assert problem.startswith(f"{new}:") and problem.endswith("(organisation.id)")
    assert f"{old} is of 'org-a' (ORG-A)" in problem and f"{new} of 'org-b' (ORG-B)" in problem
    assert summary.startswith("smgov: 1 input problem")


def test_different_policy_sets_give_a_warning_and_the_diff(tmp_path: Path) -> None:
    old = report(tmp_path, "old")
    new = report(
        tmp_path, "new", rules=[RULES[0], rule("account", {"field": "handle", "exists": True}, id="T-HAN-001")]
    )
    result = cli("diff", str(old), str(new), "--format", "json")
    assert result.exit_code == 0, result.output
    (warning,) = result.stderr.splitlines()
    assert warning.startswith(f"smgov: warning: {old} and {new} were made with different policy sets")
    assert "rules only in the old report: T-MFA-001" in warning and "rules only in the new report: T-HAN-001" in warning
    data = json.loads(result.stdout)
    assert [i["rule_id"] for i in data["resolved"]] == ["T-MFA-001", "T-MFA-001"]
    # the same rules in another file with other bytes: the policy files differ
    edited = [dict(RULES[0], description="reworded"), RULES[1]]
    other = report(tmp_path, "other", rules=edited)
    result = cli("diff", str(old), str(other))
    assert result.exit_code == 0
    assert "different policy sets (the policy, pack or stage files differ)" in result.stderr
    # the same policy set: no warning
    again = report(tmp_path, "again")
    result = cli("diff", str(old), str(again))
    assert result.exit_code == 0 and result.stderr == ""
