"""Evidence bundles: `smgov check --evidence DIR` writes every format and a manifest;
`smgov verify DIR` finds any change; writing is atomic."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from engine.inputs.schemas import load_schema
from engine.report import evidence
from engine.report.render import FILE_NAMES, RENDERERS
from tests.helpers import ROOT, cli
from tests.render_fixture import AS_OF, SNAPSHOTS, fixture_report


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the fixture organisation and policies, checked from ``tmp_path``."""
    shutil.copytree(ROOT / "tests/fixtures/render", tmp_path / "org")
    # the pack's own ladder (the bundled one's path is cached relative to another directory)
    shutil.copy(ROOT / "policies/baseline/stages.yaml", tmp_path / "org/policies/stages.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _bundle(directory: str = "bundle") -> object:
    return cli(
        "check",
        "org/inventory.yaml",
        "--policies",
        "org/policies",
        "--as-of",
        AS_OF,
        "--evidence",
        directory,
        "--fail-on",
        "never",
        "--format",
        "json",
        "-o",
        "report.json",
    )


def test_bundle_has_every_format_and_a_valid_manifest(workdir: Path) -> None:
    result = _bundle()
    assert result.exit_code == 0, result.output
    bundle = workdir / "bundle"
    assert sorted(p.name for p in bundle.iterdir()) == sorted([*FILE_NAMES.values(), "manifest.json"])
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    jsonschema.validate(manifest, load_schema("manifest"))
    assert manifest["tool"]["name"] == "smgov" and manifest["as_of"] == AS_OF
    assert manifest["command"][:3] == ["smgov", "check", "org/inventory.yaml"]
    assert "--evidence" in manifest["command"]
    roles = {i["role"] for i in manifest["inputs"]}
    assert {"inventory", "policy", "stages"} <= roles
    inventory = next(i for i in manifest["inputs"] if i["role"] == "inventory")
    assert inventory["path"] == "org/inventory.yaml"
    assert inventory["sha256"] == evidence.sha256_file(workdir / "org/inventory.yaml")
    for item in manifest["outputs"]:
        assert item["sha256"] == evidence.sha256_file(bundle / item["path"])
        assert item["format"] in RENDERERS
    # the same renderers as everywhere else: the bundle's SARIF is the snapshot's, paths aside
    sarif = json.loads((bundle / "report.sarif").read_text(encoding="utf-8"))
    snapshot = json.loads((SNAPSHOTS / "report.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == [r["ruleId"] for r in snapshot["runs"][0]["results"]]


def test_verify_passes_on_an_untouched_bundle(workdir: Path) -> None:
    assert _bundle().exit_code == 0
    result = cli("verify", "bundle")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: bundle")


def test_verify_reports_a_changed_output(workdir: Path) -> None:
    _bundle()
    with (workdir / "bundle" / "report.html").open("a", encoding="utf-8") as handle:
        handle.write("<!-- edited -->")
    result = cli("verify", "bundle")
    assert result.exit_code == 1
    assert "changed: output report.html" in result.stdout


def test_verify_reports_a_changed_input_a_missing_and_an_extra_file(workdir: Path) -> None:
    _bundle()
    inventory = workdir / "org/inventory.yaml"
    inventory.write_text(inventory.read_text(encoding="utf-8") + "# touched\n", encoding="utf-8")
    (workdir / "bundle" / "report.csv").unlink()
    (workdir / "bundle" / "notes.txt").write_text("x", encoding="utf-8")
    result = cli("verify", "bundle")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("changed: input org/inventory.yaml") for line in lines)
    assert any(line.startswith("missing: output report.csv") for line in lines)
    assert any(line.startswith("unexpected: output notes.txt") for line in lines)
    assert lines[-1].startswith("changed: bundle")


def test_verify_of_something_that_is_not_a_bundle_exits_2(workdir: Path) -> None:
    (workdir / "empty").mkdir()
    assert cli("verify", "empty").exit_code == 2
    (workdir / "bad").mkdir()
    (workdir / "bad" / "manifest.json").write_text('{"manifest_version": 1}', encoding="utf-8")
    result = cli("verify", "bad")
    assert result.exit_code == 2
    assert "not a valid manifest" in result.stderr


def test_a_new_bundle_replaces_the_old_one(workdir: Path) -> None:
    _bundle()
    (workdir / "bundle" / "report.html").unlink()  # an old bundle, damaged
    (workdir / "bundle" / "report.txt").write_text("tampered", encoding="utf-8")
    assert _bundle().exit_code == 0
    assert (workdir / "bundle" / "report.html").is_file()
    assert cli("verify", "bundle").exit_code == 0
    # a file that is no part of a bundle is someone's: that bundle is not replaced (test_cli_robustness)
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".")] == []


def test_a_directory_that_is_not_a_bundle_is_never_replaced(workdir: Path) -> None:
    (workdir / "bundle").mkdir()
    (workdir / "bundle" / "precious.txt").write_text("keep", encoding="utf-8")
    result = _bundle()
    assert result.exit_code == 2
    assert (workdir / "bundle" / "precious.txt").read_text(encoding="utf-8") == "keep"


def test_a_crash_while_writing_leaves_no_bundle_and_no_debris(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(_: object) -> bytes:
        raise OSError("disk full")

    report = fixture_report()
    real_write = evidence._write
    calls = {"n": 0}

    def failing_write(path: Path, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real_write(path, data)

    monkeypatch.setattr(evidence, "_write", failing_write)
    with pytest.raises(OSError, match="disk full"):
        evidence.write_bundle(report, workdir / "bundle", ["smgov"])
    assert not (workdir / "bundle").exists()
    assert [p.name for p in workdir.iterdir() if p.name.startswith(".")] == []


def test_a_crash_keeps_the_previous_bundle_whole(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = fixture_report()
    evidence.write_bundle(report, workdir / "bundle", ["smgov"])
    before = {p.name: p.read_bytes() for p in (workdir / "bundle").iterdir()}

    def failing_write(path: Path, data: bytes) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(evidence, "_write", failing_write)
    with pytest.raises(OSError):
        evidence.write_bundle(report, workdir / "bundle", ["smgov"])
    assert {p.name: p.read_bytes() for p in (workdir / "bundle").iterdir()} == before
    assert evidence.verify(workdir / "bundle", base=ROOT).ok
