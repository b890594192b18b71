"""`smgov diff OLD.json NEW.json`: new, resolved, unchanged findings and stage changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from engine.inputs.schemas import load_schema
from tests.helpers import cli, rule, write

RULES = [
    rule("account", {"field": "owner", "exists": True}, id="T-OWN-001", severity="high"),
    rule("account", {"field": "mfa", "equals": True}, id="T-MFA-001", severity="medium", stage="contagion"),
]


def report(tmp_path: Path, name: str, accounts: list[dict[str, Any]]) -> Path:
    inv = write(tmp_path / f"{name}.yaml", {"organisation": {"name": "Org"}, "accounts": accounts})
    policy = write(tmp_path / "policy.yaml", {"version": 1, "rules": RULES})
    out = tmp_path / f"{name}.json"
    result = cli(
        "check",
        str(inv),
        "--policies",
        str(policy),
        "--as-of",
        "2026-10-01",
        "--format",
        "json",
        "-o",
        str(out),
        "--fail-on",
        "never",
    )
    assert result.exit_code == 0, result.output
    return out


def acc(ident: str, **fields: Any) -> dict[str, Any]:
    return {"id": ident, "platform": "x", "handle": f"@{ident}", **fields}


def pair(tmp_path: Path) -> tuple[Path, Path]:
    old = report(tmp_path, "old", [acc("a1", owner="ann"), acc("a2", mfa=True)])
    # a2 fixed (owner), a1 loses MFA (new finding), a1 still has no MFA → moved order too
    new = report(tmp_path, "new", [acc("a2", owner="bob", mfa=True), acc("a1", owner="ann"), acc("a3", owner="c")])
    return old, new


def test_diff_text(tmp_path: Path) -> None:
    old, new = pair(tmp_path)
    result = cli("diff", str(old), str(new))
    assert result.exit_code == 0
    out = result.output
    assert "1 new, 1 resolved, 1 unchanged" in out
    assert "New:\n  medium   T-MFA-001 account a3:" in out
    assert "Resolved:\n  high     T-OWN-001 account a2:" in out
    assert "Stage changes:\n  organisation: none -> initialisation" in out
    assert "Unchanged" not in out
    assert "Unchanged:\n  medium   T-MFA-001 account a1" in cli("diff", str(old), str(new), "-v").output


def test_diff_json_and_markdown(tmp_path: Path) -> None:
    old, new = pair(tmp_path)
    data = json.loads(cli("diff", str(old), str(new), "--format", "json").output)
    jsonschema.validate(data, load_schema("diff"))
    assert data["summary"] == {"new": 1, "resolved": 1, "unchanged": 1}
    assert [(i["rule_id"], i["subject_id"]) for i in data["new"]] == [("T-MFA-001", "a3")]
    assert {"what": "organisation", "old": "none", "new": "initialisation"} in data["stages"]
    md = tmp_path / "diff.md"
    assert cli("diff", str(old), str(new), "--format", "markdown", "-o", str(md)).exit_code == 0
    text = md.read_text(encoding="utf-8")
    assert text.startswith("## smgov: findings compared\n\n**1 new**, 1 resolved, 1 unchanged")
    assert "| organisation | none | initialisation |" in text
    assert "### New findings" in text and "| medium | `T-MFA-001` | account `a3` |" in text


def test_fail_on_new(tmp_path: Path) -> None:
    old, new = pair(tmp_path)
    assert cli("diff", str(old), str(new), "--fail-on-new").exit_code == 1
    assert cli("diff", str(new), str(new), "--fail-on-new").exit_code == 0


def test_diff_bad_input_is_exit_2(tmp_path: Path) -> None:
    old, _ = pair(tmp_path)
    bad = write(tmp_path / "bad.json", '{"report_version": 2, "findings": []}')
    result = cli("diff", str(old), str(bad))
    assert result.exit_code == 2
    assert "not an smgov JSON report v1" in result.output and "Traceback" not in result.output
    result = cli("diff", str(tmp_path / "none.json"), str(old))
    assert result.exit_code == 2 and "cannot read" in result.output


def test_a_severity_change_is_shown(tmp_path: Path) -> None:
    accounts = [acc("a1")]
    old = report(tmp_path, "old", accounts)
    RULES[0]["severity"] = "low"
    try:
        new = report(tmp_path, "new", accounts)
    finally:
        RULES[0]["severity"] = "high"
    result = cli("diff", str(old), str(new), "--format", "json")
    data = json.loads(result.stdout)  # the policy sets differ: a warning on stderr
    assert "different policy sets (rules changed (severity, lever, stage or scope): T-OWN-001)" in result.stderr
    jsonschema.validate(data, load_schema("diff"))
    assert [(c["rule_id"], c["old_severity"], c["severity"]) for c in data["severity_changed"]] == [
        ("T-OWN-001", "high", "low")
    ]
    assert "Severity changed:\n  T-OWN-001 a1: high -> low" in cli("diff", str(old), str(new)).stdout
