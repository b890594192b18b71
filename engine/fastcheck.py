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
import json
import re
from collections.abc import Callable
from itertools import chain
from typing import Any

import fastjsonschema

_DRAFT7 = "http://json-schema.org/draft-07/schema#"
_RECORD_KEYWORDS = {"type", "description", "title", "additionalProperties", "required", "properties"}


class _Compiled:
    """fastjsonschema validators, compiled once per distinct field schema, on first use."""

    def __init__(self, defs: dict[str, Any]) -> None:
        self.defs = defs
        self.cache: dict[str, Callable[[Any], Any]] = {}
        self.bulk_cache: dict[str, Callable[[list[Any]], bool] | None] = {}

    def bulk(self, schema: dict[str, Any]) -> Callable[[list[Any]], bool] | None:
        key = json.dumps(schema, sort_keys=True)
        if key not in self.bulk_cache:
            self.bulk_cache[key] = _string_rule(schema, self.defs) or _string_list_rule(schema, self.defs)
        return self.bulk_cache[key]

    def _used(self, text: str) -> dict[str, Any]:
        """The definitions a schema reaches, transitively (compiling the others costs time)."""
        used: dict[str, Any] = {}
        pending = [text]
        while pending:
            current = pending.pop()
            for name, definition in self.defs.items():
                if name not in used and f'"#/$defs/{name}"' in current:
                    used[name] = copy.deepcopy(definition)
                    pending.append(json.dumps(definition))
        return used

    def get(self, schema: dict[str, Any]) -> Callable[[Any], Any]:
        key = json.dumps(schema, sort_keys=True)
        check = self.cache.get(key)
        if check is None:
            document = {**copy.deepcopy(schema), "$defs": self._used(key), "$schema": _DRAFT7}
            check = self.cache[key] = fastjsonschema.compile(document)
        return check


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


_STRING_KEYWORDS = {"type", "pattern", "minLength", "maxLength", "description", "x-references"}


def _string_rule(schema: dict[str, Any], defs: dict[str, Any]) -> Callable[[list[Any]], bool] | None:
    """For a plain string schema (type, pattern, length), a check of many values at once.

    Fields such as ids are unique per item, so checking each distinct value through a
    compiled validator would cost a call per item; this does the same test in bulk.
    """
    branches = schema.get("anyOf")
    nullable = False
    if branches is not None:
        rest = [b for b in branches if b != {"type": "null"}]
        if len(rest) != 1 or len(branches) != 2 or set(schema) - {"anyOf", "description", "x-references"}:
            return None
        nullable, schema = True, rest[0]
    if set(schema) == {"$ref"} and schema["$ref"].startswith("#/$defs/"):
        schema = defs.get(schema["$ref"][len("#/$defs/"):], {"$ref": None})
    if not set(schema) <= _STRING_KEYWORDS:
        return None
    kind = schema.get("type")
    if kind == ["string", "null"]:
        nullable = True
    elif kind != "string":
        return None
    pattern = re.compile(schema["pattern"]).search if "pattern" in schema else None
    low, high = schema.get("minLength", 0), schema.get("maxLength")

    def check(values: list[Any]) -> bool:
        strings = [v for v in values if v is not None] if nullable else values
        if set(map(type, strings)) - {str}:
            return False
        if pattern is not None and not all(map(pattern, strings)):
            return False
        lengths = set(map(len, strings))
        return not lengths or (min(lengths) >= low and (high is None or max(lengths) <= high))

    return check


_ARRAY_KEYWORDS = {"type", "items", "uniqueItems", "description", "x-references"}


def _string_list_rule(schema: dict[str, Any], defs: dict[str, Any]) -> Callable[[list[Any]], bool] | None:
    """For a list of plain strings (``items`` a plain string schema, optionally unique), the
    same bulk check over every list at once."""
    if not set(schema) <= _ARRAY_KEYWORDS or schema.get("type") not in ("array", ["array", "null"]):
        return None
    items = _string_rule(schema.get("items", {}), defs)
    if items is None:
        return None
    nullable, unique = schema["type"] != "array", schema.get("uniqueItems") is True

    def check(values: list[Any]) -> bool:
        lists = [v for v in values if v is not None] if nullable else values
        if set(map(type, lists)) - {list}:
            return False
        elements = list(chain.from_iterable(lists))
        if set(map(type, elements)) - {str} or not items(list(set(elements))):
            return False
        return not unique or all(map(int.__eq__, map(len, map(set, lists)), map(len, lists)))

    return check


class _Records:
    """Validates a list of records column by column."""

    def __init__(self, item: dict[str, Any], compiled: _Compiled) -> None:
        self.allowed = frozenset(item["properties"])
        self.required = frozenset(item.get("required", ()))
        self.fields = item["properties"]
        self.compiled = compiled

    def __call__(self, items: Any) -> bool:
        if items.__class__ is not list:
            return False
        if items and set(map(type, items)) != {dict}:
            return False
        shapes = set(map(tuple, items))
        for shape in shapes:
            keys = set(shape)
            if not keys <= self.allowed or not self.required <= keys:
                return False
        if not items:
            return True
        if len(shapes) * 50 <= len(items):
            return self._by_shape(items)
        # Every item as a row of all allowed fields (absent reads as None, which only an optional
        # field's schema accepts, and an optional field here is nullable), then transposed at C
        # speed into one column per field. None for a required field means an explicit null.
        order = tuple(self.fields)
        columns = zip(*[tuple(map(item.get, order)) for item in items], strict=True)
        return all(
            self._valid(self.fields[name], list(_distinct(column).values()))
            for name, column in zip(order, columns, strict=True)
        )

    def _by_shape(self, items: list[dict[str, Any]]) -> bool:
        """Few key orders among many items: transpose each group's values at C speed."""
        groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for item in items:
            groups.setdefault(tuple(item), []).append(item)
        distinct: dict[str, dict[Any, Any]] = {}
        for shape, group in groups.items():
            for name, column in zip(shape, zip(*map(tuple, map(dict.values, group)), strict=True), strict=True):
                distinct.setdefault(name, {}).update(_distinct(column))
        return all(self._valid(self.fields[name], list(values.values())) for name, values in distinct.items())

    def _valid(self, schema: dict[str, Any], values: list[Any]) -> bool:
        bulk = self.compiled.bulk(schema)
        if bulk is not None:
            return bulk(values)
        check = self.compiled.get(schema)
        try:
            for value in values:
                check(value)
        except fastjsonschema.JsonSchemaException:
            return False
        return True


def _distinct(column: tuple[Any, ...]) -> dict[Any, Any]:
    """Distinct values of a column, keyed so that ``True`` and ``1`` stay apart."""
    types = set(map(type, column))
    numeric = bool in types and (int in types or float in types)
    if not numeric and not types & {list, dict}:
        values = set(column)
        return dict(zip(values, values, strict=True))
    if types == {list}:
        inner = set(map(type, chain.from_iterable(column)))
        if not inner & {list, dict} and not (bool in inner and (int in inner or float in inner)):
            return dict(zip(map(tuple, column), column, strict=True))
    return {(v.__class__, _freeze(v)): v for v in column}


class ColumnarValidator:
    """``validator(document) -> bool`` for a schema whose top level is an object."""

    def __init__(self, schema: dict[str, Any]) -> None:
        compiled = _Compiled(schema.get("$defs", {}))
        stubbed = copy.deepcopy(schema)
        self.records: dict[str, _Records] = {}
        for key, prop in schema.get("properties", {}).items():
            prop = _resolve(prop, schema)
            item = _resolve(prop.get("items", {}), schema) if prop.get("type") == "array" else {}
            plain = set(prop) <= {"type", "items", "description"}
            if plain and item and set(item) <= _RECORD_KEYWORDS and item.get("additionalProperties") is False:
                self.records[key] = _Records(item, compiled)
                stubbed["properties"][key] = {"type": "array"}
        stubbed["$schema"] = _DRAFT7
        self.rest = fastjsonschema.compile(stubbed)

    def __call__(self, document: Any) -> bool:
        try:
            self.rest(document)
        except fastjsonschema.JsonSchemaException:
            return False
        return all(check(document[key]) for key, check in self.records.items() if key in document)
