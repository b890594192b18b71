"""The folders of ``engine`` are the steps of the pipeline, and imports only flow down them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.layering import LAYERS, violations


def test_engine_imports_only_flow_down_the_layers() -> None:
    assert [str(v) for v in violations(ROOT / "engine")] == []


def test_every_layer_is_a_package_or_module_of_engine() -> None:
    engine = ROOT / "engine"
    for names in LAYERS:
        for name in names:
            if name != "portfolio":  # reserved for the many-organisations fan-out
                assert (engine / name).is_dir() or (engine / f"{name}.py").is_file(), name


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "engine"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "statement",
    [
        "from engine.report.model import Report",  # at the top
        "from engine import pipeline",  # a module through its package
        "import engine.cli.app",
        "def late():\n    from engine.assess import plan\n",  # inside a function
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from engine.evaluate import native\n",
        "from ..policy import ir",  # relative
    ],
)
def test_a_lower_layer_importing_a_higher_one_is_caught(tmp_path: Path, statement: str) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "inputs/__init__.py": "",
            "inputs/sources.py": statement + "\n",
            "policy/__init__.py": "",
            "policy/ir.py": "from engine.inputs import sources\n",  # downward: fine
        },
    )
    found = violations(root)
    assert len(found) == 1
    assert found[0].importer == "engine.inputs.sources" and found[0].file.name == "sources.py"
    assert "a later layer" in str(found[0])


def test_downward_and_sideways_imports_pass(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "vocabulary.py": "",
            "inputs/__init__.py": "from engine import vocabulary\n",
            "inputs/a.py": "from engine.inputs import b\nfrom . import b as again\n",
            "inputs/b.py": "import engine.vocabulary\n",
            "cli/__init__.py": "from engine.inputs import a\nfrom engine import pipeline\n",
            "pipeline.py": "from engine.inputs import a\n",
        },
    )
    assert violations(root) == []


def test_a_module_outside_every_layer_is_an_error(tmp_path: Path) -> None:
    root = _package(tmp_path, {"__init__.py": "", "misc.py": ""})
    with pytest.raises(ValueError, match="in no layer"):
        violations(root)
