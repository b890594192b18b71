"""Read JSON on the fast path, remembering where each top-level value starts and ends.

The top-level object is walked by hand and each of its values (a whole collection at once) is
decoded by the C scanner, so reading costs what ``json.loads`` costs. Where each item of a
collection is gets worked out only when a finding or an error asks (``engine.positions``).
"""

from __future__ import annotations

import json
import re
from typing import Any

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


def parse_json(text: str, file: str) -> tuple[Any, JsonOffsets] | Diagnostic:
    """Parse one JSON document; a problem comes back as a Diagnostic, never an exception."""
    if not text.strip():
        return Diagnostic(file, 1, 1, "the file is empty: expected a JSON object")
    try:
        return _walk(text)
    except (_Malformed, json.JSONDecodeError, RecursionError) as exc:
        offset = getattr(exc, "offset", getattr(exc, "pos", 0))
        message = getattr(exc, "message", getattr(exc, "msg", str(exc)))
        line, col = LineIndex(text).mark(min(offset, len(text)))
        return Diagnostic(file, line, col, f"invalid JSON: {message}")
