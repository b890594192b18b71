"""``related``: conditions across collections, compiled into ``ir.Related`` (docs/policy-language.md).

Counts the items of a collection linked to the subject (``on``, compared exactly or
``normalise``d), matching ``where``, the subject itself left out with ``others``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.inputs.catalogue import Field as Spec
from engine.policy import ir
from engine.policy.conditions import comparisons, parse
from engine.policy.paths import CompileError, Context, PathT, _hint, resolve
from engine.vocabulary import COLLECTION_OF, KIND_OF


def related(spec: Any, ctx: Context, where: PathT) -> ir.Node:
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
