"""Evidence bundles: the report in every format plus ``manifest.json``, and their verification.

``write_bundle`` renders every registered format into a fresh temporary directory beside
the target, writes the manifest (tool version, ``as_of``, the command line, the sha256 of
every input the check read and of every output), syncs it, and only then renames it into
place: a crash leaves the previous bundle or none, never half of one.

``verify`` recomputes every hash and lists what changed: an input or output whose content
differs, one that is missing, and a file in the bundle the manifest does not list.
(``schemas/manifest.schema.json`` describes the manifest.)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from engine.inputs.schemas import load_schema
from engine.report.model import Report
from engine.report.output import json_text
from engine.report.render import FILE_NAMES, RENDERERS

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1


class BundleError(Exception):
    """The bundle cannot be written or read (not a bundle, unreadable manifest)."""


@dataclass(frozen=True)
class Change:
    kind: str  # input | output
    path: str
    status: str  # changed | missing | unexpected
    expected: str | None  # sha256 in the manifest
    actual: str | None  # sha256 now

    def describe(self) -> str:
        what = f"{self.kind} {self.path}"
        if self.status == "changed":
            return f"changed: {what} (sha256 {self.expected} in the manifest, {self.actual} now)"
        if self.status == "missing":
            return f"missing: {what} (sha256 {self.expected} in the manifest)"
        return f"unexpected: {what} is in the bundle but not in the manifest"


@dataclass(frozen=True)
class Verification:
    manifest: dict[str, Any]
    checked: int
    changes: tuple[Change, ...]

    @property
    def ok(self) -> bool:
        return not self.changes


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest(report: Report, outputs: dict[str, bytes], command: Sequence[str]) -> dict[str, Any]:
    formats = {name: fmt for fmt, name in FILE_NAMES.items()}
    return {
        "manifest_version": MANIFEST_VERSION,
        "tool": {"name": "smgov", "version": report.tool_version},
        "as_of": report.as_of,
        "engine": report.engine,
        "command": list(command),
        "organisation": {"id": report.organisation.get("id"), "name": report.organisation.get("name")},
        "stage": report.assessment.organisation.stage,
        "inputs": [{"path": i.path, "role": i.role, "sha256": i.sha256} for i in report.inputs],
        "outputs": [
            {"path": name, "format": formats[name], "bytes": len(data), "sha256": sha256_bytes(data)}
            for name, data in outputs.items()
        ],
    }


def _write(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bundle(report: Report, directory: str | Path, command: Sequence[str]) -> dict[str, Any]:
    """Write the bundle atomically to ``directory`` (replacing an earlier bundle there) and
    return its manifest. Raises BundleError when ``directory`` exists and is not a bundle."""
    outputs = {FILE_NAMES[name]: render(report).encode("utf-8") for name, render in RENDERERS.items()}
    return write_files(directory, outputs, manifest(report, outputs, command))


def write_files(directory: str | Path, outputs: dict[str, bytes], data: dict[str, Any]) -> dict[str, Any]:
    """Write ``outputs`` (file name -> content) and the manifest ``data`` as a bundle,
    atomically, to ``directory`` (``write_bundle``; ``smgov portfolio --evidence``)."""
    target = Path(directory)
    problem = replace_problem(target)
    if problem:
        raise BundleError(problem)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    try:
        staging.chmod(0o755)  # mkdtemp's 0700 would hide the bundle from its readers
        for name, content in outputs.items():
            _write(staging / name, content)
        _write(staging / MANIFEST, (json_text(data) + "\n").encode("utf-8"))
        _sync_dir(staging)
        if target.exists():
            old = parent / f".{target.name}.{uuid.uuid4().hex}.old"
            os.rename(target, old)
            os.rename(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(staging, target)
        _sync_dir(parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return data


def read_manifest(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BundleError(f"{path}: no manifest (is {directory} an evidence bundle?)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{path}: unreadable manifest: {exc}") from None
    errors = sorted(jsonschema.Draft202012Validator(load_schema("manifest")).iter_errors(data), key=str)
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top)"
        raise BundleError(f"{path}: not a valid manifest at {where}: {errors[0].message}")
    return data  # type: ignore[no-any-return]


def replace_problem(directory: str | Path) -> str | None:
    """Why writing a bundle to ``directory`` would destroy something, or None. It may be new,
    empty, or an earlier bundle: a valid smgov manifest and nothing but the files it lists.
    Anything else (a project directory that happens to hold a ``manifest.json``, a bundle
    someone added notes to) is never replaced."""
    target = Path(directory)
    try:
        if not target.exists():
            return None
        if not target.is_dir():
            return f"{target} exists and is not a directory"
        present = sorted(p.name for p in target.iterdir())
    except OSError as exc:
        return f"{target}: {exc.strerror or exc}"
    if not present:
        return None
    if MANIFEST not in present:
        return f"{target} is not empty and holds no {MANIFEST}: not replacing it"
    try:
        data = read_manifest(target)
    except BundleError:
        return f"{target} holds a {MANIFEST} that is not an smgov evidence manifest: not replacing it"
    listed = {MANIFEST, *(item["path"] for item in data["outputs"])}
    others = [name for name in present if name not in listed]
    if others:
        return f"{target} holds files that are not part of its evidence bundle ({', '.join(others)}): not replacing it"
    return None


def _check(kind: str, path: str, file: Path, expected: str) -> Change | None:
    if not file.is_file():
        return Change(kind, path, "missing", expected, None)
    actual = sha256_file(file)
    return None if actual == expected else Change(kind, path, "changed", expected, actual)


def verify(directory: str | Path, base: str | Path | None = None) -> Verification:
    """Recompute every hash of the bundle at ``directory``; inputs with a relative path are
    looked up under ``base`` (default: the current directory, as when the check ran)."""
    bundle = Path(directory)
    data = read_manifest(bundle)
    root = Path(base) if base is not None else Path.cwd()
    changes: list[Change] = []
    for item in data["inputs"]:
        path = Path(item["path"])
        change = _check("input", item["path"], path if path.is_absolute() else root / path, item["sha256"])
        if change:
            changes.append(change)
    listed = {MANIFEST}
    for item in data["outputs"]:
        listed.add(item["path"])
        change = _check("output", item["path"], bundle / item["path"], item["sha256"])
        if change:
            changes.append(change)
    for extra in sorted(p.name for p in bundle.iterdir() if p.name not in listed):
        changes.append(Change("output", extra, "unexpected", None, None))
    return Verification(data, len(data["inputs"]) + len(data["outputs"]), tuple(changes))
