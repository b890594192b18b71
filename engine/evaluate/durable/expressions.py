"""The condition expressions given to durable, and their splitting to fit its limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.evaluate.durable.limits import MAX_GROUPS, MAX_PIECES, MAX_RULES, STACK_BUDGET
from engine.evaluate.evaluation import EvaluatorRefused


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
            rest = current.items[:index] + current.items[index + 1 :]
            todo[:0] = [_group("and", (*rest, half)) for half in _halves(pick)]
        elif _fits(current, STACK_BUDGET - 1):
            out.append(current)  # nothing to split: bigger than wished, within durable's limits
        else:
            raise EvaluatorRefused(
                f"{what}: a conjunction too large for one durable-rules rule ({MAX_GROUPS} "
                f"all/any groups, {STACK_BUDGET - 1} alpha-stack entries; errors 113, 303)"
            )
        if len(out) + len(todo) > MAX_PIECES:
            raise EvaluatorRefused(
                f"{what}: the condition is too large for durable-rules: it does not fit in "
                f"{MAX_PIECES} durable rules of at most {MAX_GROUPS} all/any groups and "
                f"{STACK_BUDGET - 1} alpha-stack entries each (durable errors 113 and 303)"
            )
    return out
