"""Shared test helpers: build sources, inventories and policy sets from plain data."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from engine import pipeline
from engine.cli.app import main
from engine.evaluate import derive, native
from engine.evaluate.evaluation import RuleResult
from engine.inputs.fields import Declared, declarations
from engine.inputs.inventory import Inventory, build
from engine.inputs.positions import MarkTable
from engine.inputs.sources import Source
from engine.policy import ir
from engine.policy.policies import PolicySet, compile_sources

ROOT = Path(__file__).resolve().parent.parent
EVALUATORS = ("native", "durable")
HAS_DURABLE = importlib.util.find_spec("engine.evaluate.durable") is not None


def source(data: Any, path: str = "<test>") -> Source:
    return Source(path, data, MarkTable({}), "0" * 64)


def declared(block: dict[str, Any] | None) -> tuple[Declared, ...]:
    """The fields a ``fields:`` block declares (as a pack.yaml would), checked."""
    found, problems = declarations(source({"fields": block}, "pack.yaml")) if block else ([], [])
    assert problems == []
    return tuple(found)


def inventory(data: dict[str, Any], fields: tuple[Declared, ...] = ()) -> Inventory:
    data = {"organisation": {"name": "Test organisation"}, **data}
    return build([source(data, "inventory.yaml")], fields)


def rule(scope: str, require: Any, when: Any = None, **extra: Any) -> dict[str, Any]:
    out = {
        "id": extra.pop("id", "T-001"),
        "title": "test rule",
        "description": "test",
        "lever": extra.pop("lever", "boundary"),
        "stage": extra.pop("stage", "initialisation"),
        "severity": extra.pop("severity", "high"),
        "scope": scope,
        "require": require,
        "message": extra.pop("message", "failed {id}" if scope != "organisation" else "failed"),
        "remediation": "fix it",
        "references": ["MIP-2015"],
    }
    if when is not None:
        out["when"] = when
    out.update(extra)
    return out


def policy_set(*rules: dict[str, Any], fields: tuple[Declared, ...] = ()) -> PolicySet:
    return compile_sources([source({"version": 1, "rules": list(rules)}, "policy.yaml")], declared=fields)


def evaluate(engine: str, policies: PolicySet, inv: Inventory, as_of: dt.date) -> tuple[RuleResult, ...]:
    return pipeline.evaluator(engine)(policies, inv, as_of)


def reference(policies: PolicySet, inv: Inventory, as_of: dt.date) -> tuple[RuleResult, ...]:
    """The interpreter in engine.evaluate.derive: the language's reference semantics."""
    scope = derive.Scope(inv, as_of)
    out = []
    for r in policies.rules:
        items = [inv.organisation_subject()] if r.scope == "organisation" else inv.items(r.scope)
        selected = [i for i, s in enumerate(items) if r.when is None or derive.holds(r.when, (s, None), scope)]
        failed = tuple(i for i in selected if not derive.holds(r.require, (items[i], None), scope))
        out.append(RuleResult(r.id, len(selected), failed, None if r.when is None else tuple(selected)))
    return tuple(out)


def failing_ids(policies: PolicySet, inv: Inventory, results: tuple[RuleResult, ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r, result in zip(policies.rules, results, strict=True):
        items = [inv.organisation_subject()] if r.scope == "organisation" else inv.items(r.scope)
        out[r.id] = [inv.organisation_id if r.scope == "organisation" else items[i]["id"] for i in result.failed]
    return out


def all_engines_agree(policies: PolicySet, inv: Inventory, as_of: dt.date) -> tuple[RuleResult, ...]:
    """Run the reference, native and durable evaluators; assert they agree; return the result."""
    expected = reference(policies, inv, as_of)
    for engine in EVALUATORS:
        got = evaluate(engine, policies, inv, as_of)
        assert got == expected, f"{engine} disagrees with the reference semantics"
    compiled_operands_agree(policies, inv, as_of)
    return expected


def compiled_operands_agree(policies: PolicySet, inv: Inventory, as_of: dt.date) -> None:
    """Every operand a rule reads (the evidence of its findings) has the same value through the
    generated code of engine.evaluate.native as through the reference interpreter, on every subject."""
    scope = derive.Scope(inv, as_of)
    for r in policies.rules:
        nodes = [*ir.walk(r.when), *ir.walk(r.require)]
        operands = tuple(
            n for n in nodes if isinstance(n, ir.DERIVED_TYPES) or (isinstance(n, ir.Field) and n.root != "item")
        )
        values_of = native.compile_operands(operands, scope)
        items = [inv.organisation_subject()] if r.scope == "organisation" else inv.items(r.scope)
        for subject in items:
            expected = tuple(derive.value(o, (subject, None), scope) for o in operands)
            assert values_of(subject) == expected, f"{r.id}: generated operand values differ on {subject.get('id')}"


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


__all__ = ["ROOT", "ir"]
