"""Writing output files atomically (a crash never leaves a half-written file), and never over
an input of the same command."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


def write_atomic(path: str | Path, text: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Write:
    """A file (or, with ``replaces_directory``, a whole directory) a command is about to write."""

    path: str
    option: str  # how the user named it: --output, --output-dir, --write-baseline, --evidence
    may_replace: frozenset[str] = frozenset()  # roles of inputs it may overwrite (a baseline it refreshes)
    replaces_directory: bool = False


@dataclass(frozen=True)
class Clash:
    """A write that would overwrite (or delete, with its directory) one of the command's inputs."""

    write: Write
    input: str
    role: str

    def message(self) -> str:
        write = f"{self.write.option} {self.write.path}"
        if self.write.replaces_directory:
            return f"{write} would replace the directory that holds the {self.role} input {self.input}"
        if os.path.normpath(self.write.path) == os.path.normpath(self.input):
            return f"{write} is an input of this command ({self.role})"
        return f"{write} is the same file as the {self.role} input {self.input}"


def clashes(writes: Iterable[Write], inputs: Iterable[tuple[str, str]]) -> list[Clash]:
    """Every write that would overwrite an input file (``(path, role)``), or delete one by
    replacing the directory that holds it. Paths are compared as files: a symbolic or hard
    link to an input is that input."""
    inputs = list(inputs)
    found = []
    for write in writes:
        for path, role in inputs:
            if write.replaces_directory:
                hit = _inside(Path(path), Path(write.path))
            else:
                hit = role not in write.may_replace and _same_file(Path(write.path), Path(path))
            if hit:
                found.append(Clash(write, path, role))
    return found


def collisions(writes: Sequence[Write]) -> list[str]:
    """Writes of one command that would undo each other: two to the same file, or a file
    inside a directory that another write replaces whole."""
    found = []
    for number, first in enumerate(writes):
        for second in writes[number + 1 :]:
            if first.replaces_directory or second.replaces_directory:
                outer, inner = (first, second) if first.replaces_directory else (second, first)
                if _inside(Path(inner.path), Path(outer.path)) or _same_file(Path(inner.path), Path(outer.path)):
                    replaced = f"{outer.option} {outer.path} replaces its whole directory"
                    found.append(f"{replaced}, {inner.option} {inner.path} with it")
            elif _same_file(Path(first.path), Path(second.path)):
                found.append(f"{first.option} {first.path} and {second.option} {second.path} are the same file")
    return found


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they lead
        return os.path.realpath(a) == os.path.realpath(b)


def _inside(path: Path, directory: Path) -> bool:
    real, folder = os.path.realpath(path), os.path.realpath(directory)
    try:
        return real != folder and os.path.commonpath([real, folder]) == folder
    except ValueError:  # pragma: no cover - paths on different drives (Windows)
        return False
