"""How much smgov reads: the bounds every loader keeps, in one place.

Every input (inventories, policies, packs, waivers, baselines, reports read back) goes
through :mod:`engine.inputs.sources`, which keeps the file-size bound; the YAML and JSON
readers keep the others. A reader added later (a faster YAML parser, a spreadsheet importer)
uses these same names, so that a hostile file is refused the same way whatever reads it.
The README states the figures.
"""

from __future__ import annotations

import re
from typing import Any

#: Levels of nesting a document may have (an inventory needs fewer than ten).
MAX_DEPTH = 100
#: Nodes that YAML aliases may add to a document: this many, or ``ALIAS_RATIO`` times the
#: nodes written out, whichever is more (a "billion laughs" stops here, in about 0.1 s).
ALIAS_FLOOR = 10_000
ALIAS_RATIO = 10
#: Characters in one string (a value or a key): a field of an inventory is a name, a URL, a
#: sentence; a megabyte of text in one is an attack on whatever echoes it.
MAX_STRING = 1_000_000
#: Bytes in one input file unless raised (``smgov --max-file-size``, ``SMGOV_MAX_FILE_SIZE``):
#: room for the largest inventory measured (163 MB of JSON for 100,000 accounts), while a
#: file that would take many gigabytes of memory once parsed is refused before it is read.
DEFAULT_MAX_FILE_SIZE = 256 << 20
FILE_SIZE_ENV = "SMGOV_MAX_FILE_SIZE"
#: Memory RE2 may use for one compiled pattern (a policy's ``matches``, or a pattern the
#: inventory schema checks): a pattern needing more (``(a{1000}){1000}``) is refused when
#: compiled, never a slow match.
MAX_PATTERN_MEMORY = 8 << 20


def re2_options() -> Any:
    """RE2's options for every pattern smgov compiles: the memory bound, and errors returned,
    not written to standard error."""
    import re2

    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_PATTERN_MEMORY
    return options


_max_file_size = DEFAULT_MAX_FILE_SIZE


def max_file_size() -> int:
    """The largest input file read, in bytes."""
    return _max_file_size


def set_max_file_size(size: int) -> None:
    """Raise (or lower) the file-size bound for this process (the CLI's option)."""
    global _max_file_size
    if size <= 0:
        raise ValueError("the file-size limit must be positive")
    _max_file_size = size


_SIZE = re.compile(r"\s*(\d+)\s*([kmgt]?)(i?b?)\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str) -> int:
    """``"512M"``, ``"2G"``, ``"1048576"`` -> bytes (units are powers of 1024)."""
    match = _SIZE.fullmatch(text)
    if match is None or int(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a size: give a positive number of bytes, or one with K, M, G or T")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def size_in_words(size: int) -> str:
    """``268435456`` -> ``"256 MiB (268435456 bytes)"``."""
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name} ({size} bytes)"
    return f"{size} bytes"


def may_hold_a_long_string(raw: bytes | str) -> bool:
    """Whether the JSON text ``raw`` may hold a string longer than ``MAX_STRING`` characters
    (never a false "no"; at C speed). Such a string fills at least ``MAX_STRING`` bytes with no
    quote but escaped ones, so it covers a whole aligned window of half that size in which
    every quote is escaped; a text without such a window holds no string that long."""
    quote, escaped = ('"', '\\"') if isinstance(raw, str) else (b'"', b'\\"')
    window = MAX_STRING // 2
    if len(raw) < MAX_STRING:
        return False
    for start in range(0, len(raw) - window + 1, window):
        first = raw.find(quote, start, start + window)  # type: ignore[arg-type]
        if first > 0 and raw[first - 1 : first] not in ("\\", b"\\"):
            continue  # an unescaped quote: no string covers this window (the usual case, at once)
        end = start + window
        if raw.count(quote, start, end) == raw.count(escaped, start, end):  # type: ignore[arg-type]
            return True
    return False


def long_string(value: object) -> tuple[tuple[str | int, ...], int] | None:
    """The path and length of the first string (a value or a key) in ``value`` longer than
    ``MAX_STRING``, if any: a walk with an explicit stack (no depth overflows it)."""
    stack: list[tuple[tuple[str | int, ...], object]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if type(item) is str:
            if len(item) > MAX_STRING:
                return path, len(item)
        elif type(item) is dict:
            for key, inner in reversed(item.items()):
                if len(key) > MAX_STRING:
                    return (*path, key[:40]), len(key)
                stack.append(((*path, key), inner))
        elif type(item) is list:
            stack.extend(((*path, index), inner) for index, inner in reversed(list(enumerate(item))))
    return None
