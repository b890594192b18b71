"""Packs: pack.yaml, extends, overrides (severity, disable with a reason), added rules, origins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from engine.inputs.diagnostics import InputError
from engine.inputs.schemas import load_schema
from engine.policy import policies
from tests.helpers import ROOT, cli, rule, write

BASELINE = ROOT / "policies" / "baseline"


def org_pack(tmp_path: Path, pack: dict[str, Any] | None = None, rules: list[dict[str, Any]] | None = None) -> Path:
    """An organisation's pack on top of the built-in baseline."""
    directory = tmp_path / "acme"
    meta = {"name": "acme", "version": "2.1.0", "description": "Acme's own rules on top of the baseline."}
    meta.update(
        pack
        if pack is not None
        else {
            "extends": "baseline",
            "overrides": {
                "BND-ACC-001": {"severity": "medium", "reason": "owners are tracked in the HR system"},
                "BEL-PUR-001": {"disabled": True, "reason": "purpose lives in the campaign plan"},
            },
        }
    )
    write(directory / "pack.yaml", meta)
    added = rules if rules is not None else [rule("account", {"field": "mfa", "equals": True}, id="ACME-MFA-001")]
    write(directory / "acme.yaml", {"version": 1, "rules": added})
    return directory


def test_the_baseline_pack_has_pack_metadata() -> None:
    loaded = policies.load([BASELINE])
    assert [(p.name, p.version) for p in loaded.packs] == [("baseline", "1.0.0")]
    origin = dict(loaded.origins)["BND-ACC-001"]
    assert origin.pack == "baseline" and origin.changes == ()


def test_extends_overrides_and_adds(tmp_path: Path) -> None:
    loaded = policies.load([org_pack(tmp_path)])
    by_id = {r.id: r for r in loaded.rules}
    assert [p.name for p in loaded.packs] == ["baseline", "acme"]
    assert by_id["BND-ACC-001"].severity == "medium"
    assert "BEL-PUR-001" not in by_id
    assert [(d.rule_id, d.pack, d.reason) for d in loaded.disabled] == [
        ("BEL-PUR-001", "acme", "purpose lives in the campaign plan")
    ]
    assert "ACME-MFA-001" in by_id
    assert len(loaded.rules) == len(policies.load([BASELINE]).rules)  # one disabled, one added
    origins = dict(loaded.origins)
    assert origins["ACME-MFA-001"].pack == "acme"
    assert origins["BND-ACC-001"].pack == "baseline"
    assert origins["BND-ACC-001"].changes == (
        "severity critical -> medium by acme 2.1.0: owners are tracked in the HR system",
    )


def test_giving_the_parent_too_loads_it_once(tmp_path: Path) -> None:
    loaded = policies.load([BASELINE, org_pack(tmp_path)])
    assert [p.name for p in loaded.packs] == ["baseline", "acme"]


def test_extends_a_relative_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a sibling pack in the working directory (a repository's packs)
    parent = org_pack(tmp_path / "one")
    child = tmp_path / "child"
    write(child / "pack.yaml", {"name": "child", "version": "1", "description": "d", "extends": "../one/acme"})
    write(
        child / "rules.yaml", {"version": 1, "rules": [rule("account", {"field": "owner", "exists": True}, id="CH-1")]}
    )
    loaded = policies.load([child])
    assert [p.name for p in loaded.packs] == ["baseline", "acme", "child"]
    assert parent.exists()


def test_rules_shows_origins_and_disabled_rules(tmp_path: Path) -> None:
    result = cli("rules", "--policies", str(org_pack(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "baseline*" in result.output  # a changed rule is marked
    assert "* BND-ACC-001: from baseline 1.0.0 (" in result.output
    assert "severity critical -> medium by acme 2.1.0" in result.output
    assert "disabled BEL-PUR-001 by acme" in result.output
    line = next(x for x in result.output.splitlines() if x.startswith("ACME-MFA-001"))
    assert " acme " in line
    data = json.loads(cli("rules", "--policies", str(org_pack(tmp_path)), "--format", "json").output)
    rows = {r["id"]: r for r in data}
    assert rows["BND-ACC-001"]["origin"]["pack"] == "baseline"
    assert rows["BND-ACC-001"]["origin"]["changes"] == [
        "severity critical -> medium by acme 2.1.0: owners are tracked in the HR system"
    ]
    assert rows["BEL-PUR-001"]["disabled"]["reason"] == "purpose lives in the campaign plan"
    assert "disabled" not in rows["BND-ACC-001"]


def test_check_uses_the_effective_rules(tmp_path: Path) -> None:
    result = cli(
        "check",
        str(ROOT / "examples" / "telecom"),
        "--as-of",
        "2026-10-01",
        "--policies",
        str(org_pack(tmp_path)),
        "--format",
        "json",
        "--fail-on",
        "never",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    rules = {r["id"]: r for r in report["rules"]}
    assert "BEL-PUR-001" not in rules and rules["BND-ACC-001"]["severity"] == "medium"
    assert all(f["rule_id"] != "BEL-PUR-001" for f in report["findings"])


def _problems(paths: list[Path]) -> list[str]:
    with pytest.raises(InputError) as caught:
        policies.load(paths)
    return [d.format() for d in caught.value.diagnostics]


def test_redefining_an_inherited_rule_is_a_duplicate(tmp_path: Path) -> None:
    pack = org_pack(tmp_path, rules=[rule("account", {"field": "owner", "exists": True}, id="BND-ACC-001")])
    (problem,) = _problems([pack])
    assert "duplicate rule id 'BND-ACC-001' (first defined at " in problem and "acme.yaml:" in problem


@pytest.mark.parametrize(
    ("pack", "expected"),
    [
        (
            {"extends": "baseline", "overrides": {"NOPE-001": {"severity": "low"}}},
            "pack.yaml:6:3: override of unknown rule 'NOPE-001' (no loaded pack defines it) (overrides.NOPE-001)",
        ),
        (
            {"extends": "baseline", "overrides": {"BND-ACC-001": {"disabled": True}}},
            "pack.yaml:6:3: disabling a rule needs a reason (overrides.BND-ACC-001)",
        ),
        (
            {"extends": "baseline", "overrides": {"BND-ACC-001": {"severity": "urgent"}}},
            "'urgent' is not one of: critical, high, medium, low, info (overrides.BND-ACC-001.severity)",
        ),
        ({"extends": "nowhere"}, "pack.yaml:4:1: extends 'nowhere': no such pack"),
        ({"colour": "red"}, "unknown key 'colour'"),
    ],
)
def test_bad_packs_are_input_errors(tmp_path: Path, pack: dict[str, Any], expected: str) -> None:
    directory = org_pack(tmp_path, pack)
    problems = _problems([directory])
    assert any(expected in p for p in problems), problems
    result = cli("rules", "--policies", str(directory))
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_a_cycle_of_extends_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "a" / "pack.yaml", {"name": "a", "version": "1", "description": "d", "extends": "../b"})
    write(tmp_path / "b" / "pack.yaml", {"name": "b", "version": "1", "description": "d", "extends": "../a"})
    write(tmp_path / "a" / "r.yaml", {"version": 1, "rules": [rule("account", {"field": "owner", "exists": True})]})
    problems = _problems([tmp_path / "a"])
    assert any("packs extend each other in a cycle" in p for p in problems), problems


def test_a_pack_may_only_override(tmp_path: Path) -> None:
    directory = tmp_path / "strict"
    write(
        directory / "pack.yaml",
        {
            "name": "strict",
            "version": "1",
            "description": "Stricter severities.",
            "extends": "baseline",
            "overrides": {"BEL-PUR-001": {"severity": "critical", "reason": "purpose is our first control"}},
        },
    )
    loaded = policies.load([directory])
    assert {r.id: r for r in loaded.rules}["BEL-PUR-001"].severity == "critical"
    result = cli("policy", "test", str(directory), "--min-coverage", "100")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", ["pack", "waivers", "baseline", "policy-tests", "diff"])
def test_the_new_schemas_are_valid_json_schemas(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema(name))
