"""Unknown is not non-compliant: a rule reading a field the inventory did not record is not
assessed (its own status in every format, with the fields that would let it run), never a
finding and never a pass; the assessment says how much of each gate could be assessed. A rule
that applied to no subject says so in every format too."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from engine.assess import coverage
from engine.inputs.schemas import load_schema
from engine.report.render import RENDERERS
from tests.helpers import HAS_DURABLE, ROOT, cli, inventory, policy_set, rule

FIXTURES = ROOT / "tests" / "fixtures" / "recorded"
NO_OWNERS = FIXTURES / "accounts.yaml"
WITH_OWNERS = FIXTURES / "accounts-with-owners.yaml"
OWNER_RULES = ("BND-ACC-001", "BEL-TRN-001")  # they read accounts.owner, and nothing else unrecorded


def _check(tmp_path: Path, path: Path, engine: str = "native") -> dict:
    out = tmp_path / f"{path.stem}-{engine}.json"
    args = ["check", str(path), "--as-of", "2026-10-01", "--engine", engine, "--fail-on", "never"]
    result = cli(*args, "--format", "json", "-o", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    jsonschema.Draft202012Validator(load_schema("report")).validate(data)
    return data


ENGINES = ["native", pytest.param("durable", marks=pytest.mark.skipif(not HAS_DURABLE, reason="no durable-rules"))]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_list_that_records_no_owners_gives_no_owner_findings_but_not_assessed_entries(
    tmp_path: Path, engine: str
) -> None:
    data = _check(tmp_path, NO_OWNERS, engine)
    rules = {r["id"]: r for r in data["rules"]}
    for rule_id in OWNER_RULES:
        assert rules[rule_id]["status"] == "not_assessed"
        assert rules[rule_id]["missing"] == ["accounts.owner"]
        assert rules[rule_id]["applied"] == 0 and rules[rule_id]["failed"] == 0
    assert not [f for f in data["findings"] if f["rule_id"] in OWNER_RULES]
    account_rules = {f["rule_id"] for f in data["findings"] if f["subject"]["kind"] == "account"}
    assert not account_rules & {r for r, v in rules.items() if v["status"] == "not_assessed"}
    assert data["summary"]["not_assessed"] == sum(1 for r in rules.values() if r["status"] == "not_assessed") > 0
    cov = data["assessment"]["coverage"]
    assert cov["complete"] is False and 0 < cov["ratio"] < 1
    first = cov["stages"][0]
    assert "BND-ACC-001" in first["not_assessed"] and first["unassessed_checks"] >= 3  # 3 accounts
    # not counted as a pass either: a rule not assessed blocks nothing and passes nothing
    for gate in data["assessment"]["organisation"]["gates"]:
        assert not set(gate["blocking_rules"]) & set(rules_not_assessed(data))


def rules_not_assessed(data: dict) -> list[str]:
    return [r["id"] for r in data["rules"] if r["status"] == "not_assessed"]


@pytest.mark.parametrize("engine", ENGINES)
def test_the_same_list_with_owners_recorded_gives_exactly_the_missing_owner(tmp_path: Path, engine: str) -> None:
    data = _check(tmp_path, WITH_OWNERS, engine)
    owners = [(f["rule_id"], f["subject"]["id"]) for f in data["findings"] if f["rule_id"] == "BND-ACC-001"]
    assert owners == [("BND-ACC-001", "a2")]  # recorded but empty for one account: a finding
    rules = {r["id"]: r for r in data["rules"]}
    assert rules["BND-ACC-001"]["status"] == "assessed" and rules["BND-ACC-001"]["applied"] == 3
    assert rules["BND-ACC-002"]["missing"] == ["accounts.backup_owner"]  # owner is there now


def test_an_inventory_without_recorded_assesses_everything(tmp_path: Path) -> None:
    data = _check(tmp_path, ROOT / "examples" / "automotive")
    assert data["summary"]["not_assessed"] == 0
    assert data["assessment"]["coverage"]["complete"] is True


def test_when_reads_unrecorded_fields_as_missing_and_require_makes_a_rule_not_assessed() -> None:
    policies = policy_set(
        rule("account", {"field": "owner", "exists": True}, {"not": {"field": "status", "equals": "retired"}}),
        rule("account", {"field": "platform", "exists": True}, {"field": "mfa", "equals": True}, id="T-002"),
        rule(
            "department",
            {
                "related": {
                    "collection": "accounts",
                    "on": {"department": "id"},
                    "where": {"field": "mfa", "equals": True},
                }
            },
            id="T-003",
        ),
    )
    inv = inventory(
        {
            "recorded": {"accounts": ["id", "platform", "department"]},
            "departments": [{"id": "d", "name": "D"}],
            "accounts": [{"id": "a", "platform": "x", "department": "d"}],
        }
    )
    skipped = coverage.unassessed(policies, inv)
    assert skipped == {"T-001": ("accounts.owner",), "T-003": ("accounts.mfa",)}  # T-002 reads mfa in 'when' only
    assert coverage.reads(policies.rules[2].require, "department") == {
        ("accounts", "department"),
        ("accounts", "mfa"),
        ("departments", "id"),
    }


@pytest.fixture(scope="module")
def no_owners_report():  # type: ignore[no-untyped-def]
    from engine import pipeline

    options = pipeline.CheckOptions((str(NO_OWNERS),), as_of=dt.date(2026, 10, 1))
    return pipeline.run_check(options)


def test_text_lists_not_assessed_and_not_applicable_rules_and_the_coverage(no_owners_report) -> None:  # type: ignore[no-untyped-def]
    text = RENDERERS["text"](no_owners_report)
    assert "Coverage: " in text and "of the checks could be assessed" in text
    assert "(assessed on " in text  # on the ladder, per gate
    section = text.split("NOT ASSESSED (")[1]
    assert (
        "BND-ACC-001 account: Every live account has a named owner\n    the inventory does not record accounts.owner"
        in section
    )
    idle = text.split("APPLIED TO NO SUBJECT (")[1]
    assert "BND-TOL-001 tool: Every tool has a named owner" in idle


def test_markdown_and_html_say_so(no_owners_report) -> None:  # type: ignore[no-untyped-def]
    markdown = RENDERERS["markdown"](no_owners_report)
    assert "## Not assessed (" in markdown and "the inventory does not record accounts.owner" in markdown
    assert "## Applied to no subject (" in markdown and "`BND-TOL-001`" in markdown
    html = RENDERERS["html"](no_owners_report)
    assert 'id="not-assessed"' in html and "<code>BND-ACC-001</code>" in html
    assert 'id="not-applicable"' in html and 'id="coverage"' in html


def test_sarif_notes_them_on_the_run_never_as_results(no_owners_report) -> None:  # type: ignore[no-untyped-def]
    sarif = json.loads(RENDERERS["sarif"](no_owners_report))
    run = sarif["runs"][0]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    by_rule = {n["associatedRule"]["id"]: n for n in notes}
    assert by_rule["BND-ACC-001"]["descriptor"]["id"] == "smgov/not-assessed"
    assert by_rule["BND-ACC-001"]["properties"]["missing"] == ["accounts.owner"]
    assert by_rule["BND-TOL-001"]["descriptor"]["id"] == "smgov/not-applicable"
    assert not [r for r in run["results"] if r["ruleId"] in by_rule]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["BND-ACC-001"]["properties"]["status"] == "not_assessed"
    schema = json.loads((ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(sarif)


def test_junit_skips_them_with_the_reason(no_owners_report) -> None:  # type: ignore[no-untyped-def]
    root = ET.fromstring(RENDERERS["junit"](no_owners_report))
    skipped = {c.get("name", "").split(":")[0]: c.find("skipped") for c in root.iter("testcase")}
    assert skipped["BND-ACC-001"].get("message") == "not assessed: the inventory does not record accounts.owner"
    assert skipped["BND-TOL-001"].get("message", "").startswith("applied to no subject")


def test_csv_has_a_row_per_rule_with_its_status(no_owners_report) -> None:  # type: ignore[no-untyped-def]
    rows = list(csv.DictReader(io.StringIO(RENDERERS["csv"](no_owners_report))))
    status = {r["rule_id"]: r["status"] for r in rows if r["status"] != "finding"}
    assert status["BND-ACC-001"] == "not_assessed" and status["BND-TOL-001"] == "not_applicable"
    assert all(r["status"] == "finding" for r in rows if r["fingerprint"])


def test_a_policy_test_case_that_records_no_owners_expects_no_owner_finding(tmp_path: Path) -> None:
    from engine.authoring import policytest
    from engine.pipeline import default_policies, evaluator
    from engine.policy import policies
    from tests.helpers import write

    baseline = policies.load(default_policies())
    case = {
        "name": "a list without owners: the owner rule is not assessed",
        "rules": ["BND-ACC-001"],
        "inventory": {"recorded": {"accounts": ["id", "platform"]}, "accounts": [{"id": "a", "platform": "x"}]},
        "expect": [],
    }
    with_owner = {**case, "inventory": {**case["inventory"], "recorded": {"accounts": ["id", "platform", "owner"]}}}
    engines = [("native", evaluator("native"))]
    for raw, unexpected in ((case, ()), (with_owner, (("BND-ACC-001", "a"),))):
        path = write(tmp_path / "owners.test.yaml", {"version": 1, "as_of": "2026-10-01", "cases": [raw]})
        loaded = policytest.load_cases([path], baseline, dt.date(2026, 10, 1))
        assert policytest.run_case(baseline, loaded[0], engines).unexpected == unexpected
