"""Inputs from people we do not control: packs confined to their directory, credentials and
long values never echoed, temporary files of a killed run cleaned up, a late SIGTERM never a
traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.report.output import write_atomic
from tests.helpers import ROOT, cli, rule, write

AS_OF = ("--as-of", "2026-10-01")
GOOD = str(ROOT / "examples" / "automotive")
TOKEN = "ghp_" + "A1b2C3d4E5" * 3 + "f6G7h8"  # the shape of a GitHub token (not a real one)


def pack(directory: Path, **extra: object) -> Path:
    write(directory / "pack.yaml", {"name": directory.name, "version": "1", "description": "d", **extra})
    return directory


def rules(path: Path, ident: str = "X-1") -> Path:
    return write(path, {"version": 1, "rules": [rule("account", {"field": "owner", "exists": True}, id=ident)]})


# -- packs confined to their directory (and the working directory) ----------------------------


@pytest.mark.parametrize("how", ["relative", "absolute"])
def test_extends_outside_the_pack_and_the_working_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    outside = pack(tmp_path / "elsewhere" / "base")
    rules(outside / "rules.yaml", "OUT-1")
    work = tmp_path / "repo"
    target = "../../elsewhere/base" if how == "relative" else str(outside)
    mine = pack(work / "mine", extends=target)
    rules(mine / "rules.yaml")
    monkeypatch.chdir(work / "mine")  # the working directory does not hold 'elsewhere' either
    result = cli("rules", "--policies", str(mine))
    assert result.exit_code == 2, result.output
    assert "pack.yaml:4:1: extends" in result.output and "is outside this pack's directory" in result.output
    assert "--allow-outside" in result.output and "OUT-1" not in result.output
    allowed = cli("--allow-outside", "rules", "--policies", str(mine))
    assert allowed.exit_code == 0, allowed.output
    assert "OUT-1" in allowed.output and "X-1" in allowed.output
    assert cli("rules", "--policies", str(mine)).exit_code == 2  # the option holds for one run only


def test_a_rule_file_linked_from_outside_the_pack_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = rules(tmp_path / "private" / "other.yaml", "PRIV-1")
    mine = pack(tmp_path / "repo" / "mine")
    rules(mine / "rules.yaml")
    (mine / "linked.yaml").symlink_to(secret)
    (mine / "sub").symlink_to(secret.parent, target_is_directory=True)
    monkeypatch.chdir(tmp_path / "repo")
    result = cli("rules", "--policies", str(mine))
    assert result.exit_code == 2, result.output
    assert "linked.yaml: a link to" in result.output and "outside the policy directory" in result.output
    assert "PRIV-1" not in result.output
    allowed = cli("--allow-outside", "rules", "--policies", str(mine))
    assert allowed.exit_code == 0 and "PRIV-1" in allowed.output, allowed.output


def test_links_inside_the_pack_are_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = pack(tmp_path / "mine")
    rules(mine / "real" / "rules.yaml")
    (mine / "alias.yaml").symlink_to(mine / "real" / "rules.yaml")
    monkeypatch.chdir(tmp_path)
    result = cli("rules", "--policies", str(mine))
    assert result.exit_code == 0, result.output


# -- values never echoed whole ---------------------------------------------------------------


def test_a_credential_in_a_mistyped_field_is_not_echoed(tmp_path: Path) -> None:
    org = write(
        tmp_path / "org.yaml",
        f"organisation:\n  name: X\n  employees: {TOKEN}\naccounts:\n  - {{id: a1, platform: x, mfa: '{TOKEN}'}}\n",
    )
    result = cli("validate", str(org))
    assert result.exit_code == 2, result.output
    assert TOKEN not in result.output and TOKEN[:12] not in result.output
    assert result.output.count("characters that look like a credential, not shown") == 2


def test_a_long_value_is_cut_in_a_message(tmp_path: Path) -> None:
    org = write(tmp_path / "org.yaml", "organisation:\n  name: X\n  employees: " + "z" * 50_000 + "\n")
    result = cli("validate", str(org))
    assert result.exit_code == 2
    assert max(len(line) for line in result.output.splitlines()) < 300 and "…" in result.output


# -- temporary files of a killed run ------------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.skipif(os.name == "nt", reason="process ids are probed with signal 0 (POSIX)")
def test_a_killed_runs_temporary_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    stale = tmp_path / f".report.json.{_dead_pid()}.k1ll3d.tmp"
    stale.write_text("half a report", encoding="utf-8")
    live = tmp_path / f".report.json.{os.getppid()}.w0rk1n.tmp"  # a run still going: left alone
    live.write_text("being written", encoding="utf-8")
    other = tmp_path / ".other.json.1.x.tmp"  # another target's: not ours to touch
    other.write_text("x", encoding="utf-8")
    write_atomic(tmp_path / "report.json", "{}\n")
    assert not stale.exists() and live.exists() and other.exists()
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == "{}\n"


def test_a_run_killed_while_writing_leaves_nothing_the_next_run_keeps(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    code = (
        "import os, sys\n"
        "from engine.report import output\n"
        "def stop(*a, **k):\n"
        "    os._exit(9)\n"  # killed between staging and replacing
        "output.os.replace = stop\n"
        f"output.write_atomic({str(out)!r}, 'x' * 100000)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")], "the simulated kill left no file"
    result = cli("check", GOOD, *AS_OF, "--format", "json", "-o", str(out))
    assert result.exit_code in (0, 1), result.output
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


# -- signals ------------------------------------------------------------------------------


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM is POSIX")
def test_sigterm_at_any_moment_is_never_a_traceback() -> None:
    outcomes = set()
    for delay in (0.05, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5, 2.5):
        child = subprocess.Popen(
            [sys.executable, "-m", "engine", "rules"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        time.sleep(delay)
        child.send_signal(signal.SIGTERM)
        stderr = child.communicate(timeout=60)[1].decode()
        assert "Traceback" not in stderr, (delay, stderr[-2000:])
        assert child.returncode in (0, 143, -signal.SIGTERM), (delay, child.returncode, stderr[-2000:])
        outcomes.add(child.returncode)
    assert outcomes & {143, -signal.SIGTERM}  # at least one signal landed while smgov ran


# -- plain errors where they were cryptic --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "suffix", "expected"),
    [
        (
            "organisation: {name: X}\nbase: &b {platform: x}\naccounts:\n  - <<: *b\n    id: a1\n",
            ".yaml",
            ":4:5: YAML merge keys (<<) are not supported",
        ),
        (
            "organisation: {name: X}\naccounts:\n  - {id: my account, platform: x}\n",
            ".yaml",
            ":3:6: 'my account' is not a valid id: letters, digits and . _ : - only",
        ),
        (
            "organisation: {name: X}\naccounts:\n  - {id: a1, platform: x, department: zz top}\n",
            ".yaml",
            "'zz top' is not a valid department id",
        ),
        ("- {id: a1, platform: x}\n", ".yaml", ":1:1: an inventory file must be a mapping of collections"),
        ('[{"id": "a1"}]', ".json", "at its top level, not a list"),
    ],
    ids=["merge-key", "id-with-space", "ref-with-space", "top-level-list", "top-level-list-json"],
)
def test_cryptic_errors_are_plain(tmp_path: Path, text: str, suffix: str, expected: str) -> None:
    path = write(tmp_path / f"org{suffix}", text)
    result = cli("validate", str(path))
    assert result.exit_code == 2, result.output
    assert expected in result.output, result.output
    assert "constructor" not in result.output and "expected null" not in result.output
