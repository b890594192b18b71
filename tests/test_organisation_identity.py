"""Regression tests for issue 17's defects: trend and diff keep to one organisation even when
the inventories carry no id, and validate judges target_stage as check does."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import cli, write


def _report(tmp_path: Path, name: str, org: dict) -> Path:
    inventory = write(tmp_path / f"{name}.yaml", {"organisation": org, "accounts": [{"id": "a1", "platform": "x"}]})
    out = tmp_path / f"{name}.json"
    result = cli(
        "check", str(inventory), "--as-of", "2026-10-01", "--format", "json", "-o", str(out), "--fail-on", "never"
    )
    assert result.exit_code == 0, result.output
    return out


def test_trend_refuses_two_organisations_without_ids(tmp_path: Path) -> None:
    acme = _report(tmp_path, "acme", {"name": "Acme"})
    zenith = _report(tmp_path, "zenith", {"name": "Zenith"})
    result = cli("trend", str(acme), str(zenith))
    assert result.exit_code == 2
    assert "a trend follows one organisation" in result.output
    assert "(organisation.name)" in result.output and "Zenith" in result.output


def test_trend_follows_one_organisation_without_an_id(tmp_path: Path) -> None:
    first = _report(tmp_path, "first", {"name": "Acme"})
    second = _report(tmp_path, "second", {"name": "Acme"})
    result = cli("trend", str(first), str(second))
    assert result.exit_code == 0, result.output
    assert "# smgov trend: Acme" in result.output


def test_diff_refuses_two_organisations_without_ids(tmp_path: Path) -> None:
    acme = _report(tmp_path, "acme", {"name": "Acme"})
    zenith = _report(tmp_path, "zenith", {"name": "Zenith"})
    result = cli("diff", str(acme), str(zenith))
    assert result.exit_code == 2
    assert "the reports are of different organisations" in result.output
    assert cli("diff", str(acme), str(acme)).exit_code == 0


def test_diff_still_refuses_two_different_ids(tmp_path: Path) -> None:
    one = _report(tmp_path, "one", {"id": "org-one", "name": "Same name"})
    two = _report(tmp_path, "two", {"id": "org-two", "name": "Same name"})
    result = cli("diff", str(one), str(two))
    assert result.exit_code == 2 and "(organisation.id)" in result.output


def test_validate_rejects_a_target_stage_that_check_rejects(tmp_path: Path) -> None:
    inventory = write(
        tmp_path / "inventory.yaml",
        {"organisation": {"name": "Acme", "target_stage": "nirvana"}, "accounts": [{"id": "a1", "platform": "x"}]},
    )
    checked = cli("check", str(inventory), "--as-of", "2026-10-01")
    validated = cli("validate", str(inventory))
    assert checked.exit_code == validated.exit_code == 2
    assert "unknown target_stage 'nirvana'" in validated.output
    good = write(tmp_path / "good.yaml", {"organisation": {"name": "Acme", "target_stage": "control"}})
    assert cli("validate", str(good)).exit_code == 0
