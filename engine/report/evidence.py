"""Evidence bundles: the report in every format plus ``manifest.json``, and their verification.

``write_bundle`` renders every registered format into a fresh temporary directory beside
the target, writes the manifest (tool version, ``as_of``, the command line, the sha256 of
every input the check read and of every output), syncs it, and only then renames it into
place: a crash leaves the previous bundle or none, never half of one.

``verify`` recomputes every hash and lists what changed: an input or output whose content
differs, one that is missing, a file in the bundle the manifest does not list, and the
manifest's own fields (its seal, ``engine.report.signing``; and its signature when signed).
(``schemas/manifest.schema.json`` describes the manifest.)

Paths: the manifest records a **root** (the git repository's top, or the directory the check
ran in) and every input relative to it (``base: root``); the built-in packs relative to the
installed package (``base: builtin``); an input outside both keeps its absolute path
(``base: outside``) and is never read by ``verify``. ``verify`` reads only the bundle's own
files and the inputs under the root (or ``--base``) or the installed package: ``..``, absolute
paths and links that leave them are refused, so a manifest cannot make it read anything else.
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

from engine.inputs.schemas import data_dir, load_schema
from engine.report import signing
from engine.report.model import Report
from engine.report.output import json_text
from engine.report.render import FILE_NAMES, RENDERERS

MANIFEST = "manifest.json"
MANIFEST_VERSION = 2


class BundleError(Exception):
    """The bundle cannot be written or read (not a bundle, unreadable manifest)."""


@dataclass(frozen=True)
class Change:
    kind: str  # input | output | manifest | signature
    path: str
    status: str  # changed | missing | unexpected | refused | invalid
    expected: str | None  # sha256 in the manifest
    actual: str | None  # sha256 now

    def describe(self) -> str:
        what = f"{self.kind} {self.path}"
        if self.kind == "manifest":
            return f"changed: {self.path}: its own fields (stage, command, organisation, hashes …) were edited"
        if self.status == "changed":
            return f"changed: {what} (sha256 {self.expected} in the manifest, {self.actual} now)"
        if self.kind == "signature":
            return f"invalid signature: {self.path}"
        if self.status == "missing":
            return f"missing: {what} (sha256 {self.expected} in the manifest)"
        if self.status == "refused":
            return f"refused: {what} leads outside the bundle or the root its manifest records: not read"
        return f"unexpected: {what} is in the bundle but not in the manifest"


@dataclass(frozen=True)
class Verification:
    manifest: dict[str, Any]
    checked: int
    changes: tuple[Change, ...]
    notes: tuple[str, ...] = ()  # hints: where inputs were looked up, an unsealed manifest
    signature: str = ""  # what the signature shows, in words

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


def _builtin() -> Path:
    """The directory the built-in packs' paths are relative to (``policies/…`` under it)."""
    return data_dir("policies").parent.resolve()


def recorded(path: str, root: Path, cwd: Path) -> dict[str, str]:
    """An input's path as the manifest records it: relative to ``root``, or to the installed
    package (a built-in pack), or absolute (``outside``: verify will not read it)."""
    full = Path(os.path.normpath(cwd / path))
    if full.is_relative_to(root):
        return {"path": full.relative_to(root).as_posix(), "base": "root"}
    if full.is_relative_to(_builtin() / "policies"):
        return {"path": full.relative_to(_builtin()).as_posix(), "base": "builtin"}
    return {"path": str(full), "base": "outside"}


def manifest(
    report: Report,
    outputs: dict[str, bytes],
    command: Sequence[str],
    root: Path | None = None,
    cwd: Path | None = None,
) -> dict[str, Any]:
    formats = {name: fmt for fmt, name in FILE_NAMES.items()}
    cwd = (cwd or Path.cwd()).resolve()
    root = (root or cwd).resolve()
    return {
        "manifest_version": MANIFEST_VERSION,
        "root": str(root),
        "tool": {"name": "smgov", "version": report.tool_version},
        "as_of": report.as_of,
        "engine": report.engine,
        "command": list(command),
        "organisation": {"id": report.organisation.get("id"), "name": report.organisation.get("name")},
        "stage": report.assessment.organisation.stage,
        "inputs": [{**recorded(i.path, root, cwd), "role": i.role, "sha256": i.sha256} for i in report.inputs],
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


def write_bundle(
    report: Report,
    directory: str | Path,
    command: Sequence[str],
    root: Path | None = None,
    sign_key: str | Path | None = None,
) -> dict[str, Any]:
    """Write the bundle atomically to ``directory`` (replacing an earlier bundle there) and
    return its manifest, sealed, and signed with ``sign_key`` (an Ed25519 PEM) if given.
    Raises BundleError when ``directory`` exists and is not a bundle or the key is unusable."""
    outputs = {FILE_NAMES[name]: render(report).encode("utf-8") for name, render in RENDERERS.items()}
    return write_files(directory, outputs, manifest(report, outputs, command, root), sign_key)


def write_files(
    directory: str | Path, outputs: dict[str, bytes], data: dict[str, Any], sign_key: str | Path | None = None
) -> dict[str, Any]:
    """Write ``outputs`` (file name -> content) and the manifest ``data``, sealed (and signed
    with ``sign_key`` if given), as a bundle, atomically, to ``directory`` (``write_bundle``;
    ``smgov portfolio --evidence``)."""
    target = Path(directory)
    problem = replace_problem(target)
    if problem:
        raise BundleError(problem)
    data["seal"] = signing.seal(data)
    if sign_key is not None:
        try:
            data["signature"] = signing.sign(data, sign_key)
        except signing.SigningError as exc:
            raise BundleError(str(exc)) from None
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


def _inside(base: Path, path: str) -> Path | None:
    """``base / path`` if it stays inside ``base`` once links are resolved, else None."""
    relative = Path(path)
    if relative.is_absolute() or ".." in relative.parts:
        return None
    top = base.resolve()
    full = (top / relative).resolve()
    return full if full == top or top in full.parents else None


def _input_base(data: dict[str, Any], bundle: Path, base: str | Path | None) -> tuple[Path, list[str]]:
    """Where inputs are looked up: --base; else the recorded root when it is here and holds the
    bundle or the current directory (a manifest alone cannot send verify elsewhere); else the
    current directory (a v1 manifest, or a tree copied to another machine)."""
    if base is not None:
        return Path(base), []
    root = data.get("root")
    if not root:
        return Path.cwd(), []
    recorded = Path(root)
    if not recorded.is_dir():
        return Path.cwd(), [f"the recorded root {root} is not here: inputs were looked up under the current directory"]
    here = {bundle.resolve(), Path.cwd().resolve()}
    if recorded.resolve() != Path(recorded.anchor) and any(p.is_relative_to(recorded.resolve()) for p in here):
        return recorded, []
    return Path.cwd(), [
        f"the recorded root {root} holds neither the bundle nor the current directory: inputs were looked up "
        f"under the current directory (give --base {root} to use it)"
    ]


def verify(directory: str | Path, base: str | Path | None = None, key: str | Path | None = None) -> Verification:
    """Recompute every hash of the bundle at ``directory`` and check the manifest's seal (and
    signature: by the trusted public key ``key`` when given). Inputs are looked up under
    ``base`` (default: the recorded root); nothing outside the bundle, that directory and the
    installed built-in packs is read."""
    bundle = Path(directory)
    data = read_manifest(bundle)
    root, notes = _input_base(data, bundle, base)
    changes: list[Change] = []
    if "seal" in data:
        expected = signing.seal(data)["value"]
        if data["seal"]["value"] != expected:
            changes.append(Change("manifest", MANIFEST, "changed", data["seal"]["value"], expected))
    else:
        notes.append("the manifest has no seal (written before smgov 0.2): its own fields are not checked")
    try:
        signed, words = signing.check_signature(data, key)
    except signing.SigningError as exc:
        raise BundleError(str(exc)) from None
    if not signed:
        changes.append(Change("signature", words, "invalid", None, None))
    missing_inputs = unchecked = 0
    for item in data["inputs"]:
        if item.get("base") == "outside":  # recorded outside the root by the check itself: not read
            notes.append(f"not checked: input {item['path']} is outside the recorded root")
            unchecked += 1
            continue
        where = {"root": root, "builtin": _builtin()}.get(item.get("base", "root"))  # v1: all relative to root
        file = _inside(where, item["path"]) if where else None
        if file is None:
            changes.append(Change("input", item["path"], "refused", item["sha256"], None))
            continue
        change = _check("input", item["path"], file, item["sha256"])
        missing_inputs += bool(change and change.status == "missing")
        if change:
            changes.append(change)
    if missing_inputs:
        recorded_root = f" (the check ran under {data['root']})" if data.get("root") else ""
        notes.append(
            f"inputs were looked up under {root.resolve()}{recorded_root}: run verify there, "
            "or give --base DIR where a copy of the checked files is"
        )
    listed = {MANIFEST}
    for item in data["outputs"]:
        listed.add(item["path"])
        file = _inside(bundle, item["path"])
        change = (
            _check("output", item["path"], file, item["sha256"])
            if file
            else Change("output", item["path"], "refused", item["sha256"], None)
        )
        if change:
            changes.append(change)
    for extra in sorted(p.name for p in bundle.iterdir() if p.name not in listed):
        changes.append(Change("output", extra, "unexpected", None, None))
    checked = len(data["inputs"]) + len(data["outputs"]) - unchecked
    return Verification(data, checked, tuple(changes), tuple(notes), words)
