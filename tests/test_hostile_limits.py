"""The limits of engine/inputs/limits.py, one test each, with the hostile file made here:
every one ends with exit 2 and a plain message naming the limit, in bounded memory (measured
with tracemalloc on the reader, or under an address-space limit in a child process)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.inputs import limits, sources
from engine.inputs.diagnostics import Diagnostic
from engine.inputs.json_source import parse_json
from engine.inputs.yaml_source import parse_yaml
from tests.helpers import ROOT, cli, write

SMGOV = [sys.executable, "-m", "engine"]
AS_OF = ("--as-of", "2026-10-01")
HEAD = "version: 1\norganisation:\n  name: X\n"
JSON_HEAD = '{"version": 1, "organisation": {"name": "X"}'


def run_limited(*args: str, memory: int = 1 << 30, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """smgov in a child process that may not use more than ``memory`` bytes of address space."""

    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [*SMGOV, *args], capture_output=True, text=True, cwd=ROOT, timeout=timeout, preexec_fn=limit, check=False
    )


def peak(function: Callable[[], Any]) -> tuple[Any, int]:
    """``function()`` and the most memory Python allocated while it ran, in bytes."""
    tracemalloc.start()
    try:
        return function(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(result: Any, *fragments: str) -> str:
    """Exit 2, no traceback, every fragment in the output."""
    output = result.output if hasattr(result, "output") else result.stdout + result.stderr
    code = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert code == 2, output[-3000:]
    assert "Traceback" not in output and "internal error" not in output
    for fragment in fragments:
        assert fragment in output, output[-3000:]
    return output


def laughs(levels: int = 9, indent: str = "") -> str:
    """A billion laughs: ten times more nodes at each level."""
    text = f"{indent}x0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
    for k in range(1, levels + 1):
        text += f"{indent}x{k}: &a{k} [" + ",".join([f"*a{k - 1}"] * 10) + "]\n"
    return text


# -- aliases -------------------------------------------------------------------------------


def test_an_alias_bomb_is_refused_at_the_alias_with_the_node_bound_named() -> None:
    bound = limits.ALIAS_FLOOR
    result, used = peak(lambda: parse_yaml(HEAD + laughs(), "org.yaml"))
    assert isinstance(result, Diagnostic)
    assert result.message == f"alias expands to more than {bound} nodes"
    assert (result.line, result.path) == (7, "x3[7]")  # the first alias whose copy passes the bound
    # 10^10 nodes if expanded (a terabyte); refused after copying fewer than the bound, each
    # copied node with its position (a few hundred bytes a node)
    assert used < bound * 600, used


@pytest.mark.parametrize("role", ["inventory", "policy", "waivers", "baseline", "report"])
def test_an_alias_bomb_is_refused_whatever_file_carries_it(tmp_path: Path, role: str) -> None:
    bomb = write(tmp_path / "bomb.yaml", HEAD + laughs())
    good = str(ROOT / "examples" / "automotive")
    command = {
        "inventory": ["validate", str(bomb)],
        "policy": ["check", good, *AS_OF, "--policies", str(bomb)],
        "waivers": ["check", good, *AS_OF, "--waivers", str(bomb)],
        "baseline": ["check", good, *AS_OF, "--baseline", str(bomb)],
        "report": ["diff", str(bomb), str(bomb)],
    }[role]
    done = run_limited(*command, memory=1 << 30)
    refused(done, f"{bomb}:", "alias expands to more than 10000 nodes")


# -- nesting ---------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [1_000, 50_000])
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_deep_documents_are_refused_at_the_limit_without_recursion(tmp_path: Path, levels: int, suffix: str) -> None:
    if suffix == ".yaml":
        text = HEAD + "x: " + "{a: " * levels + "1" + "}" * levels + "\n"
    else:
        text = JSON_HEAD + ', "x": ' + '{"a": ' * levels + "1" + "}" * levels + "}"
    path = write(tmp_path / f"org{suffix}", text)
    result, used = peak(lambda: (parse_yaml if suffix == ".yaml" else parse_json)(text, str(path)))
    assert isinstance(result, Diagnostic) and result.message == "nesting too deep (more than 100 levels)"
    assert result.line in (1, 4)
    assert used < 50 * len(text) + (8 << 20), used  # nothing like one object per level past the limit
    refused(cli("validate", str(path)), f"{path}:", "nesting too deep (more than 100 levels)")


# -- file size -------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "org.json"
    with path.open("wb") as handle:  # sparse: a gigabyte on paper, nothing on disk
        handle.truncate(limits.DEFAULT_MAX_FILE_SIZE + 1)
    result, used = peak(lambda: sources.load(path))
    assert isinstance(result, Diagnostic)
    assert f"the file is {limits.DEFAULT_MAX_FILE_SIZE + 1} bytes, more than the limit of 256 MiB" in result.message
    assert used < 1 << 20, used  # not read
    refused(cli("validate", str(path)), "--max-file-size")


def test_the_size_limit_can_be_raised_or_lowered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "org.yaml", HEAD + "# " + "x" * 100_000 + "\n")  # larger than any bundled policy file
    monkeypatch.setattr(limits, "_max_file_size", limits.DEFAULT_MAX_FILE_SIZE)
    assert cli("validate", str(path)).exit_code == 0
    refused(cli("--max-file-size", "64K", "validate", str(path)), "more than the limit of 64 KiB (65536 bytes)")
    assert cli("--max-file-size", "128k", "validate", str(path)).exit_code == 0
    monkeypatch.setenv(limits.FILE_SIZE_ENV, "1K")
    refused(cli("validate", str(path)), "more than the limit of 1 KiB")
    refused(cli("--max-file-size", "lots", "validate", str(path)), "'lots' is not a size")
    assert [limits.parse_size(s) for s in ("1", "2K", "3MiB", "1g")] == [1, 2048, 3 << 20, 1 << 30]


# -- strings ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_a_string_over_the_length_limit_is_refused_with_its_path(tmp_path: Path, suffix: str) -> None:
    n = limits.MAX_STRING + 1
    if suffix == ".yaml":
        text = HEAD + "  sector: " + "a" * n + "\n"
    else:  # escaped quotes inside, so that no quote-free stretch betrays it
        text = JSON_HEAD[:-1] + ', "sector": "' + 'a\\"' * (n // 2 + 1) + '"}}'
    path = write(tmp_path / f"org{suffix}", text)
    out = refused(cli("validate", str(path)), f"{path}:", "string too long", "the limit is 1000000", "organisation")
    assert len(out) < 1000  # the string itself is not echoed


def test_a_string_at_the_length_limit_is_read(tmp_path: Path) -> None:
    value = "a" * limits.MAX_STRING
    yaml_doc = parse_yaml(HEAD + f"  sector: {value}\n", "o.yaml")
    json_doc = parse_json(JSON_HEAD[:-1] + f', "sector": "{value}"}}}}', "o.json")
    assert not isinstance(yaml_doc, Diagnostic) and not isinstance(json_doc, Diagnostic)
    assert yaml_doc[0]["organisation"]["sector"] == json_doc[0]["organisation"]["sector"] == value


def test_a_long_key_is_refused_too() -> None:
    text = JSON_HEAD + ', "accounts": [{"' + "k" * (limits.MAX_STRING + 5) + '": 1}]}'
    result = parse_json(text, "o.json")
    assert isinstance(result, Diagnostic) and result.message.startswith("string too long (1000005 characters")
    assert len(result.format()) < 300


def test_the_long_string_screen_never_misses() -> None:
    """The C-speed screen says "maybe" for every text holding a string past the limit."""
    n = limits.MAX_STRING + 1
    for body in ("a" * n, 'a\\"' * (n // 2 + 1), "é" * n, "\\u00e9" * n):
        text = '{"a": "' + body + '"}'
        assert limits.may_hold_a_long_string(text.encode()), body[:8]
    assert not limits.may_hold_a_long_string(b'{"a": "b"}' * 500_000)


# -- invalid text and numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (JSON_HEAD + ', "x": "\\ud800"}', "unpaired surrogate \\ud800 in a string"),
        (JSON_HEAD + ', "metrics": [{"value": NaN}]}', "NaN is not a JSON number: a number in JSON must be finite"),
        (JSON_HEAD + ', "metrics": [{"value": -Infinity}]}', "-Infinity is not a JSON number"),
        (JSON_HEAD + ', "metrics": [{"value": 1e999}]}', "number '1e999' is too large"),
    ],
    ids=["lone-surrogate", "nan", "infinity", "overflow"],
)
def test_text_and_numbers_no_output_can_carry_are_refused_at_load(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "org.json", text)
    result = parse_json(text, str(path))
    assert isinstance(result, Diagnostic) and message in result.message and result.line == 1 and result.col > 40
    refused(cli("check", str(path), *AS_OF, "--format", "json"), f"{path}:1:{result.col}: {message}")


# -- files that are not files ------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
@pytest.mark.parametrize("option", ["--waivers", "--baseline", "--policies", "inventory"])
def test_a_pipe_as_any_file_option_is_refused_without_blocking(tmp_path: Path, option: str) -> None:
    fifo = tmp_path / "input.yaml"
    os.mkfifo(fifo)
    good = str(ROOT / "examples" / "automotive")
    args = [str(fifo)] if option == "inventory" else [good, option, str(fifo)]
    done: list[Any] = []
    worker = threading.Thread(target=lambda: done.append(cli("check", *args, *AS_OF)), daemon=True)
    worker.start()
    worker.join(60)
    if not done:  # unblock the reader, so that the test run does not hang
        with open(fifo, "w"):
            pass
        worker.join(10)
    assert done, f"{option} blocked on a pipe"
    refused(done[0], str(fifo), "not a regular file")
