"""The regular expressions of ``matches``: RE2's dialect, matched in linear time.

A policy pack may come from anyone, and Python's ``re`` backtracks: ``^(a+)+$`` against a
long value takes longer than the universe has left. RE2 (google-re2) matches in time linear
in the value and refuses at compile time what it cannot match that way (backreferences,
lookaround), so a pattern that compiles cannot stall a check. Every evaluator searches with
the one object :func:`compile_pattern` returns for a pattern's text; the policy compiler
refuses a pattern :func:`pattern_problem` finds fault with, with its position.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

#: Memory RE2 may use for one compiled pattern: a pattern needing more (``(a{1000}){1000}``)
#: is refused at compile time, never a slow match.
MAX_PATTERN_MEMORY = 8 << 20

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # (RE2 writes its errors to stderr otherwise)
_OPTIONS.max_mem = MAX_PATTERN_MEMORY


class PatternError(ValueError):
    """A pattern RE2 refuses: ``reason`` in words, ``offset`` into the pattern where known."""

    def __init__(self, reason: str, offset: int | None) -> None:
        super().__init__(reason)
        self.reason, self.offset = reason, offset


class Pattern:
    """A compiled ``matches`` pattern: ``matches(text)`` is whether it occurs in ``text``.

    The text is given to RE2 as its UTF-8 bytes: RE2 reads a pattern compiled from ``str`` as
    UTF-8 either way, so whether it matches is the same, and google-re2's wrapper then skips
    its per-call mapping of byte offsets back to characters (4× faster a call). (``re2.Set``
    would answer without building a match object, but a set has no fallback when its DFA runs
    out of memory and then reports no match: not for a security check.)"""

    __slots__ = ("_search",)

    def __init__(self, compiled: Any) -> None:
        self._search = compiled.search

    def matches(self, text: str) -> bool:
        return self._search(text.encode("utf-8", "surrogatepass")) is not None


@lru_cache(maxsize=4096)
def compile_pattern(source: str) -> Pattern:
    """The compiled pattern (``.matches(text)``) for ``source``; :class:`PatternError` if RE2
    refuses it."""
    try:
        return Pattern(re2.compile(source, _OPTIONS))
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(*_located(reason, source)) from None


def _located(reason: str, source: str) -> tuple[str, int | None]:
    """RE2 names the offending fragment after a colon (``invalid perl operator: (?=``): find it."""
    what, _, fragment = reason.partition(": ")
    offset = source.find(fragment) if fragment else -1
    if what == "invalid perl operator" and fragment.startswith("(?"):
        what = "lookahead, lookbehind and backreferences are not supported (RE2 matches in linear time)"
    elif what == "invalid escape sequence" and fragment[1:2].isdigit():
        what = "backreferences are not supported (RE2 matches in linear time)"
    return what, (offset if offset >= 0 else None)


def pattern_problem(source: str) -> str | None:
    """Why ``source`` cannot be a ``matches`` pattern, in words with its position; None if it can."""
    try:
        compile_pattern(source)
    except PatternError as exc:
        if exc.offset is None:
            return exc.reason
        return f"{exc.reason}, at character {exc.offset + 1}: {source[exc.offset : exc.offset + 20]!r}"
    return None
