"""Compile the condition language (docs/policy-language.md) into the IR, checking as it goes.

Every operator is one small function in ``FIELD_OPERATORS``; each checks its operand against
the field's type from the inventory catalogue, so a condition that could never be true for
type reasons is a policy error, not a silent miss.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.inputs.catalogue import Field as Spec
from engine.inputs.catalogue import fields_of
from engine.inputs.diagnostics import shown
from engine.policy import ir
from engine.policy.dates import _date_only, _iso_date, op_days_since, op_days_until, op_older_than_days, op_within_days
from engine.policy.literals import (
    CompileError,
    PathT,
    _check_literal,
    _fold_enum,
    _fold_option,
    _hint,
    _number,
    _text_only,
    comparisons,
    derive_fold,
)
from engine.policy.patterns import pattern_problem
from engine.vocabulary import COLLECTION_OF, KIND_OF

__all__ = ["FIELD_OPERATORS", "CompileError", "Context", "comparisons", "parse", "resolve"]

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Context:
    """What plain paths mean here: the subject's fields, or the current list item's."""

    subject: str  # the rule's scope
    item: Mapping[str, Spec] | Spec | None = None  # fields of an object item, or a scalar item
    item_label: str = ""
    schema: str = "inventory"  # the inventory schema fields are typed by (with declared fields)

    def fields(self, kind: str) -> dict[str, Spec]:
        return fields_of(kind, self.schema)


def resolve(path: Any, ctx: Context, where: PathT) -> tuple[ir.Field, Spec]:
    """A path string -> the IR field it reads and the catalogue entry that types it."""
    if not isinstance(path, str) or not path:
        raise CompileError(f"a path must be a non-empty string, got {path!r}", where)
    if path == "$item":
        if not isinstance(ctx.item, Spec):
            raise CompileError("'$item' is only meaningful inside a list operator over plain values", where)
        return ir.Field("item", ()), ctx.item
    head, _, rest = path.partition(".")
    roots = {
        "$subject": ("subject", ctx.fields(ctx.subject)),
        "$organisation": (
            "organisation",
            {k: v for k, v in ctx.fields("organisation").items() if not k.startswith("governance")},
        ),
        "$governance": ("governance", ctx.fields("governance")),
    }
    if head in roots:
        root, fields = roots[head]
        if not rest:
            raise CompileError(f"'{head}' must be followed by a field, e.g. '{head}.name'", where)
        name = rest
    elif head.startswith("$"):
        raise CompileError(f"unknown root {head!r} (use $item, $subject, $organisation or $governance)", where)
    elif isinstance(ctx.item, Spec):
        raise CompileError(
            f"the items of {ctx.item_label} are plain values: use '$item' (or '$subject.{path}' for the subject)", where
        )
    elif ctx.item is not None:
        root, fields, name = "item", ctx.item, path
    else:
        root, fields, name = "subject", ctx.fields(ctx.subject), path
    parts = name.split(".")
    if not all(_NAME.match(p) for p in parts):
        raise CompileError(f"{path!r} is not a valid path (lower-case names joined by dots)", where)
    spec = fields.get(name)
    if spec is None:
        owner = ctx.item_label if root == "item" else (ctx.subject if root == "subject" else root)
        raise CompileError(f"unknown field {name!r} for {owner}{_hint(name, sorted(fields))}", where)
    return ir.Field(root, tuple(parts)), spec


def _operand(value: Any, spec: Spec, ctx: Context, where: PathT, kind: str = "", enum: tuple[Any, ...] = ()) -> Any:
    """A literal of the field's type, or ``{ref: PATH}`` to a field of a compatible type."""
    kind = kind or spec.type
    enum = enum or spec.enum
    if isinstance(value, Mapping):
        if set(value) != {"ref"}:
            raise CompileError("a compared value is a plain value or {ref: PATH}", where)
        field, other = resolve(value["ref"], ctx, (*where, "ref"))
        numeric = {"integer", "number"}
        if other.type != kind and not (other.type in numeric and kind in numeric):
            raise CompileError(f"{spec.path} ({kind}) cannot be compared with {value['ref']} ({other.type})", where)
        return field
    return _check_literal(value, kind, enum, repr(spec.path), where)


# -- field operators ------------------------------------------------------------------------

Op = Callable[[ir.Field, Spec, Any, Context, PathT], ir.Node]


def _scalar_only(spec: Spec, op: str, where: PathT) -> None:
    if spec.type in ("array", "object", "any"):
        hint = " (use contains, count or any_item for lists)" if spec.type == "array" else ""
        raise CompileError(f"{op!r} does not apply to {spec.path!r}, which is of type {spec.type}{hint}", where)


def op_exists(field: ir.Field, spec: Spec, value: Any, ctx: Context, where: PathT) -> ir.Node:
    if not isinstance(value, bool):
        raise CompileError("exists takes true or false", where)
    return ir.Test(field, "exists", value)


def _equality(op: str) -> Op:
    def compile_(field: ir.Field, spec: Spec, value: Any, ctx: Context, where: PathT) -> ir.Node:
        _scalar_only(spec, op, where)
        value, fold = _fold_option(value, "value", where)
        if not fold:
            return ir.Test(field, op, _operand(value, spec, ctx, where))
        _text_only(spec, spec.type, op, where)
        value = value if isinstance(value, Mapping) else derive_fold(value)
        right = _operand(value, spec, ctx, where, enum=_fold_enum(spec.enum))
        if isinstance(right, ir.Field):
            return ir.Test(ir.SameFolded(field, right), "equals", op == "equals")
        return ir.Test(ir.Folded(field), op, derive_fold(right))

    return compile_


def _ordering(op: str) -> Op:
    def compile_(field: ir.Field, spec: Spec, value: Any, ctx: Context, where: PathT) -> ir.Node:
        if not spec.is_numeric:
            extra = " (use the date operators for dates)" if spec.type == "date" else ""
            raise CompileError(f"{op!r} orders numbers only; {spec.path!r} is of type {spec.type}{extra}", where)
        if isinstance(value, Mapping):
            return ir.Test(field, op, _operand(value, spec, ctx, where))
        return ir.Test(field, op, _number(value, where))

    return compile_


def op_one_of(field: ir.Field, spec: Spec, value: Any, ctx: Context, where: PathT) -> ir.Node:
    _scalar_only(spec, "one_of", where)
    fold = False
    if isinstance(value, Mapping):
        if set(value) - {"values", "fold"} or "values" not in value or not isinstance(value.get("fold", False), bool):
            raise CompileError("one_of takes a list of values, or {values: [...], fold: true}", where)
        value, fold = value["values"], value.get("fold", False)
        where = (*where, "values")
    if not isinstance(value, list) or not value:
        raise CompileError("one_of takes a non-empty list of values", where)
    if fold:
        _text_only(spec, spec.type, "one_of", where)
        enum = _fold_enum(spec.enum)
        items = tuple(
            derive_fold(_check_literal(derive_fold(v), spec.type, enum, repr(spec.path), (*where, i)))
            for i, v in enumerate(value)
        )
        return ir.Test(ir.Folded(field), "one_of", items)
    items = tuple(_check_literal(v, spec.type, spec.enum, repr(spec.path), (*where, i)) for i, v in enumerate(value))
    return ir.Test(field, "one_of", items)


def op_matches(field: ir.Field, spec: Spec, value: Any, ctx: Context, where: PathT) -> ir.Node:
    if spec.type not in ("string", "date"):
        raise CompileError(f"matches applies to text; {spec.path!r} is of type {spec.type}", where)
    if not isinstance(value, str):
        raise CompileError("matches takes a regular expression (a string)", where)
    problem = pattern_problem(value)
    if problem is not None:
        raise CompileError(
            f"the regular expression {shown(value)} does not compile in RE2 (linear-time matching): {problem}", where
        )
    return ir.Test(ir.Matches(field, value), "equals", True)


def _list_only(spec: Spec, op: str, where: PathT) -> None:
    if spec.type != "array":
        raise CompileError(f"{op!r} applies to lists; {spec.path!r} is of type {spec.type}", where)


def _item_context(spec: Spec, ctx: Context) -> Context:
    item = Spec(path="$item", type=spec.item_type or "string", enum=spec.item_enum, references=spec.references)
    return Context(ctx.subject, item, f"{spec.path!r}", ctx.schema)


def op_contains(field: ir.Field, spec: Spec, value: Any, ctx: Context, where: PathT) -> ir.Node:
    _list_only(spec, "contains", where)
    item = _item_context(spec, ctx).item
    assert isinstance(item, Spec)
    value, fold = _fold_option(value, "value", where)
    if not fold:
        return ir.Test(field, "contains", _operand(value, item, ctx, where, item.type, item.enum))
    _text_only(spec, item.type, "contains", where)
    if isinstance(value, Mapping):
        raise CompileError("contains with fold compares with a value, not a {ref: PATH}", where)
    literal = _check_literal(derive_fold(value), item.type, _fold_enum(item.enum), repr(spec.path), where)
    return ir.Test(ir.Folded(field), "contains", derive_fold(literal))


def op_days_after(field: ir.Field, spec: Spec, value: Any, ctx: Context, where: PathT) -> ir.Node:
    """``{from: DATE | {ref: PATH}, <comparison>}``: the field's date minus ``from`` in days."""
    _date_only(spec, "days_after", where)
    if not isinstance(value, Mapping) or "from" not in value:
        raise CompileError(
            "days_after needs 'from' (a date 'YYYY-MM-DD' or {ref: PATH}) and a comparison, "
            "e.g. {from: {ref: created_on}, lte: 60}",
            where,
        )
    start = value["from"]
    if isinstance(start, Mapping):
        other, other_spec = resolve(start.get("ref") if set(start) == {"ref"} else None, ctx, (*where, "from", "ref"))
        if other_spec.type != "date":
            raise CompileError(f"days_after counts from a date; {start['ref']!r} is of type {other_spec.type}", where)
        begin: ir.Field | str = other
    else:
        begin = _iso_date(start, (*where, "from"))
    return comparisons(value, ir.DaysBetween(field, begin), where, extra=("from",))[0]


def op_count(field: ir.Field, spec: Spec, value: Any, ctx: Context, where: PathT) -> ir.Node:
    _list_only(spec, "count", where)
    block = value if isinstance(value, Mapping) else {}
    cond = None
    if "where" in block:
        cond = parse(block["where"], _item_context(spec, ctx), (*where, "where"))
    return comparisons(value, ir.Count(field, cond), where, extra=("where",))[0]


def op_share(field: ir.Field, spec: Spec, value: Any, ctx: Context, where: PathT) -> ir.Node:
    _list_only(spec, "share", where)
    if not isinstance(value, Mapping) or "where" not in value:
        raise CompileError("share needs a 'where' condition and a comparison, e.g. {where: ..., gte: 0.5}", where)
    cond = parse(value["where"], _item_context(spec, ctx), (*where, "where"))
    return comparisons(value, ir.Share(field, cond), where, extra=("where",))[0]


def op_ratio(field: ir.Field, spec: Spec, value: Any, ctx: Context, where: PathT) -> ir.Node:
    if not spec.is_numeric:
        raise CompileError(f"ratio divides numbers; {spec.path!r} is of type {spec.type}", where)
    if not isinstance(value, Mapping) or "to" not in value:
        raise CompileError(
            "ratio needs 'to: PATH' (the divisor) and a comparison, e.g. {to: headcount, gte: 0.8}", where
        )
    divisor, other = resolve(value["to"], ctx, (*where, "to"))
    if not other.is_numeric:
        raise CompileError(f"ratio divisor {value['to']!r} is of type {other.type}, not a number", where)
    return comparisons(value, ir.Ratio(field, divisor), where, extra=("to",))[0]


def _quantifier(which: str) -> Op:
    def compile_(field: ir.Field, spec: Spec, value: Any, ctx: Context, where: PathT) -> ir.Node:
        _list_only(spec, f"{which}_item", where)
        cond = parse(value, _item_context(spec, ctx), where)
        return ir.Test(ir.Quantified(which, field, cond), "equals", True)

    return compile_


FIELD_OPERATORS: dict[str, Op] = {
    "exists": op_exists,
    "equals": _equality("equals"),
    "not_equals": _equality("not_equals"),
    "gt": _ordering("gt"),
    "gte": _ordering("gte"),
    "lt": _ordering("lt"),
    "lte": _ordering("lte"),
    "one_of": op_one_of,
    "matches": op_matches,
    "contains": op_contains,
    "older_than_days": op_older_than_days,
    "within_days": op_within_days,
    "days_since": op_days_since,
    "days_until": op_days_until,
    "days_after": op_days_after,
    "count": op_count,
    "share": op_share,
    "ratio": op_ratio,
    "any_item": _quantifier("any"),
    "all_items": _quantifier("all"),
}
LOGICAL = ("all", "any", "not", "related")


def _related(spec: Any, ctx: Context, where: PathT) -> ir.Node:
    if not isinstance(spec, Mapping):
        raise CompileError("related takes a mapping: {collection, on, where, count}", where)
    keys = ["collection", "on", "where", "count", "normalise", "others"]
    unknown = [k for k in spec if k not in keys]
    if unknown:
        raise CompileError(f"unknown key {unknown[0]!r} in related{_hint(str(unknown[0]), keys)}", where)
    collection = spec.get("collection")
    if collection not in KIND_OF:
        raise CompileError(
            f"unknown collection {collection!r}{_hint(str(collection), sorted(KIND_OF))}", (*where, "collection")
        )
    theirs = ctx.fields(KIND_OF[collection])
    links: list[tuple[tuple[str, ...], ir.Field]] = []
    on = spec.get("on", {})
    if not isinstance(on, Mapping):
        raise CompileError("'on' maps their field to ours, e.g. {department: id}", (*where, "on"))
    for their_path, our_path in on.items():
        their = theirs.get(their_path)
        if their is None:
            raise CompileError(
                f"unknown field {their_path!r} for {collection}{_hint(str(their_path), sorted(theirs))}", (*where, "on")
            )
        if their.type in ("object", "any") or (their.type == "array" and their.item_type in ("object", "")):
            raise CompileError(f"{collection}.{their_path} cannot link items (type {their.type})", (*where, "on"))
        ours, our_spec = resolve(our_path, ctx, (*where, "on", their_path))
        their_kind = their.item_type if their.type == "array" else their.type
        if our_spec.type in ("array", "object", "any") or our_spec.type != their_kind:
            raise CompileError(
                f"{collection}.{their_path} ({their_kind}) cannot link to {our_path} ({our_spec.type})", (*where, "on")
            )
        links.append((tuple(str(their_path).split(".")), ours))
    folds = _normalise(spec.get("normalise"), on, theirs, ctx, (*where, "normalise"))
    others = spec.get("others", False)
    if not isinstance(others, bool):
        raise CompileError("others takes true or false", (*where, "others"))
    if others and COLLECTION_OF.get(ctx.subject) != collection:
        raise CompileError(
            f"others: true leaves the subject out of its own collection; a {ctx.subject} is not one of {collection}",
            (*where, "others"),
        )
    cond = None
    if "where" in spec:
        cond = parse(spec["where"], Context(ctx.subject, theirs, collection, ctx.schema), (*where, "where"))
    joins, cond = _index_joins(cond)
    normalise = (*folds, *("" for _ in joins)) if any(folds) else ()
    node = ir.Related(collection, (*links, *joins), cond, normalise, others)
    return comparisons(spec.get("count", {"gte": 1}), node, (*where, "count"))[0]


def _normalise(
    spec: Any, on: Mapping[str, Any], theirs: Mapping[str, Spec], ctx: Context, where: PathT
) -> tuple[str, ...]:
    """``normalise: {their field: casefold | handle | url}`` -> one name per link of ``on``
    ("" for an exact comparison); only text fields can be normalised."""
    if spec is None:
        return tuple("" for _ in on)
    if not isinstance(spec, Mapping):
        raise CompileError("'normalise' maps a field of 'on' to casefold, handle or url", where)
    for their_path, name in spec.items():
        if their_path not in on:
            raise CompileError(
                f"normalise: {their_path!r} is not a field of 'on'{_hint(str(their_path), list(on))}", where
            )
        if name not in ir.NORMALISERS:
            choices = ", ".join(ir.NORMALISERS)
            raise CompileError(
                f"normalise: unknown {name!r}{_hint(str(name), list(ir.NORMALISERS))} ({choices})", where
            )
        their = theirs[their_path]
        kind = their.item_type if their.type == "array" else their.type
        ours = resolve(on[their_path], ctx, where)[1]
        if kind != "string" or ours.type != "string":
            raise CompileError(f"normalise: {their_path!r} links {kind} to {ours.type}; only text is normalised", where)
    return tuple(str(spec.get(their_path, "")) for their_path in on)


def _index_joins(
    cond: ir.Node | None,
) -> tuple[tuple[tuple[tuple[str, ...], ir.Field], ...], ir.Node | None]:
    """Move ``where`` equalities between an item field and a subject field into ``on``.

    ``{field: person, equals: {ref: $subject.owner}}`` means exactly what ``on: {person:
    owner}`` means (both false when either side is missing; equality is on scalars of one
    type), but ``on`` is answered from a dict index while ``where`` would compare every item
    with every subject: an author need not know the difference.
    """
    if cond is None:
        return (), None
    tests = list(cond.items) if isinstance(cond, ir.AllOf) else [cond]
    joins: list[tuple[tuple[str, ...], ir.Field]] = []
    rest: list[ir.Node] = []
    for test in tests:
        if (
            isinstance(test, ir.Test)
            and test.op == "equals"
            and isinstance(test.left, ir.Field)
            and test.left.root == "item"
            and test.left.path
            and isinstance(test.right, ir.Field)
            and test.right.root != "item"
        ):
            joins.append((test.left.path, test.right))
        else:
            rest.append(test)
    remaining = None if not rest else rest[0] if len(rest) == 1 else ir.AllOf(tuple(rest))
    return tuple(joins), remaining


def parse(cond: Any, ctx: Context, where: PathT) -> ir.Node:
    """One condition (a YAML mapping) -> its IR node. Raises CompileError."""
    if not isinstance(cond, Mapping) or not cond:
        raise CompileError("a condition is a mapping: all, any, not, related, or field plus an operator", where)
    keys = list(cond)
    if "field" not in cond:
        if len(keys) != 1 or keys[0] not in LOGICAL:
            key = next((k for k in keys if k not in LOGICAL), keys[0])
            if key in FIELD_OPERATORS:
                raise CompileError(f"{key!r} needs a 'field' to test", where)
            if len(keys) == 1 and key not in LOGICAL:
                raise CompileError(f"unknown operator {key!r}{_hint(str(key), [*LOGICAL, *FIELD_OPERATORS])}", where)
            raise CompileError(
                f"one operator per condition; found {', '.join(map(str, keys))} (combine them with all or any)", where
            )
        key = keys[0]
        value = cond[key]
        if key == "not":
            return ir.Not(parse(value, ctx, (*where, "not")))
        if key == "related":
            return _related(value, ctx, (*where, "related"))
        if not isinstance(value, list) or not value:
            raise CompileError(f"{key} takes a non-empty list of conditions", (*where, key))
        items = tuple(parse(c, ctx, (*where, key, i)) for i, c in enumerate(value))
        return ir.AllOf(items) if key == "all" else ir.AnyOf(items)
    ops = [k for k in keys if k != "field"]
    if len(ops) != 1:
        if not ops:
            raise CompileError("a field test needs an operator, e.g. {field: owner, exists: true}", where)
        raise CompileError(
            f"one operator per field test; found {', '.join(map(str, ops))} (combine them with all)", where
        )
    op = ops[0]
    compile_op = FIELD_OPERATORS.get(op)
    if compile_op is None:
        raise CompileError(f"unknown operator {op!r}{_hint(str(op), list(FIELD_OPERATORS))}", (*where, op))
    field, spec = resolve(cond["field"], ctx, (*where, "field"))
    return compile_op(field, spec, cond[op], ctx, (*where, op))
