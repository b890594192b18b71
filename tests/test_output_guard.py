"""No command writes over its own inputs: every output is checked before anything is written.

A report written over the inventory it checked (``-o org/inventory.yaml``), a bundle that
replaces the directory holding the inventory, a diff written over one of the reports it
compares: each exits 2, names the clash, and leaves every file as it was.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from engine.report.output import Write, clashes, collisions
from tests.helpers import ROOT, cli

AS_OF = ("--as-of", "2026-10-01")


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the telecom example, in a working directory of its own."""
    shutil.copytree(ROOT / "examples" / "telecom", tmp_path / "org")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "org"


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def refused(result: object, *expected: str) -> None:
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    text = result.stderr  # type: ignore[attr-defined]
    for part in expected:
        assert part in text, text
    assert "nothing was written" in text


def test_a_report_over_the_inventory_is_refused_and_the_inventory_kept(org: Path) -> None:
    before = snapshot(org.parent)
    result = cli("check", "org", "-o", "org/inventory.yaml", *AS_OF)
    refused(result, "--output org/inventory.yaml is an input of this command (inventory)")
    assert snapshot(org.parent) == before


def test_every_output_of_a_check_is_guarded_before_anything_is_written(org: Path) -> None:
    waivers = org.parent / "waivers.yaml"
    waivers.write_text("version: 1\nwaivers: []\n", encoding="utf-8")
    before = snapshot(org.parent)
    result = cli(
        "check",
        "org",
        "--waivers",
        "waivers.yaml",
        "--write-baseline",
        "waivers.yaml",
        "--evidence",
        "org",
        *AS_OF,
    )
    refused(
        result,
        "--write-baseline waivers.yaml is an input of this command (waivers)",
        "--evidence org would replace the directory that holds the inventory input org/inventory.yaml",
    )
    assert snapshot(org.parent) == before  # not even the baseline, asked for first, was written


def test_a_link_to_an_input_is_that_input(org: Path) -> None:
    (org.parent / "link.yaml").symlink_to(org / "inventory.yaml")
    os.link(org / "inventory.yaml", org.parent / "hard.yaml")
    before = snapshot(org)
    refused(cli("check", "org", "-o", "link.yaml", *AS_OF), "--output link.yaml is the same file as the inventory")
    refused(cli("check", "org", "-o", "hard.yaml", *AS_OF), "--output hard.yaml is the same file as the inventory")
    assert snapshot(org) == before


def test_an_output_dir_file_that_is_an_input_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    inventory = tmp_path / "org" / "report.json"  # an inventory that happens to be named like a report
    inventory.parent.mkdir()
    inventory.write_text('{"version": 1, "organisation": {"id": "o", "name": "O"}}', encoding="utf-8")
    before = inventory.read_bytes()
    result = cli("check", "org", "--format", "json", "--format", "sarif", "--output-dir", "org", *AS_OF)
    refused(result, "--output-dir org/report.json is an input of this command (inventory)")
    assert inventory.read_bytes() == before
    assert not (tmp_path / "org" / "report.sarif").exists()


def test_a_baseline_may_be_refreshed_in_place_by_a_baseline_or_a_json_report(org: Path) -> None:
    assert cli("check", "org", "--write-baseline", "known.json", "--fail-on", "never", *AS_OF).exit_code == 0
    again = cli("check", "org", "--baseline", "known.json", "--write-baseline", "known.json", *AS_OF)
    assert again.exit_code == 0, again.output
    assert "wrote a baseline" in again.stderr
    report = cli("check", "org", "--baseline", "known.json", "--format", "json", "-o", "known.json", *AS_OF)
    assert report.exit_code == 0, report.output
    assert '"findings"' in (org.parent / "known.json").read_text(encoding="utf-8")
    # a text report is no baseline: writing it there would lose the baseline
    before = (org.parent / "known.json").read_bytes()
    refused(cli("check", "org", "--baseline", "known.json", "-o", "known.json", *AS_OF), "(baseline)")
    assert (org.parent / "known.json").read_bytes() == before


def test_two_outputs_of_one_check_may_not_undo_each_other(org: Path) -> None:
    refused(
        cli("check", "org", "--format", "json", "-o", "r.json", "--write-baseline", "r.json", *AS_OF),
        "--write-baseline r.json and --output r.json are the same file",
    )
    refused(
        cli("check", "org", "--evidence", "bundle", "-o", "bundle/report.txt", *AS_OF),
        "--evidence bundle replaces its whole directory, --output bundle/report.txt with it",
    )
    assert not (org.parent / "r.json").exists() and not (org.parent / "bundle").exists()


def test_plan_diff_trend_and_policy_docs_guard_their_inputs(org: Path) -> None:
    before = snapshot(org)
    refused(cli("plan", "org", "-o", "org/inventory.yaml", *AS_OF), "(inventory)")
    assert snapshot(org) == before
    assert cli("check", "org", "--format", "json", "-o", "a.json", "--fail-on", "never", *AS_OF).exit_code == 0
    report = (org.parent / "a.json").read_bytes()
    refused(cli("diff", "a.json", "a.json", "-o", "a.json"), "--output a.json is an input of this command (report)")
    refused(cli("trend", "a.json", "-o", "a.json"), "(report)")
    assert (org.parent / "a.json").read_bytes() == report
    pack = org.parent / "pack"
    shutil.copytree(ROOT / "policies" / "baseline", pack)
    rules = sorted(pack.glob("*.yaml"))[0]
    before_rules = rules.read_bytes()
    refused(cli("policy", "docs", "pack", "-o", f"pack/{rules.name}"), "(policy)")
    assert rules.read_bytes() == before_rules


def test_outputs_elsewhere_still_work(org: Path) -> None:
    result = cli("check", "org", "--format", "json", "--output-dir", "out", "--evidence", "bundle", *AS_OF)
    assert result.exit_code == 1, result.output  # telecom has high findings
    assert (org.parent / "out" / "report.json").is_file()
    assert (org.parent / "bundle" / "manifest.json").is_file()


def test_clashes_and_collisions_as_data(tmp_path: Path) -> None:
    source = tmp_path / "in.yaml"
    source.write_text("x", encoding="utf-8")
    inputs = [(str(source), "inventory"), (str(tmp_path / "known.json"), "baseline")]
    plain = Write(str(source), "--output")
    refresh = Write(str(tmp_path / "known.json"), "--write-baseline", frozenset({"baseline"}))
    folder = Write(str(tmp_path), "--evidence", replaces_directory=True)
    elsewhere = Write(str(tmp_path / "other.json"), "--output")
    found = clashes([plain, refresh, folder, elsewhere], inputs)
    assert [(c.write.option, c.role) for c in found] == [
        ("--output", "inventory"),
        ("--evidence", "inventory"),
        ("--evidence", "baseline"),  # replacing a directory deletes even a baseline
    ]
    assert collisions([elsewhere, Write(str(tmp_path / "." / "other.json"), "--write-baseline")]) == [
        f"--output {tmp_path / 'other.json'} and --write-baseline {tmp_path / '.' / 'other.json'} are the same file"
    ]
    assert collisions([plain, elsewhere]) == []
    assert clashes([Write(str(tmp_path / "sub"), "--evidence", replaces_directory=True)], inputs) == []
