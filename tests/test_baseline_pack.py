"""The built-in baseline pack: its test cases (data beside the rules) and its coverage."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from engine import pipeline
from engine.authoring import policytest
from engine.inputs import schemas
from engine.inputs.diagnostics import Diagnostic
from engine.inputs.sources import read
from engine.policy import policies
from engine.vocabulary import LEVERS
from tests.helpers import ROOT, all_engines_agree, failing_ids

PACK = ROOT / "policies" / "baseline"
STAGES = ("initialisation", "contagion", "control", "integration")
DEFAULT_AS_OF = dt.date(2026, 10, 1)


def _case_files() -> list[Path]:
    return sorted((PACK / "tests").glob("*.yaml"))


def _cases() -> list:
    out = []
    for path in _case_files():
        source = read(path)
        assert not isinstance(source, Diagnostic), source.format()
        for number, case in enumerate(source.data["cases"]):
            out.append(pytest.param(case, id=f"{path.stem}[{number}] {case['name']}"))
    return out


def _loaded_cases() -> list:
    """The cases as `smgov policy test` loads them (file-level as_of, inventory checked)."""
    pack = policies.load([PACK])
    cases = policytest.load_cases(policytest.case_files(pack), pack, DEFAULT_AS_OF)
    return [pytest.param(c, id=f"{Path(c.file).stem}[{c.index}] {c.name}") for c in cases]


@pytest.fixture(scope="module")
def pack() -> policies.PolicySet:
    return policies.load([PACK])


def test_case_files_match_their_schema() -> None:
    assert _case_files(), "the baseline pack has no test cases"
    for path in _case_files():
        source = read(path)
        assert not isinstance(source, Diagnostic)
        assert schemas.problems("policy-tests", source) == []


@pytest.mark.parametrize("case", _loaded_cases())
def test_case(pack: policies.PolicySet, case: policytest.Case) -> None:
    """Every case through the reference interpreter and both evaluators, which must agree,
    and through `smgov policy test`'s runner."""
    subset = policytest.subset(pack, case.rules)
    results = all_engines_agree(subset, case.inventory, case.as_of)
    actual = sorted(
        (rule, subject)
        for rule, subjects in failing_ids(subset, case.inventory, results).items()
        for subject in subjects
    )
    expected = sorted(case.expect)
    assert actual == expected, f"expected {expected}\n  actual {actual}"
    outcome = policytest.run_case(pack, case, [("native", pipeline.evaluator("native"))])
    assert outcome.passed and list(outcome.actual) == actual


def test_every_rule_has_a_passing_and_a_failing_case(pack: policies.PolicySet) -> None:
    passing: set[str] = set()
    failing: set[str] = set()
    for param in _cases():
        case = param.values[0]
        fails = {e["rule"] for e in case["expect"]}
        failing |= fails
        passing |= set(case["rules"]) - fails
    ids = {r.id for r in pack.rules}
    assert sorted(ids - passing) == [], "rules without a passing case"
    assert sorted(ids - failing) == [], "rules without a failing case"


def test_every_rule_has_references_and_remediation(pack: policies.PolicySet) -> None:
    sources = {"MIP-2015", "Altimeter-2013", "MITSMR-Deloitte", "Hinchcliffe-2012", "Dent"}
    laws = {"GDPR-Art28", "FINRA-4511", "SEC-17a-4"}  # where the sources are silent and the law speaks
    for rule in pack.rules:
        assert rule.references and set(rule.references) <= sources | laws | {"compliance-practice"}, rule.id
        # a legal duty cites the law, and a rule citing only the law is a legal duty
        assert ("legal-duty" in rule.tags) == bool(set(rule.references) & laws), rule.id
        assert rule.remediation.strip(), rule.id
        assert len(rule.description) > 40, rule.id


def test_grid_has_three_rules_per_lever_and_stage(pack: policies.PolicySet) -> None:
    grid = Counter((r.lever, r.stage) for r in pack.rules)
    thin = {(lever, stage): grid[(lever, stage)] for lever in LEVERS for stage in STAGES if grid[(lever, stage)] < 3}
    assert thin == {}
    assert len(pack.rules) >= 48


def test_files_are_one_per_lever_ordered_by_stage(pack: policies.PolicySet) -> None:
    # (secrets.yaml: the boundary rules on credentials in the inventory, issue 15)
    for rule in pack.rules:
        assert Path(rule.file).stem == rule.lever or (Path(rule.file).stem, rule.lever) == ("secrets", "boundary")
    for file in {r.file for r in pack.rules}:
        stages = [STAGES.index(r.stage) for r in pack.rules if r.file == file]
        assert stages == sorted(stages), f"{file} is not ordered by stage"
