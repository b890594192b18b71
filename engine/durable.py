"""The durable-rules evaluator: an independent check of the native one.

Derived values (counts, shares, ratios, day differences, regex matches, list quantifiers,
related counts) come from ``engine.derive``, as for ``native``. Everything above them is
evaluated by durable-rules 2.0.28 itself: ``all``/``any``/``not``, ``exists``, ``equals``,
``not_equals``, the orderings, ``one_of`` and ``contains`` with a literal. Only a leaf that
compares two fields (``{ref: PATH}``) is precomputed (see "Refs" below). What durable cannot
be trusted with raises ``EvaluatorRefused`` naming the rule, never a silent difference.

Encoding (/work/shared/durable-rules-notes.md has the measured quirks it avoids):

* One **fact** per subject: ``{"sid", "id", "t": "subject", "i": INDEX, "v<k>": VALUE…}``.
  ``v<k>`` is slot ``k``: the value of a field or derived operand. A missing or ``null``
  value is **omitted** (durable counts ``null`` as present) or, in the slots that serve a
  negated test, replaced by a sentinel that makes the complement test true (see
  ``_MISSING_TEXT``). Values are encoded so durable cannot coerce across types: strings
  become ``"s" + hex of their UTF-8`` (no escapes, never numeric-looking), booleans
  ``"bt"``/``"bf"``, numbers stay numbers, written so durable's number reader takes them
  exactly (it reads ``1e-05`` as ``1`` and loses the rest of the batch). Lists for
  ``contains`` end with a sentinel item ``"z"``: durable's ``$iall`` is false on an empty
  list. Each value's type is checked against the tests that use it: a mismatch is refused.
* ``not`` is pushed down to the leaves (De Morgan): every operator but ``exists`` is false on
  a missing value and its negation true. The only negation is the per-fact ``$nex``, never a
  negated pattern, so durable's early-firing negation does not arise.
* Per rule, one durable rule for which subjects ``when`` selects (or, when a sample says it
  selects most, which it does not: each firing costs a trip through durable's action queue)
  and one for "when holds and require fails". A durable rule holds at most 15 ``$and``/``$or``
  groups (error 113) and a ruleset's alpha network must fit handleAlpha's 64-entry stack
  (error 303): too big an expression is split into a disjunction of smaller rules (results
  are collected into sets, so overlapping pieces and repeated firings are harmless), and rules
  are packed into rulesets of at most 31 rules + the trigger rule within a computed stack
  bound (``_cost``).
* Rulesets are created once per distinct definition and kept (durable leaks memory per
  ruleset created); each run uses a unique ``sid`` and deletes its state afterwards. A
  trigger fact asserted last, matched by the ruleset's last rule, flushes the queued results:
  a run that ends without seeing it exactly once, last, fails loudly.
* durable identifies facts by a 32-bit FNV-1a hash of their ``id``. Ids are chosen here,
  re-salted on a collision, and checked: if two facts of one session still share a hash the
  evaluator refuses rather than lose a finding.

Refs: durable's ``{"$m": name}`` same-fact comparison is not used. Its test lives in the
rule's beta "expression sequence", which is filled only by the rule that creates a shared
alpha node (a second rule with the same test would skip it) and evaluates ``$or`` without the
alpha tests beside it; ``$iany`` with ``$m`` is error 102. So ``a op {ref: b}`` is one slot:
``a - b`` (compared with 0 by durable; exact in sign for finite numbers) for orderings, the
boolean of the comparison for ``equals``, ``not_equals`` and ``contains``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine import ir
from engine.derive import Scope, holds
from engine.derive import value as derived_value
from engine.evaluation import EvaluatorRefused, RuleResult
from engine.inventory import Inventory
from engine.policies import PolicySet

try:  # durable-rules compiles C; it does not import on every Python (3.13: undefined symbol)
    import durable_rules_engine as _dre
except Exception as _exc:  # pragma: no cover - depends on the installation
    _dre = None
    _IMPORT_ERROR: Exception | None = _exc
else:
    _IMPORT_ERROR = None

# -- limits of durable-rules 2.0.28 (src/rules/*.h), with margins ----------------------------

#: Rules per ruleset, not counting the trigger rule (the notes: <= 32 in all).
MAX_RULES = 31
#: ``$and``/``$or`` groups per durable rule: the beta expression sequence holds 32 entries,
#: two per group, and fails on reaching 32 (measured: 15 works, 16 is error 113).
MAX_GROUPS = 15
#: handleAlpha's stack holds 64 alpha nodes (error 303 beyond). Every durable rule starts with
#: a test of its own, so no path crosses rules: the stack holds at most 1 (the root's other
#: child) + (rules - 1) (the type node's other children) + one rule's own need (``_cost``).
#: Keep rules + need <= 60.
STACK_BUDGET = 60
#: Properties per fact (MAX_OBJECT_PROPERTIES 255; reaching it is error 302).
MAX_PROPERTIES = 250
#: Integers beyond this lose precision where durable compares them with a double.
MAX_EXACT_INT = 2**53
#: Pieces one rule may be split into before the evaluator gives up.
MAX_PIECES = 64
#: Rulesets kept alive between calls (each costs C memory that is only freed on delete).
MAX_CACHED_RULESETS = 256

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_TRIGGER_ID = "$evaluate"
_TRIGGER_RULE = "trigger"
_SUBJECT = "subject"
_EVALUATE = "evaluate"
_SENTINEL = '"z"'
_TRUE, _FALSE = "bt", "bf"
#: Names durable recognises by their hash inside a ruleset or a fact.
_RESERVED_NAMES = (
    "$lt", "$lte", "$gt", "$gte", "$eq", "$neq", "$mt", "$imt", "$iall", "$iany", "$ex", "$nex",
    "$or", "$and", "$m", "name", "$add", "$sub", "$mul", "$div", "$l", "$r", "$forward", "$i",
    "$s", "all", "any", "pri", "count", "cap", "dist", "id", "sid",
)


def fnv1a32(text: str) -> int:
    """The hash durable's C core keeps of a fact id or property name (``fnv1Hash32``).

    It XORs each byte as a *signed* char (x86), which differs from textbook FNV-1a for
    bytes >= 0x80; ids made here are ASCII, where the two agree.
    """
    h = _FNV_OFFSET
    for byte in text.encode("utf-8"):
        if byte >= 0x80:
            byte -= 0x100
        h = ((h ^ (byte & 0xFFFFFFFF)) * _FNV_PRIME) & 0xFFFFFFFF
    return h


# -- the expressions given to durable ---------------------------------------------------------

@dataclass(frozen=True)
class _Leaf:
    """One alpha test as JSON text, e.g. ``{"$gt":{"v3":5}}``, on slot ``slot``."""

    text: str
    slot: int


@dataclass(frozen=True)
class _Group:
    kind: str  # and | or
    items: tuple[Expr, ...]


Expr = _Leaf | _Group


def _group(kind: str, items: Iterable[Expr]) -> Expr:
    flat: list[Expr] = []
    for item in items:
        if isinstance(item, _Group) and item.kind == kind:
            flat.extend(item.items)
        else:
            flat.append(item)
    flat = list(dict.fromkeys(flat))  # the same test twice adds nothing
    return flat[0] if len(flat) == 1 else _Group(kind, tuple(flat))


def _json(expr: Expr) -> str:
    if isinstance(expr, _Leaf):
        return expr.text
    return f'{{"${expr.kind}":[{",".join(_json(e) for e in expr.items)}]}}'


class _Node:
    """An alpha node as durable's rete.c builds it, for the stack bound."""

    __slots__ = ("children", "shared")

    def __init__(self) -> None:
        self.children: list[_Node] = []
        self.shared: dict[str, _Node] = {}


def _build(expr: Expr, parent: _Node) -> _Node:
    """Add ``expr`` under ``parent`` like createAlpha does; return its exit node."""
    if isinstance(expr, _Leaf):
        # findAlpha reuses a child of the same parent with the same test ($iany/$iall never)
        node = None if '"$iany"' in expr.text or '"$iall"' in expr.text else parent.shared.get(expr.text)
        if node is None:
            node = _Node()
            parent.children.append(node)
            parent.shared[expr.text] = node
        return node
    if expr.kind == "and":
        for item in expr.items:
            parent = _build(item, parent)
        return parent
    forward = _Node()  # createForwardAlpha: never shared; every branch exit links to it
    for item in expr.items:
        _build(item, parent).children.append(forward)
    return forward


def _cost(expr: Expr) -> int:
    """Stack entries durable's handleAlpha may need from a rule's entry node on.

    handleAlpha walks the alpha network depth first with a 64-entry stack, pushing every
    matching child of the node it pops. When it has just pushed the children of node X, what
    the stack holds is those (at most out(X)) plus, for each node A above X on the path, the
    children of A not yet popped: at most out(A) - 1, the one leading to X being popped. So
    the need below a node is ``max(out(X), out(X) - 1 + max(need(child)))``. Measured: with
    R rules whose entry nodes each have n matching children, error 303 comes exactly when
    (R - 1) + n > 64.
    """
    entry = _Node()
    _build(expr, entry)
    best: dict[int, int] = {}

    def need(node: _Node) -> int:
        found = best.get(id(node))
        if found is None:
            out = len(node.children)
            found = max(out, out - 1 + max((need(c) for c in node.children), default=0))
            best[id(node)] = found
        return found

    return need(entry)


def _groups(expr: Expr) -> int:
    if isinstance(expr, _Leaf):
        return 0
    return 1 + sum(_groups(e) for e in expr.items)


def _slots(expr: Expr) -> set[int]:
    if isinstance(expr, _Leaf):
        return {expr.slot}
    return set().union(*(_slots(e) for e in expr.items))


#: The stack need pieces are split down to when possible, so that MAX_RULES of them share one
#: ruleset (each ruleset is one more pass over the facts).
PIECE_NEED = STACK_BUDGET - MAX_RULES


def _fits(expr: Expr, need: int) -> bool:
    # durable sees {"$and": [type test, expr…]}: an "and" expression shares that group.
    groups = _groups(expr) + (0 if isinstance(expr, _Group) and expr.kind == "and" else 1)
    return groups <= MAX_GROUPS and _cost(expr) <= need


def _halves(group: _Group) -> tuple[Expr, Expr]:
    middle = len(group.items) // 2
    return _group("or", group.items[:middle]), _group("or", group.items[middle:])


def _pieces(expr: Expr, what: str) -> list[Expr]:
    """``expr`` as a disjunction of expressions durable accepts.

    An ``$or`` that is too big is cut in two halves; an ``$and`` that is too big has its
    largest ``$or`` cut in two and is distributed over the halves. The pieces overlap where
    the branches do, which is harmless: the actions collect subject indexes into sets.
    """
    try:
        return _split(expr, what, PIECE_NEED)
    except EvaluatorRefused:
        return _split(expr, what, STACK_BUDGET - 1)  # fewer, bigger pieces


def _split(expr: Expr, what: str, need: int) -> list[Expr]:
    out: list[Expr] = []
    todo = [expr]
    while todo:
        current = todo.pop(0)
        if _fits(current, need):
            out.append(current)
        elif isinstance(current, _Group) and current.kind == "or":
            todo[:0] = _halves(current)
        elif isinstance(current, _Group) and any(isinstance(e, _Group) for e in current.items):
            index = max(range(len(current.items)), key=lambda k: _cost(current.items[k]))
            pick = current.items[index]
            assert isinstance(pick, _Group) and pick.kind == "or"
            rest = current.items[:index] + current.items[index + 1:]
            todo[:0] = [_group("and", (*rest, half)) for half in _halves(pick)]
        elif _fits(current, STACK_BUDGET - 1):
            out.append(current)  # nothing to split: bigger than wished, within durable's limits
        else:
            raise EvaluatorRefused(
                f"{what}: a conjunction too large for one durable-rules rule ({MAX_GROUPS} "
                f"all/any groups, {STACK_BUDGET - 1} alpha-stack entries; errors 113, 303)")
        if len(out) + len(todo) > MAX_PIECES:
            raise EvaluatorRefused(
                f"{what}: the condition is too large for durable-rules: it does not fit in "
                f"{MAX_PIECES} durable rules of at most {MAX_GROUPS} all/any groups and "
                f"{STACK_BUDGET - 1} alpha-stack entries each (durable errors 113 and 303)")
    return out


# -- literals and values ----------------------------------------------------------------------

def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def _number_text(value: int | float, what: Callable[[], str]) -> str:
    """A number as durable's JSON reader takes it exactly (it reads ``1e-05`` as ``1``)."""
    if isinstance(value, int):
        if abs(value) > MAX_EXACT_INT:
            raise EvaluatorRefused(f"{what()}: the integer {value} is beyond 2**53, where "
                                   "durable-rules compares through a double and would round")
        return str(value)
    if not math.isfinite(value):
        raise EvaluatorRefused(f"{what()}: {value!r} cannot be passed to durable-rules (JSON)")
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        text = f"{mantissa}e{exponent}"
    elif "." not in text:  # pragma: no cover - repr of a finite float always has one of them
        text += ".0"
    return text


def _scalar_text(value: Any, what: Callable[[], str]) -> str:
    """The JSON text of a scalar, typed so durable cannot coerce it across types."""
    if isinstance(value, bool):
        return f'"{_TRUE if value else _FALSE}"'
    if isinstance(value, (int, float)):
        return _number_text(value, what)
    if isinstance(value, str):
        return '"s' + value.encode("utf-8", "surrogatepass").hex() + '"'
    raise EvaluatorRefused(f"{what()}: a {_kind(value)} cannot be compared by durable-rules")


# -- slots: what each fact carries --------------------------------------------------------------

#: How a slot writes a missing value. ``None``: the property is omitted, so every test but
#: ``$nex`` is false. The others make one complement test true on a missing value without an
#: ``$or`` with ``$nex`` (durable allows only 15 all/any groups per rule): "m" for ``$neq``
#: (a string no encoded value or literal equals), LOW/HIGH for orderings, ``["z"]`` for
#: ``$iall``.
_MISSING_TEXT = {
    "m": '"m"',
    "low": "-1.7976931348623157e+308",
    "high": "1.7976931348623157e+308",
    "z": f"[{_SENTINEL}]",
}
_LIMIT = 1.7976931348623157e308
#: The complement of each ordering, and the sentinel that makes it true on a missing value.
_COMPLEMENT = {"gt": ("lte", "low"), "gte": ("lt", "low"), "lt": ("gte", "high"), "lte": ("gt", "high")}
_DURABLE_OP = {"gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


@dataclass
class _Slot:
    """One property of the facts of a scope and how to fill it."""

    number: int
    kind: str  # present | scalar | list | eqref | inref | diff
    left: ir.Operand
    right: ir.Operand | None = None
    missing: str | None = None  # see _MISSING_TEXT
    #: (rule id, the value kinds one of its tests compares with; empty: any)
    users: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"v{self.number}"

    def label(self) -> str:
        text = self.left.label()
        if self.right is not None:
            text += f" vs {self.right.label()}"
        return text


class _ScopeCompiler:
    """Turns the rules of one scope into durable expressions over slots."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.slots: list[_Slot] = []
        self._by_key: dict[tuple[Any, ...], _Slot] = {}
        self.rule_id = ""

    def slot(self, kind: str, left: ir.Operand, right: ir.Operand | None = None,
             allowed: Iterable[str] = (), missing: str | None = None) -> _Slot:
        if right is None and isinstance(left, (ir.Count, ir.Related)):
            missing = None  # never missing: no sentinel needed
        if kind == "present":
            for other in ("scalar", "list"):  # a slot carrying the value also tells presence
                found = self._by_key.get((other, left, None, None))
                if found is not None:
                    found.users.append((self.rule_id, frozenset()))
                    return found
        key = (kind, left, right, missing)
        found = self._by_key.get(key)
        if found is None and kind in ("scalar", "list") and missing is None:
            weaker = self._by_key.pop(("present", left, None, None), None)
            if weaker is not None:  # upgrade the presence slot: the value tells presence too
                weaker.kind = kind
                self._by_key[key] = found = weaker
        if found is None:
            other = "list" if kind == "scalar" else "scalar"
            if kind in ("scalar", "list") and any(k[0] == other and k[1] == left for k in self._by_key):
                raise EvaluatorRefused(f"rule {self.rule_id}: {left.label()} is used both as "
                                       "a list and as a single value")
            found = _Slot(len(self.slots), kind, left, right, missing)
            self.slots.append(found)
            self._by_key[key] = found
        found.users.append((self.rule_id, frozenset(allowed)))
        return found

    # leaves -------------------------------------------------------------------------------

    def literal(self, value: Any) -> str:
        return _scalar_text(value, lambda: f"rule {self.rule_id}")

    def bound(self, value: Any) -> str:
        """A number compared by an ordering: strictly inside the LOW/HIGH sentinels."""
        if _kind(value) != "number":
            raise EvaluatorRefused(f"rule {self.rule_id}: an ordering needs a number, got {value!r}")
        if not -_LIMIT < value < _LIMIT:
            raise EvaluatorRefused(f"rule {self.rule_id}: {value!r} is out of the range the "
                                   "durable evaluator can compare")
        return self.literal(value)

    @staticmethod
    def leaf(slot: _Slot, text: str) -> _Leaf:
        return _Leaf(text, slot.number)

    def ex(self, slot: _Slot) -> _Leaf:
        return self.leaf(slot, f'{{"$ex":{{"{slot.name}":1}}}}')

    def nex(self, slot: _Slot) -> _Leaf:
        return self.leaf(slot, f'{{"$nex":{{"{slot.name}":1}}}}')

    def eq(self, slot: _Slot, literal: str) -> _Leaf:
        return self.leaf(slot, f'{{"{slot.name}":{literal}}}')

    def op(self, slot: _Slot, op: str, literal: str) -> _Leaf:
        return self.leaf(slot, f'{{"{op}":{{"{slot.name}":{literal}}}}}')

    def test(self, node: ir.Test) -> tuple[Expr, Expr]:
        """(holds, does not hold) of one leaf, as durable expressions.

        "Does not hold" is true on a missing value for every operator but ``exists``."""
        op, left, right = node.op, node.left, node.right
        if op == "exists":
            slot = self.slot("present", left)
            pos, neg = self.ex(slot), self.nex(slot)
            return (pos, neg) if right else (neg, pos)
        if isinstance(right, ir.Field):
            return self.ref_test(node)
        if op == "contains":
            kinds = [_kind(right)]
            lit = self.literal(right)
            slot = self.slot("list", left, allowed=kinds)
            every = self.slot("list", left, allowed=kinds, missing="z")
            return (self.leaf(slot, f'{{"$iany":{{"{slot.name}":{{"$i":{lit}}}}}}}'),
                    self.leaf(every, f'{{"$iall":{{"{every.name}":{{"$neq":{{"$i":{lit}}}}}}}}}'))
        if op == "one_of":
            kinds = {_kind(v) for v in right}
            if len(kinds) != 1:
                raise EvaluatorRefused(f"rule {self.rule_id}: one_of mixes {', '.join(sorted(kinds))}")
            lits = [self.literal(v) for v in right]
            slot = self.slot("scalar", left, allowed=kinds)
            other = self.slot("scalar", left, allowed=kinds, missing="m")
            return (_group("or", (self.eq(slot, lit) for lit in lits)),
                    _group("and", (self.op(other, "$neq", lit) for lit in lits)))
        if op == "equals":
            kinds = [_kind(right)]
            lit = self.literal(right)
            slot = self.slot("scalar", left, allowed=kinds)
            other = self.slot("scalar", left, allowed=kinds, missing="m")
            return self.eq(slot, lit), self.op(other, "$neq", lit)
        if op == "not_equals":
            kinds = [_kind(right)]
            lit = self.literal(right)
            slot = self.slot("scalar", left, allowed=kinds)
            neg: Expr = self.eq(slot, lit)
            if not isinstance(left, (ir.Count, ir.Related)):
                neg = _group("or", (self.nex(slot), neg))
            return self.op(slot, "$neq", lit), neg
        if op in _DURABLE_OP:
            lit = self.bound(right)
            complement, sentinel = _COMPLEMENT[op]
            slot = self.slot("scalar", left, allowed=["number"])
            other = self.slot("scalar", left, allowed=["number"], missing=sentinel)
            return (self.op(slot, _DURABLE_OP[op], lit),
                    self.op(other, _DURABLE_OP[complement], lit))
        raise EvaluatorRefused(f"rule {self.rule_id}: unknown test operator {op!r}")

    def ref_test(self, node: ir.Test) -> tuple[Expr, Expr]:
        """``a op {ref: b}``: durable's ``$m`` is unsafe (module docstring), so one slot holds
        ``a - b`` for orderings, or the boolean of the comparison otherwise."""
        op, left, right = node.op, node.left, node.right
        if op in _DURABLE_OP:
            complement, sentinel = _COMPLEMENT[op]
            slot = self.slot("diff", left, right)
            other = self.slot("diff", left, right, missing=sentinel)
            return (self.op(slot, _DURABLE_OP[op], "0"),
                    self.op(other, _DURABLE_OP[complement], "0"))
        if op in ("equals", "not_equals", "contains"):
            kind = "inref" if op == "contains" else "eqref"
            slot = self.slot(kind, left, right)
            other = self.slot(kind, left, right, missing="m")
            yes = _TRUE if op != "not_equals" else _FALSE
            return self.eq(slot, f'"{yes}"'), self.op(other, "$neq", f'"{yes}"')
        raise EvaluatorRefused(f"rule {self.rule_id}: {op} cannot compare with a field reference")

    def node(self, node: ir.Node) -> tuple[Expr, Expr]:
        """(holds, does not hold) of a condition: ``not`` pushed down to the leaves."""
        if isinstance(node, ir.Test):
            return self.test(node)
        if isinstance(node, ir.Not):
            pos, neg = self.node(node.item)
            return neg, pos
        if isinstance(node, (ir.AllOf, ir.AnyOf)):
            pairs = [self.node(n) for n in node.items]
            both = _group("and", (p for p, _ in pairs)), _group("or", (n for _, n in pairs))
            either = _group("or", (p for p, _ in pairs)), _group("and", (n for _, n in pairs))
            return both if isinstance(node, ir.AllOf) else either
        raise EvaluatorRefused(f"rule {self.rule_id}: unknown condition {node!r}")


@dataclass(frozen=True)
class _DurableRule:
    rule: int  # index into the scope's rules
    role: str  # selected | unselected | failed
    expr: Expr


@dataclass
class _Chunk:
    """One durable ruleset: its rules and the slots its facts carry."""

    rules: list[_DurableRule]
    slots: list[int]
    text: str = ""


def _compile_scope(scope: str, rules: Sequence[ir.CompiledRule],
                   complement: list[bool]) -> tuple[list[_Slot], list[_Chunk]]:
    """Slots and rulesets for the rules of one scope.

    ``complement[k]``: collect the subjects rule k does *not* select (cheaper when ``when``
    selects most of them: every firing costs a round trip through durable's action queue).
    Updated in place when only the other form fits durable's limits.
    """
    comp = _ScopeCompiler(scope)
    durable_rules: list[_DurableRule] = []
    for number, rule in enumerate(rules):
        comp.rule_id = rule.id
        _, require_neg = comp.node(rule.require)
        targets: list[tuple[str, Expr]] = []
        if rule.when is not None:
            when_pos, when_neg = comp.node(rule.when)
            if complement[number]:
                targets.append(("unselected", when_neg))
            else:
                targets.append(("selected", when_pos))
            targets.append(("failed", _group("and", (when_pos, require_neg))))
        else:
            targets.append(("failed", require_neg))
        for role, expr in targets:
            try:
                pieces = _pieces(expr, f"rule {rule.id} ({role})")
            except EvaluatorRefused:
                if role not in ("selected", "unselected"):
                    raise
                # the other form may fit (the complement of a wide "any" is a long "all")
                role = "selected" if role == "unselected" else "unselected"
                complement[number] = role == "unselected"
                pieces = _pieces(when_pos if role == "selected" else when_neg, f"rule {rule.id} ({role})")
            durable_rules.extend(_DurableRule(number, role, piece) for piece in pieces)
    chunks: list[_Chunk] = []
    current: list[_DurableRule] = []
    need = 0
    for drule in durable_rules:
        cost = _cost(drule.expr)
        if current and (len(current) >= MAX_RULES or len(current) + 1 + max(need, cost) > STACK_BUDGET):
            chunks.append(_Chunk(current, []))
            current, need = [], 0
        current.append(drule)
        need = max(need, cost)
    if current:
        chunks.append(_Chunk(current, []))
    for chunk in chunks:
        chunk.slots = sorted(set().union(*(_slots(d.expr) for d in chunk.rules)))
        if len(chunk.slots) + 4 > MAX_PROPERTIES:  # pragma: no cover - the stack budget is lower
            raise EvaluatorRefused(f"scope {scope}: more than {MAX_PROPERTIES} values per fact")
        body = []
        for number, drule in enumerate(chunk.rules):
            expr = drule.expr
            items = expr.items if isinstance(expr, _Group) and expr.kind == "and" else (expr,)
            # the rule's own entry test (always true) keeps alpha paths from crossing rules
            tests = ",".join((f'{{"t":"{_SUBJECT}"}}', f'{{"$neq":{{"t":"r{number}"}}}}',
                              *(_json(e) for e in items)))
            body.append(f'"r{number}":{{"all":[{{"m":{{"$and":[{tests}]}}}}]}}')
        # last, so that it has the highest action index: durable runs actions rule by rule
        # in index order, so the trigger's action comes after every other queued one
        body.append(f'"{_TRIGGER_RULE}":{{"all":[{{"m":{{"t":"{_EVALUATE}"}}}}]}}')
        chunk.text = "{" + ",".join(body) + "}"
    _check_names(["t", "i", *(s.name for s in comp.slots)])
    return comp.slots, chunks


def _check_names(names: Sequence[str]) -> None:
    """durable looks property names up by their 32-bit hash only: they must not collide."""
    seen: dict[int, str] = {fnv1a32(n): n for n in _RESERVED_NAMES}
    for name in names:
        h = fnv1a32(name)
        if h in seen:  # pragma: no cover - names are fixed; checked to be safe
            raise EvaluatorRefused(f"property names {seen[h]!r} and {name!r} share the "
                                   f"durable-rules hash {h}")
        seen[h] = name


# -- values of the slots --------------------------------------------------------------------

def _refuse_kind(slot: _Slot, found: str, index: int, scope: str) -> EvaluatorRefused:
    rules = ", ".join(dict.fromkeys(rule for rule, _ in slot.users))
    return EvaluatorRefused(
        f"rule {rules}: {slot.label()} of {scope} #{index} is a {found}, which its tests do not "
        "compare with; durable-rules would coerce it, so the durable evaluator refuses")


def _fill(slot: _Slot, lefts: Sequence[Any], rights: Sequence[Any] | None, scope: str) -> list[str | None]:
    """The JSON text of ``slot`` for each subject (``None``: omit the property), from the
    values of its operands (``engine.derive.value``)."""
    # every test on the slot must accept the value's kind (a rule comparing with a string
    # and another ordering it as a number both constrain it)
    accepted = {"boolean", "number", "string"}
    for _, kinds in slot.users:
        if kinds:
            accepted &= kinds

    def allowed(kind: str) -> bool:
        return kind in accepted

    def where() -> str:
        return f"rule {slot.users[0][0]}: {slot.label()} of {scope}"

    absent = None if slot.missing is None else _MISSING_TEXT[slot.missing]
    if slot.kind == "present":
        return [None if value is None else "1" for value in lefts]
    if slot.kind == "scalar":
        # values repeat (status, platform…): encode each distinct one once; the type is part
        # of the key because True == 1 == 1.0 in Python
        texts: dict[tuple[type, Any], str] = {}
        out: list[str | None] = []
        for index, value in enumerate(lefts):
            if value is None:
                out.append(absent)
                continue
            key = (type(value), value) if isinstance(value, (str, int, float)) else None
            text = texts.get(key) if key is not None else None
            if text is None:
                found = _kind(value)
                if not allowed(found):
                    raise _refuse_kind(slot, found, index, scope)
                text = _scalar_text(value, where)
                if key is not None:
                    texts[key] = text
            out.append(text)
        return out
    out = []
    for index, value in enumerate(lefts):
        other = rights[index] if rights is not None else 0
        if value is None or other is None:
            out.append(absent)
        elif slot.kind == "list":
            if not isinstance(value, list):
                raise _refuse_kind(slot, _kind(value), index, scope)
            texts = []
            for item in value:
                if item is None or not allowed(_kind(item)):
                    raise _refuse_kind(slot, f"list holding a {_kind(item)}", index, scope)
                texts.append(_scalar_text(item, where))
            texts.append(_SENTINEL)
            out.append("[" + ",".join(texts) + "]")
        elif slot.kind == "diff":
            if _kind(value) != "number" or _kind(other) != "number":
                raise _refuse_kind(slot, f"{_kind(value)}/{_kind(other)}", index, scope)
            _number_text(value, where)  # the range checks
            _number_text(other, where)
            delta = value - other  # exact in sign: a - b == 0 only when a == b (IEEE 754)
            if isinstance(delta, float) and math.isinf(delta):
                delta = math.copysign(1e308, delta)  # only the sign is compared (with 0)
            elif isinstance(delta, int) and abs(delta) > MAX_EXACT_INT:
                delta = MAX_EXACT_INT if delta > 0 else -MAX_EXACT_INT
            out.append(_number_text(delta, where))
        elif slot.kind == "eqref":
            if _kind(value) != _kind(other) or not allowed(_kind(value)):
                raise _refuse_kind(slot, f"{_kind(value)}/{_kind(other)}", index, scope)
            out.append(f'"{_TRUE}"' if value == other else f'"{_FALSE}"')
        else:  # inref: right in left
            if not isinstance(value, list) or not allowed(_kind(other)):
                raise _refuse_kind(slot, f"{_kind(value)}/{_kind(other)}", index, scope)
            if any(_kind(item) != _kind(other) for item in value):
                raise _refuse_kind(slot, f"list holding other than {_kind(other)}s", index, scope)
            out.append(f'"{_TRUE}"' if other in value else f'"{_FALSE}"')
    return out


# -- fact identity ---------------------------------------------------------------------------

def _fact_id(index: int, attempt: int) -> str:
    """The id of subject ``index``; ``attempt`` > 0 re-salts it after a hash collision."""
    return f"{index:x}" if attempt == 0 else f"{index:x}~{attempt}"


#: Re-salting attempts per fact before the evaluator refuses.
MAX_ID_ATTEMPTS = 8


def _assign_ids(count: int, reserved: Iterable[str]) -> list[str]:
    """Ids for ``count`` facts whose 32-bit FNV-1a hashes differ from each other and from
    ``reserved`` (trigger, state records). Raises EvaluatorRefused when that fails."""
    taken: dict[int, str] = {}
    for name in reserved:
        taken.setdefault(fnv1a32(name), name)
    ids: list[str] = []
    for index in range(count):
        for attempt in range(MAX_ID_ATTEMPTS):
            candidate = _fact_id(index, attempt)
            h = fnv1a32(candidate)
            if h not in taken:
                break
        else:
            raise _collision(taken[h], candidate, h)
        taken[h] = candidate
        ids.append(candidate)
    check_ids([*reserved, *ids])
    return ids


def _collision(first: str, second: str, h: int) -> EvaluatorRefused:
    what = f"the fact id {first!r} is used twice" if first == second else (
        f"the fact ids {first!r} and {second!r} share the 32-bit FNV-1a hash {h}")
    return EvaluatorRefused(
        f"{what}; durable-rules identifies facts by that hash only, so it would drop the second "
        "as already observed and lose its findings silently: the durable evaluator refuses")


def check_ids(ids: Iterable[str]) -> None:
    """Raise EvaluatorRefused if two different ids of one session collide in durable's hash."""
    seen: dict[int, str] = {}
    for ident in ids:
        h = fnv1a32(ident)
        if h in seen:
            raise _collision(seen[h], ident, h)
        seen[h] = ident


# -- durable-rules plumbing ------------------------------------------------------------------
#
# The C extension is driven directly rather than through durable.engine's Host/Ruleset:
# their ``json.dumps`` writes floats such as 1e-05 that the C reader misparses (a batch
# holding one loses the facts after it, or crashes), the Host starts timer threads that race
# with the caller, and the Python action dispatch swallows exceptions and costs ~4x more per
# firing. Here no action code runs inside durable at all: after the trigger fact, the queued
# results are drained with start_action_for_state / complete_and_start_action and recorded
# by plain Python, so an exception propagates (after the session is deleted).

#: A result as durable serialises it: ``{"r3":{"m":FACT}}`` with FACT the text written here.
_MESSAGE = re.compile(r'\{"(r\d+)":\{"m":\{"sid":"[^"]*","id":"[^"]*","t":"' + _SUBJECT + r'","i":(\d+)[,}]')


class _Run:
    """What one session collects."""

    def __init__(self, names: Sequence[str]) -> None:
        self.hits: dict[str, set[int]] = {name: set() for name in names}
        self.triggered = 0
        self.after_trigger = 0

    def take(self, text: str) -> None:
        """Record one result that durable serialised: ``{"r3": {"m": {fact}}}``; the fact is
        the text written here, so its index is read without parsing the rest."""
        quick = _MESSAGE.match(text)
        if quick is not None:
            if self.triggered:
                self.after_trigger += 1
            self.record(quick.group(1), int(quick.group(2)))
            return
        for name, found in json.loads(text).items():
            for match in found if isinstance(found, list) else [found]:
                if name == _TRIGGER_RULE:
                    self.triggered += 1
                    continue
                if self.triggered:
                    self.after_trigger += 1
                self.record(name, match["m"]["i"])

    def record(self, name: str, index: int) -> None:
        self.hits[name].add(index)


class _Ruleset:
    """One ruleset created in the C core from JSON text written here."""

    def __init__(self, text: str, rule_names: Sequence[str]) -> None:
        self.name = "smgov_" + hashlib.sha256(text.encode()).hexdigest()[:24]
        self.rule_names = tuple(rule_names)
        try:  # a copy: the C parser writes into the buffer it is given (and restores it)
            self.handle = _dre.create_ruleset(self.name, text.encode().decode())
        except _dre.error as exc:
            raise RuntimeError(f"durable-rules rejected a generated ruleset ({exc})") from exc

    def close(self) -> None:
        _dre.delete_ruleset(self.handle)


class _Cache:
    """Rulesets by definition text: created once, reused, evicted least recently used.

    durable leaks memory for every ruleset created, so a policy set keeps its rulesets for the
    life of the process; runs share no state (each has its own sid, deleted afterwards)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.rulesets: OrderedDict[str, _Ruleset] = OrderedDict()
        self.counter = itertools.count()

    def get(self, text: str, rule_names: Sequence[str], keep: set[str]) -> _Ruleset:
        found = self.rulesets.get(text)
        if found is not None:
            self.rulesets.move_to_end(text)
            return found
        ruleset = self.rulesets[text] = _Ruleset(text, rule_names)
        for old in list(self.rulesets):
            if len(self.rulesets) <= MAX_CACHED_RULESETS:
                break
            if old not in keep:
                self.rulesets.pop(old).close()
        return ruleset

    def session_id(self, taken: set[int]) -> str:
        while True:
            sid = f"smgov-{os.getpid()}-{next(self.counter)}"
            if fnv1a32(f"sid-{sid}") not in taken:
                return sid


_CACHE = _Cache()
_RESULT = {0: "ok", 1: "not handled", 2: "already observed", 3: "deferred"}


def _session(ruleset: _Ruleset, facts: Callable[[str], str], hashes: set[int], what: str) -> _Run:
    """Assert the facts ``facts(sid)`` under a fresh sid, then the trigger; collect what fired.

    ``hashes``: those of the ids of the facts and the trigger (checked distinct); the sid is
    chosen so that its state record's id ("sid-" + sid) does not collide with them either."""
    sid = _CACHE.session_id(hashes)
    run = _Run(ruleset.rule_names)
    handle = ruleset.handle
    state: int | None = None
    try:
        code, _ = _dre.assert_facts(handle, facts(sid))
        # 1: some subject matched no rule (normal; its batch's actions stay queued)
        if code not in (0, 1):
            raise RuntimeError(f"{what}: durable-rules answered the facts with {_RESULT.get(code, code)!r} "
                               "(a fact may have been dropped)")
        trigger = f'{{"sid":"{sid}","id":"{_TRIGGER_ID}","t":"{_EVALUATE}"}}'
        code, state = _dre.assert_fact(handle, trigger)
        if code != 0:
            raise RuntimeError(f"{what}: durable-rules answered the trigger fact with "
                               f"{_RESULT.get(code, code)!r}")
        started = _dre.start_action_for_state(handle, state)
        text = started[1] if started else None
        while text is not None:
            run.take(text)
            text = _dre.complete_and_start_action(handle, state)
        if run.triggered != 1 or run.after_trigger:
            raise RuntimeError(f"{what}: the trigger rule ran {run.triggered} time(s) and "
                               f"{run.after_trigger} result(s) came after it: durable-rules may not "
                               "have run every queued action")
    except BaseException as exc:
        if state is not None:  # release the action an error left started (C: no bounds check)
            with contextlib.suppress(_dre.error):
                _dre.abandon_action(handle, state)
        if isinstance(exc, _dre.error):
            raise RuntimeError(f"{what}: durable-rules failed ({exc})") from exc
        raise
    finally:
        with contextlib.suppress(_dre.error):  # no state if the first assert failed
            _dre.delete_state(handle, sid)
    return run


# -- the evaluator --------------------------------------------------------------------------

#: Subjects sampled to guess whether ``when`` selects most of a collection.
SAMPLE = 64


def evaluate(
    policies: PolicySet, inventory: Inventory, as_of: dt.date, scope: Scope | None = None
) -> tuple[RuleResult, ...]:
    """Run every rule through durable-rules; the same results as ``engine.native.evaluate``."""
    if _dre is None:
        raise EvaluatorRefused(f"durable-rules cannot be imported here: {_IMPORT_ERROR}")
    scope = scope or Scope(inventory, as_of)  # the pipeline shares one per check (indexes)
    by_scope: dict[str, list[ir.CompiledRule]] = {}
    for rule in policies.rules:
        by_scope.setdefault(rule.scope, []).append(rule)
    results: dict[str, RuleResult] = {}
    with _CACHE.lock:
        keep: set[str] = set()
        for kind, rules in by_scope.items():
            subjects = [inventory.organisation_subject()] if kind == "organisation" else inventory.items(kind)
            results.update(_evaluate_scope(kind, rules, subjects, scope, keep))
    return tuple(results[rule.id] for rule in policies.rules)


def _complements(rules: Sequence[ir.CompiledRule], subjects: Sequence[Any], scope: Scope) -> list[bool]:
    """For each rule, whether its ``when`` seems to select more than half the subjects.

    Only a cost heuristic (which of "selected" / "not selected" durable reports); the
    results come from durable either way."""
    step = max(1, len(subjects) // SAMPLE)
    sample = subjects[::step][:SAMPLE]
    out = []
    for rule in rules:
        if rule.when is None or not sample:
            out.append(False)
            continue
        try:
            chosen = sum(1 for s in sample if holds(rule.when, (s, None), scope))
        except Exception:  # a heuristic must not fail the run; _fill reports bad values
            chosen = 0
        out.append(2 * chosen > len(sample))
    return out


def _values(operand: ir.Operand, subjects: Sequence[Any], scope: Scope) -> list[Any]:
    """``engine.derive.value`` of ``operand`` for each subject (a plain field of the subject is
    read inline, exactly as ``derive.get`` does; the organisation's fields are read once)."""
    if isinstance(operand, ir.Field) and operand.root in ("organisation", "governance"):
        return [derived_value(operand, (subjects[0], None), scope)] * len(subjects)
    if (isinstance(operand, ir.Field) and operand.root == "subject" and len(operand.path) == 1
            and all(type(s) is dict for s in subjects)):
        name = operand.path[0]
        return [s.get(name) for s in subjects]
    return [derived_value(operand, (s, None), scope) for s in subjects]


def _evaluate_scope(kind: str, rules: Sequence[ir.CompiledRule], subjects: Sequence[Any],
                    scope: Scope, keep: set[str]) -> dict[str, RuleResult]:
    complement = _complements(rules, subjects, scope)
    slots, chunks = _compile_scope(kind, rules, complement)
    selected: list[set[int]] = [set() for _ in rules]
    unselected: list[set[int]] = [set() for _ in rules]
    failed: list[set[int]] = [set() for _ in rules]
    found = {"selected": selected, "unselected": unselected, "failed": failed}
    if subjects:
        used = [slots[n] for n in sorted(set().union(*(c.slots for c in chunks)))]
        operands: dict[ir.Operand, list[Any]] = {}
        for slot in used:
            for operand in (slot.left, slot.right):
                if operand is not None and operand not in operands:
                    operands[operand] = _values(operand, subjects, scope)
        # each slot's property as it appears in a fact ("" when omitted)
        fragments: dict[int, list[str]] = {}
        for slot in used:
            texts = _fill(slot, operands[slot.left], operands[slot.right] if slot.right else None, kind)
            prefix = f',"{slot.name}":'
            fragments[slot.number] = ["" if t is None else prefix + t for t in texts]
        ids = _assign_ids(len(subjects), [_TRIGGER_ID])
        hashes = {fnv1a32(i) for i in (*ids, _TRIGGER_ID)}
        for number, chunk in enumerate(chunks):
            keep.add(chunk.text)
            names = [f"r{k}" for k in range(len(chunk.rules))]
            ruleset = _CACHE.get(chunk.text, names, keep)
            columns = [fragments[s] for s in chunk.slots]
            bodies = [f'"id":"{ident}","t":"{_SUBJECT}","i":{index}{"".join(row)}}}'
                      for index, (ident, *row) in enumerate(zip(ids, *columns, strict=True))]

            def facts(sid: str, bodies: list[str] = bodies) -> str:
                head = f'{{"sid":"{sid}",'
                return "[" + ",".join(head + body for body in bodies) + "]"

            what = f"scope {kind}, ruleset {number + 1} of {len(chunks)}"
            run = _session(ruleset, facts, hashes, what)
            for name, drule in zip(names, chunk.rules, strict=True):
                found[drule.role][drule.rule].update(run.hits[name])
    out: dict[str, RuleResult] = {}
    everyone = range(len(subjects))
    for number, rule in enumerate(rules):
        if rule.when is None:
            chosen = None
            applied = len(subjects)
        else:
            picked = set(everyone) - unselected[number] if complement[number] else selected[number]
            chosen = tuple(sorted(picked))
            applied = len(chosen)
            if not failed[number] <= picked:
                raise RuntimeError(f"rule {rule.id}: durable-rules reported failures of subjects "
                                   "it did not select")
        out[rule.id] = RuleResult(rule.id, applied, tuple(sorted(failed[number])), chosen)
    return out
