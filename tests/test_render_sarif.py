"""SARIF 2.1.0: valid against the official schema (vendored in tests/schemas/), rules listed
once with their metadata, levels from severity, locations with lines, fingerprints that
survive moved lines, suppressions for waived findings."""

from __future__ import annotations

import dataclasses
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from engine import pipeline
from engine.evaluate import findings as findings_module
from engine.report.model import Report
from engine.report.render import sarif
from tests.helpers import ROOT
from tests.render_fixture import automotive_report, fixture_report

SCHEMA = ROOT / "tests" / "schemas" / "sarif-schema-2.1.0.json"


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _valid(data: dict[str, Any]) -> None:
    errors = sorted(_validator().iter_errors(data), key=str)
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:10])


@pytest.mark.parametrize("which", ["fixture", "automotive"])
def test_sarif_validates_against_the_official_schema(which: str) -> None:
    report = fixture_report() if which == "fixture" else automotive_report()
    _valid(json.loads(sarif.render(report)))


def test_rules_are_listed_once_with_metadata() -> None:
    report = automotive_report()
    run = json.loads(sarif.render(report))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) == len(report.rules)
    for rule in rules:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"].startswith("How to fix: ") and len(rule["help"]["text"]) > len("How to fix: ")
        assert {"lever", "stage", "severity"} <= set(rule["properties"])
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_level_follows_severity_not_always_error() -> None:
    run = json.loads(sarif.render(fixture_report()))["runs"][0]
    by_severity = {r["properties"]["severity"]: r["level"] for r in run["results"]}
    assert by_severity == {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def test_results_point_at_the_inventory_line() -> None:
    report = fixture_report()
    run = json.loads(sarif.render(report))["runs"][0]
    for finding, result in zip(report.findings, run["results"], strict=True):
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "tests/fixtures/render/inventory.yaml"
        assert location["region"]["startLine"] == finding.location.line >= 1
        assert result["partialFingerprints"][sarif.FINGERPRINT_KEY] == finding.fingerprint


def _check(directory: Path) -> Report:
    return pipeline.run_check(
        pipeline.CheckOptions(
            inventory=(str(directory / "inventory.yaml"),),
            policies=(str(ROOT / "tests/fixtures/render/policies"),),
        )
    )


def test_fingerprints_survive_moved_lines(tmp_path: Path) -> None:
    original = (ROOT / "tests/fixtures/render/inventory.yaml").read_text(encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "inventory.yaml").write_text(original, encoding="utf-8")
    (tmp_path / "b" / "inventory.yaml").write_text("# moved\n" * 7 + original, encoding="utf-8")
    before = json.loads(sarif.render(_check(tmp_path / "a")))["runs"][0]["results"]
    after = json.loads(sarif.render(_check(tmp_path / "b")))["runs"][0]["results"]
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in before]
    moved = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after]
    assert moved == [n + 7 for n in lines]
    assert [r["partialFingerprints"] for r in before] == [r["partialFingerprints"] for r in after]


def test_waived_findings_carry_a_suppression() -> None:
    waiver_type = getattr(findings_module, "Waiver", None)
    if waiver_type is None or "waiver" not in {f.name for f in dataclasses.fields(findings_module.Finding)}:
        pytest.skip("findings carry no waivers yet")
    report = fixture_report()
    names = {f.name for f in dataclasses.fields(waiver_type)}
    values = {
        "status": "active",
        "justification": "Accepted until the <migration> ends",
        "approved_by": "ciso",
        "expires": "2026-12-31",
        "file": "waivers.yaml",
        "line": 3,
    }
    waiver = waiver_type(**{k: v for k, v in values.items() if k in names})
    first = dataclasses.replace(report.findings[0], waiver=waiver)
    waived = dataclasses.replace(report, findings=(first, *report.findings[1:]))
    results = json.loads(sarif.render(waived))["runs"][0]["results"]
    _valid(json.loads(sarif.render(waived)))
    assert results[0]["suppressions"][0]["kind"] == "external"
    assert results[0]["suppressions"][0]["status"] == "accepted"
    assert "<migration>" in results[0]["suppressions"][0]["justification"]
    assert all("suppressions" not in r for r in results[1:])


def test_baseline_state_marks_new_and_unchanged_findings(tmp_path: Path) -> None:
    from engine.cli.app import check  # the baseline options come with issue 6

    if "baseline_file" not in {p.name for p in check.params}:
        pytest.skip("no --baseline yet")
    from tests.helpers import cli
    from tests.render_fixture import AS_OF, INVENTORY, POLICIES, at_root

    baseline = tmp_path / "baseline.json"
    out = tmp_path / "out.sarif"
    with at_root():
        common = ("check", INVENTORY, "--policies", POLICIES, "--as-of", AS_OF, "--fail-on", "never")
        assert cli(*common, "--write-baseline", str(baseline), "-o", str(tmp_path / "x.txt")).exit_code == 0
        data = json.loads(baseline.read_text(encoding="utf-8"))
        assert cli(*common, "--baseline", str(baseline), "--format", "sarif", "-o", str(out)).exit_code == 0
    results = json.loads(out.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert data and {r["baselineState"] for r in results} == {"unchanged"}
    _valid(json.loads(out.read_text(encoding="utf-8")))


def test_meets_github_code_scanning_upload_rules() -> None:
    """What GitHub's SARIF upload checks beyond the schema (docs.github.com, 'SARIF support
    for code scanning'): one run per tool and category, rules referenced by every result,
    a primary location with a repository-relative URI and a line, at most 20 tags per rule,
    and per-result fingerprints that tell results apart."""
    data = json.loads(sarif.render(automotive_report()))
    assert data["version"] == "2.1.0" and len(data["runs"]) == 1
    run = data["runs"][0]
    assert run["automationDetails"]["id"].endswith("/")
    rule_ids = {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert all(len(r["properties"]["tags"]) <= 20 for r in run["tool"]["driver"]["rules"])
    fingerprints = set()
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert result["level"] in ("error", "warning", "note")
        location = result["locations"][0]["physicalLocation"]
        uri = location["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and ".." not in uri.split("/")
        assert location["region"]["startLine"] >= 1
        fingerprints.add(result["partialFingerprints"][sarif.FINGERPRINT_KEY])
    assert len(fingerprints) == len(run["results"]), "two results share a fingerprint"


def _headings() -> set[str]:
    lines = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8").splitlines()
    return {sarif._slug(line[5:]) for line in lines if line.startswith("#### ")}


def test_code_scanning_metadata_help_uri_and_security_severity() -> None:
    """Built-in rules link their entry in docs/rules.md (an anchor that exists); the severity
    reaches GitHub as security-severity in its bands, so critical and high are told apart."""
    run = json.loads(sarif.render(automotive_report()))["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["informationUri"].startswith("https://")
    bands = {"critical": (9.0, 10.0), "high": (7.0, 8.9), "medium": (4.0, 6.9), "low": (0.1, 3.9)}
    headings = _headings()
    for rule in driver["rules"]:
        severity = rule["properties"]["severity"]
        low, high = bands.get(severity, (0.0, 0.0))
        assert low <= float(rule["properties"]["security-severity"]) <= high, rule["id"]
        assert ("security" in rule["properties"]["tags"]) == (severity != "info")
        uri, _, anchor = rule["helpUri"].partition("#")
        assert uri.endswith("docs/rules.md") and anchor in headings, rule["id"]
    levels = {r["properties"]["severity"]: r["defaultConfiguration"]["level"] for r in driver["rules"]}
    assert levels.get("medium", "warning") == "warning" and levels.get("low", "note") == "note"
    assert {levels.get("critical", "error"), levels.get("high", "error")} == {"error"}


def test_a_packs_own_rule_has_no_help_uri(tmp_path: Path) -> None:
    rule = dataclasses.replace(automotive_report().rules[0], file=str(tmp_path / "my-pack" / "rules.yaml"))
    assert "helpUri" not in sarif._rule(rule, "fix")


def test_uris_are_relative_to_srcroot_wherever_the_check_ran(tmp_path: Path) -> None:
    report = automotive_report()
    inventory = report.findings[0].location.file
    absolute = str((ROOT / inventory).resolve()) if not Path(inventory).is_absolute() else inventory
    expected = str(Path(absolute).relative_to(ROOT))
    for cwd in (str(ROOT), str(ROOT / "examples"), str(tmp_path)):
        moved = dataclasses.replace(
            report,
            findings=tuple(
                dataclasses.replace(f, location=dataclasses.replace(f.location, file=_relative(absolute, cwd)))
                for f in report.findings
            ),
        )
        data = json.loads(sarif.render(moved, root=str(ROOT), cwd=cwd))
        _valid(data)
        run = data["runs"][0]
        assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": f"file://{ROOT.as_posix()}/"}}
        location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location == {"uri": expected, "uriBaseId": "%SRCROOT%"}, cwd


def _relative(path: str, cwd: str) -> str:
    import os

    return os.path.relpath(path, cwd)


def test_check_defaults_sarif_root_to_the_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.helpers import cli

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "org").mkdir()
    (repo / "org" / "inventory.yaml").write_text((ROOT / "examples" / "telecom" / "inventory.yaml").read_text())
    monkeypatch.chdir(repo / "org")
    out = cli("check", "inventory.yaml", "--as-of", "2026-10-01", "--format", "sarif", "-q")
    run = json.loads(out.stdout)["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == f"file://{repo.resolve().as_posix()}/"
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "org/inventory.yaml"
    other = tmp_path / "elsewhere"
    other.mkdir()
    given = cli(
        "check", "inventory.yaml", "--as-of", "2026-10-01", "--format", "sarif", "-q", "--sarif-root", str(other)
    )
    location = json.loads(given.stdout)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].startswith("file://")  # outside --sarif-root: absolute
