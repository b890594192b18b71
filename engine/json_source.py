"""Read JSON on the fast path, remembering where each top-level value starts and ends.

msgspec splits the top-level object into raw values and decodes each (a whole collection at
once) in C, faster than ``json.loads``; anything unusual (malformed JSON, a duplicate key, a
number msgspec refuses) goes to an exact walk by hand with the standard library's scanner,
which also gives the error's position. Where each item of a collection is gets worked out
only when a finding or an error asks (``engine.positions``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

from engine.diagnostics import Diagnostic
from engine.positions import JsonOffsets, LineIndex
from engine.yaml_source import compose_marks

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*").match


class _Malformed(Exception):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset, self.message = offset, message


def _skip(text: str, i: int) -> int:
    return _WHITESPACE(text, i).end()


def _expect(text: str, i: int, char: str) -> int:
    i = _skip(text, i)
    if i >= len(text) or text[i] != char:
        raise _Malformed(i, f"expected {char!r}")
    return i + 1


def _decode(text: str, i: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, i)
    except json.JSONDecodeError as exc:
        raise _Malformed(exc.pos, exc.msg) from None


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
    i = _skip(text, 0)
    if i >= len(text) or text[i] != "{":
        value, end = _decode(text, i)
        if _skip(text, end) != len(text):
            raise _Malformed(_skip(text, end), "extra data after the document")
        return value, JsonOffsets(text, {}, {}, {}, compose_marks, walk_array)
    data: dict[str, Any] = {}
    keys: dict[str, int] = {}
    spans: dict[str, tuple[int, int]] = {}
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
                raise _Malformed(key_start, f"duplicate key {key!r}")
            keys[key] = key_start
            i = _skip(text, _expect(text, i, ":"))
            start = i
            value, i = _decode(text, i)
            if isinstance(value, list):
                spans[key] = (start, i)
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
    return data, JsonOffsets(text, data, keys, spans, compose_marks, walk_array)


_KEY = re.compile(rb'"(?:[^"\\]|\\.)*"')
_SPACE = re.compile(rb"[ \t\n\r]*").match


def _fast_walk(text: str, raw: bytes) -> tuple[Any, JsonOffsets] | None:
    """The top-level object through msgspec: each value decoded in C, its span found from the
    length of its raw bytes. ``None`` whenever anything is unusual (not an object, malformed,
    a duplicate key, a number msgspec refuses): the exact walk then decides and reports."""
    try:
        top = msgspec.json.decode(raw, type=dict[str, msgspec.Raw])
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    data: dict[str, Any] = {}
    keys: dict[str, int] = {}
    spans: dict[str, tuple[int, int]] = {}
    i = _SPACE(raw, 0).end()
    if raw[i : i + 1] != b"{":
        return None
    i += 1
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
        try:
            data[key] = msgspec.json.decode(value)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None  # e.g. a number out of range: the exact walk decides
        if isinstance(data[key], list):
            spans[key] = (i, end)
        i = end
    i = _SPACE(raw, i).end()
    if raw[i : i + 1] != b"}" or _SPACE(raw, i + 1).end() != len(raw):
        return None
    if not text.isascii():  # byte offsets -> character offsets
        to_char = _char_offsets(raw, sorted({*keys.values(), *(p for span in spans.values() for p in span)}))
        keys = {k: to_char[v] for k, v in keys.items()}
        spans = {k: (to_char[a], to_char[b]) for k, (a, b) in spans.items()}
    return data, JsonOffsets(text, data, keys, spans, compose_marks, walk_array)


def _char_offsets(raw: bytes, offsets: list[int]) -> dict[int, int]:
    """Byte offsets (sorted, each at a character boundary) -> character offsets, in one pass."""
    out: dict[int, int] = {}
    chars = previous = 0
    for offset in offsets:
        chars += len(raw[previous:offset].decode("utf-8"))
        previous = offset
        out[offset] = chars
    return out


def parse_json(text: str, file: str, raw: bytes | None = None) -> tuple[Any, JsonOffsets] | Diagnostic:
    """Parse one JSON document (``raw``: the same text as UTF-8, when the caller has it); a
    problem comes back as a Diagnostic, never an exception."""
    if not text or text.isspace():
        return Diagnostic(file, 1, 1, "the file is empty: expected a JSON object")
    fast = _fast_walk(text, text.encode("utf-8") if raw is None else raw)
    if fast is not None:
        return fast
    try:
        return _walk(text)
    except (_Malformed, json.JSONDecodeError, RecursionError) as exc:
        offset = getattr(exc, "offset", getattr(exc, "pos", 0))
        message = getattr(exc, "message", getattr(exc, "msg", str(exc)))
        line, col = LineIndex(text).mark(min(offset, len(text)))
        return Diagnostic(file, line, col, f"invalid JSON: {message}")
