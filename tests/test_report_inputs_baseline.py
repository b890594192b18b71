"""`--baseline FILE`: a baseline or a JSON report is checked before use, every problem with
its file:line:col, and a report's waived findings are not accepted by it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from engine.evaluate.findings import fingerprint
from engine.inputs.diagnostics import InputError
from engine.inputs.schemas import load_schema
from engine.report import baseline
from tests.helpers import ROOT, cli, rule, write

ENERGY = str(ROOT / "examples" / "energy")
WAIVERS = str(ROOT / "examples" / "energy.waivers.yaml")
RULES = [rule("account", {"field": "owner", "exists": True}, id="T-OWN-001", severity="high")]


def check(tmp_path: Path, *args: str, org: str = "org-a") -> Any:
    inv = write(
        tmp_path / "inventory.yaml",
        {"organisation": {"id": org, "name": "Org"}, "accounts": [{"id": "a1", "platform": "x", "handle": "@a1"}]},
    )
    policy = write(tmp_path / "policy.yaml", {"version": 1, "rules": RULES})
    return cli("check", str(inv), "--policies", str(policy), "--as-of", "2026-10-01", *args)


# ---------------------------------------------------------------- defect 1: waived findings


def test_a_report_as_baseline_does_not_accept_its_waived_findings(tmp_path: Path) -> None:
    """The waiver of BEL-TRN-004 (dep-ene-hr) expires on 2026-10-31: afterwards its finding
    counts again, whether the baseline is a --write-baseline file or a JSON report."""
    report = tmp_path / "report.json"
    written = tmp_path / "bl.json"
    first = cli(
        "check", ENERGY, "--as-of", "2026-10-01", "--waivers", WAIVERS,
        "--format", "json", "-o", str(report), "--write-baseline", str(written), "--fail-on", "never",
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    waived = [
        f for f in json.loads(report.read_text())["findings"] if (f.get("waiver") or {}).get("status") == "active"
    ]
    assert ("BEL-TRN-004", "dep-ene-hr") in [(f["rule_id"], f["subject"]["id"]) for f in waived]
    for known in (written, report):
        later = cli(
            "check", ENERGY, "--as-of", "2026-11-15", "--waivers", WAIVERS,
            "--baseline", str(known), "--fail-on", "medium", "--format", "json",
        )  # fmt: skip
        assert later.exit_code == 1, (known, later.output)
        found = json.loads(later.stdout)["findings"]
        expired = next(f for f in found if f["rule_id"] == "BEL-TRN-004" and f["subject"]["id"] == "dep-ene-hr")
        assert expired["waiver"]["status"] == "expired" and expired["baseline"] == "new"
    # while the waiver applies, the report as baseline changes nothing: exit 0
    same_day = cli(
        "check", ENERGY, "--as-of", "2026-10-01", "--waivers", WAIVERS, "--baseline", str(report), "--fail-on", "info"
    )  # fmt: skip
    assert same_day.exit_code == 0, same_day.output


def test_load_leaves_out_only_active_waivers(tmp_path: Path) -> None:
    """An expired waiver waived nothing: that finding counted, and the baseline accepts it."""
    report = tmp_path / "report.json"
    assert check(tmp_path, "--format", "json", "-o", str(report), "--fail-on", "never").exit_code == 0
    data = json.loads(report.read_text())
    template = data["findings"][0]
    template["waiver"] = {
        "status": "active", "justification": "j", "approved_by": "a", "expires": "2026-12-31",
        "file": "w.yaml", "line": 3,
    }  # fmt: skip
    expired = {**template, "subject": {**template["subject"], "id": "a2"}, "waiver": {**template["waiver"]}}
    expired["waiver"]["status"] = "expired"
    expired["fingerprint"] = fingerprint("T-OWN-001", "account", "a2")
    data["findings"] = [template, expired]
    report.write_text(json.dumps(data, indent=2))
    assert baseline.load(report).fingerprints == {fingerprint("T-OWN-001", "account", "a2")}


# ---------------------------------------------------------------- defect 2: validation

BAD_BASELINE = """{
  "baseline_version": 7,
  "findings": [
    {"rule_id": "T-OWN-001", "subject": {"kind": "account", "id": "x"}, "bogus": 1},
    {"fingerprint": "ABCDEF", "rule_id": "T-OWN-001", "subject": {"kind": "account", "id": "y"}},
    {"fingerprint": "0123456789abcdef0123456789abcdef", "rule_id": "T-OWN-001", "subject": {"kind": "ac", "id": "z"}},
    {"fingerprint": "%s", "rule_id": "T-OWN-001", "subject": {"kind": "account", "id": "w"}},
    {"fingerprint": "%s", "rule_id": "T-OWN-001", "subject": {"kind": "account", "id": "w"}}
  ]
}
""" % ((fingerprint("T-OWN-001", "account", "w"),) * 2)


def test_a_baseline_is_checked_against_its_schema_every_problem_at_once(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.json", BAD_BASELINE)
    result = check(tmp_path, "--baseline", str(bad))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    expected = [
        r"bad\.json:2:3: must be 1, not 7 \(baseline_version\)$",
        r"bad\.json:4:5: 'fingerprint' is required \(findings\[0\]\)$",
        r"bad\.json:4:\d+: unknown key 'bogus' .*\(findings\[0\]\.bogus\)$",
        r"bad\.json:5:\d+: 'ABCDEF' is not in the required form: 32 hexadecimal .*\(findings\[1\]\.fingerprint\)$",
        r"bad\.json:6:\d+: fingerprint '0123456789abcdef0123456789abcdef' is not the one of 'T-OWN-001' ac 'z' "
        r".*\(findings\[2\]\.fingerprint\)$",
        r"bad\.json:8:5: 'T-OWN-001' account 'w' is listed more than once \(first as findings\[3\], line 7\) "
        r"\(findings\[4\]\)$",
    ]
    for pattern in expected:
        assert any(re.search(pattern, line) for line in lines), (pattern, lines)
    assert "smgov: 6 input problems" in result.stderr


def test_a_good_baseline_still_works_and_matches_its_schema(tmp_path: Path) -> None:
    written = tmp_path / "bl.json"
    assert check(tmp_path, "--write-baseline", str(written), "--fail-on", "never").exit_code == 0
    jsonschema.validate(json.loads(written.read_text()), load_schema("baseline"))
    assert check(tmp_path, "--baseline", str(written)).exit_code == 0


def test_a_report_given_as_baseline_is_checked_against_the_report_schema(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert check(tmp_path, "--format", "json", "-o", str(report), "--fail-on", "never").exit_code == 0
    data = json.loads(report.read_text())
    del data["assessment"]
    data["findings"][0]["severity"] = 5
    data["findings"][0]["fingerprint"] = "f" * 32
    data["findings"].append(json.loads(json.dumps(data["findings"][0])))
    report.write_text(json.dumps(data, indent=2))
    result = check(tmp_path, "--baseline", str(report))
    assert result.exit_code == 2 and "Traceback" not in result.output
    err = result.stderr
    assert re.search(r"report\.json:1:1: 'assessment' is required\n", err)
    assert re.search(
        r"report\.json:\d+:\d+: 5 is not one of: critical, high, medium, low, info \(findings\[0\]\.severity\)", err
    )
    assert re.search(
        r"report\.json:\d+:\d+: fingerprint 'f{32}' is not the one of .*\(findings\[1\]\.fingerprint\)", err
    )
    assert re.search(
        r"report\.json:\d+:\d+: 'T-OWN-001' account 'a1' is listed more than once .*\(findings\[1\]\)", err
    )


def test_a_report_of_another_version_or_no_baseline_at_all_is_one_short_line(tmp_path: Path) -> None:
    future = write(tmp_path / "future.json", '{\n  "report_version": 2, "findings": []}')
    result = check(tmp_path, "--baseline", str(future))
    assert result.exit_code == 2
    assert (
        "future.json:2:3: not an smgov JSON report v1 (write one with: smgov check ... --format json)" in result.stderr
    )
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"id": f"R-{n}", "title": "x" * 200} for n in range(100)]))
    result = check(tmp_path, "--baseline", str(rules))
    assert result.exit_code == 2
    (line, _) = result.stderr.splitlines()
    assert line.startswith(f"{rules}:1:1: not a baseline:") and len(line) < 250


# ---------------------------------------------------------------- defect 2: the organisation


def test_a_baseline_records_the_organisation_when_told_and_its_schema_allows_it(tmp_path: Path) -> None:
    text = baseline.render([], "2026-10-01", "1.0", {"id": "org-a", "name": "A"})
    data = json.loads(text)
    assert data["organisation"] == {"id": "org-a", "name": "A"}
    jsonschema.validate(data, load_schema("baseline"))
    path = write(tmp_path / "bl.json", text)
    known = baseline.load(path)
    assert known.organisation == "org-a"
    assert baseline.compare(known, [], "org-a").new == 0
    with pytest.raises(InputError) as caught:
        baseline.compare(known, [], "org-b")
    (problem,) = caught.value.diagnostics
    line = next(n for n, row in enumerate(text.splitlines(), 1) if '"org-a"' in row)
    assert (problem.file, problem.line, problem.col, problem.path) == (str(path), line, 5, "organisation.id")
    assert "'org-a'" in problem.message and "'org-b'" in problem.message
    # a baseline that does not say (every baseline written before) is not refused
    assert baseline.compare(
        baseline.load(write(tmp_path / "old.json", '{"baseline_version": 1, "findings": []}')), [], "x"
    )


def test_a_report_as_baseline_knows_its_organisation(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert check(tmp_path, "--format", "json", "-o", str(report), "--fail-on", "never").exit_code == 0
    known = baseline.load(report)
    assert known.organisation == "org-a"
    with pytest.raises(InputError, match="the check is of 'org-b'"):
        baseline.compare(known, [], "org-b")


def test_checking_another_organisation_against_a_report_is_an_input_error(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert check(tmp_path, "--format", "json", "-o", str(report), "--fail-on", "never").exit_code == 0
    result = check(tmp_path / "b", "--baseline", str(report), org="org-b")
    assert result.exit_code == 2 and "'org-a'" in result.stderr and "'org-b'" in result.stderr
