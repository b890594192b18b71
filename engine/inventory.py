"""The inventory step: merge the read files into one organisation and check it (layers 1-3).

Structure and types are checked against ``schemas/inventory.schema.json``; then ids must be
unique per collection, references must resolve, and dates must be real calendar dates. The
last three also run on the well-typed parts of a file the schema rejects, so one run reports
every problem, not the first kind found.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import cache, cached_property
from itertools import chain, repeat
from typing import Any

from engine import schemas
from engine.catalogue import Field, fields_of
from engine.diagnostics import Diagnostic, InputError, dotted, shown
from engine.levels import COLLECTION_OF, KIND_OF
from engine.sources import Source

ORGANISATION_SUBJECT = "organisation"


@dataclass(frozen=True)
class Inventory:
    """One organisation, merged from one or more files. Items are the parsed dicts."""

    organisation: Mapping[str, Any]
    governance: Mapping[str, Any]
    collections: Mapping[str, list[dict[str, Any]]]
    sources: tuple[Source, ...]
    # per collection: (first merged index, source number, first index inside that source)
    segments: Mapping[str, tuple[tuple[int, int, int], ...]] = field(default_factory=dict)
    organisation_source: int = 0
    governance_source: int = -1

    @property
    def organisation_id(self) -> str:
        return str(self.organisation.get("id") or ORGANISATION_SUBJECT)

    def organisation_subject(self) -> dict[str, Any]:
        """The subject that ``organisation``-scope rules check: the record plus governance."""
        return {**self.organisation, "governance": dict(self.governance)}

    def items(self, kind: str) -> list[dict[str, Any]]:
        return self.collections.get(COLLECTION_OF[kind], [])

    @cached_property
    def _segment_starts(self) -> dict[str, list[int]]:
        return {collection: [s[0] for s in segs] for collection, segs in self.segments.items()}

    def item_origins(self, kind: str, indices: tuple[int, ...]) -> list[tuple[str, int, int]]:
        """``origin(kind, index)`` of many items of one collection, in order (JSON inputs
        resolve them in one go)."""
        collection = COLLECTION_OF[kind]
        segs, starts = self.segments[collection], self._segment_starts[collection]
        by_source: dict[int, list[tuple[int, int]]] = {}  # source -> (place in the answer, index there)
        for place, index in enumerate(indices):
            seg = segs[bisect_right(starts, index) - 1]
            by_source.setdefault(seg[1], []).append((place, index - seg[0] + seg[2]))
        out: list[tuple[str, int, int]] = [("", 0, 0)] * len(indices)
        for number, wanted in by_source.items():
            source = self.sources[number]
            local = [index for _, index in wanted]
            marks = source.positions.locate_items(collection, local)
            for (place, _), (line, col) in zip(wanted, marks, strict=True):
                out[place] = (source.path, line, col)
        return out

    def origin(self, kind: str, index: int, subpath: tuple[Any, ...] = ()) -> tuple[str, int, int]:
        """File, line and column of item ``index`` of ``kind`` (or of a field inside it)."""
        if kind == "organisation":
            if subpath and subpath[0] == "governance" and self.governance_source >= 0:
                source = self.sources[self.governance_source]
                line, col = source.positions.locate(subpath)
            else:
                source = self.sources[self.organisation_source]
                line, col = source.positions.locate(("organisation", *subpath))
            return source.path, line, col
        number, local = self.local_index(kind, index)
        source = self.sources[number]
        line, col = source.positions.locate((COLLECTION_OF[kind], local, *subpath))
        return source.path, line, col

    def local_index(self, kind: str, index: int) -> tuple[int, int]:
        """The source (its number) that item ``index`` of ``kind`` comes from, and its index
        there (``accounts[0]`` of the second file, not the merged ``accounts[2]``)."""
        collection = COLLECTION_OF[kind]
        seg = self.segments[collection][bisect_right(self._segment_starts[collection], index) - 1]
        return seg[1], index - seg[0] + seg[2]


def _merge(sources: list[Source]) -> tuple[Inventory | None, list[Diagnostic]]:
    inventory, problems, whole = _combine(sources)
    return (inventory if whole else None), problems


def _combine(sources: list[Source], documents: list[Any] | None = None) -> tuple[Inventory, list[Diagnostic], bool]:
    """The files merged, the merge's problems, and whether there is an organisation (without
    one the inventory has an empty organisation). ``documents``: what to merge instead of each
    source's data (the parts of invalid files that can still be checked)."""
    problems: list[Diagnostic] = []
    organisation: tuple[int, Any] | None = None
    governance: tuple[int, Any] | None = None
    collections: dict[str, list[dict[str, Any]]] = {c: [] for c in KIND_OF}
    segments: dict[str, list[tuple[int, int, int]]] = {c: [] for c in KIND_OF}
    for number, source in enumerate(sources):
        data = source.data if documents is None else documents[number]
        if not isinstance(data, dict):
            continue  # reported: an inventory file must be a mapping
        for key, value in data.items():
            if key == "organisation":
                if organisation is not None:
                    first = sources[organisation[0]]
                    line, col = source.positions.locate((key,))
                    where = ":".join(map(str, first.positions.locate((key,))))
                    problems.append(
                        Diagnostic(
                            source.path, line, col, f"organisation defined twice (also in {first.path}:{where})", key
                        )
                    )
                else:
                    organisation = (number, value)
            elif key == "governance":
                if governance is not None:
                    first = sources[governance[0]]
                    line, col = source.positions.locate((key,))
                    problems.append(
                        Diagnostic(source.path, line, col, f"governance defined twice (also in {first.path})", key)
                    )
                else:
                    governance = (number, value)
            elif key in collections and value:
                segments[key].append((len(collections[key]), number, 0))
                collections[key].extend(value)
    if organisation is None:
        where = sources[0].path if len(sources) == 1 else ", ".join(s.path for s in sources)
        problems.append(
            Diagnostic(where, 1, 1, "no organisation: an inventory needs an 'organisation' block with at least a name")
        )
    inventory = Inventory(
        organisation=organisation[1] if organisation else {},
        governance=governance[1] if governance else {},
        collections=collections,
        sources=tuple(sources),
        segments={k: tuple(v) for k, v in segments.items()},
        organisation_source=organisation[0] if organisation else 0,
        governance_source=governance[0] if governance else -1,
    )
    return inventory, problems, organisation is not None


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


def _column(items: list[Mapping[str, Any]], name: str) -> list[Any]:
    """One field of every item, at C speed (``dict.get`` mapped; absent reads as None)."""
    return list(map(dict.get, items, repeat(name)))  # type: ignore[arg-type]


def _duplicates(inventory: Inventory, ids: Mapping[str, set[Any]]) -> Iterator[Diagnostic]:
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
    column = _column(items, path)
    if list in set(map(type, column)):
        return set(chain.from_iterable(v if isinstance(v, list) else (v,) for v in column if v is not None))
    return set(column) - {None}


class _Hints:
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


def _references(inventory: Inventory, ids: Mapping[str, set[Any]], hints: _Hints) -> Iterator[Diagnostic]:
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


def _dates(inventory: Inventory) -> Iterator[Diagnostic]:
    scopes = [(kind, inventory.items(kind)) for kind in COLLECTION_OF]
    scopes.append(("organisation", [inventory.organisation_subject()]))
    for kind, items in scopes:
        for spec in fields_of(kind).values():
            if spec.type != "date" or not items:
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
def _kept(scope: str) -> Keep:
    """The fields of a ``scope`` (a kind, or ``governance``) that the id, reference and date
    checks read, each with the test its value must pass for them to read it."""
    kind = "organisation" if scope == "governance" else scope
    fields: list[tuple[tuple[str, ...], Callable[[Any], bool], bool]] = [(("id",), _is_id, False)]
    fields.append((("name",), _is_name, False))
    for spec in fields_of(kind).values():
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


def _checkable(data: Any, rejected: Mapping[str, set[int]]) -> Any:
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
                fields = _kept(KIND_OF[key])
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


def _explainer(hints: _Hints, rejected: dict[str, set[int]]) -> schemas.Explain:
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


def check(sources: list[Source]) -> list[Diagnostic]:
    """Every problem of the inventory these files make: schema, merge, ids, references, dates.

    A file the schema rejects still has its ids, references and dates checked, those that are
    well-typed (its other values are the schema's problems), so one run reports them all."""
    problems: list[Diagnostic] = []
    typed = True  # every file passed the typed fast check, which reads each date as a real date
    hints = _Hints(sources)
    documents: list[Any] = [source.data for source in sources]
    for number, source in enumerate(sources):
        if not isinstance(source.data, dict):
            problems.append(Diagnostic(source.path, 1, 1, "an inventory file must be a mapping of collections"))
        elif not schemas.passes_fast_check("inventory", source.data, source.json_types):
            typed = False
            rejected: dict[str, set[int]] = {}
            found = schemas.reference_problems("inventory", source, explain=_explainer(hints, rejected))
            if found:
                documents[number] = _checkable(source.data, rejected)
            problems.extend(found)
    inventory, merged, _ = _combine(sources, documents)
    problems.extend(merged)
    ids = {collection: set(_column(items, "id")) for collection, items in inventory.collections.items()}
    problems += [*_duplicates(inventory, ids), *_references(inventory, ids, hints)]
    return [*problems, *([] if typed else _dates(inventory))]


def assemble(sources: list[Source]) -> Inventory | None:
    """The files merged into one inventory, unchecked (None when they cannot be): only for
    work whose result is used once :func:`check` has found no problem."""
    if not all(isinstance(source.data, dict) for source in sources):
        return None
    try:
        return _merge(sources)[0]
    except (AttributeError, TypeError, ValueError, KeyError):  # shapes only check() can name
        return None


def build(sources: list[Source]) -> Inventory:
    """Validate each file, merge them, and check ids, references and dates. Raises InputError."""
    problems = check(sources)
    inventory = None if problems else assemble(sources)
    if inventory is None:
        raise InputError(problems)
    return inventory
