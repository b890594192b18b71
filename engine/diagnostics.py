"""Bad input is data: every problem is a Diagnostic, collected and reported together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


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


def dotted(path: Iterable[object]) -> str:
    """Render a document path as ``accounts[3].owner``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
