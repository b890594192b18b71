"""The organisations of a portfolio: each a directory or file under a PATH, or an entry of a
``portfolio.yaml`` manifest (``schemas/portfolio-manifest.schema.json``).

A PATH that is a manifest file (named ``portfolio.yaml``, ``.yml`` or ``.json``), or a
directory holding one, lists the organisations. Any other directory holds one organisation
per entry: each subdirectory and each ``.yaml``/``.yml``/``.json`` file (hidden ones
skipped), named after it. Any other file is one organisation.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from engine.inputs.diagnostics import Diagnostic, InputError, dotted
from engine.inputs.schemas import load_schema
from engine.inputs.sources import SUFFIXES, Source, display, read

MANIFEST_NAMES = tuple(f"portfolio{suffix}" for suffix in SUFFIXES)


@dataclass(frozen=True)
class Unit:
    """One organisation to check. ``path`` is absolute: a worker elsewhere needs no cwd."""

    name: str
    path: str
    tags: dict[str, str] = field(default_factory=dict)
    target_stage: str | None = None
    packs: tuple[str, ...] = ()  # absolute; empty: the portfolio's policies
    origin: tuple[str, int, int] | None = None  # the manifest entry (file, line, col)

    def shown_path(self) -> str:
        return display(Path(self.path))


@dataclass(frozen=True)
class Portfolio:
    name: str
    units: tuple[Unit, ...]
    manifests: tuple[Source, ...]  # the manifests read (inputs of an evidence bundle)


def _manifest_in(path: Path) -> Path | None:
    if path.is_file() and path.name.lower() in MANIFEST_NAMES:
        return path
    if path.is_dir():
        found = [path / name for name in MANIFEST_NAMES if (path / name).is_file()]
        return found[0] if found else None
    return None


def _entries(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.iterdir()
        if not p.name.startswith(".") and (p.is_dir() or (p.is_file() and p.suffix.lower() in SUFFIXES))
    )


def _read_manifest(path: Path) -> tuple[Source, list[Unit]]:
    source = read(path)
    if isinstance(source, Diagnostic):
        raise InputError([source])
    validator = jsonschema.Draft202012Validator(load_schema("portfolio-manifest"))
    problems = []
    for error in validator.iter_errors(source.data):
        line, col = source.positions.locate(tuple(error.absolute_path))
        problems.append(Diagnostic(source.path, line, col, error.message, dotted(error.absolute_path)))
    if problems:
        raise InputError(problems)
    base = path.resolve().parent
    units = []
    for index, entry in enumerate(source.data["organisations"]):
        line, col = source.positions.locate(("organisations", index))
        units.append(
            Unit(
                name=entry["name"],
                path=str(base / entry["path"]),
                tags=dict(entry.get("tags", {})),
                target_stage=entry.get("target_stage"),
                packs=tuple(str(base / p) for p in entry.get("packs", ())),
                origin=(source.path, line, col),
            )
        )
    return source, units


def find(paths: tuple[str, ...]) -> Portfolio:
    """The organisations under ``paths``, in the order named. Raises InputError when a PATH
    or a manifest is bad, or two organisations have one name (nothing is checked then)."""
    units: list[Unit] = []
    manifests: list[Source] = []
    problems: list[Diagnostic] = []
    names: list[str] = []
    for raw in paths:
        path = Path(raw)
        manifest = _manifest_in(path)
        if manifest is not None:
            try:
                source, listed = _read_manifest(manifest)
            except InputError as exc:
                problems.extend(exc.diagnostics)
                continue
            manifests.append(source)
            units.extend(listed)
            names.append(source.data.get("name") or manifest.resolve().parent.name)
        elif path.is_dir():
            found = _entries(path)
            if not found:
                problems.append(Diagnostic(raw, message="no organisations (directories or inventory files) here"))
            units.extend(Unit(p.stem if p.is_file() else p.name, str(p.resolve())) for p in found)
            names.append(path.resolve().name)
        elif path.is_file():
            units.append(Unit(path.stem, str(path.resolve())))
            names.append(path.stem)
        else:
            problems.append(Diagnostic(raw, message="no such file or directory"))
    problems.extend(_clashes(units))
    if problems:
        raise InputError(problems)
    return Portfolio(" + ".join(dict.fromkeys(names)), tuple(units), tuple(manifests))


def _clashes(units: list[Unit]) -> list[Diagnostic]:
    counts = Counter(u.name for u in units)
    problems = []
    for unit in units:
        if counts[unit.name] > 1:
            file, line, col = unit.origin or (unit.shown_path(), 0, 0)
            problems.append(
                Diagnostic(file, line, col, f"two organisations are named {unit.name!r}: names must differ")
            )
    return problems


def describe(unit: Unit) -> dict[str, Any]:
    return {"name": unit.name, "path": unit.shown_path(), "tags": unit.tags}
