"""Finding input files and reading each one into data plus positions (the load step)."""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from engine.inputs import limits
from engine.inputs.diagnostics import Diagnostic
from engine.inputs.json_source import parse_ascii_json, parse_json
from engine.inputs.positions import PositionIndex
from engine.inputs.yaml_fast import parse_yaml_fast

SUFFIXES = (".yaml", ".yml", ".json")
#: Account lists that ``smgov import`` reads: given where an inventory is expected, they get a
#: pointer to it rather than a YAML syntax error.
IMPORTABLE = (".csv", ".tsv", ".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
IMPORT_HINT = "run `smgov import FILE --mapping generic-accounts -o inventory.json` to turn it into an inventory"
T = TypeVar("T")
_HASH_IN_PARALLEL = 8 << 20  # bytes


@dataclass(frozen=True)
class Source:
    """One input file, read: its data, where each node is, and its digest."""

    path: str
    data: Any
    positions: PositionIndex
    sha256: str
    json_types: bool = False  # parsed from JSON: only str, int, float, bool, None, list and dict inside


def display(path: Path) -> str:
    """A path as the user will recognise it: relative to the working directory if inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return str(path)
    return str(path.resolve()) if relative.startswith("..") else relative


def discover(
    paths: Iterable[str | Path],
    what: str,
    skip: Callable[[Path], bool] = lambda _p: False,
) -> tuple[list[Path], list[Diagnostic]]:
    """Expand files and directories into the input files to read, in a stable order."""
    files: list[Path] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and not skip(p.relative_to(path))
            )
            if not found:
                lists = any(p.suffix.lower() in IMPORTABLE for p in path.iterdir() if p.is_file())
                hint = f"; its account lists are not inventories: {IMPORT_HINT}" if lists else ""
                problems.append(
                    Diagnostic(str(raw), message=f"no {what} files (.yaml, .yml, .json) in this directory{hint}")
                )
            files.extend(found)
            if found and what == "inventory":  # never skip an account list beside the inventory silently
                problems.extend(_lists_beside(path))
        elif path.is_file() and path.suffix.lower() in IMPORTABLE:
            kind = "a spreadsheet" if path.suffix.lower() not in (".csv", ".tsv") else "a CSV file"
            problems.append(Diagnostic(str(raw), message=f"{kind} is not an {what} file: {IMPORT_HINT}"))
        elif path.is_file():
            files.append(path)
        elif path.exists():
            problems.append(Diagnostic(str(raw), message="not a regular file or directory"))
        else:
            problems.append(Diagnostic(str(raw), message="no such file or directory"))
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return [Path(display(p)) for p in unique], problems


def _lists_beside(directory: Path) -> list[Diagnostic]:
    """Account lists (``IMPORTABLE``) in an inventory directory: never read, and never skipped in silence."""
    return [
        Diagnostic(display(p), message=f"an account list beside the inventory files is not read: {IMPORT_HINT}")
        for p in sorted(directory.rglob("*"))
        if p.is_file()
        and p.suffix.lower() in IMPORTABLE
        and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    ]


@dataclass(frozen=True)
class RawFile:
    """One input file's bytes, not yet parsed."""

    path: str
    suffix: str  # lower case: .yaml, .yml or .json
    raw: bytes


def load(path: Path) -> RawFile | Diagnostic:
    """Read one file's bytes; never raises, never blocks: a pipe, a device or a directory is
    refused (opened without waiting for a writer, then looked at), and so is a file larger
    than :func:`engine.inputs.limits.max_file_size`, before it is read."""
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket, or a FIFO on some systems
            return Diagnostic(name, message="not a regular file: smgov reads only files")
        return Diagnostic(name, message=f"cannot read: {exc.strerror or exc}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            return Diagnostic(name, message=f"{what}: smgov reads only files (a pipe or a device is refused)")
        limit = limits.max_file_size()
        if info.st_size > limit:
            return _too_large(name, info.st_size)
        with os.fdopen(fd, "rb") as handle:
            fd = -1
            raw = handle.read(limit + 1)  # (a file that grew after fstat is still bounded)
        if len(raw) > limit:
            return _too_large(name, len(raw))
        return RawFile(name, path.suffix.lower(), raw)
    except OSError as exc:
        return Diagnostic(name, message=f"cannot read: {exc.strerror or exc}")
    finally:
        if fd >= 0:
            os.close(fd)


def _too_large(name: str, size: int) -> Diagnostic:
    limit = limits.max_file_size()
    return Diagnostic(
        name,
        message=f"the file is {size} bytes, more than the limit of {limits.size_in_words(limit)} for one input "
        f"file: for a genuinely large inventory raise it with `smgov --max-file-size SIZE` or {limits.FILE_SIZE_ENV}",
    )


def parse(file: RawFile, digest: bool = True) -> Source | Diagnostic:
    """Parse one file's bytes into data and positions (``digest``: also its sha256, else
    empty); never raises for bad content."""
    raw = file.raw
    if not digest:
        parsed, sha256 = _parse(file.path, file.suffix, raw), ""
    elif len(raw) < _HASH_IN_PARALLEL:
        parsed, sha256 = _parse(file.path, file.suffix, raw), _sha256(raw)
    else:  # hashlib lets go of the GIL: a big file's digest is computed on the other core meanwhile
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(_sha256, raw)
            parsed, sha256 = _parse(file.path, file.suffix, raw), future.result()
    if isinstance(parsed, Diagnostic):
        return parsed
    data, positions = parsed
    return Source(file.path, data, positions, sha256, json_types=file.suffix == ".json")


def read(path: Path) -> Source | Diagnostic:
    """Read and parse one file; never raises for bad content."""
    loaded = load(path)
    return loaded if isinstance(loaded, Diagnostic) else parse(loaded)


def _sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _parse(name: str, suffix: str, raw: bytes) -> tuple[Any, PositionIndex] | Diagnostic:
    if b"\x00" in raw[:8192]:
        return Diagnostic(name, 1, 1, "binary file: expected YAML or JSON text")
    fast = True
    if suffix == ".json" and raw.isascii():  # the usual large inventory: read without a decoded copy
        parsed = parse_ascii_json(raw, name)
        if parsed is not None:
            return parsed
        fast = False  # (the fast path said no: not tried again on the text)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return Diagnostic(name, line, 1, "not UTF-8 text: expected YAML or JSON")
    if not text or text.isspace():  # (not text.strip(): that copies the whole text)
        return Diagnostic(name, 1, 1, "the file is empty")
    if suffix == ".json":
        return parse_json(text, name, raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw, fast)
    return parse_yaml_fast(text, name)  # yaml-rs where it gives PyYAML's data, else PyYAML


def read_all(
    paths: Iterable[Path], known: dict[Path, Source | Diagnostic] | None = None
) -> tuple[list[Source], list[Diagnostic]]:
    """Read and parse the files; ``known``: files already read, by resolved path, reused (not
    parsed again) and added to."""
    if known is None:
        return _split(map(read, paths))
    return _split(known[p] if (p := path.resolve()) in known else known.setdefault(p, read(path)) for path in paths)


def load_all(paths: Iterable[Path]) -> tuple[list[RawFile], list[Diagnostic]]:
    return _split(map(load, paths))


def parse_all(files: Iterable[RawFile], digest: bool = True) -> tuple[list[Source], list[Diagnostic]]:
    return _split(parse(file, digest) for file in files)


def _split(results: Iterable[T | Diagnostic]) -> tuple[list[T], list[Diagnostic]]:
    """Results in order, and the problems among them."""
    done: list[T] = []
    problems: list[Diagnostic] = []
    for result in results:
        if isinstance(result, Diagnostic):
            problems.append(result)
        else:
            done.append(result)
    return done, problems
