"""The imported inventory and the import report of dirty samples, byte for byte against their
snapshots in ``tests/snapshots/import/``: a change that makes the import faster must not
change a byte of what it writes (``dirty-accounts.csv``: odd URLs on every platform, escapes,
ports, ``#!/`` and ``@`` paths, unknown and mismatched platforms, departments spelt several
ways, duplicates by handle and by URL, id clashes, ids from keys and from content, unreadable
dates, yes/no values, e-mail addresses and enum values).

Regenerate only after an intended change to the output:
``SMGOV_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_import_snapshots.py``, and
review the diff.
"""

from __future__ import annotations

import json
import os

import pytest

from engine.inputs.importers import document
from tests.helpers import ROOT

SNAPSHOTS = ROOT / "tests" / "snapshots" / "import"
UPDATE = bool(os.environ.get("SMGOV_UPDATE_SNAPSHOTS"))
CASES = {  # snapshot name -> (sources, mapping), paths relative to the repository
    "dirty-generic": (["tests/fixtures/import/dirty-accounts.csv"], "generic-accounts"),
    "dirty-own-mapping": (
        ["tests/fixtures/import/dirty-accounts.csv"],
        "tests/fixtures/import/dirty-accounts.mapping.yaml",
    ),
    "generic-and-gc": (
        ["tests/fixtures/import/generic-accounts.csv", "tests/fixtures/import/gc-social-media.csv"],
        "generic-accounts",
    ),
    "gc-json": (["tests/fixtures/import/gc-social-media.json"], "gc-social-media"),
}


def _outputs(sources: list[str], mapping: str) -> dict[str, str]:
    imported = document.run(sources, mapping)
    return {
        "inventory.json": document.render(imported.document),
        "inventory.yaml": document.render(imported.document, "yaml"),
        "report.json": imported.report.to_json(),
        "report.txt": imported.report.to_text(),
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_import_matches_its_snapshot_byte_for_byte(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the report names its sources as given: relative paths
    outputs = _outputs(*CASES[name])
    for suffix, text in outputs.items():
        snapshot = SNAPSHOTS / f"{name}.{suffix}"
        if UPDATE:
            snapshot.write_bytes(text.encode("utf-8"))
        assert snapshot.exists(), f"no snapshot {snapshot.name}: run with SMGOV_UPDATE_SNAPSHOTS=1"
        assert text.encode("utf-8") == snapshot.read_bytes(), f"{name}: {suffix} differs from {snapshot}"


def test_the_dirty_sample_exercises_every_kind_of_note() -> None:
    """The snapshots are worth their bytes only if the dirty sample makes the import do its
    work: most of the report's codes, dropped, changed and doubtful rows."""
    codes = set()
    for name in ("dirty-generic", "dirty-own-mapping"):
        report = json.loads((SNAPSHOTS / f"{name}.report.json").read_text(encoding="utf-8"))
        codes |= {issue["code"] for issue in report["issues"]}
        assert all(report["counts"][kind] > 0 for kind in ("dropped", "changed", "doubtful"))
    expected = {
        "url-canonical", "url-unreadable", "platform-spelling", "platform-unknown", "platform-from-url",
        "platform-url-mismatch", "platform-closed", "handle-from-url", "handle-url-mismatch", "handle-missing",
        "department-created", "duplicate", "no-platform", "id-clash", "date-format", "date-unreadable",
        "boolean-unreadable", "email-unreadable", "value-spelling", "value-unknown", "url-scheme",
    }  # fmt: skip
    assert expected <= codes, expected - codes
