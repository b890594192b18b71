"""What could be assessed: rules whose fields the inventory did not record, and each gate's coverage.

An inventory may say which fields it collected per collection (``recorded:``). A rule whose
``require`` reads a field that is not recorded for the collection it reads it from (its scope's,
or a related collection's) is **not assessed**: it is not evaluated, gives no finding and counts
neither as a pass nor as a failure. A ``when`` reads a field not recorded as a missing value, as
the language defines for any missing value (``not: {field: status, equals: retired}`` keeps an
account whose status is not known): it only chooses the subjects, it never makes a finding.
Each stage's gate then stands on the checks that could run; its coverage says how many of its
checks that is (``reached on 40% of its checks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from engine.evaluate.evaluation import RuleResult
from engine.inputs.inventory import Inventory
from engine.policy import ir
from engine.policy.policies import PolicySet
from engine.vocabulary import COLLECTION_OF

#: rule id -> the fields (``accounts.owner``) that would let it run.
Unassessed = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class GateCoverage:
    """How much of one stage's gate could be assessed."""

    stage: str
    rules: int  # the stage's rules
    not_assessed: tuple[str, ...]  # ... of which not assessed (rule ids)
    checks: int  # checks that ran
    unassessed_checks: int  # checks that would have run had the fields been recorded
    ratio: float | None  # checks / (checks + unassessed_checks); None when there are neither
    up_to_ratio: float | None  # the same over this gate and every gate below it


@dataclass(frozen=True)
class Coverage:
    """The share of the checks that could be assessed, overall and per gate."""

    checks: int
    unassessed_checks: int
    ratio: float | None
    not_assessed: int  # rules
    stages: tuple[GateCoverage, ...]

    @property
    def complete(self) -> bool:
        return self.unassessed_checks == 0 and self.not_assessed == 0

    def of(self, stage: str) -> GateCoverage | None:
        return next((s for s in self.stages if s.stage == stage), None)


def _operand(operand: ir.Operand, subject: str | None, item: str | None, out: set[tuple[str, str]]) -> None:
    if isinstance(operand, ir.Field):
        owner = {"subject": subject, "item": item}.get(operand.root)
        if owner and operand.path:
            out.add((owner, operand.path[0]))
    elif isinstance(operand, (ir.Count, ir.Share, ir.Quantified)):
        _operand(operand.list, subject, item, out)
        condition = operand.condition if isinstance(operand, ir.Quantified) else operand.where
        if condition is not None:
            _node(condition, subject, None, out)  # its items are the list's elements, not records
    elif isinstance(operand, ir.Ratio):
        _operand(operand.numerator, subject, item, out)
        _operand(operand.denominator, subject, item, out)
    elif isinstance(operand, (ir.DaysSince, ir.Matches, ir.Folded)):
        _operand(operand.field, subject, item, out)
    elif isinstance(operand, ir.DaysBetween):
        _operand(operand.field, subject, item, out)
        if isinstance(operand.start, ir.Field):
            _operand(operand.start, subject, item, out)
    elif isinstance(operand, ir.SameFolded):
        _operand(operand.left, subject, item, out)
        _operand(operand.right, subject, item, out)
    elif isinstance(operand, ir.Related):
        for their, ours in operand.on:
            out.add((operand.collection, their[0]))
            _operand(ours, subject, item, out)
        if operand.where is not None:
            _node(operand.where, subject, operand.collection, out)


def _node(node: ir.Node, subject: str | None, item: str | None, out: set[tuple[str, str]]) -> None:
    if isinstance(node, ir.Test):
        _operand(node.left, subject, item, out)
        if isinstance(node.right, ir.Field):
            _operand(node.right, subject, item, out)
    elif isinstance(node, (ir.AllOf, ir.AnyOf)):
        for one in node.items:
            _node(one, subject, item, out)
    elif isinstance(node, ir.Not):
        _node(node.item, subject, item, out)


def reads(node: ir.Node | None, scope: str) -> frozenset[tuple[str, str]]:
    """Every (collection, top-level field) a condition of a rule of ``scope`` reads from a
    collection's items (the organisation's own fields are not in a collection: not listed)."""
    out: set[tuple[str, str]] = set()
    if node is not None:
        _node(node, COLLECTION_OF.get(scope), None, out)
    return frozenset(out)


def unassessed(policies: PolicySet, inventory: Inventory) -> dict[str, tuple[str, ...]]:
    """The rules that read a field the inventory did not record, each with those fields."""
    recorded = inventory.header.recorded
    if not recorded:
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for rule in policies.rules:
        read = reads(rule.require, rule.scope)
        missing = sorted(f"{c}.{f}" for c, f in read if c in recorded and f not in recorded[c])
        if missing:
            out[rule.id] = tuple(missing)
    return out


def assessable(policies: PolicySet, skipped: Unassessed) -> PolicySet:
    """The policy set without the rules that cannot be assessed (what the evaluators run)."""
    if not skipped:
        return policies
    return replace(policies, rules=tuple(r for r in policies.rules if r.id not in skipped))


def completed(policies: PolicySet, results: tuple[RuleResult, ...], skipped: Unassessed) -> tuple[RuleResult, ...]:
    """The results of every rule, in order: a rule not assessed applied to nothing."""
    if not skipped:
        return results
    by_id = {r.rule_id: r for r in results}
    return tuple(by_id.get(rule.id) or RuleResult(rule.id, 0, (), ()) for rule in policies.rules)


def _ratio(done: int, undone: int) -> float | None:
    return round(done / (done + undone), 4) if done + undone else None


def of(policies: PolicySet, results: tuple[RuleResult, ...], skipped: Unassessed, inventory: Inventory) -> Coverage:
    """Each gate's coverage: the checks that ran against those that would have."""
    applied = {r.rule_id: r.applied for r in results}
    stages: list[GateCoverage] = []
    done_so_far = undone_so_far = 0
    for stage in policies.ladder.ids:
        rules = [r for r in policies.rules if r.stage == stage]
        missing = tuple(r.id for r in rules if r.id in skipped)
        done = sum(applied.get(r.id, 0) for r in rules if r.id not in skipped)
        undone = sum(_subjects(inventory, r.scope) for r in rules if r.id in skipped)
        done_so_far, undone_so_far = done_so_far + done, undone_so_far + undone
        ratio, up_to = _ratio(done, undone), _ratio(done_so_far, undone_so_far)
        stages.append(GateCoverage(stage, len(rules), missing, done, undone, ratio, up_to))
    return Coverage(done_so_far, undone_so_far, _ratio(done_so_far, undone_so_far), len(skipped), tuple(stages))


def _subjects(inventory: Inventory, scope: str) -> int:
    """How many subjects a rule of ``scope`` would check (its ``when`` aside)."""
    return 1 if scope == "organisation" else len(inventory.items(scope))
