"""The inventory step: merge the read files into one organisation and check it (layers 1-3).

Structure and types are checked against ``schemas/inventory.schema.json``; then ids must be
unique per collection, references must resolve, and dates must be real calendar dates. The
last three also run on the well-typed parts of a file the schema rejects, so one run reports
every problem, not the first kind found.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import repeat
from typing import Any

from engine.inputs import fields, integrity, schemas
from engine.inputs.diagnostics import Diagnostic, InputError
from engine.inputs.platforms import catalogue as platform_catalogue
from engine.inputs.sources import Source
from engine.vocabulary import COLLECTION_OF, KIND_OF

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
    header: fields.Header = field(default_factory=fields.Header)  # declared and recorded fields

    def records(self, kind: str, name: str) -> bool:
        """Whether this inventory collected field ``name`` (top level) of ``kind``'s items."""
        recorded = self.header.recorded.get(COLLECTION_OF.get(kind, ""))
        return recorded is None or name in recorded

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
        if len(segs) == 1:  # the collection comes from one file (the usual case): no search per item
            merged, number, first = segs[0]
            source = self.sources[number]
            local = list(indices) if merged == first else [index - merged + first for index in indices]
            return [(source.path, line, col) for line, col in source.positions.locate_items(collection, local)]
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


def _merge(sources: list[Source], header: fields.Header) -> tuple[Inventory | None, list[Diagnostic]]:
    inventory, problems, whole = _combine(sources, header=_derived_recorded(header))
    if whole:
        _add_platform_closures(inventory.collections["accounts"])
    return (inventory if whole else None), problems


#: Fields smgov gives a subject and an inventory never holds (``readOnly`` in the schema), and
#: the field each is derived from: recorded whenever that one is.
READ_ONLY = {"accounts": {"platform_closed_on": "platform"}}


def _derived_recorded(header: fields.Header) -> fields.Header:
    """The header with each read-only field recorded where the field it comes from is."""
    recorded = dict(header.recorded)
    for collection, derived in READ_ONLY.items():
        names = recorded.get(collection)
        if names is not None:
            recorded[collection] = names | {name for name, origin in derived.items() if origin in names}
    return replace(header, recorded=recorded)


def _add_platform_closures(accounts: list[dict[str, Any]]) -> None:
    """Give each account on a closed platform its read-only ``platform_closed_on`` (from
    engine/inputs/platforms.yaml), on a copy: the parsed files are never changed."""
    known = platform_catalogue()
    try:  # the platforms named, at C speed: most inventories name no closed one, and are done here
        if not any(map(known.closed_on, set(map(dict.get, accounts, repeat("platform"))))):
            return
    except TypeError:  # an account that is not a mapping, or a platform that is not a string
        pass
    days: dict[Any, str | None] = {}
    for index, account in enumerate(accounts):
        platform = account.get("platform") if isinstance(account, dict) else None
        if not isinstance(platform, str):
            continue
        day = days[platform] if platform in days else days.setdefault(platform, known.closed_on(platform))
        if day is not None:
            accounts[index] = {**account, "platform_closed_on": day}


def _read_only_written(inventory: Inventory) -> list[Diagnostic]:
    """A read-only field written in an inventory: smgov gives it, the user never does."""
    problems = []
    for collection, names in READ_ONLY.items():
        kind = KIND_OF[collection]
        items = inventory.collections.get(collection, [])
        try:  # at C speed: none written, the usual case
            if not any(any(map(dict.__contains__, items, repeat(name))) for name in names):
                continue
        except TypeError:  # an item that is not a mapping: looked at one by one
            pass
        for index, item in enumerate(items):
            for name in names:
                if isinstance(item, dict) and name in item:
                    file, line, col = inventory.origin(kind, index, (name,))
                    message = f"{name} is read-only: smgov gives it from its platform catalogue; remove it"
                    local = inventory.local_index(kind, index)[1]
                    problems.append(Diagnostic(file, line, col, message, f"{collection}[{local}].{name}"))
    return problems


def _combine(
    sources: list[Source], documents: list[Any] | None = None, header: fields.Header | None = None
) -> tuple[Inventory, list[Diagnostic], bool]:
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
        header=header or fields.Header(),
    )
    return inventory, problems, organisation is not None


def check(sources: list[Source], declared: Iterable[fields.Declared] = ()) -> list[Diagnostic]:
    """Every problem of the inventory these files make: declared and recorded fields, schema,
    merge, ids, references, dates. ``declared``: the fields the packs declare, in force too.

    A file the schema rejects still has its ids, references and dates checked, those that are
    well-typed (its other values are the schema's problems), so one run reports them all."""
    header, problems = fields.header(sources, declared)
    name = header.schema
    typed = True  # every file passed the typed fast check, which reads each date as a real date
    hints = integrity.Hints(sources)
    documents: list[Any] = [source.data for source in sources]
    for number, source in enumerate(sources):
        if not isinstance(source.data, dict):
            got = "a list" if isinstance(source.data, list) else "a single value"
            problems.append(
                Diagnostic(
                    source.path,
                    1,
                    1,
                    f"an inventory file must be a mapping of collections (organisation:, departments:, "
                    f"accounts:, …) at its top level, not {got}",
                )
            )
        elif not schemas.passes_fast_check(name, source.data, source.json_types):
            typed = False
            rejected: dict[str, set[int]] = {}
            found = schemas.reference_problems(name, source, explain=integrity.explainer(hints, rejected))
            if found:
                documents[number] = integrity.checkable(source.data, rejected, name)
            problems.extend(found)
    inventory, merged, _ = _combine(sources, documents, header)
    problems.extend(merged)
    ids = {collection: integrity.ids(items) for collection, items in inventory.collections.items()}
    problems += [*integrity.duplicates(inventory, ids), *integrity.references(inventory, ids, hints)]
    problems += _read_only_written(inventory)
    return [*problems, *([] if typed else integrity.dates(inventory, name))]


def assemble(sources: list[Source], declared: Iterable[fields.Declared] = ()) -> Inventory | None:
    """The files merged into one inventory, unchecked (None when they cannot be): only for
    work whose result is used once :func:`check` has found no problem."""
    if not all(isinstance(source.data, dict) for source in sources):
        return None
    try:
        header, _ = fields.header(sources, declared)
        return _merge(sources, header)[0]
    except (AttributeError, TypeError, ValueError, KeyError):  # shapes only check() can name
        return None


def build(sources: list[Source], declared: Iterable[fields.Declared] = ()) -> Inventory:
    """Validate each file, merge them, and check ids, references and dates. Raises InputError."""
    problems = check(sources, declared)
    inventory = None if problems else assemble(sources, declared)
    if inventory is None:
        raise InputError(problems)
    return inventory
