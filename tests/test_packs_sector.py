"""The sector and regulatory packs (policies/public-sector-us, higher-education,
financial-services, endorsements-and-privacy): tested to 100% coverage on both evaluators,
every rule citing a source and naming a framework, combinable with the baseline, documented
in docs/packs/ (kept current), and shown with framework and citation in every report."""

from __future__ import annotations

import json
import re

import pytest

from engine.policy import policies
from tests.helpers import ROOT, cli

PACKS = ("public-sector-us", "higher-education", "financial-services", "endorsements-and-privacy")
PREFIX = {"public-sector-us": "USG-", "higher-education": "HED-", "financial-services": "FIN-"}
CITATION = re.compile(r"https?://\S+|\b(CFR|ECLI|OMB M-\d|NARA Bulletin)\b")


def own_rules(pack: str) -> list:
    loaded = policies.load([ROOT / "policies" / pack])
    origins = dict(loaded.origins)
    return [r for r in loaded.rules if origins[r.id].pack == pack]


@pytest.mark.parametrize("pack", PACKS)
def test_every_rule_of_the_pack_has_a_passing_and_a_failing_case_on_both_evaluators(pack: str) -> None:
    result = cli("policy", "test", str(ROOT / "policies" / pack), "--engine", "all", "--min-coverage", "100")
    assert result.exit_code == 0, result.output
    assert "0 failed (native and durable evaluator)" in result.output


@pytest.mark.parametrize("pack", PACKS)
def test_every_rule_cites_a_source_and_names_a_framework(pack: str) -> None:
    rules = own_rules(pack)
    assert len(rules) >= 7
    for rule in rules:
        assert rule.frameworks, rule.id
        assert all(CITATION.search(ref) for ref in rule.references), (rule.id, rule.references)
        assert any("http" in ref for ref in rule.references), rule.id


@pytest.mark.parametrize("pack", PACKS)
def test_pack_docs_are_current(pack: str) -> None:
    result = cli("policy", "docs", str(ROOT / "policies" / pack), "--own")
    assert result.exit_code == 0, result.output
    committed = (ROOT / "docs" / "packs" / f"{pack}.md").read_text(encoding="utf-8")
    assert result.output == committed, f"docs/packs/{pack}.md is stale: run make docs"
    assert "BND-ACC-001" not in committed  # --own: the baseline's rules are in docs/rules.md
    assert all(f"#### {r.id}:" in committed for r in own_rules(pack))


@pytest.mark.parametrize("pack", PACKS)
def test_pack_combines_with_the_baseline_given_twice(pack: str) -> None:
    alone = policies.load([ROOT / "policies" / pack])
    both = policies.load([ROOT / "policies" / "baseline", ROOT / "policies" / pack])
    baseline = policies.load([ROOT / "policies" / "baseline"])
    assert [r.id for r in both.rules] == [r.id for r in alone.rules]
    assert len(alone.rules) == len(baseline.rules) + len(own_rules(pack))


def test_all_four_packs_load_together() -> None:
    loaded = policies.load([ROOT / "policies" / p for p in PACKS])
    assert {p.name for p in loaded.packs} == {"baseline", *PACKS}


def test_rules_apply_only_to_regulated_accounts_and_people() -> None:
    for rule in own_rules("financial-services"):
        assert "regulated" in json.dumps(repr(rule.when)), rule.id


def test_rules_framework_lists_one_framework_and_whether_each_passed() -> None:
    pack = str(ROOT / "policies" / "financial-services")
    listed = cli("rules", "--policies", pack, "--framework", "finra rule 2210", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert {r["id"] for r in json.loads(listed.output)} == {"FIN-STA-001", "FIN-INT-001"}
    result = cli(
        "rules", "--policies", pack, "--framework", "SEC", "--inventory", str(ROOT / "examples" / "packs" / "bank"),
        "--as-of", "2026-10-01", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {r["id"]: (r["status"], r["findings"]) for r in json.loads(result.output)}
    assert rows == {"FIN-REC-001": ("failed", 1), "FIN-OFF-001": ("failed", 1)}
    bank = str(ROOT / "examples" / "packs" / "bank")
    text = cli("rules", "--policies", pack, "--framework", "FINRA", "--inventory", bank, "--as-of", "2026-10-01")
    assert "FINRA: 7 requirements in Harbor Point Securities LLC as of 2026-10-01" in text.output
    assert "0 passed, 7 failed, 0 not applicable" in text.output


def test_rules_framework_passed_and_not_applicable() -> None:
    pack = str(ROOT / "policies" / "endorsements-and-privacy")
    finance = str(ROOT / "policies" / "financial-services")  # the bank's inventory uses its fields
    result = cli("rules", "--policies", finance, "--policies", pack, "--framework", "GDPR", "--inventory",
                 str(ROOT / "examples" / "packs" / "bank"), "--as-of", "2026-10-01", "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r["status"] for r in json.loads(result.output)}
    # the bank's pages declare no platform insights (not applicable) and link no privacy notice
    assert rows == {"PRV-JC-001": "not applicable", "PRV-JC-002": "failed"}
    lumen = str(ROOT / "examples" / "packs" / "endorsements")
    clean = cli("rules", "--policies", pack, "--framework", "WCAG", "--inventory", lumen,
                "--as-of", "2026-10-01", "--format", "json")  # fmt: skip
    statuses = {r["id"]: r["status"] for r in json.loads(clean.output)}
    assert statuses == {"A11Y-POST-001": "passed", "A11Y-POST-002": "failed"}


def test_rules_framework_unknown_is_a_usage_error_naming_the_known_ones() -> None:
    result = cli("rules", "--policies", str(ROOT / "policies" / "financial-services"), "--framework", "HIPAA")
    assert result.exit_code == 2
    assert "HIPAA" in result.output and "FINRA Rule 2210" in result.output


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "sarif", "json"])
def test_reports_show_framework_and_citation(fmt: str) -> None:
    result = cli(
        "check", str(ROOT / "examples" / "packs" / "bank"), "--policies", str(ROOT / "policies" / "financial-services"),
        "--as-of", "2026-10-01", "--fail-on", "never", "--format", fmt,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    out = result.output
    assert "FINRA Rule 2210" in out
    assert "https://www.finra.org/rules-guidance/rulebooks/finra-rules/2210" in out
    if fmt == "sarif":
        rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
        sta = next(r for r in rules if r["id"] == "FIN-STA-001")
        assert sta["properties"]["frameworks"][0] == "FINRA Rule 2210"
        assert "frameworks" not in next(r for r in rules if r["id"] == "BND-ACC-001")["properties"]
    if fmt == "json":
        data = json.loads(out)
        sta = next(f for f in data["findings"] if f["rule_id"] == "FIN-STA-001")
        assert sta["frameworks"][0] == "FINRA Rule 2210"
        assert "frameworks" not in next(f for f in data["findings"] if f["rule_id"].startswith("BEL-"))


def test_rules_framework_says_not_assessed_when_the_inventory_did_not_record_the_fields(tmp_path) -> None:
    import yaml

    data = yaml.safe_load((ROOT / "examples" / "packs" / "bank" / "inventory.yaml").read_text(encoding="utf-8"))
    data["recorded"] = {"accounts": ["id", "platform", "handle", "regulated", "status", "created_on", "archived"]}
    (tmp_path / "inventory.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    pack = str(ROOT / "policies" / "financial-services")
    result = cli("rules", "--policies", pack, "--framework", "FINRA Rule 2210", "--inventory", str(tmp_path),
                 "--as-of", "2026-10-01")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "not assessed" in result.output and "0 passed, 0 failed, 0 not applicable, 2 not assessed" in result.output


def test_rules_framework_names_the_bundled_pack_that_implements_it() -> None:
    result = cli("rules", "--framework", "FINRA Rule 3110")  # the default policies: the baseline only
    assert result.exit_code == 2
    assert "--policies policies/financial-services would load rules that do" in result.output
    assert "public-sector-us" not in result.output


def test_rules_json_with_and_without_framework_matches_the_rules_schema() -> None:
    import jsonschema

    from engine.inputs.schemas import load_schema

    pack = str(ROOT / "policies" / "financial-services")
    bank = str(ROOT / "examples" / "packs" / "bank")
    schema = load_schema("rules")
    listed = json.loads(cli("rules", "--policies", pack, "--format", "json").output)
    jsonschema.Draft202012Validator(schema).validate(listed)
    assert next(r for r in listed if r["id"] == "FIN-INT-001")["frameworks"][0] == "FINRA Rule 2210"
    assert "frameworks" not in next(r for r in listed if r["id"] == "BND-ACC-001")
    view = cli("rules", "--policies", pack, "--framework", "FINRA", "--inventory", bank, "--as-of", "2026-10-01",
               "--format", "json")  # fmt: skip
    jsonschema.Draft202012Validator(schema).validate(json.loads(view.output))


@pytest.mark.parametrize("pack", PACKS)
def test_the_pack_readme_lists_every_rule_and_links_its_example(pack: str) -> None:
    readme = (ROOT / "policies" / pack / "README.md").read_text(encoding="utf-8")
    for rule in own_rules(pack):
        assert f"| {rule.id} |" in readme, rule.id
    example = re.search(r"\(\.\./\.\./(examples/packs/[\w-]+)/README\.md\)", readme)
    assert example and (ROOT / example.group(1) / "inventory.yaml").is_file()
