"""Fields an organisation defines, and the fields an inventory records (``fields:`` and ``recorded:``).

A pack's ``pack.yaml`` and an inventory's top level may declare extra fields per collection
(``schemas/fields.schema.json``)::

    fields:
      accounts:
        contact_email: email
        language: {enum: [en, fr, bilingual]}
        languages: {list: string}
        registered_on: {type: date, description: "Day the account was registered"}

The declarations of every pack and inventory file of a check are merged (the same field
declared twice with different types is an error, with both places) into an **effective
inventory schema**: the bundled one with the declared fields added to their collection's
items, registered under a name of its own (``schemas.derive``). Everything that reads the
inventory schema by name (the typed fast check, jsonschema, the field catalogue the policy
compiler types paths with, the date checks) then reads the effective one: a declared field
is accepted and typed, an undeclared one is still an unknown key.

An inventory may also say which fields it collected (``recorded: {accounts: [id, platform]}``);
a collection it does not name records every field.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

from engine.inputs import schemas
from engine.inputs.catalogue import fields_of
from engine.inputs.diagnostics import Diagnostic, dotted, shown
from engine.inputs.sources import Source
from engine.vocabulary import COLLECTION_OF, KIND_OF

#: The types a declared field may have, in the order documented.
TYPES = ("string", "boolean", "integer", "number", "date", "email", "url", "enum", "list")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DATE = r"^\d{4}-\d{2}-\d{2}$"


@dataclass(frozen=True)
class FieldType:
    """A declared type: ``kind`` one of ``TYPES``; ``values`` for an enum; ``item`` for a list."""

    kind: str
    values: tuple[str, ...] = ()
    item: FieldType | None = None

    def __str__(self) -> str:
        if self.kind == "enum":
            return f"enum [{', '.join(self.values)}]"
        if self.kind == "list" and self.item is not None:
            return f"list of {self.item}"
        return self.kind

    def schema(self, nullable: bool = True) -> dict[str, Any]:
        """The JSON Schema of a value of this type (``nullable``: empty allowed, as every
        optional field of the inventory is)."""
        kind = self.kind
        if kind == "list":
            assert self.item is not None
            out: dict[str, Any] = {"type": "array", "items": self.item.schema(nullable=False)}
        elif kind == "enum":
            out = {"type": "string", "enum": list(self.values)}
        elif kind in ("string", "boolean", "integer", "number"):
            out = {"type": kind}
        else:
            pattern = {"date": _DATE, "email": schemas.EMAIL_PATTERN, "url": schemas.URL_PATTERN}[kind]
            out = {"type": "string", "pattern": pattern}
        if kind == "string":
            out["minLength"] = 1
        if nullable:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out


@dataclass(frozen=True)
class Declared:
    """One declared field of one collection, and where it was declared."""

    collection: str
    name: str
    type: FieldType
    description: str = field(default="", compare=False)
    file: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


def _hint(word: str, choices: Iterable[str]) -> str:
    match = get_close_matches(word, sorted(choices), n=1)
    return f"; did you mean {match[0]!r}?" if match else ""


def _type_of(raw: Any) -> tuple[FieldType, str]:
    """A declaration as written (checked by the schema already) -> its type and description."""
    if isinstance(raw, str):
        return FieldType(raw), ""
    description = str(raw.get("description") or "")
    if "enum" in raw:
        return FieldType("enum", tuple(raw["enum"])), description
    if "list" in raw:
        item, _ = _type_of(raw["list"])
        return FieldType("list", item=item), description
    return FieldType(raw["type"]), description


def declarations(
    source: Source, data: Any = None, prefix: tuple[Any, ...] = ()
) -> tuple[list[Declared], list[Diagnostic]]:
    """The ``fields`` block of one file (``data``: the mapping holding it, at ``prefix``; by
    default the file's top level), checked: its shape, collection names and field names."""
    holder = source.data if data is None else data
    if not isinstance(holder, dict) or holder.get("fields") is None:
        return [], []
    block = holder["fields"]
    problems = schemas.problems("fields", source, {"fields": block}, prefix)
    if problems:
        return [], problems
    out: list[Declared] = []

    def report(path: tuple[Any, ...], message: str) -> None:
        line, col = source.positions.locate((*prefix, *path))
        problems.append(Diagnostic(source.path, line, col, message, dotted((*prefix, *path))))

    for collection, declared in block.items():
        if collection not in KIND_OF:
            report(("fields", collection), f"unknown collection {shown(collection)}{_hint(str(collection), KIND_OF)}")
            continue
        builtin = fields_of(KIND_OF[collection])
        for name, raw in declared.items():
            path = ("fields", collection, name)
            if not _NAME.match(str(name)):
                report(path, f"{shown(name)} is not a field name: lower-case letters, digits and _ only")
            elif name in builtin:
                report(
                    path,
                    f"{collection} already have a field {shown(name)} ({builtin[name].type}): declare new fields only",
                )
            else:
                kind, description = _type_of(raw)
                line, col = source.positions.locate((*prefix, *path))
                out.append(Declared(collection, str(name), kind, description, source.path, line, col))
    return out, problems


def merge(declared: Iterable[Declared]) -> tuple[tuple[Declared, ...], list[Diagnostic]]:
    """Every declaration once, in a stable order; the same field with two types is an error
    at the second place, naming the first."""
    first: dict[tuple[str, str], Declared] = {}
    problems: list[Diagnostic] = []
    for one in declared:
        key = (one.collection, one.name)
        seen = first.get(key)
        if seen is None:
            first[key] = one
        elif seen.type != one.type:
            problems.append(
                Diagnostic(
                    one.file,
                    one.line,
                    one.col,
                    f"{one.collection}.{one.name} is declared as {one.type} here and as {seen.type} at {seen.where}: "
                    "one field, one type",
                    f"fields.{one.collection}.{one.name}",
                )
            )
    return tuple(sorted(first.values(), key=lambda d: (d.collection, d.name))), problems


def effective_schema(declared: Sequence[Declared]) -> dict[str, Any]:
    """The inventory schema with ``declared`` fields added to their collections' items."""
    root = copy.deepcopy(schemas.load_schema("inventory"))
    for one in declared:
        ref = root["properties"][one.collection]["items"]["$ref"]
        target = root["$defs"][ref.rsplit("/", 1)[1]]
        sub = one.type.schema()
        if one.description:
            sub["description"] = one.description
        target["properties"][one.name] = sub
    return root


def schema_name(declared: Sequence[Declared]) -> str:
    """The name of the effective inventory schema (``inventory`` when nothing is declared)."""
    return schemas.derive("inventory", effective_schema(declared)) if declared else "inventory"


def editor_schema(declared: Sequence[Declared]) -> dict[str, Any]:
    """The effective inventory schema as an editor wants it: the ``fields`` and ``recorded``
    blocks described in full (their definitions copied in) rather than checked apart."""
    root = effective_schema(declared)
    extra = schemas.load_schema("fields")
    for name, definition in extra["$defs"].items():
        root["$defs"].setdefault(name, copy.deepcopy(definition))
    for key in ("fields", "recorded"):
        description = root["properties"][key].get("description", "")
        root["properties"][key] = {"$ref": f"#/$defs/{'declarations' if key == 'fields' else key}"}
        if description:
            root["properties"][key]["description"] = description
    return root


@dataclass(frozen=True)
class Header:
    """What an inventory's files say about its fields: every declaration in force (a pack's
    and the files' own), the effective schema's name, and per collection the fields recorded
    (a collection absent: every field)."""

    declared: tuple[Declared, ...] = ()
    schema: str = "inventory"
    recorded: Mapping[str, frozenset[str]] = field(default_factory=dict)


def header(sources: Sequence[Source], given: Iterable[Declared] = ()) -> tuple[Header, list[Diagnostic]]:
    """The header of an inventory made of ``sources``, with the declarations ``given`` (by the
    packs) in force too; and the problems of its ``fields`` and ``recorded`` blocks."""
    problems: list[Diagnostic] = []
    found: list[Declared] = list(given)
    for source in sources:
        own, bad = declarations(source)
        found.extend(own)
        problems.extend(bad)
    declared, clashes = merge(found)
    problems.extend(clashes)
    name = schema_name(declared)
    recorded, bad = _recorded(sources, name)
    problems.extend(bad)
    return Header(declared, name, recorded), problems


def _recorded(sources: Sequence[Source], schema: str) -> tuple[dict[str, frozenset[str]], list[Diagnostic]]:
    """Per collection, the union of the fields the files record; a collection that a file
    holds items of without saying what it recorded records every field."""
    problems: list[Diagnostic] = []
    union: dict[str, set[str]] = {}
    everything: set[str] = set()
    for source in sources:
        data = source.data if isinstance(source.data, dict) else {}
        block = data.get("recorded")
        if block is not None:
            found = schemas.problems("fields", source, {"recorded": block})
            problems.extend(found)
            if found:
                block = {}
        for collection, names in (block or {}).items():
            path = ("recorded", collection)
            if collection not in KIND_OF:
                line, col = source.positions.locate(path)
                message = f"unknown collection {shown(collection)}{_hint(str(collection), KIND_OF)}"
                problems.append(Diagnostic(source.path, line, col, message, dotted(path)))
                continue
            known = {p for p in fields_of(KIND_OF[collection], schema) if "." not in p}
            for index, name in enumerate(names):
                if name not in known:
                    line, col = source.positions.locate((*path, index))
                    message = f"unknown field {shown(name)} for {collection}{_hint(str(name), known)}"
                    problems.append(Diagnostic(source.path, line, col, message, dotted((*path, index))))
            union.setdefault(collection, set()).update(n for n in names if n in known)
        for collection in COLLECTION_OF.values():
            if data.get(collection) and collection not in (block or {}):
                everything.add(collection)
    return {c: frozenset(n) for c, n in union.items() if c not in everything}, problems
