"""`smgov trend`: reports of one organisation only, and a short message for what is not a report."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import cli, rule, write

RULES = [rule("account", {"field": "owner", "exists": True}, id="T-OWN-001", severity="high")]


def report(tmp_path: Path, name: str, org: str, as_of: str) -> Path:
    accounts = [{"id": "a1", "platform": "x", "handle": "@a1"}]
    inv = write(tmp_path / f"{name}.yaml", {"organisation": {"id": org, "name": f"{org} S.p.A."}, "accounts": accounts})
    policy = write(tmp_path / "policy.yaml", {"version": 1, "rules": RULES})
    out = tmp_path / f"{name}.json"
    result = cli(
        "check", str(inv), "--policies", str(policy), "--as-of", as_of,
        "--format", "json", "-o", str(out), "--fail-on", "never",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_reports_of_different_organisations_are_an_input_error(tmp_path: Path) -> None:
    a1 = report(tmp_path, "a1", "org-a", "2026-01-01")
    a2 = report(tmp_path, "a2", "org-a", "2026-02-01")
    b1 = report(tmp_path, "b1", "org-b", "2026-03-01")
    result = cli("trend", str(a1), str(a2), str(b1))
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 4 and lines[-1].startswith("smgov: 3 input problems")
    by_file = {line.split(":")[0]: line for line in lines[:3]}
    assert set(by_file) == {str(a1), str(a2), str(b1)}
    assert "this report is of organisation 'org-b' (org-b S.p.A.)" in by_file[str(b1)]
    assert f"other reports are of 'org-a' (org-a S.p.A.) in {a1}, {a2}" in by_file[str(b1)]
    assert f"other reports are of 'org-b' (org-b S.p.A.) in {b1}" in by_file[str(a1)]
    assert all(line.endswith("(organisation.id)") for line in lines[:3])
    # one organisation: fine
    assert cli("trend", str(a1), str(a2)).exit_code == 0


def test_rules_output_is_not_a_report_and_the_message_stays_short(tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    listing = cli("rules", "--format", "json")
    assert listing.exit_code == 0
    rules.write_text(listing.stdout, encoding="utf-8")
    assert isinstance(json.loads(rules.read_text()), list) and len(rules.read_text()) > 5000
    result = cli("trend", str(rules))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{rules}:1:1: not an smgov JSON report v1 (write one with: smgov check ... --format json)",
        "smgov: 1 input problem; nothing was checked",
    ]


def test_a_bad_report_is_reported_with_its_position(tmp_path: Path) -> None:
    good = report(tmp_path, "good", "org-a", "2026-01-01")
    bad = report(tmp_path, "bad", "org-a", "2026-02-01")
    data = json.loads(bad.read_text())
    data["summary"]["findings"] = "many"
    bad.write_text(json.dumps(data, indent=2))
    line = next(n for n, text in enumerate(bad.read_text().splitlines(), 1) if '"findings": "many"' in text)
    result = cli("trend", str(good), str(bad))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(f"{bad}:")
    assert "(summary.findings)" in result.stderr
    assert f"{bad}:{line}:" in result.stderr
