"""Peer context as data: a pack's ``peers.yaml`` (``schemas/peers.schema.json``).

Survey figures with their source, sample and year, shown beside the organisation's own
figures as context, never as a pass mark: no rule reads them. The baseline pack carries the
figures of its sources; a pack may supply its own dataset (by sector, size, year), and the
last pack loaded that has one replaces the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from engine.inputs import schemas
from engine.inputs.sources import display

PEER_FILES = ("peers.yaml", "peers.yml")


@dataclass(frozen=True)
class Figure:
    id: str
    measure: str
    value: float
    statement: str
    source: str
    sample: str
    year: int
    sector: str | None = None
    size: str | None = None


@dataclass(frozen=True)
class Peers:
    figures: tuple[Figure, ...] = ()
    description: str = ""
    file: str = ""
    sha256: str = field(default="", compare=False)


def peer_files(paths: Iterable[str | Path]) -> list[Path]:
    """The dataset files among policy inputs (a pack directory's top-level ``peers.yaml``)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(path / name for name in PEER_FILES if (path / name).is_file())
        elif path.name in PEER_FILES and path.is_file():
            found.append(path)
    return [Path(display(p)) for p in found]


def load(paths: Iterable[str | Path]) -> Peers:
    """The dataset of the last pack (in load order) that has one; none without. Raises
    InputError for a malformed one."""
    files = peer_files(paths)
    if not files:
        return Peers()
    source = schemas.read_checked(files[-1], "peers", "a peers file")
    return Peers(
        figures=tuple(Figure(**raw) for raw in source.data["figures"]),
        description=" ".join(str(source.data.get("description", "")).split()),
        file=source.path,
        sha256=source.sha256,
    )
