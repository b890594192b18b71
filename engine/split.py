"""Sharing a check's evaluation with the child process that validates the inventory.

With ``--parallel`` the child (``engine.background``) parses the inventory on its own to
validate it. Once it has sent its verdict, it evaluates the rules of every scope but the
costliest with the native evaluator, sending each scope's results as they are done, while
the parent evaluates that scope and builds its findings. Both processes parse the same
bytes, so both compute the same :func:`partition`. The parent uses the child's results only
when the child found the inventory valid, takes those that have arrived by the time it has
finished its own part, and evaluates the rest itself (then the child is stopped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from engine import background, derive, inventory, ir, native
from engine.diagnostics import Diagnostic
from engine.evaluation import RuleResult
from engine.policies import PolicySet
from engine.sources import RawFile, Source, parse_all


def costs(policies: PolicySet, org: inventory.Inventory) -> dict[str, int]:
    """Per scope, roughly what its rules cost: subjects per rule, plus the items each
    ``related`` condition reads."""
    cost: dict[str, int] = {}
    for rule in policies.rules:
        subjects = 1 if rule.scope == "organisation" else len(org.items(rule.scope))
        work = subjects
        for node in [*ir.walk(rule.when), *ir.walk(rule.require)]:
            if isinstance(node, ir.Related):
                size = len(org.collections.get(node.collection, []))
                work += size if node.on else subjects * size
        cost[rule.scope] = cost.get(rule.scope, 0) + work
    return cost


def partition(policies: PolicySet, org: inventory.Inventory) -> frozenset[str]:
    """The scopes the child evaluates: all but the costliest. Empty for a single scope."""
    cost = costs(policies, org)
    if len(cost) < 2:
        return frozenset()
    costliest = max(sorted(cost), key=cost.__getitem__)
    return frozenset(cost) - {costliest}


def only(policies: PolicySet, scopes: frozenset[str], inside: bool = True) -> PolicySet:
    """The same policy set with only the rules of ``scopes`` (or, ``inside=False``, the others)."""
    return replace(policies, rules=tuple(r for r in policies.rules if (r.scope in scopes) is inside))


def child(
    files: list[RawFile], policies: PolicySet, as_of: dt.date, evaluate: bool
) -> Iterator[tuple[Diagnostic, ...] | tuple[RuleResult, ...]]:
    """The child's work (``engine.background`` sends each value as it is yielded): first the
    inventory's problems; then, if there are none (and ``evaluate``), the results of each of
    its scopes, costliest first, so that the parent finds the most done when it asks."""
    sources, malformed = parse_all(files, digest=False)
    problems = malformed or inventory.check(sources)
    yield tuple(problems)
    org = inventory.assemble(sources) if evaluate and not problems else None
    if org is None:
        return
    cost = costs(policies, org)
    scope = derive.Scope(org, as_of)  # shared by its scopes, as in a serial check
    for kind in sorted(partition(policies, org), key=lambda k: (-cost[k], k)):
        yield tuple(native.evaluate(only(policies, frozenset({kind})), org, as_of, scope=scope))


class Child:
    """The child's answers, as the parent reads them: its verdict, asked for once (or the
    same check done here when there is no child or it failed), then whichever of its scopes'
    results have arrived. The child evaluates its scopes costliest first; the parent, when
    done with its own, takes the others cheapest first, each unless the child's results for
    it have arrived meanwhile, so that the two meet in the middle."""

    def __init__(self, task: background.Task[Any], sources: list[Source], helps: bool) -> None:
        self.task, self.sources, self.helps = task, sources, helps
        self._problems: tuple[Diagnostic, ...] | None = None
        self._results: dict[str, RuleResult] = {}

    def problems(self) -> tuple[Diagnostic, ...]:
        if self._problems is None:
            self._problems = self.task.result(otherwise=lambda: tuple(inventory.check(self.sources)))
        return self._problems

    def arrived(self) -> dict[str, RuleResult]:
        """The child's results so far, by rule id (after a verdict of no problems); never
        waits for one still being computed."""
        self._results.update((r.rule_id, r) for batch in self.task.ready() for r in batch)
        return self._results

    def stop(self) -> None:
        """Its results are no longer needed: stop the child."""
        self.task.cancel()
