"""`smgov check --baseline` / `--write-baseline`: fingerprints, not lines, decide what is new."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from engine.inputs.schemas import load_schema
from tests.helpers import cli, rule, write

RULES = [rule("account", {"field": "owner", "exists": True}, id="T-OWN-001", severity="high")]


def account(ident: str, owner: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": ident, "platform": "x", "handle": f"@{ident}"}
    if owner:
        out["owner"] = owner
    return out


def inventory(*accounts: dict[str, Any], padding: int = 0) -> str:
    """YAML with ``padding`` comment lines on top, so every item moves down."""
    body = json.dumps({"organisation": {"name": "Org"}, "accounts": list(accounts)}, indent=2)
    return "".join(f"# moved {n}\n" for n in range(padding)) + body + "\n"


def run(tmp_path: Path, text: str, *args: str) -> Any:
    inv = tmp_path / "inventory.yaml"
    inv.write_text(text, encoding="utf-8")
    policy = write(tmp_path / "policy.yaml", {"version": 1, "rules": RULES})
    return cli("check", str(inv), "--policies", str(policy), "--as-of", "2026-10-01", *args)


def test_write_then_check_against_the_baseline(tmp_path: Path) -> None:
    base = tmp_path / "out" / "baseline.json"
    first = run(tmp_path, inventory(account("a1", "ann"), account("a2")), "--write-baseline", str(base))
    assert first.exit_code == 1  # writing a baseline does not change the exit code
    assert f"wrote a baseline of 1 finding(s) to {base}" in first.stderr
    data = json.loads(base.read_text(encoding="utf-8"))
    jsonschema.validate(data, load_schema("baseline"))
    assert [(f["rule_id"], f["subject"]["id"]) for f in data["findings"]] == [("T-OWN-001", "a2")]
    again = run(tmp_path, inventory(account("a1", "ann"), account("a2")), "--baseline", str(base))
    assert again.exit_code == 0
    assert "baseline " in again.stdout and ": 0 new, 1 already in it, 0 resolved" in again.stdout


def test_moved_lines_neither_resurrect_nor_hide_a_finding(tmp_path: Path) -> None:
    base = tmp_path / "baseline.json"
    before = run(
        tmp_path,
        inventory(account("a1", "ann"), account("a2")),
        "--write-baseline",
        str(base),
        "-o",
        str(tmp_path / "before.txt"),
    )
    assert before.exit_code == 1
    # the same accounts in another order, 7 lines further down: nothing is new
    moved = run(
        tmp_path, inventory(account("a2"), account("a1", "ann"), padding=7), "--baseline", str(base), "--format", "json"
    )
    assert moved.exit_code == 0, moved.output
    report = json.loads(moved.stdout)
    jsonschema.validate(report, load_schema("report"))
    (finding,) = report["findings"]
    assert finding["baseline"] == "existing" and finding["location"]["line"] > 7
    assert report["baseline"]["new"] == 0 and report["baseline"]["existing"] == 1
    assert [i["role"] for i in report["inputs"]][-1] == "baseline"
    # a2 fixed, and a new failing account where a2 used to be: new, even on the same line
    swapped = run(
        tmp_path,
        inventory(account("a1", "ann"), account("a3"), account("a2", "bob")),
        "--baseline",
        str(base),
        "--format",
        "json",
    )
    assert swapped.exit_code == 1
    report = json.loads(swapped.stdout)
    assert [(f["subject"]["id"], f["baseline"]) for f in report["findings"]] == [("a3", "new")]
    assert report["baseline"] == {"file": str(base), "new": 1, "existing": 0, "resolved": 1}


def test_a_json_report_is_a_baseline_too(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    run(tmp_path, inventory(account("a1"), account("a2")), "--format", "json", "-o", str(report))
    result = run(tmp_path, inventory(account("a2"), account("a1")), "--baseline", str(report))
    assert result.exit_code == 0


def test_a_bad_baseline_is_exit_2(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.json", '{"findings": [{"rule_id": "X"}]}')
    result = run(tmp_path, inventory(account("a1")), "--baseline", str(bad))
    assert result.exit_code == 2
    # checked against schemas/baseline.schema.json: every problem, with its position
    assert "bad.json:1:1: 'baseline_version' is required" in result.output
    assert "bad.json:1:15: 'subject' is required (findings[0])" in result.output
    assert "bad.json:1:15: 'fingerprint' is required (findings[0])" in result.output
    other = write(tmp_path / "list.json", "[1, 2]")
    result = run(tmp_path, inventory(account("a1")), "--baseline", str(other))
    assert result.exit_code == 2 and "not a baseline: expected a JSON object with a 'findings' list" in result.output
    result = run(tmp_path, inventory(account("a1")), "--baseline", str(tmp_path / "missing.json"))
    assert result.exit_code == 2 and "cannot read" in result.output and "Traceback" not in result.output
