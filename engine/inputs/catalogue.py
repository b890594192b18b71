"""What fields each kind of subject has, read from the inventory schema (one source of truth).

The policy compiler checks every path and operand against this catalogue, so a typo such as
``onwer`` is an error and never a condition that silently matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from engine.inputs.schemas import load_schema
from engine.vocabulary import COLLECTION_OF


@dataclass(frozen=True)
class Field:
    """One field of one kind of subject."""

    path: str
    type: str  # string | number | integer | boolean | array | object | date | any
    enum: tuple[Any, ...] = ()
    item_type: str = ""  # for arrays
    item_enum: tuple[Any, ...] = ()
    references: str = ""  # the collection an id (or list of ids) points to
    description: str = ""

    @property
    def is_numeric(self) -> bool:
        return self.type in ("number", "integer")


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field's schema admits null (same as absent); the catalogue wants its type."""
    schema = dict(schema)
    branches = [b for b in schema.pop("anyOf", []) if b != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    kind = schema.get("type")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        schema["type"] = rest[0] if len(rest) == 1 else rest
    if "enum" in schema:
        schema["enum"] = [v for v in schema["enum"] if v is not None]
    return schema


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    schema = _without_null(schema)
    while "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        merged = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **merged}
    return schema


def _type_of(schema: dict[str, Any]) -> str:
    if "\\d{4}-" in schema.get("pattern", ""):
        return "date"
    kind = schema.get("type")
    if isinstance(kind, list):
        return "any"
    if kind is None and "enum" in schema:
        return "string"
    return kind or "any"


def _fields(schema: dict[str, Any], root: dict[str, Any], prefix: str = "") -> dict[str, Field]:
    out: dict[str, Field] = {}
    for name, raw in schema.get("properties", {}).items():
        sub = _resolve(raw, root)
        path = f"{prefix}{name}"
        kind = _type_of(sub)
        item = _resolve(sub.get("items", {}), root) if kind == "array" else {}
        out[path] = Field(
            path=path,
            type=kind,
            enum=tuple(sub.get("enum", ())),
            item_type=_type_of(item) if item else "",
            item_enum=tuple(item.get("enum", ())),
            references=sub.get("x-references", ""),
            description=sub.get("description", ""),
        )
        if kind == "object":
            out.update(_fields(sub, root, f"{path}."))
    return out


@cache
def fields_of(kind: str, schema: str = "inventory") -> dict[str, Field]:
    """``kind`` is a scope (``account``, ``organisation`` ...) -> its fields by dotted path, in
    the inventory schema or an effective one (``schema``: with declared fields, see
    ``engine.inputs.fields``)."""
    root = load_schema(schema)
    if kind == "organisation":
        top = root["properties"]
        fields = _fields(_resolve(top["organisation"], root), root)
        governance = _resolve(top["governance"], root)
        fields["governance"] = Field("governance", "object")
        fields.update(_fields(governance, root, "governance."))
        return fields
    if kind == "governance":
        return _fields(_resolve(root["properties"]["governance"], root), root)
    collection = root["properties"][COLLECTION_OF[kind]]
    return _fields(_resolve(collection["items"], root), root)
