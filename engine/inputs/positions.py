"""Where things are in an input file: resolving a document path to a line and column."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable
from itertools import repeat
from typing import Any, Protocol

Path = tuple[str | int, ...]
Mark = tuple[int, int]  # 1-based line, 1-based column


class PositionIndex(Protocol):
    """Maps a path inside one document to the position of the nearest node that exists."""

    def locate(self, path: Path) -> Mark: ...

    def locate_items(self, key: str, indices: list[int]) -> list[Mark]:
        """``locate((key, index))`` for each index, in order."""
        ...


class MarkTable:
    """Positions recorded while a YAML document was composed: every node's mark."""

    def __init__(self, marks: dict[Path, Mark]) -> None:
        self._marks = marks

    def locate(self, path: Path) -> Mark:
        for end in range(len(path), -1, -1):
            mark = self._marks.get(path[:end])
            if mark is not None:
                return mark
        return (1, 1)

    def locate_items(self, key: str, indices: list[int]) -> list[Mark]:
        return [self.locate((key, index)) for index in indices]


_NEWLINE = re.compile("\n")
_NEWLINE_BYTES = re.compile(b"\n")
_DECODE = json.JSONDecoder().raw_decode


class LineIndex:
    """Offset -> (line, col) over a text, built lazily (one C-speed pass) when first needed.
    The text may be ASCII bytes: its byte offsets are its character offsets."""

    def __init__(self, text: str | bytes) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            newline = _NEWLINE if isinstance(self._text, str) else _NEWLINE_BYTES
            self._starts = [0, *map(re.Match.end, newline.finditer(self._text))]  # type: ignore[arg-type]
        return self._starts

    def mark(self, offset: int) -> Mark:
        starts = self._line_starts()
        line = bisect_right(starts, offset)
        return (line, offset - starts[line - 1] + 1)

    def marks(self, offsets: list[int]) -> list[Mark]:
        """``mark`` of many offsets, the line search at C speed."""
        starts = self._line_starts()
        lines = list(map(bisect_right, repeat(starts), offsets))
        return [(line, offset - starts[line - 1] + 1) for line, offset in zip(lines, offsets, strict=True)]


def char_offsets(raw: bytes, offsets: list[int]) -> dict[int, int]:
    """Byte offsets (sorted, each at a character boundary) -> character offsets, in one pass."""
    out: dict[int, int] = {}
    chars = previous = 0
    for offset in offsets:
        chars += len(raw[previous:offset].decode("utf-8"))
        previous = offset
        out[offset] = chars
    return out


def _same_id(raw: str, ident: Any) -> bool:
    """Whether the JSON string body ``raw`` spells the id ``ident``."""
    if raw == ident:
        return True
    return isinstance(ident, str) and "\\" in raw and json.loads(f'"{raw}"') == ident


class JsonOffsets:
    """Positions in a JSON document read on the fast path (its text, or its bytes when they
    are ASCII: no decoded copy of a large document is kept, and offsets are alike).

    The loader records where each top-level key is and where each top-level array starts and
    ends. Items are found only when first asked for: within an array, the ``"id"`` keys in
    document order are its items' ids (inventory items are flat records with one string id),
    so one regex pass finds them all; the ids found are checked against the parsed items, and
    anything unexpected falls back to walking the array item by item (exact, slower). A path
    inside an item is resolved by composing only that item's text (JSON is YAML); a path
    inside a top-level object (``organisation``, ``governance``) by composing that object's.
    """

    # No look-behind for an escaped quote: it would turn off the scanner's literal-prefix search
    # (8x slower), and every id found is checked against the parsed items anyway.
    _ID = re.compile(r'"id"\s*:\s*"([^"\\]*(?:\\.[^"\\]*)*)"')
    _ID_BYTES = re.compile(_ID.pattern.encode())

    def __init__(
        self,
        text: str | bytes,
        data: Any,
        keys: dict[str, int],
        arrays: dict[str, tuple[int, int]],
        compose_marks: Callable[[str], MarkTable | None],
        walk_array: Callable[[str, int], tuple[list[Any], list[int], list[int], int]],
        objects: dict[str, tuple[int, int]] | None = None,
    ) -> None:
        self._text = text
        self._data = data
        self._keys = keys
        self._arrays = arrays
        self._objects = objects or {}
        self._compose_marks = compose_marks
        self._walk_array = walk_array
        self._lines = LineIndex(text)
        self._ids: dict[str, list[int] | None] = {}
        self._spans: dict[str, tuple[list[int], list[int]]] = {}
        self._cache: dict[tuple[str, int | None], MarkTable | None] = {}

    def _id_offsets(self, key: str) -> list[int] | None:
        """Where each item's ``"id"`` key is, or None when that cannot be read off safely."""
        if key not in self._ids:
            start, end = self._arrays[key]
            items = self._data.get(key) if isinstance(self._data, dict) else None
            ids_at = self._ID if isinstance(self._text, str) else self._ID_BYTES
            found = list(ids_at.finditer(self._text, start, end))  # one pass; ids and offsets read in C
            raws = list(map(re.Match.group, found, repeat(1)))
            if raws and isinstance(raws[0], bytes):  # (ASCII, and no newline in a JSON string)
                raws = b"\n".join(raws).decode("ascii").split("\n")
            ok = isinstance(items, list) and len(raws) == len(items)
            if ok:
                ids = [item.get("id") if isinstance(item, dict) else None for item in items]
                ok = raws == ids or all(map(_same_id, raws, ids))
            self._ids[key] = list(map(re.Match.start, found)) if ok else None
        return self._ids[key]

    def locate_items(self, key: str, indices: list[int]) -> list[Mark]:
        """``locate((key, index))`` for many items of one array: their ids' lines at once."""
        offsets = self._id_offsets(key) if key in self._arrays and indices else None
        if offsets is None or min(indices) < 0 or max(indices) >= len(offsets):
            return [self.locate((key, index)) for index in indices]
        return self._lines.marks(list(map(offsets.__getitem__, indices)))

    def _item_span(self, key: str, index: int) -> tuple[int, int] | None:
        """Where item ``index`` of array ``key`` starts and ends (None: no such item).

        Found near its id when the ids can be read off: the item starts at the last ``{``
        before its id (after the previous item's id) that decodes to the very item parsed; one
        item is decoded, not the whole array. Otherwise the array is walked item by item."""
        offsets = self._id_offsets(key)
        if offsets is not None and 0 <= index < len(offsets):
            item = self._data[key][index]
            lower = offsets[index - 1] if index else self._arrays[key][0]
            position = offsets[index]
            # (the item ends before the next item's id)
            upper = offsets[index + 1] if index + 1 < len(offsets) else self._arrays[key][1]
            while (position := self._text.rfind("{" if isinstance(self._text, str) else b"{", lower, position)) >= 0:
                try:
                    value, end = _DECODE(self._str(position, upper))
                except ValueError:  # a brace inside a string, or a nested object cut short
                    continue
                if value == item:
                    return position, position + end
        starts, ends = self._item_spans(key)
        return (starts[index], ends[index]) if 0 <= index < len(starts) else None

    def _str(self, start: int, end: int) -> str:
        piece = self._text[start:end]
        return piece if isinstance(piece, str) else piece.decode("ascii")

    def _item_spans(self, key: str) -> tuple[list[int], list[int]]:
        if key not in self._spans:
            text = self._text if isinstance(self._text, str) else self._text.decode("ascii")
            _, starts, ends, _ = self._walk_array(text, self._arrays[key][0])
            self._spans[key] = (starts, ends)
        return self._spans[key]

    def locate(self, path: Path) -> Mark:
        if not path or not isinstance(path[0], str) or path[0] not in self._keys:
            return self._lines.mark(0)
        key = path[0]
        if len(path) >= 2 and key in self._objects:
            start, end = self._objects[key]
            table = self._marks_of(key, None, start, end)
            if table is None or table.locate(path[1:]) == table.locate(()):  # nothing inside: the key, as in YAML
                return self._lines.mark(self._keys[key])
            return self._inside(table, start, path[1:])
        if len(path) < 2 or key not in self._arrays or not isinstance(path[1], int):
            return self._lines.mark(self._keys[key])
        index = path[1]
        if len(path) == 2:  # an item: the line of its id when the ids can be read off
            offsets = self._id_offsets(key)
            if offsets is not None and 0 <= index < len(offsets):
                return self._lines.mark(offsets[index])
        span = self._item_span(key, index)
        if span is None:
            return self._lines.mark(self._keys[key])
        start, end = span
        if len(path) == 2:
            return self._lines.mark(start)
        table = self._marks_of(key, index, start, end)
        return self._lines.mark(start) if table is None else self._inside(table, start, path[2:])

    def _inside(self, table: MarkTable, start: int, path: Path) -> Mark:
        """``path`` inside the value that starts at ``start``, whose marks are ``table``."""
        base = self._lines.mark(start)
        line, col = table.locate(path)
        # marks inside the value are relative to its first character
        return (base[0] + line - 1, col + base[1] - 1 if line == 1 else col)

    def _marks_of(self, key: str, index: int | None, start: int, end: int) -> MarkTable | None:
        """The marks of item ``index`` of array ``key`` (of the object ``key``: None), composed
        once."""
        cached = (key, index)
        if cached not in self._cache:
            self._cache[cached] = self._compose_marks(self._str(start, end))
        return self._cache[cached]
