"""`smgov check --format ... --output/--output-dir`: every format from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.report.render import FILE_NAMES, RENDERERS
from tests.helpers import cli
from tests.render_fixture import AS_OF, INVENTORY, POLICIES, SNAPSHOTS, at_root


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_output_writes_one_format(fmt: str, tmp_path: Path) -> None:
    out = tmp_path / f"out.{fmt}"
    with at_root():
        result = cli("check", INVENTORY, "--policies", POLICIES, "--as-of", AS_OF, "--format", fmt, "-o", str(out))
    assert result.exit_code == 1  # the fixture has critical findings
    assert _comparable(fmt, out.read_bytes()) == (SNAPSHOTS / FILE_NAMES[fmt]).read_bytes()


def _comparable(fmt: str, written: bytes) -> bytes:
    """The CLI's SARIF, run at the repository's top, is the snapshot plus %SRCROOT%: the
    repository root as originalUriBaseIds and a uriBaseId on each (identical) relative URI."""
    if fmt != "sarif":
        return written
    import json

    data = json.loads(written)
    run = data["runs"][0]
    assert run.pop("originalUriBaseIds") == {"%SRCROOT%": {"uri": Path.cwd().resolve().as_uri() + "/"}}
    for result in run["results"]:
        assert result["locations"][0]["physicalLocation"]["artifactLocation"].pop("uriBaseId") == "%SRCROOT%"
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def test_format_repeated_with_output_dir(tmp_path: Path) -> None:
    formats = ["sarif", "junit", "html", "markdown", "csv", "json"]
    args = [a for fmt in formats for a in ("--format", fmt)]
    with at_root():
        result = cli("check", INVENTORY, "--policies", POLICIES, "--as-of", AS_OF, *args, "--output-dir", str(tmp_path))
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILE_NAMES[f] for f in formats)
    for fmt in formats:
        with at_root():
            written = _comparable(fmt, (tmp_path / FILE_NAMES[fmt]).read_bytes())
        assert written == (SNAPSHOTS / FILE_NAMES[fmt]).read_bytes()
    assert result.stdout == ""


def test_several_formats_need_output_dir(tmp_path: Path) -> None:
    with at_root():
        result = cli("check", INVENTORY, "--policies", POLICIES, "--format", "json", "--format", "sarif")
    assert result.exit_code == 2
    assert "--output-dir" in result.output


def test_output_and_output_dir_together_are_a_usage_error(tmp_path: Path) -> None:
    with at_root():
        result = cli(
            "check", INVENTORY, "--policies", POLICIES, "-o", str(tmp_path / "x"), "--output-dir", str(tmp_path)
        )
    assert result.exit_code == 2


def test_default_is_text_on_stdout() -> None:
    with at_root():
        result = cli("check", INVENTORY, "--policies", POLICIES, "--as-of", AS_OF, "--fail-on", "never")
    assert result.exit_code == 0
    assert result.stdout.startswith("smgov 0.1.0: Example")
    assert result.stdout.endswith("8 findings (2 critical, 2 high, 2 medium, 1 low, 1 info)\n")


def test_sarif_on_stdout_is_json() -> None:
    with at_root():
        result = cli("check", INVENTORY, "--policies", POLICIES, "--format", "sarif", "--fail-on", "never")
    assert json.loads(result.stdout)["version"] == "2.1.0"
