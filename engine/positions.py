"""Where things are in an input file: resolving a document path to a line and column."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

Path = tuple[str | int, ...]
Mark = tuple[int, int]  # 1-based line, 1-based column


class PositionIndex(Protocol):
    """Maps a path inside one document to the position of the nearest node that exists."""

    def locate(self, path: Path) -> Mark: ...


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


class LineIndex:
    """Offset -> (line, col) over a text, built lazily (one C-speed pass) when first needed."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def mark(self, offset: int) -> Mark:
        if self._starts is None:
            starts, find = [0], self._text.find
            pos = find("\n")
            while pos >= 0:
                starts.append(pos + 1)
                pos = find("\n", pos + 1)
            self._starts = starts
        line = bisect_right(self._starts, offset)
        return (line, offset - self._starts[line - 1] + 1)


class JsonOffsets:
    """Positions in a JSON document read on the fast path.

    The loader records where each top-level key and each item of a top-level array starts and
    ends. A deeper path is resolved on demand by composing only that item's text (JSON is
    YAML), so positions cost nothing until a finding or an error needs one.
    """

    def __init__(
        self,
        text: str,
        keys: dict[str, int],
        items: dict[str, tuple[Sequence[int], Sequence[int]]],
        compose_marks: Callable[[str], MarkTable | None],
    ) -> None:
        self._text = text
        self._compose_marks = compose_marks
        self._keys = keys
        self._items = items
        self._lines = LineIndex(text)
        self._cache: dict[tuple[str, int], MarkTable | None] = {}

    def locate(self, path: Path) -> Mark:
        if not path or not isinstance(path[0], str) or path[0] not in self._keys:
            return self._lines.mark(0)
        key = path[0]
        spans = self._items.get(key)
        if len(path) < 2 or spans is None or not isinstance(path[1], int):
            return self._lines.mark(self._keys[key])
        index = path[1]
        starts, ends = spans
        if not 0 <= index < len(starts):
            return self._lines.mark(self._keys[key])
        start = starts[index]
        base = self._lines.mark(start)
        if len(path) == 2:
            return base
        table = self._item_marks(key, index, start, ends[index])
        if table is None:
            return base
        line, col = table.locate(path[2:])
        # marks inside the item are relative to its first character
        return (base[0] + line - 1, col + base[1] - 1 if line == 1 else col)

    def locate_many(self, paths: Iterable[Path]) -> list[Mark]:
        return [self.locate(p) for p in paths]

    def _item_marks(self, key: str, index: int, start: int, end: int) -> MarkTable | None:
        cached = (key, index)
        if cached not in self._cache:
            self._cache[cached] = self._compose_marks(self._text[start:end])
        return self._cache[cached]
