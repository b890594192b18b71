"""``smgov policy docs DIR``: a Markdown catalogue of the rules, with examples from the tests.

Rules are grouped by lever, then by stage (the ladder's order), each with its severity,
scope, description, remediation, references, its conditions as written, and a passing and
a failing example: a subject from the pack's own test cases that the rule passes, and one
it fails, showing only the fields the rule reads. The output is deterministic, so a test
can fail when the committed catalogue is stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.authoring.policytest import Case, subset
from engine.evaluate import derive
from engine.evaluate.messages import render_message
from engine.evaluate.native import evaluate
from engine.inputs.sources import Source
from engine.policy import ir
from engine.policy.policies import PolicySet
from engine.vocabulary import LEVERS


@dataclass(frozen=True)
class Example:
    case: Case
    subject: dict[str, Any]
    message: str  # the finding's message, for a failing example


def _paths(node: Any, out: list[tuple[str, ...]]) -> None:
    """The subject paths a condition reads (derived values included)."""
    for part in ir.walk(node):
        operands: list[Any] = []
        if isinstance(part, ir.Field):
            operands = [part]
        elif isinstance(part, (ir.Count, ir.Share, ir.Quantified)):
            operands = [part.list]
        elif isinstance(part, ir.Ratio):
            operands = [part.numerator, part.denominator]
        elif isinstance(part, (ir.DaysSince, ir.Matches, ir.Folded)):
            operands = [part.field]
        elif isinstance(part, ir.DaysBetween):
            operands = [part.field, *([part.start] if isinstance(part.start, ir.Field) else [])]
        elif isinstance(part, ir.SameFolded):
            operands = [part.left, part.right]
        elif isinstance(part, ir.Related):
            operands = [ours for _, ours in part.on]
        for operand in operands:
            if operand.root == "subject" and operand.path and operand.path not in out:
                out.append(operand.path)


def read_paths(rule: ir.CompiledRule) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [("id",)] if rule.scope != "organisation" else []
    _paths(rule.when, out)
    _paths(rule.require, out)
    return out


def _pick(subject: dict[str, Any], paths: Iterable[tuple[str, ...]]) -> dict[str, Any]:
    """Only the fields at ``paths`` (a missing one shows as null: the same thing)."""
    out: dict[str, Any] = {}
    for path in paths:
        value: Any = subject
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        target = out
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return out


def examples(policies: PolicySet, cases: Sequence[Case]) -> dict[str, tuple[Example | None, Example | None]]:
    """A (passing, failing) example per rule: the first in the test files' order."""
    passing: dict[str, Example] = {}
    failing: dict[str, Example] = {}
    by_id = {r.id: r for r in policies.rules}
    for case in cases:
        rules = subset(policies, case.rules)
        if not rules.rules:
            continue
        results = evaluate(rules, case.inventory, case.as_of)
        scope = derive.Scope(case.inventory, case.as_of)
        for result in results:
            rule = by_id[result.rule_id]
            organisation = rule.scope == "organisation"
            items = [case.inventory.organisation_subject()] if organisation else case.inventory.items(rule.scope)
            selected = range(len(items)) if result.selected is None else result.selected
            paths = read_paths(rule)
            if rule.id not in failing and result.failed:
                subject = items[result.failed[0]]
                message = render_message(rule.message, subject, scope)
                failing[rule.id] = Example(case, _pick(subject, paths), message)
            if rule.id not in passing:
                ok = [i for i in selected if i not in set(result.failed)]
                if ok:
                    passing[rule.id] = Example(case, _pick(items[ok[0]], paths), "")
    return {r.id: (passing.get(r.id), failing.get(r.id)) for r in policies.rules}


def _raw(policies: PolicySet, rule: ir.CompiledRule) -> dict[str, Any]:
    source: Source | None = next(
        (s for s in policies.sources if Path(s.path).resolve() == Path(rule.file).resolve()), None
    )
    if source is None or not isinstance(source.data, dict):
        return {}
    return next((r for r in source.data.get("rules", []) if isinstance(r, dict) and r.get("id") == rule.id), {})


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100).rstrip()


def _anchor(text: str) -> str:
    return "".join(c for c in text.lower().replace(" ", "-") if c.isalnum() or c == "-")


def _where(case: Case) -> str:
    path = Path(case.file)
    return f"`{path.parent.name}/{path.name}`, case “{case.name}”"


def _example(title: str, example: Example | None, kind: str) -> list[str]:
    if example is None:
        return [f"**{title}:** no example in the tests."]
    lines = [f"**{title}** ({_where(example.case)}):", "", "```yaml", _yaml({kind: example.subject}), "```"]
    if example.message:
        lines += ["", f"→ {example.message}"]
    return lines


def render(policies: PolicySet, cases: Sequence[Case], own: str | None = None) -> str:
    """The catalogue, as Markdown; ``own``: only the rules that pack defines itself."""
    found = examples(policies, cases)
    origins = dict(policies.origins)
    rules = [r for r in policies.rules if own is None or getattr(origins.get(r.id), "pack", None) == own]
    packs = ", ".join(p.label for p in policies.packs) or "the loaded policy files"
    lines = [
        "# Rule catalogue",
        "",
        f"Generated by `smgov policy docs` from {packs}: do not edit by hand. "
        f"{len(rules)} rules{f' of {own}' if own else ''}, by lever and stage; "
        "each with a passing and a failing example "
        "taken from the pack's test cases (only the fields the rule reads are shown; `null` is a missing field).",
    ]
    if policies.packs:
        lines += [""] + [f"- **{p.label}**: {p.description}" for p in policies.packs]
    stages = policies.ladder.ids
    rank = {s: i for i, s in enumerate(stages)}
    lines += ["", "## Contents", ""]
    for lever in LEVERS:
        own = [r for r in rules if r.lever == lever]
        if own:
            lines.append(f"- [{lever.capitalize()}](#{_anchor(lever)}) ({len(own)} rules)")
    for lever in LEVERS:
        own = sorted((r for r in rules if r.lever == lever), key=lambda r: (rank.get(r.stage, 99), r.id))
        if not own:
            continue
        lines += ["", f"## {lever.capitalize()}"]
        for stage in dict.fromkeys(r.stage for r in own):
            lines += ["", f"### {lever.capitalize()}: {stage}"]
            for rule in (r for r in own if r.stage == stage):
                lines += ["", *_rule(policies, rule, origins.get(rule.id), found[rule.id])]
    if policies.disabled:
        lines += ["", "## Disabled rules", ""]
        lines += [f"- `{d.rule_id}`, disabled by {d.pack}: {d.reason}" for d in policies.disabled]
    return "\n".join(lines) + "\n"


def _rule(policies: PolicySet, rule: ir.CompiledRule, origin: Any, found: tuple[Example | None, ...]) -> list[str]:
    raw = _raw(policies, rule)
    conditions = {k: raw[k] for k in ("when", "require") if k in raw}
    lines = [
        f"#### {rule.id}: {rule.title}",
        "",
        f"Severity **{rule.severity}** · scope `{rule.scope}` · stage {rule.stage} · lever {rule.lever}",
    ]
    if rule.params:
        lines[-1] += " · parameters: " + ", ".join(f"`{k}` = {v}" for k, v in rule.params)
    if origin is not None and origin.changes:
        lines[-1] += " · " + "; ".join(origin.changes)
    lines += ["", " ".join(rule.description.split()), "", f"**Remediation:** {' '.join(rule.remediation.split())}"]
    if rule.frameworks:
        lines += ["", f"**Framework:** {', '.join(rule.frameworks)}"]
    lines += ["", f"**References:** {', '.join(rule.references)}"]
    if rule.tags:
        lines[-1] += f" · tags: {', '.join(rule.tags)}"
    if conditions:
        lines += ["", "```yaml", _yaml(conditions), "```"]
    passing, failing = found
    lines += ["", *_example("Passes", passing, rule.scope), "", *_example("Fails", failing, rule.scope)]
    return lines
