"""Where the output goes wrong: full disks, directories in the way, links, devices, pipes that
close, closed standard output, evidence directories that are not ours, empty paths, Ctrl-C.

Each ends in a clear line and a defined exit code (2 for an output that cannot be written,
the command's own code when the reader of its output went away, 130 for Ctrl-C), never an
internal error, and never with a file of the user's destroyed or half-written.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from engine.report.output import OutputError, write_all, write_atomic
from tests.helpers import ROOT, cli

AS_OF = ("--as-of", "2026-10-01")
SMGOV = [sys.executable, "-m", "engine"]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples" / "energy", tmp_path / "org")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- writing files -------------------------------------------------------------------------


def test_a_link_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_device_or_a_pipe_is_written_to_not_replaced(tmp_path: Path) -> None:
    write_atomic(os.devnull, "into the void")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)  # still the device
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    write_atomic(fifo, "through the pipe")
    reader.join(timeout=10)
    assert received == ["through the pipe"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_replaced_file_keeps_its_mode_and_a_new_one_follows_the_umask(tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("old", encoding="utf-8")
    kept.chmod(0o640)
    write_atomic(kept, "new")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    before = os.umask(0o027)
    try:
        write_atomic(tmp_path / "new.txt", "x")
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640  # 0666 & ~027


def test_several_files_are_written_all_or_none(tmp_path: Path) -> None:
    (tmp_path / "b.json").mkdir()  # a directory where the second file should go
    with pytest.raises(OutputError, match=r"b\.json: it is a directory"):
        write_all({tmp_path / "a.txt": "a", tmp_path / "b.json": "b"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.json"]  # not a.txt, no temporary file


def test_an_output_in_a_directory_that_cannot_be_created_is_exit_2(here: Path) -> None:
    (here / "blocker").write_text("a file, not a directory", encoding="utf-8")
    result = cli("check", "org", "-o", "blocker/report.txt", *AS_OF)
    assert result.exit_code == 2, result.output
    assert "smgov: cannot write blocker/report.txt:" in result.stderr
    assert "internal error" not in result.stderr


def test_output_dir_with_a_directory_in_the_way_writes_nothing(here: Path) -> None:
    (here / "out" / "report.sarif").mkdir(parents=True)
    result = cli("check", "org", "--format", "json", "--format", "sarif", "--output-dir", "out", *AS_OF)
    assert result.exit_code == 2, result.output
    assert "smgov: cannot write out/report.sarif: it is a directory" in result.stderr
    assert sorted(p.name for p in (here / "out").iterdir()) == ["report.sarif"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="/dev/full is Linux's always-full device")
def test_a_full_disk_behind_standard_output_is_exit_2() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([*SMGOV, "rules"], stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert done.returncode == 2, done.stderr
    assert "cannot write standard output: No space left on device" in done.stderr


def test_closed_standard_output_is_exit_2() -> None:
    command = " ".join([*SMGOV, "check", "examples/telecom", *AS_OF])
    done = subprocess.run(["sh", "-c", f"{command} >&-"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2, done.stderr
    assert "cannot write standard output: it is closed" in done.stderr


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    process = subprocess.Popen([*SMGOV, "rules"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `smgov rules | head -0`
    with process.stderr:
        error = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0, error  # rules' own exit code
    assert "Traceback" not in error and "internal error" not in error


def test_a_check_whose_reader_goes_away_keeps_its_exit_code() -> None:
    process = subprocess.Popen(
        [*SMGOV, "check", "examples/telecom", *AS_OF], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    with process.stderr:
        error = process.stderr.read().decode()
    assert process.wait(timeout=60) == 1, error  # telecom has high findings: the answer is still "fail"
    assert "Traceback" not in error


# -- evidence bundles ----------------------------------------------------------------------


def test_a_directory_with_a_foreign_manifest_is_never_replaced(here: Path) -> None:
    app = here / "webapp"
    (app / "src").mkdir(parents=True)
    (app / "manifest.json").write_text('{"name": "My PWA"}', encoding="utf-8")
    (app / "src" / "app.js").write_text("code", encoding="utf-8")
    result = cli("check", "org", "--evidence", "webapp", *AS_OF)
    assert result.exit_code == 2
    assert "holds a manifest.json that is not an smgov evidence manifest" in result.stderr
    assert (app / "src" / "app.js").read_text(encoding="utf-8") == "code"


def test_a_bundle_with_files_of_someone_else_is_never_replaced(here: Path) -> None:
    assert cli("check", "org", "--evidence", "bundle", "--fail-on", "never", *AS_OF).exit_code == 0
    (here / "bundle" / "notes.txt").write_text("mine", encoding="utf-8")
    result = cli("check", "org", "--evidence", "bundle", "--fail-on", "never", *AS_OF)
    assert result.exit_code == 2
    assert "holds files that are not part of its evidence bundle (notes.txt)" in result.stderr
    assert (here / "bundle" / "notes.txt").read_text(encoding="utf-8") == "mine"
    (here / "bundle" / "notes.txt").unlink()
    assert cli("check", "org", "--evidence", "bundle", "--fail-on", "never", *AS_OF).exit_code == 0  # ours again


def test_a_bundle_directory_that_may_not_be_replaced_is_refused_before_checking(here: Path) -> None:
    (here / "precious").mkdir()
    (here / "precious" / "notes.txt").write_text("important", encoding="utf-8")
    result = cli("check", "org", "--evidence", "precious", *AS_OF)
    assert result.exit_code == 2
    assert "precious is not empty and holds no manifest.json" in result.stderr
    assert result.stdout == ""  # no report printed before the refusal


# -- usage ---------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--evidence", "--write-baseline", "--output", "--output-dir", "--waivers"])
def test_an_empty_path_is_a_usage_error(here: Path, option: str) -> None:
    result = cli("check", "org", option, "", *AS_OF)
    assert result.exit_code == 2
    assert "an empty path (is a variable unset?)" in result.stderr


@pytest.mark.parametrize(("name", "code", "line"), [("SIGINT", 130, "interrupted"), ("SIGTERM", 143, "stopped")])
def test_ctrl_c_or_a_stop_is_an_exit_with_one_line(name: str, code: int, line: str) -> None:
    # the command line signalled while it runs: the same handler catches it at any point
    program = (
        "import os, signal, time\n"
        "import engine.cli.app\n"
        "def main():\n"
        f"    os.kill(os.getpid(), signal.{name})\n"
        "    time.sleep(30)\n"
        "engine.cli.app.main = main\n"
        "from engine.__main__ import run\n"
        "run()\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == code
    assert done.stderr == f"smgov: {line}\n"
