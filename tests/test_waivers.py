"""Waivers: justification, approver, inclusive UTC expiry; waived, expired and unused waivers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from engine.inputs.schemas import load_schema
from tests.helpers import cli, rule, write

RULES = [
    rule("account", {"field": "owner", "exists": True}, id="T-OWN-001", severity="high", message="{id} has no owner"),
    rule("account", {"field": "mfa", "equals": True}, id="T-MFA-001", severity="medium", stage="contagion"),
]
INVENTORY = {
    "organisation": {"id": "org", "name": "Org"},
    "departments": [{"id": "d1", "name": "D1", "uses_social_media": True}],
    "accounts": [
        {"id": "acc-1", "platform": "x", "handle": "@1", "department": "d1", "owner": "ann", "mfa": True},
        {"id": "acc-2", "platform": "x", "handle": "@2", "department": "d1", "mfa": True},
        {"id": "acc-3", "platform": "x", "handle": "@3", "department": "d1", "owner": "bob", "mfa": True},
    ],
}


def waiver(**extra: Any) -> dict[str, Any]:
    out = {
        "rule": "T-OWN-001",
        "subject": "acc-2",
        "justification": "Owner leaves in December; successor named in the transition plan.",
        "approved_by": "Head of Communications",
        "expires": "2026-12-31",
    }
    out.update(extra)
    return out


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "policy": write(tmp_path / "policy.yaml", {"version": 1, "rules": RULES}),
        "inventory": write(tmp_path / "inventory.yaml", INVENTORY),
        "dir": tmp_path,
    }


def check(files: dict[str, Path], waivers: list[dict[str, Any]] | None, *args: str) -> tuple[int, dict[str, Any], str]:
    extra: list[str] = []
    if waivers is not None:
        path = write(files["dir"] / "waivers.yaml", {"version": 1, "waivers": waivers})
        extra = ["--waivers", str(path)]
    result = cli(
        "check",
        str(files["inventory"]),
        "--policies",
        str(files["policy"]),
        "--as-of",
        "2026-10-01",
        "--format",
        "json",
        *extra,
        *args,
    )
    if result.exit_code == 2:
        return 2, {}, result.output
    report = json.loads(result.stdout)
    jsonschema.validate(report, load_schema("report"))
    return result.exit_code, report, result.stderr


def test_without_waivers_the_finding_fails_and_blocks(files: dict[str, Path]) -> None:
    code, report, _ = check(files, None)
    assert code == 1
    assert report["assessment"]["organisation"]["stage"] == "none"
    assert "waivers" not in report and "waiver" not in report["findings"][0]


def test_a_waived_finding_is_reported_but_fails_nothing_and_blocks_no_stage(files: dict[str, Path]) -> None:
    code, report, err = check(files, [waiver(subject="acc-*")])
    assert code == 0
    (finding,) = report["findings"]
    assert finding["waiver"] == {
        "status": "active",
        "justification": "Owner leaves in December; successor named in the transition plan.",
        "approved_by": "Head of Communications",
        "expires": "2026-12-31",
        "file": str(files["dir"] / "waivers.yaml"),
        "line": 3,
    }
    assert report["summary"]["findings"] == 1 and report["summary"]["waived"] == 1
    assert [i["path"] for i in report["inputs"] if i["role"] == "waivers"] == [str(files["dir"] / "waivers.yaml")]
    assert report["waivers"][0]["status"] == "active" and report["waivers"][0]["matched"] == ["acc-2"]
    # the assessment and the plan treat the waived check as passing
    assert report["assessment"]["organisation"]["stage"] == "integration"
    assert report["next_step"]["status"] == "at_target"
    assert len(err.splitlines()) == 1 and "1 waived" in err and "waiver of" not in err  # the summary only


def test_the_text_report_shows_the_waiver(files: dict[str, Path]) -> None:
    path = write(files["dir"] / "w.yaml", {"version": 1, "waivers": [waiver()]})
    result = cli(
        "check",
        str(files["inventory"]),
        "--policies",
        str(files["policy"]),
        "--as-of",
        "2026-10-01",
        "--waivers",
        str(path),
    )
    assert result.exit_code == 0
    assert "WAIVED until 2026-12-31 by Head of Communications: Owner leaves in December" in result.stdout
    assert "1 of them waived (they fail nothing and block no stage)" in result.stdout


@pytest.mark.parametrize(("as_of", "status", "code"), [("2026-12-31", "active", 0), ("2027-01-01", "expired", 1)])
def test_expiry_is_inclusive(files: dict[str, Path], as_of: str, status: str, code: int) -> None:
    exit_code, report, _ = check(files, [waiver()], "--as-of", as_of)
    assert exit_code == code
    assert report["findings"][0]["waiver"]["status"] == status
    assert report["waivers"][0]["status"] == status


def test_an_expired_waiver_brings_the_finding_back_and_is_reported(files: dict[str, Path]) -> None:
    code, report, err = check(files, [waiver(expires="2026-09-30")])
    assert code == 1
    assert report["findings"][0]["waiver"]["status"] == "expired"
    assert report["summary"]["waived"] == 0
    assert report["waivers"][0]["status"] == "expired" and report["waivers"][0]["matched"] == ["acc-2"]
    assert report["assessment"]["organisation"]["stage"] == "none"
    assert "waiver of T-OWN-001 for acc-2 expired on 2026-09-30; its 1 finding(s) count again" in err


def test_an_unused_waiver_is_reported(files: dict[str, Path]) -> None:
    code, report, err = check(files, [waiver(), waiver(rule="T-MFA-001", subject="acc-9")])
    assert code == 0
    assert [w["status"] for w in report["waivers"]] == ["active", "unused"]
    assert report["waivers"][1]["matched"] == []
    assert "waiver of T-MFA-001 for acc-9 is unused: it matches no finding" in err


def test_an_active_waiver_wins_over_an_expired_one(files: dict[str, Path]) -> None:
    code, report, _ = check(files, [waiver(expires="2026-01-01"), waiver(subject="acc-?")])
    assert code == 0
    assert report["findings"][0]["waiver"]["line"] == 8
    assert [w["status"] for w in report["waivers"]] == ["expired", "active"]


def test_plan_honours_waivers(files: dict[str, Path]) -> None:
    path = write(files["dir"] / "w.yaml", {"version": 1, "waivers": [waiver()]})
    args = ["plan", str(files["inventory"]), "--policies", str(files["policy"]), "--as-of", "2026-10-01"]
    assert cli(*args).exit_code == 1
    assert cli(*args, "--waivers", str(path)).exit_code == 0


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"rule": "T-OWN-002"}, "waivers.yaml:3:3: waiver for unknown rule 'T-OWN-002' (not in the loaded policies)"),
        ({"expires": "2026-02-30"}, "waivers.yaml:7:3: '2026-02-30' is not a calendar date (waivers[0].expires)"),
        ({"expires": "31/12/2026"}, "'31/12/2026' is not a date (YYYY-MM-DD) (waivers[0].expires)"),
        ({"justification": None}, "a value is required here (expected text) (waivers[0].justification)"),
        ({"approved_by": ""}, "(waivers[0].approved_by)"),
    ],
)
def test_bad_waivers_are_input_errors(files: dict[str, Path], bad: dict[str, Any], message: str) -> None:
    code, _, output = check(files, [waiver(**bad)])
    assert code == 2
    assert message in output and "Traceback" not in output


def test_a_waiver_must_have_every_field(files: dict[str, Path]) -> None:
    incomplete = waiver()
    del incomplete["approved_by"]
    code, _, output = check(files, [incomplete])
    assert code == 2 and "'approved_by' is required (waivers[0])" in output
    missing = cli("check", str(files["inventory"]), "--policies", str(files["policy"]), "--waivers", "nope.yaml")
    assert missing.exit_code == 2 and "nope.yaml: cannot read" in missing.output


def test_an_organisation_finding_can_be_waived(tmp_path: Path) -> None:
    org_rule = rule("organisation", {"field": "governance.executive_sponsor", "exists": True}, id="T-SPN-001")
    policy = write(tmp_path / "policy.yaml", {"version": 1, "rules": [org_rule]})
    inv = write(tmp_path / "inventory.yaml", INVENTORY)
    waivers = write(tmp_path / "w.yaml", {"version": 1, "waivers": [waiver(rule="T-SPN-001", subject="org")]})
    args = ["check", str(inv), "--policies", str(policy), "--as-of", "2026-10-01", "--format", "json"]
    assert cli(*args).exit_code == 1
    result = cli(*args, "--waivers", str(waivers))
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["findings"][0]["waiver"]["status"] == "active"
    assert report["assessment"]["organisation"]["stage"] == "integration"
