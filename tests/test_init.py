"""smgov init: starter files that are valid as written, never written over existing ones,
and that take a spreadsheet to a first report."""

from __future__ import annotations

from pathlib import Path

from engine.authoring.starter import starter_files
from tests.helpers import ROOT, cli


def test_init_writes_valid_starter_files(tmp_path: Path) -> None:
    target = tmp_path / "org"
    result = cli("init", str(target))
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert written == ["inventory/organisation.yaml", "mapping.yaml", "policies/pack.yaml", "policies/rules.yaml"]
    inventory = (target / "inventory" / "organisation.yaml").read_text(encoding="utf-8")
    for section in (
        "organisation",
        "governance",
        "departments",
        "accounts",
        "tools",
        "documents",
        "training",
        "metrics",
        "processes",
        "meetings",
        "alarms",
        "incidents",
    ):
        assert f"\n{section}:" in inventory, section
    assert inventory.startswith("# ")
    valid = cli("validate", str(target / "inventory"), str(target / "policies"))
    assert valid.exit_code == 0, valid.output
    assert cli("policy", "validate", str(target / "policies")).exit_code == 0
    rules = cli("rules", "--policies", str(target / "policies"))
    assert "OWN-ACC-001" in rules.output and "BND-ACC-001" in rules.output  # extends the baseline


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "org"
    (target / "policies").mkdir(parents=True)
    (target / "policies" / "pack.yaml").write_text("mine\n")
    result = cli("init", str(target))
    assert result.exit_code == 2
    assert f"{target / 'policies' / 'pack.yaml'} exists: refusing to overwrite it" in result.stderr
    assert (target / "policies" / "pack.yaml").read_text() == "mine\n"
    assert not (target / "mapping.yaml").exists() and not (target / "inventory").exists()


def test_from_the_bundled_spreadsheet_to_a_first_report(tmp_path: Path) -> None:
    target = tmp_path / "org"
    assert cli("init", str(target)).exit_code == 0
    imported = cli(
        "import",
        str(ROOT / "examples" / "accounts.xlsx"),
        "--mapping",
        str(target / "mapping.yaml"),
        "--without-organisation",
        "-o",
        str(target / "inventory" / "accounts.json"),
    )
    assert imported.exit_code == 0, imported.output
    assert "organisation" not in (target / "inventory" / "accounts.json").read_text()
    checked = cli(
        "check",
        str(target / "inventory"),
        "--policies",
        str(target / "policies"),
        "--as-of",
        "2026-10-01",
        "--fail-on",
        "never",
    )
    assert checked.exit_code == 0, checked.output
    assert "acc-googleplus-exampleorg" in checked.output  # BND-ACC-012: a live account on Google+


def test_starter_files_are_package_data() -> None:
    assert set(starter_files()) == {
        "inventory/organisation.yaml",
        "mapping.yaml",
        "policies/pack.yaml",
        "policies/rules.yaml",
    }
