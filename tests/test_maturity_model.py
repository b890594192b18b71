"""The baseline's stages measure what defines them (issue 17), on small firms built for the
purpose and on the bundled examples: a one-person initialisation firm, a hygiene lapse, a
one-department firm, clean accounts added, and the gates' requirements as data."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import pipeline
from engine.inputs.diagnostics import InputError
from engine.policy import policies
from tests.helpers import ROOT

AS_OF = dt.date(2026, 10, 1)


def check(tmp_path: Path, data: dict[str, Any], engine: str = "native", name: str = "inventory.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return pipeline.run_check(pipeline.CheckOptions(inventory=(str(path),), as_of=AS_OF, engine=engine))


def one_page_firm() -> dict[str, Any]:
    """MIP-2015's initialisation: one page, one person who collects and distributes
    everything, MFA on, credentials in the company vault. Nothing else."""
    return {
        "organisation": {"id": "org-bakery", "name": "Forno Rossi", "size": "micro"},
        "departments": [{"id": "dep-shop", "name": "Shop", "uses_social_media": True, "social_media_uses": ["orders"]}],
        "accounts": [
            {
                "id": "acc-page",
                "platform": "facebook",
                "handle": "FornoRossi",
                "department": "dep-shop",
                "owner": "Anna Rossi",
                "admins": ["anna@fornorossi.example"],
                "credential_custody": "password_manager",
                "mfa": True,
                "status": "active",
                "kind": "brand",
                "official": True,
                "spokesperson_approved": True,
                "purpose": "Take orders and answer customers",
            }
        ],
    }


@pytest.mark.parametrize("engine", ["native", "durable"])
def test_the_one_person_initialisation_firm_reaches_initialisation(tmp_path: Path, engine: str) -> None:
    report = check(tmp_path, one_page_firm(), engine)
    a = report.assessment
    assert a.organisation.stage == "initialisation"
    found = {f.rule_id for f in report.findings}
    # its single admin and its lack of a backup owner are findings of a later stage, not blockers
    assert {"BND-ACC-002", "BND-ACC-003"} <= found
    assert a.organisation.gates[0].blocking_failed == ()


def test_a_page_without_purpose_or_vault_is_no_presence(tmp_path: Path) -> None:
    data = one_page_firm()
    del data["accounts"][0]["purpose"]
    data["accounts"][0]["credential_custody"] = "personal"
    report = check(tmp_path, data)
    assert report.assessment.organisation.stage == "none"
    assert report.assessment.organisation.gates[0].blocking_failed == ("BEL-PRS-001",)


def test_one_account_without_mfa_is_a_finding_not_a_fall(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "examples" / "energy" / "inventory.yaml").read_text(encoding="utf-8"))
    before = check(tmp_path, data, name="before.yaml")
    live = next(a for a in data["accounts"] if a.get("status") != "retired" and a.get("mfa") is True)
    live["mfa"] = False
    after = check(tmp_path, data)
    assert ("BND-ACC-005", live["id"]) in {(f.rule_id, f.subject_id) for f in after.findings}
    mfa = next(f for f in after.findings if f.rule_id == "BND-ACC-005")
    assert mfa.severity == "high"
    assert before.assessment.organisation.stage == "integration"
    assert after.assessment.organisation.stage == "integration"


def test_the_one_person_firm_without_mfa_stays_at_initialisation(tmp_path: Path) -> None:
    data = one_page_firm()
    data["accounts"][0]["mfa"] = False
    report = check(tmp_path, data)
    assert report.assessment.organisation.stage == "initialisation"
    assert "BND-ACC-005" in {f.rule_id for f in report.findings}


def test_a_one_department_firm_does_not_reach_control(tmp_path: Path) -> None:
    """The energy example, every department but one stripped of social media: however well
    that department runs it, one department is not 'several departments' (MIP-2015)."""
    data = yaml.safe_load((ROOT / "examples" / "energy" / "inventory.yaml").read_text(encoding="utf-8"))
    keep = "dep-ene-comms"
    for d in data["departments"]:
        if d["id"] != keep:
            d["uses_social_media"] = False
            d.pop("social_media_uses", None)
            d["adoption"] = "none"
    report = check(tmp_path, data)
    a = report.assessment
    assert a.ladder.rank(a.organisation.stage) < a.ladder.rank("control")
    control = next(g for g in a.organisation.gates if g.stage == "control")
    assert "INT-BRD-001" in control.blocking_failed


def _clean_copies(data: dict[str, Any], n: int) -> dict[str, Any]:
    """``data`` with ``n`` more accounts, each a copy of an account that fails nothing."""
    out = copy.deepcopy(data)
    template = next(a for a in out["accounts"] if a["id"] == "acc-page")
    for i in range(n):
        extra = copy.deepcopy(template)
        extra["id"] = f"acc-extra-{i}"
        extra["handle"] = f"extra{i}"
        extra["backup_owner"] = "Marco Bianchi"
        extra["admins"] = ["anna@fornorossi.example", "marco@fornorossi.example"]
        out["accounts"].append(extra)
    return out


@pytest.mark.parametrize("added", [1, 10, 40])
@pytest.mark.parametrize("example", ["telecom", "automotive", "energy"])
def test_adding_clean_subjects_moves_no_gate(tmp_path: Path, example: str, added: int) -> None:
    """A gate weighs rules, not subject checks: accounts that fail nothing change no gate's
    pass ratio, no defining rule and no stage (Dent's "provide and pray" is not rewarded)."""
    data = yaml.safe_load((ROOT / "examples" / example / "inventory.yaml").read_text(encoding="utf-8"))
    before = check(tmp_path, data, name="before.yaml")
    clean = next(
        a["id"]
        for a in data["accounts"]
        if not any(f.subject_id == a["id"] for f in before.findings) and a.get("status") != "retired"
    )
    grown = copy.deepcopy(data)
    template = next(a for a in grown["accounts"] if a["id"] == clean)
    for i in range(added):
        extra = copy.deepcopy(template)
        extra["id"] = f"{clean}-copy-{i}"
        extra["handle"] = f"copy{i}{template.get('handle', '')}"  # a distinct account, not a duplicate
        extra.pop("url", None)
        grown["accounts"].append(extra)
    after = check(tmp_path, grown, name="after.yaml")
    assert len(after.findings) == len(before.findings)
    for b, a in zip(before.assessment.organisation.gates, after.assessment.organisation.gates, strict=True):
        assert (b.passed, b.pass_ratio, b.weight, b.passed_weight, b.blocking_failed) == (
            a.passed,
            a.pass_ratio,
            a.weight,
            a.passed_weight,
            a.blocking_failed,
        )
        assert a.checks >= b.checks  # the subject checks grew; the gate did not move
    assert before.assessment.organisation.stage == after.assessment.organisation.stage
    assert [lv.weighted_pass_ratio for lv in before.assessment.levers] == [
        lv.weighted_pass_ratio for lv in after.assessment.levers
    ]


def test_the_one_page_firm_is_unmoved_by_clean_pages(tmp_path: Path) -> None:
    base = check(tmp_path, one_page_firm(), name="one.yaml")
    grown = check(tmp_path, _clean_copies(one_page_firm(), 10), name="eleven.yaml")
    assert base.assessment.organisation.stage == grown.assessment.organisation.stage == "initialisation"


def test_every_stage_of_the_baseline_is_defined_by_organisation_level_rules() -> None:
    pack = policies.load([ROOT / "policies" / "baseline"])
    for stage in pack.ladder.stages:
        assert stage.gate.requires, stage.id
        for rule_id in stage.gate.requires:
            rule = pack.rule(rule_id)
            assert rule.stage == stage.id and rule.scope == "organisation", rule_id
    assert pack.ladder.stages[0].gate.blocking_severities == ()


def _pack_with_ladder(tmp_path: Path, requires: list[str]) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "pack.yaml").write_text("name: p\nversion: 1.0.0\ndescription: test pack\n", encoding="utf-8")
    (pack / "rules.yaml").write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "rules": [
                    {
                        "id": "P-001",
                        "title": "t",
                        "description": "test rule",
                        "lever": "belief",
                        "stage": "contagion",
                        "severity": "medium",
                        "scope": "organisation",
                        "require": {"field": "name", "exists": True},
                        "message": "no name",
                        "remediation": "fix",
                        "references": ["MIP-2015"],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    ladder = yaml.safe_load((ROOT / "policies" / "baseline" / "stages.yaml").read_text(encoding="utf-8"))
    for stage in ladder["stages"]:
        stage.pop("gate", None)
    ladder["stages"][0]["gate"] = {"requires": requires}
    (pack / "stages.yaml").write_text(yaml.safe_dump(ladder, sort_keys=False), encoding="utf-8")
    return pack


def test_a_required_rule_that_is_not_loaded_defines_nothing(tmp_path: Path) -> None:
    pack = policies.load([_pack_with_ladder(tmp_path, ["NOPE-001"])])
    assert pack.ladder.stages[0].gate.requires == ("NOPE-001",)
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("organisation: {name: Acme}\n", encoding="utf-8")
    report = pipeline.run_check(
        pipeline.CheckOptions(inventory=(str(inventory),), policies=(str(tmp_path / "pack"),), as_of=AS_OF)
    )
    gate = report.assessment.organisation.gates[0]
    assert gate.requires == ("NOPE-001",) and gate.blocking_rules == () and gate.passed


def test_a_ladder_requiring_a_rule_of_another_stage_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        policies.load([_pack_with_ladder(tmp_path, ["P-001"])])
    assert "which is a rule of stage contagion" in caught.value.diagnostics[0].message
