"""The regular expressions of ``matches``: RE2's dialect, matched in linear time.

A policy pack may come from anyone, and Python's ``re`` backtracks: ``^(a+)+$`` against a
long value takes longer than the universe has left. RE2 (google-re2) matches in time linear
in the value and refuses at compile time what it cannot match that way (backreferences,
lookaround), so a pattern that compiles cannot stall a check. Every evaluator searches with
the one object :func:`compile_pattern` returns for a pattern's text; the policy compiler
refuses a pattern :func:`pattern_problem` finds fault with, with its position.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import re2

from engine.inputs.limits import re2_options

_OPTIONS = re2_options()


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

    __slots__ = ("_lines", "_search")

    def __init__(self, compiled: Any, lines: Any = None) -> None:
        self._search = compiled.search
        self._lines = lines  # the pattern in multi-line mode, for :meth:`which` (None: one text at a time)

    def matches(self, text: str) -> bool:
        return self._search(_utf8(text)) is not None

    def which(self, texts: Sequence[str]) -> list[bool]:
        """``[self.matches(text) for text in texts]``, found in a few RE2 scans of the texts
        joined by newlines rather than one call per text (the baseline's credential rule asks
        about 700,000 texts at 100,000 accounts: about 0.5 s one call at a time, under 0.1 s
        joined). Fewer than ``_BATCH_FROM`` texts: each distinct one matched once.

        Why the answers are the same: the joined search runs in multi-line mode, so ``^``
        and ``$`` hold at each text's ends, and a newline next to a text looks to ``\\b`` as
        the end of a string does. A match that lies within one text is therefore a match of
        that text alone, and a text with a match of its own is either found or touched by a
        match that crosses a newline; the texts such a match touches are matched one by
        one. Texts holding a newline, and patterns that set the multi-line flag themselves or
        anchor at the whole text (``\\A``, ``\\z``), are always matched one by one.

        The work stays linear: each search is bounded to a window of texts (``endpos`` at a
        newline keeps the context of every boundary), and after ``_MAX_HITS`` matches the
        remaining texts are matched one by one, so a pattern that matches nearly everything
        costs what it would have cost anyway."""
        if self._lines is None or len(texts) < _BATCH_FROM:  # each distinct text once
            known = {text: self.matches(text) for text in dict.fromkeys(texts)}
            return list(map(known.__getitem__, texts))
        joined = "\n".join(texts)
        if joined.count("\n") != len(texts) - 1:  # some text holds a newline: those one by one
            answers = [False] * len(texts)
            batch = [number for number, text in enumerate(texts) if "\n" not in text]
            for number, found in zip(batch, self.which([texts[number] for number in batch]), strict=True):
                answers[number] = found
            for number, text in enumerate(texts):
                if "\n" in text:
                    answers[number] = self.matches(text)
            return answers
        data = _utf8(joined)
        answers = [False] * len(texts)
        search, hits, k, pos = self._lines.search, 0, 0, 0
        while k < len(texts) and hits < _MAX_HITS:  # texts before k are answered; text k starts at byte pos
            end = _newline(data, pos + _WINDOW)  # a window of whole texts, about _WINDOW bytes
            found = search(data, pos, end)
            if found is None:  # no text in the window holds a match
                k, pos = k + data.count(b"\n", pos, end) + 1, end + 1
                continue
            hits += 1
            start, stop = found.span()
            first = last = k + data.count(b"\n", pos, start)
            ends = _newline(data, start)  # where text ``first`` ends
            if stop <= ends:  # within one text (its newline left out)
                answers[first] = True
            else:  # across a newline: the texts it touches, one by one
                last += data.count(b"\n", start, stop - 1)
                ends = _newline(data, stop - 1)
                for touched in range(first, last + 1):
                    answers[touched] = self.matches(texts[touched])
            k, pos = last + 1, ends + 1
        for rest in range(k, len(texts)):
            answers[rest] = self.matches(texts[rest])
        return answers


#: :meth:`Pattern.which` joins at least this many texts (fewer: one by one), searches windows
#: of about this many bytes, and matches the rest one by one after this many matches.
_BATCH_FROM = 32
_WINDOW = 1 << 14
_MAX_HITS = 2000

#: What makes a pattern mean something else on the lines of a joined text than on one text:
#: an anchor at the whole text's ends, or a flag group that sets or clears multi-line mode.
_NOT_LINEWISE = re.compile(r"\\[AzZ]|\(\?[a-zA-Z]*-?[a-zA-Z]*m")


def _newline(data: bytes, start: int) -> int:
    """The offset of the first newline at or after ``start`` (the end of ``data`` if none)."""
    found = data.find(b"\n", start)
    return len(data) if found < 0 else found


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@lru_cache(maxsize=4096)
def compile_pattern(source: str) -> Pattern:
    """The compiled pattern (``.matches(text)``) for ``source``; :class:`PatternError` if RE2
    refuses it."""
    try:
        compiled = re2.compile(source, _OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(*_located(reason, source)) from None
    lines = None if _NOT_LINEWISE.search(source) else re2.compile(f"(?m){source}", _OPTIONS)
    return Pattern(compiled, lines)


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
