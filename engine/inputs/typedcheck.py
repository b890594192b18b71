"""A yes/no schema check at C speed: the JSON Schema translated into msgspec types.

An inventory holds hundreds of thousands of records of a few fixed shapes. Walking them in
Python costs seconds; ``msgspec.convert`` checks the same records against typed structs in
C, in a fraction of the time a parse takes. The types are generated from the JSON Schema,
which stays the one definition of the format:

- an object with ``properties`` and ``additionalProperties: false`` becomes a struct that
  forbids unknown fields (and is not tracked by the cyclic GC: it is thrown away at once),
  ``required`` fields have no default;
- a string with the date pattern becomes a ``datetime.date``, which msgspec reads in C;
- ``type`` (or a list of types), ``enum``, ``const``, ``anyOf``, ``$ref``, ``items``,
  ``pattern``, ``minLength``, ``maxLength`` and ``minimum`` become the matching types and
  constraints; ``pattern`` and ``uniqueItems`` are checked afterwards, once per distinct
  value, on the few paths that carry them.

Only a "valid" answer is used. msgspec may be stricter than JSON Schema at the edges (``1.0``
is an integer to JSON Schema, not to msgspec), never looser: any "no" sends the document to
jsonschema, the reference, which decides and reports every problem with its path. A schema
keyword this translation does not know raises :class:`Unsupported` when the checker is
built, so a schema change can never make the fast check silently accept more.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from itertools import chain
from typing import Annotated, Any, Literal, Union

import msgspec
import re2

from engine.inputs.limits import re2_options

_IGNORED = {"description", "title", "x-references", "$schema", "$id", "$defs", "examples", "readOnly"}
_STRING = {"minLength": "min_length", "maxLength": "max_length"}
_NUMBER = {"minimum": "ge"}
_KNOWN = {*_IGNORED, *_STRING, *_NUMBER, "pattern", "type", "enum", "const", "anyOf", "$ref", "items"}
_KNOWN |= {"uniqueItems", "properties", "required", "additionalProperties"}

_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"

Step = str  # a property name, or "*" for every item of an array
Path = tuple[Step, ...]
# (where, what: "pattern" (with the pattern and whether only strings are there), "unique" or "strings", its argument)
Check = tuple[Path, str, Any]


class Unsupported(ValueError):
    """The schema uses something this translation cannot express exactly."""


class _Translator:
    """Builds the msgspec type of a schema, and the checks left for afterwards: per path, a
    ``pattern`` (checked once per distinct value) or ``uniqueItems``."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.structs: dict[str, tuple[Any, tuple[Check, ...]]] = {}  # $ref -> (struct, its checks)
        self.checks: list[Check] = []

    def resolve(self, schema: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        ref = schema.get("$ref")
        if ref is None:
            return schema, None
        if set(schema) - _IGNORED - {"$ref"} or not ref.startswith("#/"):
            raise Unsupported(f"$ref beside other keywords, or not local: {schema}")
        target: Any = self.root
        for part in ref[2:].split("/"):
            target = target[part]
        return target, ref

    def type_of(self, schema: Any, path: Path) -> Any:
        if schema is True or (isinstance(schema, dict) and not set(schema) - _IGNORED):
            return Any  # no constraint, only annotations (a block checked on its own)
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r} at {_where(path)}")
        schema, ref = self.resolve(schema)
        unknown = set(schema) - _KNOWN
        if unknown:
            raise Unsupported(f"keyword(s) {sorted(unknown)} at {_where(path)}")
        if "anyOf" in schema:
            if set(schema) - _IGNORED - {"anyOf"}:
                raise Unsupported(f"anyOf beside other keywords at {_where(path)}")
            return _union([self.type_of(branch, path) for branch in schema["anyOf"]])
        if "const" in schema:
            return self._literal([schema["const"]], schema, path)
        if "enum" in schema:
            return self._literal(schema["enum"], schema, path)
        kinds = schema.get("type")
        if kinds is None:
            raise Unsupported(f"no type at {_where(path)}")
        kinds = [kinds] if isinstance(kinds, str) else list(kinds)
        return _union([self._one(kind, schema, path, ref) for kind in kinds])

    def _literal(self, values: list[Any], schema: dict[str, Any], path: Path) -> Any:
        """enum/const: only strings, integers and null, each at most as wide as ``type``."""
        allowed = schema.get("type")
        allowed = None if allowed is None else {allowed} if isinstance(allowed, str) else set(allowed)
        if set(schema) - _IGNORED - {"enum", "const", "type"}:
            raise Unsupported(f"enum/const with other constraints at {_where(path)}")
        literals: list[Any] = []
        nullable = False
        for value in values:
            kind = {str: "string", int: "integer", type(None): "null"}.get(type(value))
            if kind is None:
                raise Unsupported(f"enum/const value {value!r} at {_where(path)}")
            if allowed is not None and kind not in allowed and not (kind == "integer" and "number" in allowed):
                continue  # the value can never pass the type check, so it is not allowed
            if value is None:
                nullable = True
            else:
                literals.append(value)
        options = [Literal[tuple(literals)]] if literals else []  # type: ignore[valid-type]
        return _union([*options, *([None] if nullable else [])])

    def _one(self, kind: str, schema: dict[str, Any], path: Path, ref: str | None) -> Any:
        if kind == "null":
            return None
        if kind == "boolean":
            return bool
        if kind == "string":
            if schema.get("pattern") == _DATE_PATTERN and not set(schema) & set(_STRING):
                # msgspec reads RFC 3339 dates in C, and accepts only real YYYY-MM-DD dates: a
                # subset of what the pattern allows (which also takes 2026-02-30), never more.
                # It also takes a date object, which is no string: checked afterwards.
                self.checks.append((path, "strings", None))
                return dt.date
            if "pattern" in schema:
                kinds = schema.get("type")
                strings_only = kinds == "string" or kinds in (["string", "null"], ["null", "string"])
                self.checks.append((path, "pattern", (schema["pattern"], strings_only)))
            return _constrained(str, schema, _STRING)
        if kind == "integer":
            return _constrained(int, schema, _NUMBER)
        if kind == "number":
            return Union[_constrained(int, schema, _NUMBER), _constrained(float, schema, _NUMBER)]  # noqa: UP007
        if kind == "array":
            if schema.get("uniqueItems") is True:
                self.checks.append((path, "unique", None))
            return list[self.type_of(schema.get("items", {}), (*path, "*"))]  # type: ignore[misc]
        if kind == "object":
            return self._struct(schema, path, ref)
        raise Unsupported(f"type {kind!r} at {_where(path)}")

    def _struct(self, schema: dict[str, Any], path: Path, ref: str | None) -> Any:
        if schema.get("additionalProperties") is not False or "properties" not in schema:
            raise Unsupported(f"an object that is not a closed record at {_where(path)}")
        if ref is not None and ref in self.structs:
            # the same definition reached by another path: its checks apply there too
            struct, checks = self.structs[ref]
            self.checks.extend(((*path, *tail), kind, arg) for tail, kind, arg in checks)
            return struct
        before = len(self.checks)
        required = set(schema.get("required", ()))
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        rename: dict[str, str] = {}
        for number, (name, sub) in enumerate(schema["properties"].items()):
            attribute = f"f{number}"
            rename[attribute] = name
            kind = self.type_of(sub, (*path, name))
            fields.append((attribute, kind) if name in required else (attribute, kind, None))
        fields.sort(key=len)  # fields without a default come first
        struct = msgspec.defstruct("Record", fields, rename=rename, forbid_unknown_fields=True, gc=False)
        if ref is not None:
            tails = tuple((p[len(path) :], kind, arg) for p, kind, arg in self.checks[before:])
            self.structs[ref] = (struct, tails)
        return struct


def _where(path: Path) -> str:
    return "/".join(path) or "the top"


def _constrained(base: type, schema: dict[str, Any], keywords: dict[str, str]) -> Any:
    meta = {keywords[k]: v for k, v in schema.items() if k in keywords}
    return Annotated[base, msgspec.Meta(**meta)] if meta else base


def _union(options: list[Any]) -> Any:
    if not options:
        raise Unsupported("a schema that allows nothing")
    unique: list[Any] = []
    for option in options:
        if option not in unique:
            unique.append(option)
    return unique[0] if len(unique) == 1 else Union[tuple(unique)]  # noqa: UP007


def _values_at(document: Any, path: Path, known: dict[Path, list[Any]]) -> list[Any]:
    """Every value at ``path``, absent and null ones left out (``known`` keeps the values at
    each prefix already walked). Run only after the typed check passed, so each step meets
    the container type the schema says."""
    if path in known:
        return known[path]
    if not path:
        values = [document]
    else:
        parent = _values_at(document, path[:-1], known)
        step = path[-1]
        if step == "*":
            values = [v for v in chain.from_iterable(parent) if v is not None]
        else:
            values = [v for item in parent if (v := item.get(step)) is not None]
    known[path] = values
    return values


def _matches(pattern: str, strings_only: bool, values: list[Any]) -> bool:
    """Every string among ``values`` matches ``pattern`` (JSON Schema: an unanchored search).

    References and dates repeat, so each distinct value is tested once; ids do not, and a
    sample says so before a set of them is built for nothing."""
    search = re.compile(pattern).search
    sample = values[:1000]
    if len(set(sample)) < 0.9 * len(sample):
        values = list(set(values))
    if not strings_only:
        values = [v for v in values if v.__class__ is str]
    if len(values) > 1000 and _lines_apart(pattern):
        # One pass over the values joined by newlines (none holds one): each of n values
        # matches iff the pattern, anchored at line starts and ends, matches n times (a match
        # spanning lines would leave a line without one).
        text = "\n".join(values)
        if text.count("\n") == len(values) - 1:
            whole = _whole_lines(pattern)
            if whole is not None:  # RE2, in linear time: the text is lines that each match
                return whole.fullmatch(text.encode("utf-8", "surrogatepass")) is not None
            return re.subn(pattern, "", text, flags=re.MULTILINE)[1] == len(values)  # (counts, keeps none)
    return all(map(search, values))


@lru_cache(maxsize=64)
def _whole_lines(pattern: str) -> Any:
    """An RE2 matcher of "every line matches ``pattern``" (``^P$`` -> ``P(\\nP)*`` matched whole),
    or None unless ``P`` is plain: no escape (``\\d`` is ASCII in RE2, Unicode in Python's
    ``re``, the reference's), no anchor inside and no newline, so that it means to RE2 on each
    line just what it means to ``re``, and never matches across lines (5x faster than
    counting ``re``'s matches on 500,000 ids)."""
    inner = pattern[1:-1]
    if any(token in inner for token in ("\\", "\n", "^", "$")):
        return None
    try:
        return re2.compile(f"(?:{inner})(?:\n(?:{inner}))*", re2_options())
    except re2.error:
        return None


#: What may make a pattern mean something else across the lines of a joined text:
#: alternation, flags, lookarounds, absolute anchors, and whatever can match a newline.
_NOT_LINEWISE = ("|", "(?", "\\A", "\\Z", "[^", "\\s", "\\D", "\\W", "\\n", "\\x", "\\u", "\\U", "\\N", "\\0", "\\1")


def _lines_apart(pattern: str) -> bool:
    """Whether ``pattern`` means the same on each line of a text in MULTILINE mode as on a
    string without newlines: anchored at both ends, and nothing of ``_NOT_LINEWISE``. (The
    joined check stays sound without this, since a match across lines leaves a line without
    one; this keeps it from saying no to good values.)"""
    if not (pattern.startswith("^") and pattern.endswith("$")) or pattern.endswith("\\$"):
        return False
    return not any(token in pattern for token in _NOT_LINEWISE)


def _all_unique(lists: list[Any]) -> bool:
    """No list has two equal items (as JSON Schema counts: ``1 == 1.0``).

    Python also counts ``True == 1``, which JSON Schema does not: that only makes this check
    stricter, and a stricter "no" is settled by jsonschema.
    """
    for items in lists:
        try:
            if len(set(items)) != len(items):
                return False
        except TypeError:  # lists or objects as items: no cheap equality that counts 1 == 1.0
            return False
    return True


class TypedValidator:
    """``validator(document) -> bool`` for a schema of closed records."""

    def __init__(self, schema: dict[str, Any]) -> None:
        translator = _Translator(schema)
        self.type = translator.type_of(schema, ())
        self.checks: tuple[Check, ...] = tuple(dict.fromkeys(translator.checks))
        try:
            msgspec.convert({}, self.type)
        except msgspec.ValidationError:
            pass
        except TypeError as exc:  # msgspec cannot build a checker for these types
            raise Unsupported(str(exc)) from exc

    def __call__(self, document: Any, json_types: bool = False) -> bool:
        """Whether ``document`` is valid (``json_types``: it was parsed from JSON, so a date
        can only be a string and the check that it is one is skipped)."""
        try:
            msgspec.convert(document, self.type)
        except msgspec.ValidationError:
            return False
        known: dict[Path, list[Any]] = {}
        for path, kind, pattern in self.checks:
            if kind == "strings" and json_types:
                continue
            values = _values_at(document, path, known)
            if kind == "pattern" and not _matches(*pattern, values):
                return False
            if kind == "unique" and not _all_unique(values):
                return False
            if kind == "strings" and not set(map(type, values)) <= {str}:
                return False
        return True
