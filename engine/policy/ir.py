"""The intermediate form that policies compile to, owned by the engine.

Both evaluators read it: ``native`` generates Python from it, ``durable`` turns it into
durable-rules rulesets. Derived values (counts, shares, ratios, day differences, regex
matches, list quantifiers, related counts) are nodes of their own; ``engine.evaluate.derive`` gives
their meaning by interpretation, the reference the native code generator is tested against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Comparison operators of a Test, in the order documented.
COMPARISONS = ("equals", "not_equals", "gt", "gte", "lt", "lte")


@dataclass(frozen=True)
class Field:
    """A value read by path. ``root``: subject | item | organisation | governance."""

    root: str
    path: tuple[str, ...]

    def label(self) -> str:
        prefix = {"subject": "", "item": "", "organisation": "$organisation", "governance": "$governance"}[self.root]
        if self.root == "item" and not self.path:
            return "$item"
        return ".".join(p for p in (prefix, *self.path) if p)


@dataclass(frozen=True)
class Count:
    """Number of items of a list (a missing list has none), optionally only those matching."""

    list: Field
    where: Node | None = None

    def label(self) -> str:
        return f"count({self.list.label()}{' where …' if self.where else ''})"


@dataclass(frozen=True)
class Share:
    """Fraction of a list's items matching ``where``; undefined for an empty or missing list."""

    list: Field
    where: Node

    def label(self) -> str:
        return f"share({self.list.label()} where …)"


@dataclass(frozen=True)
class Ratio:
    numerator: Field
    denominator: Field

    def label(self) -> str:
        return f"{self.numerator.label()}/{self.denominator.label()}"


@dataclass(frozen=True)
class DaysSince:
    """``as_of - date`` in days (negative in the future); undefined when the date is missing.

    ``until``: the opposite, ``date - as_of`` (negative in the past), as ``days_until`` is
    written: its evidence shows the value and the name the policy author used."""

    field: Field
    until: bool = False

    def label(self) -> str:
        return f"days_{'until' if self.until else 'since'}({self.field.label()})"


@dataclass(frozen=True)
class Matches:
    field: Field
    pattern: str

    def label(self) -> str:
        return f"{self.field.label()} matches {self.pattern!r}"


@dataclass(frozen=True)
class Quantified:
    """``any_item`` / ``all_items`` over a list; undefined when the list is missing."""

    quantifier: str  # any | all
    list: Field
    condition: Node

    def label(self) -> str:
        return f"{self.quantifier}_item{'s' if self.quantifier == 'all' else ''}({self.list.label()})"


#: How ``related`` may compare the values it links on (``normalise``), besides exactly:
#: ``casefold`` (trimmed, case-insensitive), ``handle`` (casefold, without a leading ``@``),
#: ``url`` (casefold, without scheme, ``www.``/``m.``, query, fragment and trailing ``/``).
#: The functions are ``engine.evaluate.derive.NORMALISE``.
NORMALISERS = ("casefold", "handle", "url")


@dataclass(frozen=True)
class Related:
    """Number of items of another collection linked to the subject and matching ``where``.

    ``normalise``: per link of ``on``, how both sides are compared (a name of ``NORMALISERS``,
    or "" for exactly); empty when every link compares exactly. ``others``: the subject itself
    is not counted (the collection is the subject's own: "the other accounts like this one")."""

    collection: str
    on: tuple[tuple[tuple[str, ...], Field], ...]  # (their path, our value)
    where: Node | None = None
    normalise: tuple[str, ...] = ()
    others: bool = False

    def label(self) -> str:
        return f"related({self.collection})"


@dataclass(frozen=True)
class DaysBetween:
    """``field - start`` in whole days (negative when ``field`` is the earlier date); ``start``
    is another date field or a fixed ISO date. Undefined when either date is missing."""

    field: Field
    start: Field | str

    def label(self) -> str:
        start = self.start.label() if isinstance(self.start, Field) else self.start
        return f"days_after({self.field.label()}, {start})"


@dataclass(frozen=True)
class Folded:
    """A text (or each text of a list) case- and form-folded: NFKC of the Unicode case fold."""

    field: Field

    def label(self) -> str:
        return f"fold({self.field.label()})"


@dataclass(frozen=True)
class SameFolded:
    """Whether two texts are equal once folded; undefined when either is missing."""

    left: Field
    right: Field

    def label(self) -> str:
        return f"fold({self.left.label()}) = fold({self.right.label()})"


Derived = Count | Share | Ratio | DaysSince | Matches | Quantified | Related | DaysBetween | Folded | SameFolded
Operand = Field | Count | Share | Ratio | DaysSince | Matches | Quantified | Related | DaysBetween | Folded | SameFolded


@dataclass(frozen=True)
class Test:
    """A leaf: ``left`` compared by ``op`` with ``right``.

    ops: exists (right: bool), equals, not_equals, gt, gte, lt, lte (right: scalar or Field),
    one_of (right: tuple of scalars), contains (left is a list; right: scalar or Field).
    Every op but ``exists`` is false when ``left`` (or a Field ``right``) is missing.
    """

    left: Operand
    op: str
    right: Any


@dataclass(frozen=True)
class AllOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Test | AllOf | AnyOf | Not
DERIVED_TYPES = (Count, Share, Ratio, DaysSince, Matches, Quantified, Related, DaysBetween, Folded, SameFolded)


@dataclass(frozen=True)
class CompiledRule:
    """One rule, compiled: metadata plus its ``when`` and ``require`` trees."""

    id: str
    title: str
    description: str
    lever: str
    stage: str
    severity: str
    scope: str
    when: Node | None
    require: Node
    message: str
    remediation: str
    references: tuple[str, ...]
    tags: tuple[str, ...]
    file: str
    line: int
    #: the regulatory or sector frameworks the rule implements (``smgov rules --framework``)
    frameworks: tuple[str, ...] = ()
    after: tuple[str, ...] = ()  # rules to fix first when both are in a plan
    params: tuple[tuple[str, Any], ...] = ()  # parameter values in force (defaults, or a pack's override)
    param_defaults: tuple[tuple[str, Any], ...] = ()  # as the rule declares them


def walk(node: Node | Operand | None) -> list[Node | Operand]:
    """Every node and operand under ``node`` (itself included), depth first, top level only:
    conditions nested inside derived values are not entered."""
    out: list[Node | Operand] = []
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        out.append(current)
        if isinstance(current, (AllOf, AnyOf)):
            stack.extend(reversed(current.items))
        elif isinstance(current, Not):
            stack.append(current.item)
        elif isinstance(current, Test):
            stack.append(current.left)
            if isinstance(current.right, Field):
                stack.append(current.right)
    return out
