"""The JSON Schemas every file format is checked against, and schema validation (layer 2).

A bulk document (an inventory) first gets the typed check of ``engine.typedcheck``, run by
msgspec at C speed; only when that says no does jsonschema, the reference, walk the document
to decide and report every problem with its path.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from engine.diagnostics import Diagnostic, dotted
from engine.sources import Source
from engine.typedcheck import TypedValidator, Unsupported

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """A bundled data directory (``schemas``, ``policies``): in the wheel or the source tree."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled directory {name!r} not found")  # pragma: no cover


@cache
def load_schema(name: str) -> dict[str, Any]:
    """``name`` like ``inventory`` -> the parsed ``schemas/inventory.schema.json``."""
    return json.loads((data_dir("schemas") / f"{name}.schema.json").read_text(encoding="utf-8"))


@cache
def fast_check(name: str) -> TypedValidator | None:
    """The typed fast check of a bulk format (None when its schema cannot be translated
    exactly: then jsonschema alone decides; tests/test_fast_schema_check.py keeps the
    inventory schema translatable)."""
    try:
        return TypedValidator(load_schema(name))
    except Unsupported:
        return None


def passes_fast_check(name: str, data: Any, json_types: bool = False) -> bool:
    """Whether the typed fast check accepts ``data`` (only for bulk formats; a no decides
    nothing). ``json_types``: ``data`` was parsed from JSON, so holds no date objects."""
    check = fast_check(name) if name in BULK else None
    return check is not None and check(data, json_types)


@cache
def _full(name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


#: Formats that arrive in bulk and get the typed fast check; small ones (policies, waivers)
#: go straight to jsonschema.
BULK = frozenset({"inventory"})


def is_valid(name: str, data: Any) -> bool:
    """True only when ``data`` is valid (jsonschema is the reference)."""
    return passes_fast_check(name, data) or bool(_full(name).is_valid(data))


#: Collections from which jsonschema is given only the items the typed check cannot clear.
NARROW_FROM = 1000


def _errors(name: str, document: Any) -> Iterator[jsonschema.ValidationError]:
    """What ``iter_errors(document)`` yields, in the same order, without walking in Python
    the bulk of a large document that is valid.

    A collection of many items (a top-level array of ``$ref`` records) is left out of the
    document jsonschema walks; the typed check clears its items by halves, at C speed, and
    jsonschema then walks only the items it could not clear, each with the item schema. Its
    errors are the same as a whole walk would give (keyword order: the top level's own, then
    each property in schema order, each array item in index order), their paths prefixed with
    the collection and the index."""
    full = _full(name)
    schema = full.schema
    bulky = {}
    if name in BULK and isinstance(document, dict) and fast_check(name) is not None:
        for key, sub in schema.get("properties", {}).items():
            value = document.get(key)
            plain_array = isinstance(sub, dict) and set(sub) == {"type", "items"} and sub["type"] == "array"
            items = sub["items"] if plain_array else None
            many = isinstance(value, list) and len(value) >= NARROW_FROM
            if many and isinstance(items, dict) and set(items) == {"$ref"}:
                bulky[key] = items["$ref"]
    if not bulky:
        yield from full.iter_errors(document)
        return
    skeleton = {k: ([] if k in bulky else v) for k, v in document.items()}
    by_property: dict[Any, list[jsonschema.ValidationError]] = {}
    for error in full.iter_errors(skeleton):
        if not error.path:
            yield error  # the top level's own keywords come before its properties
        else:
            by_property.setdefault(error.path[0], []).append(error)
    for key in schema.get("properties", {}):
        yield from by_property.pop(key, [])
        if key in bulky:
            item_schema = {"$ref": bulky[key]}
            clears = _items_check(name, bulky[key])
            items = full.evolve(schema=item_schema)
            for index in _uncleared(document[key], clears):
                for error in items.iter_errors(document[key][index]):
                    error.path.appendleft(index)
                    error.path.appendleft(key)
                    yield error
    for rest in by_property.values():  # properties outside the schema's list: not expected
        yield from rest


@cache
def _items_check(name: str, ref: str) -> Callable[[list[Any]], bool]:
    """The typed check of a list of ``ref`` records (of schema ``name``)."""
    schema = load_schema(name)
    return TypedValidator({"type": "array", "items": {"$ref": ref}, "$defs": schema.get("$defs", {})})


def _uncleared(items: list[Any], clears: Callable[[list[Any]], bool]) -> Iterator[int]:
    """Indices of the items the typed check does not clear, in order, found by halves."""
    stack = [(0, len(items))]
    while stack:
        low, high = stack.pop()
        if high <= low or clears(items[low:high]):
            continue
        if high - low == 1:
            yield low
            continue
        middle = (low + high) // 2
        stack.append((middle, high))  # popped after the first half: indices stay in order
        stack.append((low, middle))


def _leaves(error: jsonschema.ValidationError) -> Iterator[jsonschema.ValidationError]:
    """For oneOf/anyOf, the most relevant branch's errors instead of 'not valid under any'."""
    if error.context:
        best = jsonschema.exceptions.best_match(error.context)
        if best is not None and best is not error:
            yield from _leaves(best)
            return
    yield error


def _describe(error: jsonschema.ValidationError) -> tuple[tuple[Any, ...], str]:
    path = tuple(error.absolute_path)
    kind, value = error.validator, error.validator_value
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if extra:
            known = ", ".join(sorted(allowed))
            return (*path, extra[0]), f"unknown key {extra[0]!r} (allowed: {known})"
    if kind == "required":
        return path, error.message.replace("is a required property", "is required")
    if kind == "enum":
        return path, f"{error.instance!r} is not one of: {', '.join(map(str, value))}"
    if kind == "type":
        expected = value if isinstance(value, str) else " or ".join(value)
        return path, f"expected {expected}, got {type(error.instance).__name__} {error.instance!r}"
    if kind == "pattern" and "\\d{4}" in str(value):
        return path, f"{error.instance!r} is not a date (YYYY-MM-DD)"
    if kind == "pattern":
        return path, f"{error.instance!r} does not match the required form {value}"
    return path, error.message


def problems(name: str, source: Source, data: Any = None, prefix: tuple[Any, ...] = ()) -> list[Diagnostic]:
    """Every schema problem of ``source`` (or of ``data`` found at ``prefix`` inside it)."""
    if passes_fast_check(name, source.data if data is None else data):
        return []
    return reference_problems(name, source, data, prefix)


def reference_problems(name: str, source: Source, data: Any = None, prefix: tuple[Any, ...] = ()) -> list[Diagnostic]:
    """``problems`` decided by jsonschema alone (for a caller that has run the fast check)."""
    document = source.data if data is None else data
    found: list[Diagnostic] = []
    for error in _errors(name, document):
        for leaf in _leaves(error):
            path, message = _describe(leaf)
            full = (*prefix, *path)
            line, col = source.positions.locate(full)
            found.append(Diagnostic(source.path, line, col, message, dotted(full)))
    return found
