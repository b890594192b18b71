"""JUnit XML: valid against the Jenkins xunit junit-10.xsd (vendored in tests/schemas/), a
suite per lever, a test case per rule, a failure per failing rule listing its subjects."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from engine.report.render import junit
from engine.vocabulary import LEVERS
from tests.helpers import ROOT
from tests.render_fixture import automotive_report, fixture_report

XSD = ROOT / "tests" / "schemas" / "junit-10.xsd"


@pytest.mark.parametrize("which", ["fixture", "automotive"])
def test_junit_validates_against_the_jenkins_xsd(which: str) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    report = fixture_report() if which == "fixture" else automotive_report()
    xmlschema.XMLSchema(str(XSD)).validate(junit.render(report))


@pytest.mark.parametrize("which", ["fixture", "automotive"])
def test_a_suite_per_lever_a_case_per_rule_a_failure_per_failing_rule(which: str) -> None:
    report = fixture_report() if which == "fixture" else automotive_report()
    root = ET.fromstring(junit.render(report))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == list(LEVERS)
    failing_subjects = Counter(f.rule_id for f in report.findings)
    total_tests = total_failures = 0
    for suite in suites:
        lever = suite.get("name")
        rules = [r for r in report.rules if r.lever == lever]
        cases = suite.findall("testcase")
        assert [c.get("name", "").split(":")[0] for c in cases] == [r.id for r in rules]
        assert suite.get("tests") == str(len(cases))
        failures = [c for c in cases if c.find("failure") is not None]
        assert suite.get("failures") == str(len(failures))
        assert suite.get("skipped") == str(sum(1 for c in cases if c.find("skipped") is not None))
        assert suite.get("errors") == "0"
        for case, rule in zip(cases, rules, strict=True):
            failure = case.find("failure")
            assert (failure is not None) == (failing_subjects[rule.id] > 0), rule.id
            if failure is not None:
                assert failure.get("type") == rule.severity
                listed = [line for line in (failure.text or "").splitlines() if line.startswith(rule.scope + " ")]
                assert len(listed) == failing_subjects[rule.id]
                ids = {f.subject_id for f in report.findings if f.rule_id == rule.id}
                assert {line.split(" ")[1] for line in listed} == ids
            if rule.applied == 0:
                assert case.find("skipped") is not None
        total_tests += len(cases)
        total_failures += len(failures)
    assert root.get("tests") == str(total_tests) == str(len(report.rules))
    assert root.get("failures") == str(total_failures)


def test_failure_text_says_where_and_how_to_fix() -> None:
    root = ET.fromstring(junit.render(fixture_report()))
    case = next(c for c in root.iter("testcase") if c.get("name", "").startswith("BND-ACC-001"))
    text = case.findtext("failure") or ""
    assert "account a2 (tests/fixtures/render/inventory.yaml:" in text
    assert "How to fix: Name an owner for the account." in text
