"""Read JSON on the fast path, remembering where each top-level value starts and ends.

msgspec splits the top-level object into raw values and decodes each (a whole collection at
once) in C, faster than ``json.loads``; anything unusual (malformed JSON, a duplicate key, a
number msgspec refuses, a lone surrogate, deep nesting) goes to an exact walk by hand with
the standard library's scanner, which also gives the error's position. Where each item of a
collection is gets worked out only when a finding or an error asks (``engine.inputs.positions``).

What the fast path cannot see itself is checked at C speed after it: a key given twice
inside an object (msgspec keeps the last) shows as fewer colons in the data than in the
text. Nesting is bounded by running the C decoders with only ``MAX_DEPTH`` levels of the
interpreter's recursion budget left (they count nesting against it).
"""

from __future__ import annotations

import json
import math
import re
from itertools import repeat
from typing import Any, TypeVar

import msgspec

from engine.inputs.diagnostics import Diagnostic, dotted
from engine.inputs.limits import MAX_DEPTH, long_string, may_hold_a_long_string
from engine.inputs.nesting import nested
from engine.inputs.positions import JsonOffsets, LineIndex, Path, char_offsets
from engine.inputs.yaml_source import compose_marks, number_too_large, shown, string_too_long, too_deep


class _NotFinite(Exception):
    """``NaN``, ``Infinity`` or a number too large for a float (``1e400``): JSON has no such number."""


def _constant(token: str) -> Any:
    raise _NotFinite(token)


def _finite(token: str) -> float:
    value = float(token)
    if math.isinf(value):
        raise _NotFinite(token)
    return value


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_finite)
_WHITESPACE = re.compile(r"[ \t\n\r]*").match
T = TypeVar("T")


class _Malformed(Exception):
    """A problem in the text at ``offset``: ``invalid JSON`` unless ``plain``."""

    def __init__(self, offset: int, message: str, plain: bool = False, path: Path = ()) -> None:
        super().__init__(message)
        self.offset, self.message, self.plain, self.path = offset, message, plain, path


class _Duplicate(Exception):
    """An object with a key given twice (raised inside the scanner; located afterwards)."""


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Duplicate
    return out


_STRICT = json.JSONDecoder(object_pairs_hook=_strict_object, parse_constant=_constant, parse_float=_finite)


# -- the exact walk ----------------------------------------------------------------------


def _skip(text: str, i: int) -> int:
    return _WHITESPACE(text, i).end()


def _expect(text: str, i: int, char: str) -> int:
    i = _skip(text, i)
    if i >= len(text) or text[i] != char:
        raise _Malformed(i, f"expected {char!r}")
    return i + 1


def _decode(text: str, i: int, depth: int, path: Path, escapes: bool, padded: bool = True) -> tuple[Any, int]:
    """The value at ``i`` (inside ``depth`` levels), each problem at its own position."""
    try:
        if padded:
            value, end = nested(MAX_DEPTH - depth, _DECODER.raw_decode, text, i)
        else:
            value, end = _DECODER.raw_decode(text, i)
    except json.JSONDecodeError as exc:
        raise _Malformed(exc.pos, exc.msg) from None
    except RecursionError:
        offset = _too_deep_at(text, i, depth)
        if offset is not None or not padded:
            raise _Malformed(i if offset is None else offset, too_deep(), plain=True) from None
        return _decode(text, i, depth, path, escapes, padded=False)  # a little under the limit after all
    except ValueError:  # a number too long for Python
        raise (_problem(text, i, depth, path) or _Malformed(i, "invalid number")) from None
    if not _keys_once(text, i, end, value, escapes):  # a key twice, or maybe
        problem = _problem(text, i, depth, path)
        if problem is not None:
            raise problem
    return value, end


_NUMBER = re.compile(r"(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?")
_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _too_deep_at(text: str, i: int, depth: int) -> int | None:
    """Where the value at ``i`` (inside ``depth`` levels) first goes past MAX_DEPTH, if it
    does: its brackets counted, strings stepped over (a few seconds for 100 MB)."""
    level = depth
    for token in _STRUCTURE.finditer(text, i):
        char = text[token.start()]
        if char == "[" or char == "{":
            level += 1
            if level > MAX_DEPTH:
                return token.start()
        elif char == "]" or char == "}":
            level -= 1
            if level <= depth:
                return None
        elif level == depth:
            return None  # the value was a string
    return None


def _problem(text: str, i: int, depth: int, path: Path) -> _Malformed | None:
    """What makes the value at ``i`` fail to decode strictly (a key twice, a number too long,
    nesting too deep): looked for item by item, each item decoded at C speed and only a
    failing one entered. Slow only along the path to the problem."""
    i = _skip(text, i)
    char = text[i : i + 1]
    if char in ("[", "{"):
        if depth + 1 > MAX_DEPTH:
            return _Malformed(i, too_deep(), plain=True)
        return _problem_inside(text, i, depth + 1, path)
    number = _NUMBER.match(text, i)
    if number is not None and not number.group(2) and not number.group(3):
        try:
            int(number.group(1))
        except ValueError:
            return _Malformed(i, number_too_large(), plain=True, path=path)
    return None


def _problem_inside(text: str, i: int, depth: int, path: Path) -> _Malformed | None:
    is_object = text[i] == "{"
    seen: set[str] = set()
    i = _skip(text, i + 1)
    if text.startswith("}" if is_object else "]", i):
        return None
    index = 0
    while True:
        here: Path = (*path, index)
        if is_object:
            if not text.startswith('"', i):
                return None  # malformed: the decoder says where
            key, after = json.decoder.scanstring(text, i + 1)
            if key in seen:
                return _Malformed(i, f"duplicate key {shown(key)}", path=(*path, key))
            seen.add(key)
            here = (*path, key)
            i = _skip(text, _skip(text, after) + 1)
        try:
            _, end = _STRICT.raw_decode(text, i)
        except json.JSONDecodeError:
            return None
        except (RecursionError, ValueError, _Duplicate):
            return _problem(text, i, depth, here)
        i = _skip(text, end)
        if not text.startswith(",", i):
            return None
        i = _skip(text, i + 1)
        index += 1


def walk_array(text: str, i: int) -> tuple[list[Any], list[int], list[int], int]:
    """``text[i]`` is ``[``; decode every item, recording its span. The hot loop of reading:
    the C scanner decodes each item, a compiled regex skips the whitespace between them."""
    items: list[Any] = []
    starts: list[int] = []
    ends: list[int] = []
    append, start_append, end_append = items.append, starts.append, ends.append
    scan, skip = _DECODER.scan_once, _WHITESPACE
    i = skip(text, i + 1).end()
    if text.startswith("]", i):
        return items, starts, ends, i + 1
    while True:
        try:
            value, end = scan(text, i)
        except StopIteration as exc:
            raise _Malformed(exc.value, "expected a value") from None
        except json.JSONDecodeError as exc:
            raise _Malformed(exc.pos, exc.msg) from None
        append(value)
        start_append(i)
        end_append(end)
        i = skip(text, end).end()
        char = text[i : i + 1]
        if char == ",":
            i = skip(text, i + 1).end()
            continue
        if char == "]":
            return items, starts, ends, i + 1
        raise _Malformed(i, "expected ',' or ']'")


def _walk(text: str) -> tuple[Any, JsonOffsets]:
    _check_surrogates(text)
    i = _skip(text, 0)
    if i >= len(text) or text[i] != "{":
        value, end = _decode(text, i, 0, (), "\\" in text)
        if _skip(text, end) != len(text):
            raise _Malformed(_skip(text, end), "extra data after the document")
        return value, JsonOffsets(text, {}, {}, {}, compose_marks, walk_array)
    data: dict[str, Any] = {}
    keys: dict[str, int] = {}
    spans: dict[str, tuple[int, int]] = {}
    objects: dict[str, tuple[int, int]] = {}
    escapes = "\\" in text
    i = _skip(text, i + 1)
    if i < len(text) and text[i] == "}":
        i += 1
    else:
        while True:
            i = _skip(text, i)
            if i >= len(text) or text[i] != '"':
                raise _Malformed(i, "expected a key in double quotes")
            key_start = i
            key, i = json.decoder.scanstring(text, i + 1)
            if key in keys:
                raise _Malformed(key_start, f"duplicate key {shown(key)}", path=(key,))
            keys[key] = key_start
            i = _skip(text, _expect(text, i, ":"))
            start = i
            value, i = _decode(text, i, 1, (key,), escapes)
            if isinstance(value, list):
                spans[key] = (start, i)
            elif isinstance(value, dict):
                objects[key] = (start, i)
            data[key] = value
            i = _skip(text, i)
            if i < len(text) and text[i] == ",":
                i += 1
                continue
            if i < len(text) and text[i] == "}":
                i += 1
                break
            raise _Malformed(i, "expected ',' or '}'")
    if _skip(text, i) != len(text):
        raise _Malformed(_skip(text, i), "extra data after the document")
    return data, JsonOffsets(text, data, keys, spans, compose_marks, walk_array, objects)


# A \u escape of a surrogate, or any other escape (so that "\\ud800" is read as the escaped
# backslash it is); high surrogate escapes with the low one that may follow.
_ESCAPE = re.compile(
    r"\\(?:u([dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?|u([dD][c-fC-F][0-9a-fA-F]{2})|.)", re.DOTALL
)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _check_surrogates(text: str) -> None:
    """Refuse a ``\\ud800`` without its pair: the standard library decodes it to a string no
    output can encode. Only escapes make surrogates, so a text without one is done at once."""
    if "\\" not in text or _SURROGATE_ESCAPE.search(text) is None:
        return
    for escape in _ESCAPE.finditer(text):
        high, low, lone_low = escape.groups()
        if (high and not low) or lone_low:
            raise _Malformed(escape.start(), f"unpaired surrogate \\u{(high or lone_low).lower()} in a string", True)


# -- the fast path -----------------------------------------------------------------------

_TOP = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ANY = msgspec.json.Decoder()
_KEY = re.compile(rb'"(?:[^"\\]|\\.)*"')
_SPACE = re.compile(rb"[ \t\n\r]*").match


def _fast_walk(text: str | bytes, raw: bytes) -> tuple[Any, JsonOffsets] | None:
    """The top-level object through msgspec: each value decoded in C, its span found from the
    length of its raw bytes (``text``: decoded, or ``raw`` itself when ASCII). ``None`` whenever
    anything is unusual (not an object, malformed, a duplicate key at any level, a number
    msgspec refuses, a lone surrogate, nesting near the limit): the exact walk then decides."""
    try:
        top = _TOP.decode(raw)  # (the values only skipped: at the decoder's own nesting limit)
        # the values decoded with room for MAX_DEPTH - 1 levels of nesting, or a little less
        decoded = nested(MAX_DEPTH - 1, _fast_values, raw, top)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None  # e.g. a number msgspec refuses, or deep nesting: the exact walk decides
    if decoded is None:
        return None
    data, keys, spans, objects = decoded
    escapes = b"\\" in raw
    for key, (start, end) in (*spans.items(), *objects.items()):
        if not _keys_once(raw, start, end, data[key], escapes):
            return None  # a key given twice inside a value: the exact walk finds and reports it
    if not text.isascii():  # byte offsets -> character offsets
        offsets = sorted({*keys.values(), *(p for span in (*spans.values(), *objects.values()) for p in span)})
        to_char = char_offsets(raw, offsets)
        keys = {k: to_char[v] for k, v in keys.items()}
        spans = {k: (to_char[a], to_char[b]) for k, (a, b) in spans.items()}
        objects = {k: (to_char[a], to_char[b]) for k, (a, b) in objects.items()}
    return data, JsonOffsets(text, data, keys, spans, compose_marks, walk_array, objects)


_Spans = dict[str, tuple[int, int]]


def _fast_values(
    raw: bytes, top: dict[str, msgspec.Raw]
) -> tuple[dict[str, Any], dict[str, int], _Spans, _Spans] | None:
    """Each top-level value decoded, with the byte offsets of its key, and of each array and
    object value; None if the text is not exactly what msgspec read."""
    data: dict[str, Any] = {}
    keys: dict[str, int] = {}
    spans: _Spans = {}
    objects: _Spans = {}
    i = _SPACE(raw, 0).end()
    if raw[i : i + 1] != b"{":
        return None
    i += 1
    decode = _ANY.decode
    for number, (key, value) in enumerate(top.items()):
        i = _SPACE(raw, i).end()
        if number:
            if raw[i : i + 1] != b",":
                return None
            i = _SPACE(raw, i + 1).end()
        match = _KEY.match(raw, i)
        if match is None or json.loads(match.group()) != key:
            return None  # a key given twice (the dict kept one), or anything unexpected
        keys[key] = i
        i = _SPACE(raw, match.end()).end()
        if raw[i : i + 1] != b":":
            return None
        i = _SPACE(raw, i + 1).end()
        piece = memoryview(value)
        end = i + len(piece)
        # msgspec's raw value is exactly the value's bytes; its ends are checked against the text
        # (a whole memoryview comparison would go byte by byte in Python's slow path)
        if raw[i : min(end, i + 64)] != piece[:64].tobytes() or raw[max(i, end - 64) : end] != piece[-64:].tobytes():
            return None
        decoded = data[key] = decode(value)
        if isinstance(decoded, list):
            spans[key] = (i, end)
        elif isinstance(decoded, dict):
            objects[key] = (i, end)
        i = end
    i = _SPACE(raw, i).end()
    if raw[i : i + 1] != b"}" or _SPACE(raw, i + 1).end() != len(raw):
        return None
    return data, keys, spans, objects


def _keys_once(raw: bytes | str, start: int, end: int, value: Any, escapes: bool) -> bool:
    """Whether every object in ``value`` (decoded from ``raw[start:end]``) had each of its keys
    written once. The decoders keep the last of a key written twice, so the text then holds more
    colons (one after each key, plus those in strings) than the data would write out again;
    never fewer. The colons are counted at C speed; those of the data, for an array of flat
    records, from the number of keys and the strings of the fields that hold colons (a lower
    bound: equal to the text's, it proves the rest), else by writing the data out again."""
    if type(value) is not list and type(value) is not dict:
        return True
    text = isinstance(raw, str)
    colons = raw.count(":" if text else b":", start, end)  # type: ignore[arg-type]
    if not colons:
        return True  # not a key at all
    if escapes:  # a colon written as \u003a is a colon in the data (counted generously here)
        for escape in ("\\u003a", "\\u003A"):
            colons += raw.count(escape if text else escape.encode(), start, end)  # type: ignore[arg-type]
    if type(value) is list and colons == _colons_at_least(value):
        return True
    return colons == msgspec.json.encode(value).count(b":")


def _colons_at_least(items: list[Any]) -> int:
    """No more colons than ``items``, records, would write out: one per key of each record,
    plus those in the string values of the fields that hold some in the first records (-1
    unless every item is a record)."""
    try:
        keys = sum(map(dict.__len__, items))  # (a TypeError for anything but a dict)
    except TypeError:
        return -1
    fields = {key for record in items[:16] for key, text in record.items() if type(text) is str and ":" in text}
    in_strings = sum(
        text.count(":") for field in fields for text in map(dict.get, items, repeat(field)) if type(text) is str
    )
    return keys + in_strings


def _not_finite_at(text: str, token: str) -> int:
    """Where ``token`` (refused by the decoder) first stands as a value, outside strings."""
    for found in re.finditer(r'"(?:[^"\\]|\\.)*"|' + re.escape(token) + r"(?![\w.])", text):
        if not found.group().startswith('"'):
            return found.start()
    return 0  # pragma: no cover - the decoder saw it in the text


def _screened(parsed: tuple[Any, JsonOffsets], raw: bytes, file: str) -> tuple[Any, JsonOffsets] | Diagnostic:
    """``parsed``, unless it holds a string longer than the limit."""
    if may_hold_a_long_string(raw):
        found = long_string(parsed[0])
        if found is not None:
            line, col = parsed[1].locate(found[0])
            return Diagnostic(file, line, col, string_too_long(found[1]), dotted(found[0]))
    return parsed


def parse_ascii_json(raw: bytes, file: str) -> tuple[Any, JsonOffsets] | Diagnostic | None:
    """:func:`parse_json` of ASCII bytes on the fast path only, with no decoded copy of the text
    (the bytes serve for positions); None when it cannot decide: give parse_json the text."""
    parsed = _fast_walk(raw, raw)
    return None if parsed is None else _screened(parsed, raw, file)


def parse_json(
    text: str, file: str, raw: bytes | None = None, fast: bool = True
) -> tuple[Any, JsonOffsets] | Diagnostic:
    """Parse one JSON document (``raw``: the same text as UTF-8, when the caller has it; ``fast``:
    False when the fast path already said no); a problem is a Diagnostic, never an exception."""
    if not text or text.isspace():
        return Diagnostic(file, 1, 1, "the file is empty: expected a JSON object")
    try:
        raw = text.encode("utf-8") if raw is None else raw
        return _screened((fast and _fast_walk(text, raw)) or _walk(text), raw, file)
    except _NotFinite as exc:
        token = str(exc)
        line, col = LineIndex(text).mark(_not_finite_at(text, token))
        what = f"{token} is not a JSON number" if token[-1:].isalpha() else f"number {shown(token)} is too large"
        return Diagnostic(file, line, col, f"{what}: a number in JSON must be finite")
    except UnicodeEncodeError as exc:  # a text not decoded from UTF-8 (raw surrogates)
        line, col = LineIndex(text).mark(exc.start)
        return Diagnostic(file, line, col, f"unpaired surrogate \\u{ord(text[exc.start]):04x} in a string")
    except _Malformed as exc:
        line, col = LineIndex(text).mark(min(exc.offset, len(text)))
        message = exc.message if exc.plain else f"invalid JSON: {exc.message}"
        return Diagnostic(file, line, col, message, dotted(exc.path))
    except json.JSONDecodeError as exc:  # a key the scanner refuses
        line, col = LineIndex(text).mark(min(exc.pos, len(text)))
        return Diagnostic(file, line, col, f"invalid JSON: {exc.msg}")
