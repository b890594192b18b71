"""The rules of one scope compiled into durable rulesets over slots."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.evaluate.durable.encoding import _COMPLEMENT, _DURABLE_OP, _LIMIT, _kind, _scalar_text, _Slot
from engine.evaluate.durable.expressions import Expr, _cost, _Group, _group, _json, _Leaf, _pieces, _slots
from engine.evaluate.durable.ids import fnv1a32
from engine.evaluate.durable.limits import (
    _EVALUATE,
    _FALSE,
    _RESERVED_NAMES,
    _SUBJECT,
    _TRIGGER_RULE,
    _TRUE,
    MAX_PROPERTIES,
    MAX_RULES,
    STACK_BUDGET,
)
from engine.evaluate.evaluation import EvaluatorRefused
from engine.policy import ir


class _ScopeCompiler:
    """Turns the rules of one scope into durable expressions over slots."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.slots: list[_Slot] = []
        self._by_key: dict[tuple[Any, ...], _Slot] = {}
        self.rule_id = ""

    def slot(
        self,
        kind: str,
        left: ir.Operand,
        right: ir.Operand | None = None,
        allowed: Iterable[str] = (),
        missing: str | None = None,
    ) -> _Slot:
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
                raise EvaluatorRefused(
                    f"rule {self.rule_id}: {left.label()} is used both as a list and as a single value"
                )
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
            raise EvaluatorRefused(
                f"rule {self.rule_id}: {value!r} is out of the range the durable evaluator can compare"
            )
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
            return (
                self.leaf(slot, f'{{"$iany":{{"{slot.name}":{{"$i":{lit}}}}}}}'),
                self.leaf(every, f'{{"$iall":{{"{every.name}":{{"$neq":{{"$i":{lit}}}}}}}}}'),
            )
        if op == "one_of":
            kinds = {_kind(v) for v in right}
            if len(kinds) != 1:
                raise EvaluatorRefused(f"rule {self.rule_id}: one_of mixes {', '.join(sorted(kinds))}")
            lits = [self.literal(v) for v in right]
            slot = self.slot("scalar", left, allowed=kinds)
            other = self.slot("scalar", left, allowed=kinds, missing="m")
            return (
                _group("or", (self.eq(slot, lit) for lit in lits)),
                _group("and", (self.op(other, "$neq", lit) for lit in lits)),
            )
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
            return (self.op(slot, _DURABLE_OP[op], lit), self.op(other, _DURABLE_OP[complement], lit))
        raise EvaluatorRefused(f"rule {self.rule_id}: unknown test operator {op!r}")

    def ref_test(self, node: ir.Test) -> tuple[Expr, Expr]:
        """``a op {ref: b}``: durable's ``$m`` is unsafe (module docstring), so one slot holds
        ``a - b`` for orderings, or the boolean of the comparison otherwise."""
        op, left, right = node.op, node.left, node.right
        if op in _DURABLE_OP:
            complement, sentinel = _COMPLEMENT[op]
            slot = self.slot("diff", left, right)
            other = self.slot("diff", left, right, missing=sentinel)
            return (self.op(slot, _DURABLE_OP[op], "0"), self.op(other, _DURABLE_OP[complement], "0"))
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


def _compile_scope(
    scope: str, rules: Sequence[ir.CompiledRule], complement: list[bool]
) -> tuple[list[_Slot], list[_Chunk]]:
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
            tests = ",".join((f'{{"t":"{_SUBJECT}"}}', f'{{"$neq":{{"t":"r{number}"}}}}', *(_json(e) for e in items)))
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
            raise EvaluatorRefused(f"property names {seen[h]!r} and {name!r} share the durable-rules hash {h}")
        seen[h] = name
