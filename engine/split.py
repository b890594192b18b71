"""Sharing a check's evaluation with the child process that validates the inventory.

With ``--parallel`` the child (``engine.background``) parses the inventory on its own to
validate it. Once it has, it also evaluates the rules of every scope but the costliest, with
the native evaluator, while the parent evaluates that one and builds its findings. Both
processes parse the same bytes, so both compute the same :func:`partition`; the parent uses
the child's results only when the child found the inventory valid, and evaluates itself any
rule the child did not answer for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine import inventory, ir, native
from engine.diagnostics import Diagnostic
from engine.evaluation import RuleResult
from engine.policies import PolicySet
from engine.sources import RawFile, parse_all


@dataclass(frozen=True)
class Answer:
    """What the child sends back: the inventory's problems, and results of the rules it
    evaluated (none when there are problems)."""

    problems: tuple[Diagnostic, ...]
    results: tuple[RuleResult, ...] = ()


def partition(policies: PolicySet, org: inventory.Inventory) -> frozenset[str]:
    """The scopes the child evaluates: all but the one whose rules cost most (subjects per
    rule, plus the items each ``related`` condition reads). Empty for a single scope."""
    cost: dict[str, int] = {}
    for rule in policies.rules:
        subjects = 1 if rule.scope == "organisation" else len(org.items(rule.scope))
        work = subjects
        for node in [*ir.walk(rule.when), *ir.walk(rule.require)]:
            if isinstance(node, ir.Related):
                size = len(org.collections.get(node.collection, []))
                work += size if node.on else subjects * size
        cost[rule.scope] = cost.get(rule.scope, 0) + work
    if len(cost) < 2:
        return frozenset()
    costliest = max(sorted(cost), key=cost.__getitem__)
    return frozenset(cost) - {costliest}


def only(policies: PolicySet, scopes: frozenset[str], inside: bool = True) -> PolicySet:
    """The same policy set with only the rules of ``scopes`` (or, ``inside=False``, the others)."""
    return replace(policies, rules=tuple(r for r in policies.rules if (r.scope in scopes) is inside))


def child(files: list[RawFile], policies: PolicySet, as_of: object, evaluate: bool) -> Answer:
    """The child's work: parse and validate; if valid (and ``evaluate``), evaluate its scopes."""
    sources, malformed = parse_all(files, digest=False)
    problems = malformed or inventory.check(sources)
    if problems or not evaluate:
        return Answer(tuple(problems))
    org = inventory.assemble(sources)
    try:
        theirs = only(policies, partition(policies, org)) if org is not None else None
        results = native.evaluate(theirs, org, as_of) if theirs and theirs.rules else ()  # type: ignore[arg-type]
    except Exception:  # the parent evaluates these rules itself, and sees the error there
        results = ()
    return Answer((), tuple(results))
