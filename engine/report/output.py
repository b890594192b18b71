"""Writing output files atomically (a crash never leaves a half-written file), and never over
an input of the same command."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgspec


class OutputError(Exception):
    """An output could not be written (no space, no permission, a directory in the way...)."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path, self.reason = str(path), reason


def write_atomic(path: str | Path, text: str) -> None:
    """Write one output file so that a crash never leaves it half-written."""
    write_all({path: text})


def write_all(outputs: Mapping[str | Path, str]) -> None:
    """Write several output files, all or none as far as the file system allows: each goes to
    a temporary file beside its target first, and the targets are replaced only once every
    temporary file is complete. Raises OutputError naming the output that failed.

    A target that is a symbolic link is followed (the file it points to is replaced, the link
    kept); one that is not a regular file (a terminal, a pipe, ``/dev/null``) is written to
    directly, since it cannot be replaced. A replaced file keeps its permissions; a new one
    gets those the umask allows, like any file a program creates."""
    staged: list[tuple[Path, Path, str | Path]] = []  # (temporary file, target, the path as given)
    try:
        direct = []
        for path, text in outputs.items():
            kind = _guarded(path, lambda p=path: _kind(Path(p)))
            if kind == "directory":
                raise OutputError(path, "it is a directory")
            if kind == "special":
                direct.append((path, text))
                continue
            target = Path(os.path.realpath(path))
            staged.append((_stage(path, target, text), target, path))
        for path, text in direct:
            _guarded(path, lambda p=path, x=text: Path(p).write_text(x, encoding="utf-8", newline=""))
        for tmp, target, path in staged:
            _guarded(path, lambda a=tmp, b=target: os.replace(a, b))
    finally:
        for tmp, _, _ in staged:
            tmp.unlink(missing_ok=True)


def _kind(path: Path) -> str:
    """What ``path`` is, links followed: new, file, directory or special (a device, a pipe)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "new"
    if stat.S_ISDIR(mode):
        return "directory"
    return "file" if stat.S_ISREG(mode) else "special"


def _stage(path: str | Path, target: Path, text: str) -> Path:
    """``text`` in a complete temporary file beside ``target``, with the target's future mode."""

    def make() -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale(target)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, _mode(target))
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp

    return _guarded(path, make)


def _clean_stale(target: Path) -> None:
    """Remove the temporary files a killed run left beside ``target`` (``.NAME.PID.XXXX.tmp``
    whose process is gone): the next run that writes there cleans up after it."""
    prefix = f".{target.name}."
    try:
        names = [n for n in os.listdir(target.parent) if n.startswith(prefix) and n.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            with contextlib.suppress(OSError):
                (target.parent / name).unlink()


def _alive(pid: int) -> bool:
    if os.name == "nt":  # (os.kill would end the process there): leave the file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # another user's process (or no way to tell): leave its file
        return True
    return True


def _mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777  # replacing a file: keep its permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


R = TypeVar("R")


def _guarded(path: str | Path, action: Callable[[], R]) -> R:
    try:
        return action()
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None


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


def json_text(data: Any) -> str:
    """The text of every JSON file smgov writes:
    ``json.dumps(data, indent=2, ensure_ascii=False)``, byte for byte, in C.

    The standard library encodes with its C encoder only without ``indent``; its indenting
    encoder is pure Python (~6 s for a report of 100,000 findings). So the compact text is
    re-indented by msgspec, which keeps every token (strings, numbers) as written. What
    msgspec cannot read back (``NaN``, which the standard library writes as a bare word) takes
    the slow path."""
    compact = json.dumps(data, ensure_ascii=False)
    try:
        return msgspec.json.format(compact.encode(), indent=2).decode()
    except msgspec.DecodeError:
        return json.dumps(data, indent=2, ensure_ascii=False)
