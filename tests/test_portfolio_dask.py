"""The same portfolio on a two-worker Dask ``LocalCluster`` (processes, loopback only) is,
byte for byte, the report of the serial run. Skipped only without the ``dask`` extra (the
``test`` extra installs it, so CI runs it)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT, cli, write

distributed = pytest.importorskip("distributed", reason="the dask extra (pip install 'smgov[dask]') is not installed")

AS_OF = "2026-10-01"


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=50,
    ) as cluster:
        yield cluster.scheduler_address


def test_dask_run_equals_serial_run(tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch) -> None:
    orgs = tmp_path / "orgs"
    for name in ("automotive", "energy", "telecom"):
        shutil.copytree(ROOT / "examples" / name, orgs / name)
    write(orgs / "broken.yaml", "organisation:\n  name: B\naccounts: {\n")
    monkeypatch.chdir(tmp_path)
    for fmt in ("json", "csv", "html"):
        serial = cli("portfolio", "orgs", "--as-of", AS_OF, "--format", fmt, "--jobs", "1")
        clustered = cli("portfolio", "orgs", "--as-of", AS_OF, "--format", fmt, "--scheduler", scheduler)
        assert serial.exit_code == clustered.exit_code == 2
        assert clustered.stdout == serial.stdout
    assert "orgs/broken.yaml:" in serial.stdout  # shown from this directory, as the serial run shows it


def test_scheduler_from_the_environment(tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", scheduler)
    monkeypatch.chdir(ROOT)
    result = cli("portfolio", "examples/portfolio.yaml", "--as-of", AS_OF, "--format", "json")
    serial = cli("portfolio", "examples/portfolio.yaml", "--as-of", AS_OF, "--format", "json", "--scheduler", "")
    assert result.exit_code == serial.exit_code == 1
    assert result.stdout == serial.stdout
