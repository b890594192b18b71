"""Thresholds as parameters (issue 17): a rule declares ``params`` with defaults, conditions
use ``{param: NAME}``, texts ``{params.NAME}``; a pack overrides them with a reason; the
values in force show in ``smgov rules`` and ``policy docs``; both evaluators see a literal."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from engine import pipeline
from engine.inputs.diagnostics import InputError
from engine.policy import policies
from tests.helpers import ROOT, all_engines_agree, cli, inventory, policy_set, rule, write

AS_OF = dt.date(2026, 10, 1)

SHARE_RULE = rule(
    "department",
    {
        "related": {
            "collection": "training",
            "on": {"department": "id"},
            "where": {"field": "trained", "ratio": {"to": "headcount", "gte": {"param": "min_share"}}},
        }
    },
    id="P-TRN-001",
    params={"min_share": 0.8},
    title="At least {params.min_share} trained",
    message="Department {name}: less than {params.min_share} trained",
)

DEPARTMENTS = {
    "departments": [{"id": "d70", "name": "Seventy"}, {"id": "d90", "name": "Ninety"}],
    "training": [
        {"id": "t70", "department": "d70", "topic": "policy", "trained": 7, "headcount": 10},
        {"id": "t90", "department": "d90", "topic": "policy", "trained": 9, "headcount": 10},
    ],
}


def test_a_parameter_is_a_compile_time_constant_both_evaluators_agree() -> None:
    pack = policy_set(SHARE_RULE)
    (compiled,) = pack.rules
    assert compiled.params == (("min_share", 0.8),) and compiled.title == "At least 0.8 trained"
    results = all_engines_agree(pack, inventory(DEPARTMENTS), AS_OF)
    failing = [i for i in results[0].failed]
    assert failing == [0]  # d70 only


def _extending_pack(tmp_path: Path, overrides: dict) -> Path:
    pack = tmp_path / "acme"
    write(
        pack / "pack.yaml",
        {"name": "acme", "version": "1.0", "description": "Acme's pack", "extends": "baseline", "overrides": overrides},
    )
    return pack


def test_a_pack_overrides_a_parameter_with_a_reason(tmp_path: Path) -> None:
    pack = _extending_pack(
        tmp_path,
        {"BEL-TRN-003": {"params": {"min_share": 0.95}, "reason": "regulated firm: everyone who posts is trained"}},
    )
    loaded = policies.load([pack])
    rule_ = loaded.rule("BEL-TRN-003")
    assert dict(rule_.params) == {"min_share": 0.95} and dict(rule_.param_defaults) == {"min_share": 0.8}
    assert "0.95" in rule_.title and "0.95" in rule_.message
    origin = dict(loaded.origins)["BEL-TRN-003"]
    assert origin.changes == (
        "params min_share 0.8 -> 0.95 by acme 1.0: regulated firm: everyone who posts is trained",
    )
    for engine in ("native", "durable"):
        base = pipeline.run_check(
            pipeline.CheckOptions(inventory=(str(ROOT / "examples" / "automotive"),), as_of=AS_OF, engine=engine)
        )
        strict = pipeline.run_check(
            pipeline.CheckOptions(
                inventory=(str(ROOT / "examples" / "automotive"),), policies=(str(pack),), as_of=AS_OF, engine=engine
            )
        )
        before = {f.subject_id for f in base.findings if f.rule_id == "BEL-TRN-003"}
        after = {f.subject_id for f in strict.findings if f.rule_id == "BEL-TRN-003"}
        assert before < after  # departments trained between 80% and 95% now fail
    listed = cli("rules", "--policies", str(pack))
    assert "[min_share=0.95]" in listed.output and "params min_share 0.8 -> 0.95 by acme 1.0" in listed.output
    rows = json.loads(cli("rules", "--policies", str(pack), "--format", "json").output)
    assert next(r for r in rows if r["id"] == "BEL-TRN-003")["params"] == {"min_share": 0.95}
    docs = cli("policy", "docs", str(pack))
    assert "parameters: `min_share` = 0.95" in docs.output


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"params": {"min_share": 0.9}}, "changing a rule's parameters needs a reason"),
        ({"params": {"max_share": 0.9}, "reason": "r"}, "rule BEL-TRN-003 has no parameter 'max_share'"),
        (
            {"params": {"min_share": "most"}, "reason": "r"},
            "parameter 'min_share' of rule BEL-TRN-003 must be like 0.8",
        ),
    ],
)
def test_a_bad_parameter_override_is_an_input_error(tmp_path: Path, override: dict, message: str) -> None:
    with pytest.raises(InputError) as caught:
        policies.load([_extending_pack(tmp_path, {"BEL-TRN-003": override})])
    assert any(message in d.message for d in caught.value.diagnostics), [d.format() for d in caught.value.diagnostics]


def test_an_unknown_parameter_in_a_condition_is_an_error_with_its_position(tmp_path: Path) -> None:
    bad = {**SHARE_RULE, "params": {"share": 0.8}}
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "rules": [bad]}, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        policies.load([path])
    found = {d.path: d for d in caught.value.diagnostics if "unknown parameter 'min_share'" in d.message}
    assert {"rules[0].title", "rules[0].message"} < set(found)  # the texts, and the condition:
    where = next(d for path, d in found.items() if path.startswith("rules[0].require"))
    assert where.line > 1 and where.path.endswith(".param")
