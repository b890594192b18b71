"""Bounded nesting for the C decoders, which recurse once per level of a JSON document.

A decoder is called from deep enough in the stack that only about ``levels`` levels of the
interpreter's recursion limit are left, so a document nested deeper than smgov accepts ends
in a RecursionError (then settled exactly by the reader) instead of exhausting the stack.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


def _frames() -> int:
    frame, count = sys._getframe(1), 0
    while frame is not None:
        frame, count = frame.f_back, count + 1
    return count


def _padded(levels: int, call: Callable[[], T]) -> T:
    return call() if levels <= 0 else _padded(levels - 1, call)


def nested(levels: int, function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` with room for about ``levels`` (never more) levels of nesting
    before RecursionError: the call is made from deep enough in the stack that only that much
    of the recursion limit is left (a few hundred plain calls, well under a millisecond). A
    decoder's RecursionError then means "maybe too deep", which :func:`engine.inputs.json_source._problem` settles
    exactly. Without effect where the C recursion budget is separate from Python's (3.12+):
    the decoders' own limit applies, caught the same way."""
    padding = sys.getrecursionlimit() - _frames() - levels + 4  # (4: the calls below and a margin)
    if not _PADDING_WORKS or padding <= 0 or padding > 20_000:
        return function(*args)
    return _padded(padding, partial(function, *args))


_PADDING_WORKS = True  # until the probe below says otherwise


def _padding_works() -> bool:
    try:
        nested(20, msgspec.json.decode, b"[" * 60 + b"]" * 60)
    except RecursionError:
        return True
    return False  # pragma: no cover - Python 3.12+


_PADDING_WORKS = _padding_works()
