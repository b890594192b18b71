"""Bad input is data: every problem is a Diagnostic, collected and reported together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.inputs.credentials import looks_like_credential


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one input file, with its position and the path inside the document."""

    file: str
    line: int = 0
    col: int = 0
    message: str = ""
    path: str = ""

    def format(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        suffix = f" ({self.path})" if self.path else ""
        return f"{where}: {self.message}{suffix}"


class InputError(Exception):
    """Raised by a pipeline step when the input is bad; carries every diagnostic found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = tuple(sorted(set(diagnostics)))
        super().__init__("\n".join(d.format() for d in self.diagnostics))


#: The longest value (or key) a message echoes, in characters: a 1 MB value in the input
#: must not make a 1 MB line.
SHOWN = 80


def shown(value: object, limit: int = SHOWN) -> str:
    """``repr(value)`` for a message, cut to ``limit`` characters with an ellipsis (a string
    keeps its closing quote, so it still reads as text); a value that looks like a credential
    is never shown (``engine.inputs.credentials``)."""
    if isinstance(value, str) and looks_like_credential(value[:4096]):
        return f"[{len(value)} characters that look like a credential, not shown]"
    if isinstance(value, str) and len(value) > limit:
        value = value[: limit + 1]  # repr needs no more than this (escapes only lengthen it)
    try:
        text = repr(value)
    except ValueError:  # an integer too long to print (Python refuses over 4,300 digits)
        return "a very long number"
    if len(text) <= limit:
        return text
    if isinstance(value, str):
        return f"{text[: limit - 2]}…{text[-1]}"
    return f"{text[: limit - 1]}…"


def _part(part: object) -> str:
    text = str(part)
    return text if len(text) <= SHOWN else f"{text[: SHOWN - 1]}…"


def dotted(path: Iterable[object]) -> str:
    """Render a document path as ``accounts[3].owner`` (a very long key cut short)."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{_part(part)}" if out else _part(part)
    return out
