"""The inventory step: merge the read files into one organisation and check it (layers 1-3).

Structure and types are checked against ``schemas/inventory.schema.json``; then ids must be
unique per collection, references must resolve, and dates must be real calendar dates.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from functools import cached_property
from itertools import chain, repeat
from typing import Any

from engine import schemas
from engine.catalogue import fields_of
from engine.diagnostics import Diagnostic, InputError, dotted
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
        collection = COLLECTION_OF[kind]
        segs = self.segments[collection]
        seg = segs[bisect_right(self._segment_starts[collection], index) - 1]
        source = self.sources[seg[1]]
        line, col = source.positions.locate((collection, index - seg[0] + seg[2], *subpath))
        return source.path, line, col


def _merge(sources: list[Source]) -> tuple[Inventory | None, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    organisation: tuple[int, Any] | None = None
    governance: tuple[int, Any] | None = None
    collections: dict[str, list[dict[str, Any]]] = {c: [] for c in KIND_OF}
    segments: dict[str, list[tuple[int, int, int]]] = {c: [] for c in KIND_OF}
    for number, source in enumerate(sources):
        data = source.data
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
        return None, problems
    inventory = Inventory(
        organisation=organisation[1],
        governance=governance[1] if governance else {},
        collections=collections,
        sources=tuple(sources),
        segments={k: tuple(v) for k, v in segments.items()},
        organisation_source=organisation[0],
        governance_source=governance[0] if governance else -1,
    )
    return inventory, problems


def _at(inventory: Inventory, kind: str, index: int, subpath: tuple[Any, ...], message: str) -> Diagnostic:
    file, line, col = inventory.origin(kind, index, subpath)
    collection = COLLECTION_OF.get(kind, kind)
    return Diagnostic(file, line, col, message, dotted((collection, index, *subpath)))


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
            if ident in seen:
                file, line, _ = inventory.origin(kind, seen[ident])
                yield _at(
                    inventory, kind, index, ("id",), f"duplicate {kind} id {ident!r} (first defined at {file}:{line})"
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


def _distinct(items: list[Mapping[str, Any]], path: str) -> set[Any]:
    """Every value found at ``path`` in ``items`` (list values contribute their elements)."""
    if "." in path:
        return {v for item in items for v in _values(item, path)}
    column = _column(items, path)
    if list in set(map(type, column)):
        return set(chain.from_iterable(v if isinstance(v, list) else (v,) for v in column if v is not None))
    return set(column) - {None}


def _references(inventory: Inventory, ids: Mapping[str, set[Any]]) -> Iterator[Diagnostic]:
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
            for index, item in enumerate(items):
                for value in _values(item, path):
                    if value not in known:
                        target = KIND_OF[spec.references]
                        hint = get_close_matches(str(value), [str(i) for i in known], n=1)
                        maybe = f"; did you mean {hint[0]!r}?" if hint else ""
                        subpath = tuple(path.split("."))
                        yield _at(
                            inventory,
                            kind,
                            index,
                            subpath,
                            f"{kind} {item.get('id', inventory.organisation_id)!r} refers to {target} {value!r}, "
                            f"which is not defined in '{spec.references}'{maybe}",
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
            for index, item in enumerate(items) if bad else ():
                for value in _values(item, spec.path):
                    if value in bad:
                        yield _at(
                            inventory,
                            kind,
                            index,
                            tuple(spec.path.split(".")),
                            f"{value!r} is not a real calendar date",
                        )


def check(sources: list[Source]) -> list[Diagnostic]:
    """Every problem of the inventory these files make: schema, merge, ids, references, dates."""
    problems: list[Diagnostic] = []
    typed = True  # every file passed the typed fast check, which reads each date as a real date
    for source in sources:
        if not isinstance(source.data, dict):
            problems.append(Diagnostic(source.path, 1, 1, "an inventory file must be a mapping of collections"))
        elif not schemas.passes_fast_check("inventory", source.data, source.json_types):
            typed = False
            problems.extend(schemas.reference_problems("inventory", source))
    if problems:
        return problems
    inventory, problems = _merge(sources)
    if inventory is None or problems:
        return problems
    ids = {collection: set(_column(items, "id")) for collection, items in inventory.collections.items()}
    return [*_duplicates(inventory, ids), *_references(inventory, ids), *([] if typed else _dates(inventory))]


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
