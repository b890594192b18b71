"""``smgov init``: the files a new organisation starts from (``starter/`` beside this module).

A starter inventory with every section commented (``inventory/organisation.yaml``), a mapping
for a spreadsheet of accounts (``mapping.yaml``) and a policy pack that extends the baseline
(``policies/``). They are data: each is valid as written, and tests/test_init.py checks them
with smgov itself.
"""

from __future__ import annotations

from pathlib import Path

STARTER_DIR = Path(__file__).with_name("starter")


def starter_files() -> dict[str, str]:
    """Relative path -> content of every starter file, in a stable order."""
    return {
        path.relative_to(STARTER_DIR).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(STARTER_DIR.rglob("*.yaml"))
    }


def plan(directory: str | Path) -> tuple[dict[str, str], list[str]]:
    """The files ``smgov init DIRECTORY`` writes (path -> content), and those already there
    (which it refuses to overwrite)."""
    root = Path(directory)
    files = {str(root / name): text for name, text in starter_files().items()}
    return files, [path for path in files if Path(path).exists() or Path(path).is_symlink()]
