"""A fast yes/no schema check for bulk documents: collections are validated column by column.

An inventory's collections hold thousands of items of one shape. Their item schemas are
plain records (``properties``, ``required``, ``additionalProperties: false``, no keyword
that relates two fields), so an item is valid exactly when its keys are allowed and
complete and each field's value is valid on its own. This checker therefore validates
every distinct key set once and every distinct value of every field once, with validators
compiled by fastjsonschema, and the rest of the document with the whole schema. Only a
"valid" answer is used: any problem sends the document to jsonschema, which reports every
error with its path.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import fastjsonschema

_DRAFT7 = "http://json-schema.org/draft-07/schema#"
_RECORD_KEYWORDS = {"type", "description", "title", "additionalProperties", "required", "properties"}
_ABSENT = object()


def _compile(schema: dict[str, Any], defs: dict[str, Any]) -> Callable[[Any], Any]:
    document = {**copy.deepcopy(schema), "$defs": copy.deepcopy(defs), "$schema": _DRAFT7}
    return fastjsonschema.compile(document)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while set(schema) == {"$ref"} and schema["$ref"].startswith("#/"):
        target: Any = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = target
    return schema


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return ("list", tuple((v.__class__, _freeze(v)) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _freeze(v)) for k, v in value.items())))
    return value


class _Records:
    """Validates a list of records column by column."""

    def __init__(self, item: dict[str, Any], defs: dict[str, Any]) -> None:
        self.allowed = frozenset(item["properties"])
        self.required = frozenset(item.get("required", ()))
        self.fields = {name: _compile(sub, defs) for name, sub in item["properties"].items()}

    def __call__(self, items: Any) -> bool:
        if items.__class__ is not list:
            return False
        if any(item.__class__ is not dict for item in items):
            return False
        for shape in {tuple(item) for item in items}:
            keys = set(shape)
            if not keys <= self.allowed or not self.required <= keys:
                return False
        for name, check in self.fields.items():
            column = [item.get(name, _ABSENT) for item in items]
            try:
                distinct = {(v.__class__, v): v for v in column}
            except TypeError:  # lists or mappings: key them by a frozen copy
                distinct = {(v.__class__, _freeze(v)): v for v in column}
            for value in distinct.values():
                if value is _ABSENT:
                    continue
                try:
                    check(value)
                except fastjsonschema.JsonSchemaException:
                    return False
        return True


class ColumnarValidator:
    """``validator(document) -> bool`` for a schema whose top level is an object."""

    def __init__(self, schema: dict[str, Any]) -> None:
        defs = schema.get("$defs", {})
        stubbed = copy.deepcopy(schema)
        self.records: dict[str, _Records] = {}
        for key, prop in schema.get("properties", {}).items():
            prop = _resolve(prop, schema)
            item = _resolve(prop.get("items", {}), schema) if prop.get("type") == "array" else {}
            plain = set(prop) <= {"type", "items", "description"}
            if plain and item and set(item) <= _RECORD_KEYWORDS and item.get("additionalProperties") is False:
                self.records[key] = _Records(item, defs)
                stubbed["properties"][key] = {"type": "array"}
        stubbed["$schema"] = _DRAFT7
        self.rest = fastjsonschema.compile(stubbed)

    def __call__(self, document: Any) -> bool:
        try:
            self.rest(document)
        except fastjsonschema.JsonSchemaException:
            return False
        return all(check(document[key]) for key, check in self.records.items() if key in document)
