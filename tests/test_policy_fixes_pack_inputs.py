"""QA fixes: every pack.yaml is an input of a check (report ``inputs``, evidence manifest,
``smgov verify``); a pack that only extends and overrides, with a bad pack.yaml, gets only
the pack.yaml's problem."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from engine.inputs.diagnostics import InputError
from engine.policy import policies
from engine.policy.policies import NOT_RULES
from tests.helpers import ROOT, cli, write

ENERGY = str(ROOT / "examples" / "energy")
AS_OF = "2026-10-01"
BASELINE_PACK = ROOT / "policies" / "baseline" / "pack.yaml"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _acme(directory: Path, override: dict[str, object]) -> Path:
    """A pack with no rule files of its own: it extends the baseline and overrides one rule."""
    write(
        directory / "pack.yaml",
        {
            "name": "acme",
            "version": "1.0.0",
            "description": "t",
            "extends": "baseline",
            "overrides": {"BEL-TRN-004": override},
        },
    )
    return directory


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _check(*extra: str) -> object:
    return cli("check", ENERGY, "--as-of", AS_OF, "--policies", "acme", *extra)


def test_the_report_lists_every_pack_yaml_of_the_chain_with_its_sha256(workdir: Path) -> None:
    _acme(workdir / "acme", {"severity": "high", "reason": "t"})
    result = _check("--format", "json", "-o", "report.json", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    inputs = json.loads((workdir / "report.json").read_text(encoding="utf-8"))["inputs"]
    packs = [(i["path"], i["sha256"]) for i in inputs if i["role"] == "pack"]
    # the extended pack first, then the pack extending it; paths as the rule files' are shown
    assert packs == [
        (str(BASELINE_PACK), _sha256(BASELINE_PACK)),
        ("acme/pack.yaml", _sha256(workdir / "acme/pack.yaml")),
    ]
    roles = [i["role"] for i in inputs]
    rule_files = [p for p in BASELINE_PACK.parent.glob("*.yaml") if p.name not in NOT_RULES]
    assert roles.count("policy") == len(rule_files) and roles.count("stages") == 1 and roles[0] == "inventory"
    assert roles.count("peers") == 1  # the peer context shapes the report too


def test_the_default_baseline_pack_yaml_is_an_input_too(workdir: Path) -> None:
    result = cli("check", ENERGY, "--as-of", AS_OF, "--format", "json", "-o", "report.json", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    inputs = json.loads((workdir / "report.json").read_text(encoding="utf-8"))["inputs"]
    assert [(i["path"], i["role"]) for i in inputs if i["role"] == "pack"] == [(str(BASELINE_PACK), "pack")]


@pytest.mark.parametrize(
    "change",
    [
        {"disabled": True, "reason": "t"},  # the finding of BEL-TRN-004 goes away
        {"severity": "low", "reason": "t"},  # it no longer fails the run
    ],
)
def test_verify_fails_after_a_pack_yaml_change_that_changes_the_result(
    workdir: Path, change: dict[str, object]
) -> None:
    acme = _acme(workdir / "acme", {"severity": "high", "reason": "t"})
    assert _check("--evidence", "evp").exit_code == 1  # BEL-TRN-004 fails, at high
    manifest = json.loads((workdir / "evp" / "manifest.json").read_text(encoding="utf-8"))
    assert {"path": "acme/pack.yaml", "role": "pack", "sha256": _sha256(acme / "pack.yaml")} in manifest["inputs"]
    assert cli("verify", "evp").exit_code == 0
    _acme(acme, change)
    assert _check("--format", "json", "-o", "after.json").exit_code == 0  # the result did change
    result = cli("verify", "evp")
    assert result.exit_code == 1, result.output
    assert "changed: input acme/pack.yaml" in result.stdout


def test_verify_fails_when_an_extended_pack_yaml_changes(workdir: Path) -> None:
    """The parent of the chain counts as much as the pack given."""
    write(workdir / "base" / "pack.yaml", {"name": "base", "version": "1", "description": "d", "extends": "baseline"})
    write(
        workdir / "acme" / "pack.yaml",
        {"name": "acme", "version": "1", "description": "d", "extends": "../base"},
    )
    assert _check("--evidence", "evp", "--fail-on", "low").exit_code == 1  # BEL-TRN-004 fails, at medium
    assert cli("verify", "evp").exit_code == 0
    write(
        workdir / "base" / "pack.yaml",
        {
            "name": "base",
            "version": "1",
            "description": "d",
            "extends": "baseline",
            "overrides": {"BEL-TRN-004": {"disabled": True, "reason": "t"}},
        },
    )
    result = cli("verify", "evp")
    assert result.exit_code == 1, result.output
    assert any(line.startswith("changed: input ") and "base/pack.yaml" in line for line in result.stdout.splitlines())


# --------------------------------------------------------------------------- a pack that only overrides


def _override_only(directory: Path, severity: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pack.yaml").write_text(
        "name: r8\nversion: 1.0.0\ndescription: d\nextends: baseline\n"
        f"overrides:\n  BND-ACC-002: {{severity: {severity}}}\n",
        encoding="utf-8",
    )
    return directory


def test_a_bad_value_in_an_override_only_pack_is_its_only_problem(tmp_path: Path) -> None:
    directory = _override_only(tmp_path / "r8", "urgent")
    result = cli("policy", "validate", str(directory))
    assert result.exit_code == 2
    problems = [line for line in result.stderr.splitlines() if not line.startswith("smgov:")]
    assert problems == [
        f"{directory / 'pack.yaml'}:6:17: 'urgent' is not one of: critical, high, medium, low, info "
        "(overrides.BND-ACC-002.severity)"
    ]
    assert "no policy files" not in result.output
    with pytest.raises(InputError) as caught:
        policies.load([directory])
    assert [d.file for d in caught.value.diagnostics] == [str(directory / "pack.yaml")]


def test_an_override_only_pack_still_loads_when_valid(tmp_path: Path) -> None:
    loaded = policies.load([_override_only(tmp_path / "r8", "low")])
    assert loaded.rule("BND-ACC-002").severity == "low"


def test_a_directory_without_pack_yaml_and_without_rules_is_still_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as caught:
        policies.load([tmp_path / "empty"])
    assert any("no policy files" in d.message for d in caught.value.diagnostics)


def test_a_report_never_replaces_the_pack_yaml_of_an_extended_pack(workdir: Path) -> None:
    """Known only once the chain is read: refused after the run, before anything is written."""
    write(workdir / "base" / "pack.yaml", {"name": "base", "version": "1", "description": "d", "extends": "baseline"})
    write(workdir / "acme" / "pack.yaml", {"name": "acme", "version": "1", "description": "d", "extends": "../base"})
    before = (workdir / "base" / "pack.yaml").read_bytes()
    result = _check("--format", "json", "-o", "base/pack.yaml")
    assert result.exit_code == 2
    assert "--output base/pack.yaml is an input of this command (pack): refusing to overwrite it" in result.stderr
    assert (workdir / "base" / "pack.yaml").read_bytes() == before
