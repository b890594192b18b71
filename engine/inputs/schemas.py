"""The JSON Schemas every file format is checked against, and schema validation (layer 2).

A bulk document (an inventory) first gets the typed check of ``engine.inputs.typedcheck``, run by
msgspec at C speed; only when that says no does jsonschema, the reference, walk the document
to decide and report every problem with its path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import referencing

from engine.inputs.diagnostics import Diagnostic, InputError, dotted, shown
from engine.inputs.sources import Source, read
from engine.inputs.typedcheck import TypedValidator, Unsupported

_PACKAGE = Path(__file__).resolve().parent.parent  # engine/, from engine/inputs/schemas.py


def data_dir(name: str) -> Path:
    """A bundled data directory (``schemas``, ``policies``): in the wheel or the source tree."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled directory {name!r} not found")  # pragma: no cover


#: Schemas made at run time from a bundled one (the inventory with declared fields), by name.
_DERIVED: dict[str, dict[str, Any]] = {}


def derive(base: str, schema: dict[str, Any]) -> str:
    """Register ``schema``, a variant of the bundled ``base`` schema, and return its name
    (``inventory+<digest>``): the same content always gets the same name, so every cached
    checker of it is built once."""
    text = json.dumps(schema, sort_keys=True, default=str)
    name = f"{base}+{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    _DERIVED.setdefault(name, schema)
    return name


def base_of(name: str) -> str:
    """The bundled schema a (possibly derived) schema name comes from."""
    return name.partition("+")[0]


@cache
def load_schema(name: str) -> dict[str, Any]:
    """``name`` like ``inventory`` -> the parsed ``schemas/inventory.schema.json`` (or a
    schema registered by :func:`derive`)."""
    if name in _DERIVED:
        return _DERIVED[name]
    return json.loads((data_dir("schemas") / f"{name}.schema.json").read_text(encoding="utf-8"))


def bundled() -> dict[str, Path]:
    """Every bundled schema by name (``inventory`` -> its ``inventory.schema.json``)."""
    suffix = ".schema.json"
    found = sorted(data_dir("schemas").glob(f"*{suffix}"))
    return {path.name.removesuffix(suffix): path for path in found}


@cache
def registry() -> referencing.Registry[Any]:
    """Every bundled schema under its ``$id`` (``https://smgov.invalid/schemas/NAME.schema.json``),
    read from the installed package: give it to jsonschema (``registry=``) and a ``$ref`` to
    any of them resolves without the network."""
    resources = []
    for name in bundled():
        schema = load_schema(name)
        resources.append((schema["$id"], referencing.Resource.from_contents(schema)))
    return referencing.Registry().with_resources(resources)


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
    check = fast_check(name) if base_of(name) in BULK else None
    return check is not None and check(data, json_types)


@cache
def _full(name: str) -> jsonschema.protocols.Validator:
    """jsonschema's validator for ``name``. A schema made at run time (:func:`derive`) is first
    checked against its meta-schema; a bundled one is not, on every run (40 ms for the policy
    schema): the test suite checks each (tests/test_output_schemas.py)."""
    schema = load_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    if name in _DERIVED:
        cls.check_schema(schema)
    return cls(schema)


#: Formats that arrive in bulk and get the typed fast check; small ones (policies, waivers)
#: go straight to jsonschema.
BULK = frozenset({"inventory"})


def is_valid(name: str, data: Any) -> bool:
    """True only when ``data`` is valid (jsonschema is the reference)."""
    return passes_fast_check(name, data) or bool(_full(name).is_valid(data))


#: Keywords that only document a schema: they change nothing a validator decides.
ANNOTATIONS = frozenset({"title", "description", "examples", "$comment"})

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
    if base_of(name) in BULK and isinstance(document, dict) and fast_check(name) is not None:
        for key, sub in schema.get("properties", {}).items():
            value = document.get(key)
            plain_array = (
                isinstance(sub, dict) and set(sub) - ANNOTATIONS == {"type", "items"} and sub["type"] == "array"
            )
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
    """For oneOf/anyOf, the most relevant branch's errors instead of 'not valid under any'.

    A value that is there is never judged by the ``null`` branch of an optional field: the
    other branches say what it should be (``expected null`` would only confuse)."""
    if error.context:
        context = error.context
        if error.instance is not None and error.validator in ("anyOf", "oneOf"):
            branches = error.validator_value
            kept = [e for e in context if branches[e.relative_schema_path[0]] != {"type": "null"}]
            context = kept or context
        best = jsonschema.exceptions.best_match(context)
        if best is not None and best is not error:
            yield from _leaves(best)
            return
    yield error


#: JSON Schema types, as a compliance officer would name them.
_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping of keys to values",
}

#: Declared ``email`` and ``url`` fields: the test is in the schema itself, so editors, jsonschema
#: and the typed fast check all apply the same one.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
URL_PATTERN = r"^https?://[^\s/?#]+([/?#]\S*)?$"

#: What an id (and a reference to one) may be made of, in words.
ID_WORDS = "letters, digits and . _ : - only, starting with a letter or digit"

#: The patterns of the bundled schemas, in words.
_PATTERN_WORDS = {
    "^[A-Za-z0-9][A-Za-z0-9._:-]*$": ID_WORDS,
    "^[a-z][a-z0-9_]*$": "lower-case letters, digits and _ only, starting with a letter",
    "^[a-z0-9][a-z0-9_-]*$": "lower-case letters, digits, _ and - only, starting with a letter or digit",
    "^[a-z0-9][a-z0-9_.-]*$": "lower-case letters, digits, _ . and - only, starting with a letter or digit",
    "^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$": "capital letters and digits, in parts joined by - (like BND-ACC-001)",
    "^[0-9a-f]{64}$": "64 hexadecimal digits (0-9, a-f)",
    "^[0-9a-f]{32}$": "32 hexadecimal digits (0-9, a-f)",
    "^[^/\\\\]+$": "a name without / or \\",
    EMAIL_PATTERN: "an e-mail address (name@example.org)",
    URL_PATTERN: "a web address starting with http:// or https://",
}
_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._:-]*$"

#: Why YAML turned a value into something else than text, and what to do about it.
_YAML_BOOLEAN = (
    "; in YAML an unquoted NO, yes, on, off, true ... is read as true or false: "
    "put the value in quotes (for example 'NO') to keep it as text"
)
_YAML_NUMBER = "; in YAML an unquoted number is read as a number: put it in quotes to keep it as text"

#: Ask ``explain(path, instance)`` first: a message of its own for a value at ``path`` (None: no).
Explain = Callable[[tuple[Any, ...], Any], str | None]


def _expected(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    words = " or ".join(_TYPE_WORDS.get(n, n) for n in names if n != "null") or "empty"
    return f"{words} (or empty)" if "null" in names and len(names) > 1 else words


def _got(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {shown(value)}"
    if isinstance(value, str):
        return f"the text {shown(value)}"
    if isinstance(value, list):
        return f"a list of {len(value)}" if value else "an empty list"
    if isinstance(value, dict):
        return "a mapping of keys to values"
    return shown(value)


def _yaml_hint(value: Any, wants_text: bool, yaml: bool) -> str:
    """Why a YAML value meant as text arrived as a boolean or a number."""
    if not (yaml and wants_text):
        return ""
    if isinstance(value, bool):
        return _YAML_BOOLEAN
    return _YAML_NUMBER if isinstance(value, int | float) else ""


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return shown(value)


def _unknown_keys(error: jsonschema.ValidationError, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], str]]:
    """One message per unknown key, with the nearest key it may be a typo of: a required key
    that is missing first, else any other allowed key not there."""
    instance = error.instance
    allowed = set(error.schema.get("properties", {}))
    known = ", ".join(sorted(allowed))
    missing = [k for k in error.schema.get("required", []) if k not in instance]
    absent = sorted(k for k in allowed if k not in instance)
    out = []
    for key in sorted((k for k in instance if k not in allowed), key=str):
        guess = (
            get_close_matches(str(key), missing, n=1)
            or get_close_matches(str(key), absent, n=1, cutoff=0.7)
            or get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.7)  # a key given twice, once misspelt
        )
        also = " (also given)" if guess and guess[0] in instance else ""
        maybe = f"; did you mean {guess[0]!r}{also}?" if guess else ""
        out.append(((*path, key), f"unknown key {shown(key)}{maybe} (allowed: {known})"))
    return out


def _describe(error: jsonschema.ValidationError, yaml: bool = False) -> list[tuple[tuple[Any, ...], str]]:
    """The problems one jsonschema error stands for: (path, plain message) each."""
    path = tuple(error.absolute_path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        extra = _unknown_keys(error, path)
        if extra:
            return extra
    return [(path, _message(kind, value, instance, error, yaml))]


def _message(kind: Any, value: Any, instance: Any, error: jsonschema.ValidationError, yaml: bool) -> str:
    if kind == "required":
        return error.message.replace("is a required property", "is required")
    if kind == "enum":
        choices = ", ".join(str(v) for v in value if v is not None)
        empty = " (or left empty)" if None in value else ""
        wants_text = any(isinstance(v, str) for v in value)
        return f"{shown(instance)} is not one of: {choices}{empty}{_yaml_hint(instance, wants_text, yaml)}"
    if kind == "const":
        if isinstance(value, int | float) and not isinstance(value, bool) and isinstance(instance, str):
            return f"must be {_literal(value)} (a number, not text)"
        return f"must be {_literal(value)}, not {_literal(instance)}"
    if kind == "type":
        expected = _expected(value)
        if instance is None:
            return f"a value is required here (expected {expected})"
        wants_text = value == "string" or (not isinstance(value, str) and "string" in value)
        return f"expected {expected}, got {_got(instance)}{_yaml_hint(instance, wants_text, yaml)}"
    if kind == "pattern" and "\\d{4}" in str(value):
        return f"{shown(instance)} is not a date (YYYY-MM-DD)"
    if kind == "pattern" and value == _ID_PATTERN:
        return f"{shown(instance)} is not a valid id: {_PATTERN_WORDS[value]}"
    if kind == "pattern":
        words = _PATTERN_WORDS.get(value, f"it must match {value}")
        return f"{shown(instance)} is not in the required form: {words}"
    if kind == "minLength" and instance == "":
        return "a value is required here (it is empty)"
    if kind == "minLength":
        return f"{shown(instance)} is too short (at least {value} characters)"
    if kind == "maxLength":
        return f"{shown(instance)} is too long (at most {value} characters)"
    if kind == "uniqueItems" and isinstance(instance, list):
        seen: list[Any] = []
        for item in instance[:1000]:  # items may be unhashable: compared pairwise, so not all of a huge list
            if item in seen:
                return f"lists {shown(item)} more than once"
            seen.append(item)
    message = str(error.message)
    return message if len(message) <= 200 else f"{message[:199]}…"  # never echo a huge value in full


def problems(name: str, source: Source, data: Any = None, prefix: tuple[Any, ...] = ()) -> list[Diagnostic]:
    """Every schema problem of ``source`` (or of ``data`` found at ``prefix`` inside it)."""
    if passes_fast_check(name, source.data if data is None else data):
        return []
    return reference_problems(name, source, data, prefix)


def reference_problems(
    name: str, source: Source, data: Any = None, prefix: tuple[Any, ...] = (), explain: Explain | None = None
) -> list[Diagnostic]:
    """``problems`` decided by jsonschema alone (for a caller that has run the fast check).
    ``explain`` is asked about the path and value of every problem found (so a caller also
    learns where they are); what it answers replaces the schema's message for a bad value
    (say, a reference that is not an id), never for a missing or an unknown key."""
    document = source.data if data is None else data
    yaml = not source.json_types
    found: list[Diagnostic] = []
    for error in _errors(name, document):
        for leaf in _leaves(error):
            for path, message in _describe(leaf, yaml):
                full = (*prefix, *path)
                own = explain(full, leaf.instance) if explain is not None else None
                if own and leaf.validator not in ("required", "additionalProperties"):
                    message = own
                line, col = source.positions.locate(full)
                found.append(Diagnostic(source.path, line, col, message, dotted(full)))
    return found


def checked(source: Source, schema: str, shape: str) -> Source:
    """``source`` when it is a mapping valid against the bundled schema ``schema``; else
    InputError with every problem (``shape``: what the top level must be, in words)."""
    if not isinstance(source.data, dict):
        raise InputError([Diagnostic(source.path, 1, 1, f"{shape} must be a mapping with {_WITH[schema]}")])
    found = problems(schema, source)
    if found:
        raise InputError(found)
    return source


def read_checked(path: str | Path, schema: str, shape: str) -> Source:
    """The file at ``path``, read and :func:`checked`. Raises InputError."""
    source = read(Path(path))
    if isinstance(source, Diagnostic):
        raise InputError([source])
    return checked(source, schema, shape)


#: What each of these files' top level holds, for the message when it is not a mapping.
_WITH = {
    "stages": "a 'stages' list",
    "peers": "a 'figures' list",
    "waivers": "a 'waivers' list",
    "questionnaire": "a 'departments' list",
}
