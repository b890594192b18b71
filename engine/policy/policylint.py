"""Static checks beyond the compiler, for ``smgov policy validate``: conditions that can never hold.

The compiler already rejects a field the inventory schema does not have, a value outside a
field's enum, a type mismatch and a regex that does not compile. What it cannot see rule by
rule is a combination that no subject could satisfy: ``all`` of ``status: active`` and
``status: closed``, ``exists: false`` next to a test of the same field (every other test is
false on a missing field), numeric bounds with nothing between them, a count below zero, a
share above one. A ``when`` like that selects nothing, so the rule is dead; a ``require``
like that fails every subject. Both are reported as policy errors.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.inputs.diagnostics import Diagnostic, dotted
from engine.inputs.sources import Source
from engine.policy import ir
from engine.policy.policies import PolicySet

#: The values a derived number can take, whatever the inventory holds.
_RANGES: dict[type, tuple[float, float]] = {ir.Count: (0, math.inf), ir.Related: (0, math.inf), ir.Share: (0, 1)}


def _label(operand: Any) -> str:
    return operand.label() if hasattr(operand, "label") else repr(operand)


def _flatten(node: ir.Node) -> Iterator[ir.Node]:
    if isinstance(node, ir.AllOf):
        for item in node.items:
            yield from _flatten(item)
    else:
        yield node


def _bounds(tests: Sequence[ir.Test], low: float, high: float, whole: bool = False) -> str | None:
    """Whether numeric tests on one operand leave any value in [low, high]."""
    lo, lo_open, hi, hi_open = low, False, high, False
    for t in tests:
        value = t.right
        if t.op in ("gt", "gte") and (value > lo or (value == lo and t.op == "gt")):
            lo, lo_open = value, t.op == "gt"
        elif t.op in ("lt", "lte") and (value < hi or (value == hi and t.op == "lt")):
            hi, hi_open = value, t.op == "lt"
        elif t.op == "equals":
            if value < lo or value > hi or (value == lo and lo_open) or (value == hi and hi_open):
                return f"{_label(t.left)} cannot equal {value} within the other bounds"
            lo = hi = value
            lo_open = hi_open = False
    empty = lo > hi or (lo == hi and (lo_open or hi_open))
    if whole and not empty:  # a count: is there a whole number in between?
        first = math.floor(lo) + 1 if lo_open or lo != math.floor(lo) else lo
        empty = first > hi or (first == hi and hi_open)
    if empty:
        return f"no value of {_label(tests[0].left)} satisfies {_show_bounds(tests, low, high)}"
    return None


def _show_bounds(tests: Sequence[ir.Test], low: float, high: float) -> str:
    parts = [f"{t.op} {t.right}" for t in tests]
    natural = [] if (low, high) == (-math.inf, math.inf) else [f"(it is always between {low:g} and {high:g})"]
    return ", ".join(parts) + (" " + natural[0] if natural else "")


def _literal(value: Any) -> bool:
    return not isinstance(value, ir.Field)


def _needs_value(t: ir.Test) -> tuple[Any, ...]:
    """The fields a test is false without (every test but ``exists``, ``count`` and ``related``)."""
    left = t.left
    if t.op == "exists":
        return ()
    out: list[Any] = [t.right] if isinstance(t.right, ir.Field) else []
    if isinstance(left, ir.Field):
        out.append(left)
    elif isinstance(left, (ir.Matches, ir.DaysSince, ir.Folded)):
        out.append(left.field)
    elif isinstance(left, ir.DaysBetween):
        out += [left.field, *([left.start] if isinstance(left.start, ir.Field) else [])]
    elif isinstance(left, ir.SameFolded):
        out += [left.left, left.right]
    elif isinstance(left, (ir.Quantified, ir.Share)):
        out.append(left.list)
    elif isinstance(left, ir.Ratio):
        out += [left.numerator, left.denominator]
    return tuple(out)


_MIRRORED = {"gt": "lt", "gte": "lte", "lt": "gt", "lte": "gte", "equals": "equals", "not_equals": "not_equals"}


def _in_days_since(tests: Sequence[ir.Test]) -> list[ir.Test]:
    """``days_until`` tests on a date that ``days_since`` tests also read, said the other way
    (``days_until(d) >= 0`` is ``days_since(d) <= 0``), so that the two are checked together;
    the others stay as the author wrote them."""
    since = {t.left.field for t in tests if isinstance(t.left, ir.DaysSince) and not t.left.until}
    out = []
    for t in tests:
        left = t.left
        if (
            isinstance(left, ir.DaysSince)
            and left.until
            and left.field in since
            and t.op in _MIRRORED
            and isinstance(t.right, (int, float))
            and not isinstance(t.right, bool)
        ):
            t = replace(t, left=replace(left, until=False), op=_MIRRORED[t.op], right=-t.right)
        out.append(t)
    return out


def _conjunction(tests: Sequence[ir.Test]) -> str | None:
    """Tests that must all hold, grouped by what they read."""
    tests = _in_days_since(tests)
    absent = {t.left for t in tests if t.op == "exists" and t.right is False}
    for t in tests:
        clash = next((f for f in _needs_value(t) if f in absent), None)
        if clash is not None or (t.op == "exists" and t.right is True and t.left in absent):
            label = _label(clash if clash is not None else t.left)
            return (
                f"{label} must be missing, yet another test of it needs a value "
                "(every test but exists, count and related is false on a missing value)"
            )
    by_operand: dict[Any, list[ir.Test]] = {}
    for t in tests:
        by_operand.setdefault(t.left, []).append(t)
    for operand, group in by_operand.items():
        label = _label(operand)
        equals = {t.right for t in group if t.op == "equals" and _literal(t.right)}
        if len(equals) > 1:
            shown = " and ".join(map(repr, sorted(equals, key=repr)))
            return f"{label} cannot equal both {shown}"
        allowed: set[Any] | None = set(equals) if equals else None
        for t in group:
            if t.op == "one_of":
                allowed = set(t.right) if allowed is None else allowed & set(t.right)
        for t in group:
            if t.op == "not_equals" and _literal(t.right) and allowed is not None:
                allowed.discard(t.right)
        if allowed is not None and not allowed:
            return f"no value of {label} satisfies {', '.join(f'{t.op} {t.right!r}' for t in group)}"
        numeric = [
            t
            for t in group
            if t.op in ("gt", "gte", "lt", "lte", "equals")
            and isinstance(t.right, (int, float))
            and not isinstance(t.right, bool)
        ]
        if numeric:
            low, high = _RANGES.get(type(operand), (-math.inf, math.inf))
            problem = _bounds(numeric, low, high, isinstance(operand, (ir.Count, ir.Related)))
            if problem:
                return problem
    return None


def never_holds(node: ir.Node | None) -> str | None:
    """Why ``node`` can hold for no subject at all, or None when it might hold."""
    if node is None:
        return None
    if isinstance(node, ir.AnyOf):
        reasons = [never_holds(item) for item in node.items]
        return "; ".join(r for r in reasons if r) if all(reasons) else None
    if isinstance(node, (ir.Not, ir.Test)):
        return _conjunction([node]) if isinstance(node, ir.Test) else None
    parts = list(_flatten(node))
    for part in parts:
        if isinstance(part, ir.AnyOf):
            reason = never_holds(part)
            if reason:
                return reason
    return _conjunction([p for p in parts if isinstance(p, ir.Test)])


def _rule_index(source: Source, rule_id: str) -> int | None:
    rules = source.data.get("rules") if isinstance(source.data, dict) else None
    for index, raw in enumerate(rules or []):
        if isinstance(raw, dict) and raw.get("id") == rule_id:
            return index
    return None


def problems(policies: PolicySet) -> list[Diagnostic]:
    """Every ``when`` and ``require`` of the loaded rules that can never hold."""
    sources = {Path(s.path).resolve(): s for s in policies.sources}
    found: list[Diagnostic] = []
    for rule in policies.rules:
        source = sources.get(Path(rule.file).resolve())
        index = _rule_index(source, rule.id) if source else None
        for key, node, effect in (
            ("when", rule.when, "the rule would never apply to any subject"),
            ("require", rule.require, "every subject it applies to would fail"),
        ):
            reason = never_holds(node)
            if not reason:
                continue
            path: tuple[Any, ...] = ("rules", index, key) if index is not None else ()
            line, col = source.positions.locate(path) if source and index is not None else (rule.line, 1)
            found.append(
                Diagnostic(rule.file, line, col, f"{rule.id}: {key} can never hold: {reason}; {effect}", dotted(path))
            )
    return found
