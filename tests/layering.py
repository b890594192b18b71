"""The rule of imports between the steps of ``engine``, checked over the source's ``ast``.

A module belongs to the layer named by its first package under ``engine`` (``engine.inputs.sources``
is in ``inputs``; ``engine.pipeline`` in ``pipeline``). It may import from its own layer and the
layers before it in :data:`LAYERS`, never from a later one. Every import counts: at the top of
a module, inside a function, or under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: The steps in the order data flows through them; a tuple holds layers of equal rank.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__init__", "vocabulary"),
    ("inputs",),
    ("policy",),
    ("evaluate",),
    ("assess",),
    ("report",),
    ("pipeline",),
    ("authoring", "portfolio"),
    ("cli",),
    ("__main__",),
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


@dataclass(frozen=True)
class Violation:
    file: Path
    line: int
    importer: str
    imported: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.importer} imports {self.imported}, a later layer"


def _module_name(root: Path, path: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(package: str, module: str) -> str:
    parts = module.split(".")
    if parts[0] != package:
        return ""
    return parts[1] if len(parts) > 1 else "__init__"


def _imported(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        if node.level:  # relative: resolved against the importing module's package
            base = module.split(".")
            base = base if is_package else base[:-1]
            base = base[: len(base) - node.level + 1]
            origin = ".".join([*base, node.module] if node.module else base)
        else:
            origin = node.module or ""
        yield origin
        yield from (f"{origin}.{alias.name}" for alias in node.names)  # ``from engine import inputs``


def violations(root: Path) -> list[Violation]:
    """Every import in the package at ``root`` that goes up the ladder of :data:`LAYERS`."""
    package = root.name
    found = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(root, path)
        mine = _layer(package, module)
        if mine not in RANK:
            raise ValueError(f"{path}: {module} is in no layer; add its package to LAYERS")
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            for name in _imported(node, module, path.name == "__init__.py"):
                theirs = _layer(package, name)
                if theirs in RANK and RANK[theirs] > RANK[mine]:
                    found.append(Violation(path, node.lineno, module, name))
                    break  # one violation per import statement
    return found
