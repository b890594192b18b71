"""Checks of an inventory beyond its schema (layers 2-3 of the inventory step): ids unique per
collection, references that resolve (with "did you mean" hints), dates that are real calendar
dates; and the parts of a file the schema rejects that can still be checked for them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from difflib import get_close_matches
from functools import cache
from itertools import chain, repeat
from typing import TYPE_CHECKING, Any

from engine.inputs import schemas
from engine.inputs.catalogue import Field, fields_of
from engine.inputs.diagnostics import Diagnostic, dotted, shown
from engine.inputs.sources import Source
from engine.vocabulary import COLLECTION_OF, KIND_OF

if TYPE_CHECKING:
    from engine.inputs.inventory import Inventory


def _at(inventory: Inventory, kind: str, index: int, subpath: tuple[Any, ...], message: str) -> Diagnostic:
    """A problem of item ``index`` of ``kind`` (or of the organisation), with its path as the
    file holding it spells it: ``accounts[0]`` of that file, ``organisation.assessed_on``,
    ``governance.centre_of_excellence.departments[0]``."""
    file, line, col = inventory.origin(kind, index, subpath)
    if kind == "organisation":
        path = subpath if subpath[:1] == ("governance",) else ("organisation", *subpath)
    else:
        path = (COLLECTION_OF[kind], inventory.local_index(kind, index)[1], *subpath)
    return Diagnostic(file, line, col, message, dotted(path))


def _subject(inventory: Inventory, kind: str, item: Mapping[str, Any]) -> str:
    """How a message names the subject: ``account 'a1'``, ``organisation 'Acme'`` (its id,
    else its name)."""
    if kind == "organisation":
        label = inventory.organisation.get("id") or inventory.organisation.get("name")
        return f"organisation {shown(label)}" if isinstance(label, str) and label else "the organisation"
    ident = item.get("id")
    return f"{kind} {shown(ident)}" if isinstance(ident, str) else f"this {kind}"


def column(items: list[Mapping[str, Any]], name: str) -> list[Any]:
    """One field of every item, at C speed (``dict.get`` mapped; absent reads as None)."""
    return list(map(dict.get, items, repeat(name)))  # type: ignore[arg-type]


def ids(items: list[Mapping[str, Any]]) -> set[Any]:
    """The distinct ids of ``items`` (None for an item without one), in one pass in C."""
    return set(map(dict.get, items, repeat("id")))  # type: ignore[arg-type]


def duplicates(inventory: Inventory, ids: Mapping[str, set[Any]]) -> Iterator[Diagnostic]:
    for collection, items in inventory.collections.items():
        kind = KIND_OF[collection]
        if len(ids[collection]) == len(items):
            continue  # the common case, checked at C speed
        seen: dict[Any, int] = {}
        for index, item in enumerate(items):
            ident = item.get("id")
            if ident is None:
                continue  # a missing id is the schema's to report
            if ident in seen:
                file, line, _ = inventory.origin(kind, seen[ident])
                yield _at(
                    inventory,
                    kind,
                    index,
                    ("id",),
                    f"duplicate {kind} id {shown(ident)} (first defined at {file}:{line})",
                )
            else:
                seen[ident] = index


def _values(item: Mapping[str, Any], path: str) -> list[Any]:
    value: Any = item
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return []
        value = value.get(part)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _each(item: Mapping[str, Any], parts: tuple[str, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Each value at ``parts`` in ``item`` with its path there (a list's elements each with
    its index); absent and null values are left out."""
    value: Any = item
    for part in parts:
        if not isinstance(value, Mapping):
            return
        value = value.get(part)
    if isinstance(value, list):
        yield from (((*parts, i), v) for i, v in enumerate(value) if v is not None)
    elif value is not None:
        yield parts, value


def _distinct(items: list[Mapping[str, Any]], path: str) -> set[Any]:
    """Every value found at ``path`` in ``items`` (list values contribute their elements)."""
    if "." in path:
        return {v for item in items for v in _values(item, path)}
    try:
        return set(map(dict.get, items, repeat(path))) - {None}  # (one pass in C) scalars, the usual case
    except TypeError:  # a list value (unhashable): its elements count
        values = column(items, path)
        return set(chain.from_iterable(v if isinstance(v, list) else (v,) for v in values if v is not None))


class Hints:
    """The "did you mean" of a reference that names nothing: the closest id, else the id of
    the closest name (a department written by its name, not its id). Read from the files as
    they are, so it serves the schema step too; each answer is kept, and the work is bounded
    (a file full of bad references gets hints for the first of them only)."""

    BUDGET = 5_000_000  # candidates compared, in all

    def __init__(self, sources: list[Source]) -> None:
        self._sources = sources
        self._tables: dict[str, tuple[dict[str, str], dict[str, tuple[str, str]]]] = {}
        self._answers: dict[tuple[str, str], str] = {}
        self._spent = 0

    def _table(self, collection: str) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
        if collection not in self._tables:
            ids: dict[str, str] = {}
            names: dict[str, tuple[str, str]] = {}
            for source in self._sources:
                items = source.data.get(collection) if isinstance(source.data, dict) else None
                for item in items if isinstance(items, list) else ():
                    ident = item.get("id") if isinstance(item, dict) else None
                    if _is_id(ident):
                        ids.setdefault(ident.lower(), ident)
                        name = item.get("name")
                        if isinstance(name, str) and name:
                            names.setdefault(name.lower(), (ident, name))
            self._tables[collection] = ids, names
        return self._tables[collection]

    def __call__(self, collection: str, value: Any) -> str:
        key = (collection, str(value))
        if key not in self._answers:
            self._answers[key] = self._find(collection, key[1])
        return self._answers[key]

    def _find(self, collection: str, value: str) -> str:
        ids, names = self._table(collection)
        self._spent += len(ids) + len(names)
        if self._spent > self.BUDGET:
            return ""
        text = value.lower()
        hit = get_close_matches(text, ids, n=1)
        if hit:
            return f"; did you mean {ids[hit[0]]!r}?"
        hit = get_close_matches(text, names, n=1, cutoff=0.75)  # names are free text: be surer
        if not hit:  # 'Marketing Dept' for the department named 'Marketing'
            hit = [n for n in names if len(n) >= 4 and len(text) >= 4 and (n in text or text in n)][:1]
        if hit:
            ident, name = names[hit[0]]
            return f"; did you mean {ident!r} (the id of {shown(name)})?"
        return ""


def references(inventory: Inventory, ids: Mapping[str, set[Any]], hints: Hints) -> Iterator[Diagnostic]:
    scopes: list[tuple[str, list[Mapping[str, Any]]]] = [(kind, inventory.items(kind)) for kind in COLLECTION_OF]
    scopes.append(("organisation", [inventory.organisation_subject()]))
    for kind, items in scopes:
        for spec in fields_of(kind).values():
            if not spec.references or not items:
                continue
            known = ids[spec.references]
            path = spec.path
            if _distinct(items, path) <= known:
                continue  # the common case, checked on distinct values
            parts = tuple(path.split("."))
            target = KIND_OF[spec.references]
            for index, item in enumerate(items):
                for where, value in _each(item, parts):
                    if value not in known:
                        yield _at(
                            inventory,
                            kind,
                            index,
                            where,
                            f"{_subject(inventory, kind, item)} refers to {target} {shown(value)}, "
                            f"which is not defined in '{spec.references}'{hints(spec.references, value)}",
                        )


def dates(inventory: Inventory, schema: str = "inventory") -> Iterator[Diagnostic]:
    scopes = [(kind, inventory.items(kind)) for kind in COLLECTION_OF]
    scopes.append(("organisation", [inventory.organisation_subject()]))
    for kind, items in scopes:
        for spec in fields_of(kind, schema).values():
            if "date" not in (spec.type, spec.item_type) or not items:  # a date, or a list of dates
                continue
            distinct = _distinct(items, spec.path)
            bad = set()
            for value in distinct:
                try:
                    dt.date.fromisoformat(value)
                except (TypeError, ValueError):
                    bad.add(value)
            parts = tuple(spec.path.split("."))
            for index, item in enumerate(items) if bad else ():
                for where, value in _each(item, parts):
                    if value in bad:
                        yield _at(inventory, kind, index, where, f"{shown(value)} is not a real calendar date")


# --- what can still be checked in a file the schema rejects ---------------------------------


@cache
def _id_rule() -> tuple[re.Pattern[str], int]:
    ref = schemas.load_schema("inventory")["$defs"]["ref"]
    return re.compile(ref["pattern"]), int(ref["maxLength"])


@cache
def _date_rule() -> re.Pattern[str]:
    return re.compile(schemas.load_schema("inventory")["$defs"]["date"]["pattern"])


def _is_id(value: Any) -> bool:
    """Whether ``value`` is an id as the schema has it (``re.search``, as jsonschema does)."""
    pattern, longest = _id_rule()
    return isinstance(value, str) and len(value) <= longest and pattern.search(value) is not None


def _is_date(value: Any) -> bool:
    return isinstance(value, str) and _date_rule().search(value) is not None


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


Keep = tuple[tuple[tuple[str, ...], Callable[[Any], bool], bool], ...]  # (path, test, a list of them)


@cache
def _kept(scope: str, schema: str = "inventory") -> Keep:
    """The fields of a ``scope`` (a kind, or ``governance``) that the id, reference and date
    checks read, each with the test its value must pass for them to read it."""
    kind = "organisation" if scope == "governance" else scope
    fields: list[tuple[tuple[str, ...], Callable[[Any], bool], bool]] = [(("id",), _is_id, False)]
    fields.append((("name",), _is_name, False))
    for spec in fields_of(kind, schema).values():
        if spec.references:
            fields.append((tuple(spec.path.split(".")), _is_id, spec.type == "array"))
        elif spec.type == "date":
            fields.append((tuple(spec.path.split(".")), _is_date, False))
    if kind != "organisation":
        return tuple(fields)
    governance = scope == "governance"
    return tuple(
        (path[1:] if governance else path, test, many)
        for path, test, many in fields
        if (path[0] == "governance") == governance and path != ("governance",)
    )


def _clean(value: Any, fields: Keep) -> dict[str, Any]:
    """Only the well-typed ``fields`` of ``value`` (a list keeps its length, a bad element
    becomes None): a bad value is the schema's to report, and no other check trips on it."""
    out: dict[str, Any] = {}
    if not isinstance(value, dict):
        return out
    for path, test, many in fields:
        found: Any = value
        for part in path:
            found = found.get(part) if isinstance(found, dict) else None
        if found is None:
            continue
        if many:
            if not isinstance(found, list):
                continue
            found = [v if test(v) else None for v in found]
        elif not test(found):
            continue
        target = out
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = found
    return out


def checkable(data: Any, rejected: Mapping[str, set[int]], schema: str = "inventory") -> Any:
    """The parts of a file the schema rejects that the other checks can still read: the
    well-typed ids, references and dates, at the places (indices) they have in the file.
    ``rejected``: per collection, the items the schema found a problem in (the others are
    valid, so kept as they are)."""
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("organisation", "governance"):
            out[key] = _clean(value, _kept(key))
        elif key in KIND_OF and isinstance(value, list):
            bad = rejected.get(key, set())
            if bad:
                fields = _kept(KIND_OF[key], schema)
                value = [_clean(item, fields) if i in bad else item for i, item in enumerate(value)]
            out[key] = value
    return out


def _reference_field(path: tuple[Any, ...]) -> Field | None:
    """The reference field (``account.department``, an element of ``tool.departments``) a
    document path points at, or None."""
    if len(path) > 2 and path[0] in KIND_OF and isinstance(path[1], int):
        kind, rest = KIND_OF[path[0]], path[2:]
    elif path[:1] == ("organisation",):
        kind, rest = "organisation", path[1:]
    elif path[:1] == ("governance",):
        kind, rest = "organisation", path
    else:
        return None
    element = bool(rest) and isinstance(rest[-1], int)
    names = rest[:-1] if element else rest
    if not names or not all(isinstance(n, str) for n in names):
        return None
    spec = fields_of(kind).get(".".join(names))
    if spec is None or not spec.references or element != (spec.type == "array"):
        return None
    return spec


def explainer(hints: Hints, rejected: dict[str, set[int]]) -> schemas.Explain:
    """The schema step's message for a reference that is not an id: what it should be, and
    the id it most likely means; and, in ``rejected``, the items with a problem, by collection."""

    def explain(path: tuple[Any, ...], value: Any) -> str | None:
        if len(path) > 1 and path[0] in KIND_OF and isinstance(path[1], int):
            rejected.setdefault(path[0], set()).add(path[1])
        spec = None if value is None else _reference_field(path)
        if spec is None:
            return None
        target = KIND_OF[spec.references]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return f"{shown(value)} is a number, not a {target} id: put it in quotes ('{value}') if it is the id"
        hint = hints(spec.references, value) if isinstance(value, str) else ""
        return f"{shown(value)} is not a valid {target} id{hint or ': ' + schemas.ID_WORDS}"

    return explain
