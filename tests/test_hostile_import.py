"""smgov import keeps the same bounds as every reader (engine/inputs/limits.py): a pipe is
refused without blocking, a file over the size limit before it is read, a workbook that
unpacks past the limit before it is opened, non-finite JSON numbers as invalid JSON."""

from __future__ import annotations

import os
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import cli

ROWS = "Platform,Handle,URL,Department\nX,@acme,https://x.com/acme,Support\n"


def refused(result: Any, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "accounts.csv"
    os.mkfifo(fifo)
    done: list[Any] = []
    worker = threading.Thread(
        target=lambda: done.append(cli("import", str(fifo), "--mapping", "generic-accounts")), daemon=True
    )
    worker.start()
    worker.join(60)
    if not done:
        with open(fifo, "w"):
            pass
        worker.join(10)
    assert done, "import blocked on a pipe"
    refused(done[0], "not a regular file")


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(ROWS + "X,@pad,https://x.com/pad,Support\n" * 100, encoding="utf-8")
    refused(cli("--max-file-size", "1K", "import", str(path), "--mapping", "generic-accounts"), "more than the limit")
    assert cli("import", str(path), "--mapping", "generic-accounts", "-o", str(tmp_path / "o.json")).exit_code == 0


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_it_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", "<row/>" * 1_000_000)  # 6 MB of cells, a few KB zipped
    assert path.stat().st_size < 100_000
    refused(
        cli("--max-file-size", "1M", "import", str(path), "--mapping", "generic-accounts"),
        "the workbook unpacks to 6000000 bytes, more than the limit of 1 MiB",
    )


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-1e400"])
def test_non_finite_json_numbers_are_invalid_json(tmp_path: Path, number: str) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(f'[{{"Platform": "X", "Handle": "@a", "Followers": {number}}}]', encoding="utf-8")
    refused(cli("import", str(path), "--mapping", "generic-accounts"), "not valid JSON", "not finite")
