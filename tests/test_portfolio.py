"""``smgov portfolio``: organisations found from directories and manifests, each checked as
``smgov check`` would, bad ones listed without stopping the others, every format, evidence,
exit codes, and the same report whichever way the work is spread."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from engine.inputs.schemas import load_schema
from engine.portfolio import workers
from engine.report.render import PORTFOLIO_FILE_NAMES, PORTFOLIO_RENDERERS
from tests.helpers import ROOT, cli, write

AS_OF = "2026-10-01"
EXAMPLES = ("automotive", "energy", "telecom")


def _single(path: Path) -> dict:
    result = cli("check", str(path), "--as-of", AS_OF, "--format", "json", "--fail-on", "never")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _portfolio(*args: str) -> tuple[int, dict]:
    result = cli("portfolio", *args, "--as-of", AS_OF, "--format", "json", "--jobs", "1")
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator(load_schema("portfolio")).validate(data)
    return result.exit_code, data


@pytest.fixture
def orgs(tmp_path: Path) -> Path:
    """A directory of organisations: the three examples, one as a file, one as a directory."""
    root = tmp_path / "orgs"
    root.mkdir()
    shutil.copytree(ROOT / "examples" / "automotive", root / "automotive")
    shutil.copy(ROOT / "examples" / "energy" / "inventory.yaml", root / "energy.yaml")
    shutil.copytree(ROOT / "examples" / "telecom", root / "telecom")
    write(root / ".hidden" / "inventory.yaml", "not: an organisation\n")
    return root


def test_each_organisation_is_assessed_as_a_single_check(orgs: Path) -> None:
    code, data = _portfolio(str(orgs))
    assert code == 1  # the examples have high findings
    assert [u["name"] for u in data["organisations"]] == ["automotive", "energy", "telecom"]
    for unit, example in zip(data["organisations"], EXAMPLES, strict=True):
        single = _single(ROOT / "examples" / example)
        assert unit["status"] == "ok"
        assert unit["stage"] == single["assessment"]["organisation"]["stage"]
        assert unit["by_severity"] == single["summary"]["by_severity"]
        assert unit["findings"] == single["summary"]["findings"]
        assert [g["passed"] for g in unit["gates"]] == [
            g["passed"] for g in single["assessment"]["organisation"]["gates"]
        ]
        failed = {r["id"]: r["failed"] for r in single["rules"] if r["failed"]}
        assert {r["rule_id"]: r["failed"] for r in unit["failed_rules"]} == failed
    assert data["summary"]["checked"] == 3
    assert sum(data["summary"]["by_stage"].values()) == 3


def test_top_failing_rules_count_organisations(orgs: Path) -> None:
    _, data = _portfolio(str(orgs))
    counts: dict[str, int] = {}
    for unit in data["organisations"]:
        for rule in unit["failed_rules"]:
            counts[rule["rule_id"]] = counts.get(rule["rule_id"], 0) + 1
    top = data["top_failing_rules"]
    assert top and top[0]["organisations"] == max(counts.values())
    assert all(t["organisations"] == counts[t["rule_id"]] for t in top)
    assert [t["organisations"] for t in top] == sorted((t["organisations"] for t in top), reverse=True)


def test_a_bad_organisation_is_listed_and_the_others_are_checked(orgs: Path) -> None:
    write(orgs / "broken.yaml", "organisation:\n  name: Broken\naccounts:\n  - id: a\n    id: b\n")
    result = cli("portfolio", str(orgs), "--as-of", AS_OF, "--format", "json", "--jobs", "1")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    broken = next(u for u in data["organisations"] if u["name"] == "broken")
    assert broken["status"] == "bad_input"
    assert broken["problems"][0]["line"] == 5 and "duplicate key" in broken["problems"][0]["message"]
    assert sum(1 for u in data["organisations"] if u["status"] == "ok") == 3
    assert "broken.yaml:5:" in result.stderr and "Traceback" not in result.stderr


def test_manifest_tags_targets_and_packs(tmp_path: Path) -> None:
    pack = tmp_path / "strict"
    write(pack / "pack.yaml", {"name": "strict", "version": "1.0.0", "description": "d", "extends": "baseline"})
    write(
        tmp_path / "portfolio.yaml",
        {
            "name": "Group",
            "organisations": [
                {"name": "Energy", "path": str(ROOT / "examples" / "energy"), "tags": {"region": "emea"}},
                {
                    "name": "Telecom",
                    "path": str(ROOT / "examples" / "telecom"),
                    "target_stage": "initialisation",
                    "packs": ["strict"],
                },
            ],
        },
    )
    code, data = _portfolio(str(tmp_path / "portfolio.yaml"))
    energy, telecom = data["organisations"]
    assert data["name"] == "Group"
    assert energy["tags"] == {"region": "emea"} and energy["target_stage"] == "integration"
    assert telecom["target_stage"] == "initialisation" and telecom["meets_target"] is True
    assert code == 1


def test_manifest_errors_have_positions_and_stop_the_run(tmp_path: Path) -> None:
    write(
        tmp_path / "portfolio.yaml",
        "organisations:\n  - name: A\n    path: a\n    colour: red\n  - name: A\n    path: b\n",
    )
    result = cli("portfolio", str(tmp_path), "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "portfolio.yaml:2:5: Additional properties are not allowed ('colour' was unexpected)" in result.stderr


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "portfolio.yaml", {"organisations": [{"name": "A", "path": "a"}, {"name": "A", "path": "b"}]})
    result = cli("portfolio", str(tmp_path), "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "two organisations are named 'A'" in result.stderr


def test_unknown_target_stage_is_that_organisations_error(tmp_path: Path) -> None:
    write(
        tmp_path / "portfolio.yaml",
        {
            "organisations": [
                {"name": "E", "path": str(ROOT / "examples" / "energy"), "target_stage": "nirvana"},
                {"name": "T", "path": str(ROOT / "examples" / "telecom")},
            ]
        },
    )
    code, data = _portfolio(str(tmp_path))
    assert code == 2
    bad, good = data["organisations"]
    assert bad["status"] == "bad_input" and "'nirvana' is not a stage" in bad["problems"][0]["message"]
    assert bad["problems"][0]["line"] == 2
    assert good["status"] == "ok"


def test_every_format_renders_and_csv_cells_are_safe(orgs: Path, tmp_path: Path) -> None:
    shutil.move(orgs / "energy.yaml", orgs / "=HYPERLINK(1).yaml")
    out = tmp_path / "out"
    args = [a for f in PORTFOLIO_RENDERERS for a in ("--format", f)]
    result = cli("portfolio", str(orgs), "--as-of", AS_OF, "--jobs", "1", "--output-dir", str(out), *args)
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(PORTFOLIO_FILE_NAMES.values())
    rows = list(csv.DictReader(io.StringIO((out / "portfolio.csv").read_text(encoding="utf-8"))))
    assert rows[0]["name"] == "'=HYPERLINK(1)"
    assert "<svg" in (out / "portfolio.html").read_text(encoding="utf-8")
    assert "| automotive |" in (out / "portfolio.md").read_text(encoding="utf-8")


def test_evidence_bundle_verifies(orgs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("portfolio", "orgs", "--as-of", AS_OF, "--jobs", "1", "--evidence", "bundle")
    assert result.exit_code == 1, result.output
    manifest = json.loads((tmp_path / "bundle" / "manifest.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(load_schema("manifest")).validate(manifest)
    assert manifest["organisations"] == 3 and manifest["stage"] == "initialisation"
    assert {i["path"] for i in manifest["inputs"]} >= {"orgs/energy.yaml", "orgs/telecom/inventory.yaml"}
    verified = cli("verify", "bundle")
    assert verified.exit_code == 0, verified.output
    (tmp_path / "orgs" / "energy.yaml").write_text("changed", encoding="utf-8")
    assert cli("verify", "bundle").exit_code != 0


def test_output_may_not_replace_an_input(orgs: Path) -> None:
    result = cli("portfolio", str(orgs), "--as-of", AS_OF, "-o", str(orgs / "energy.yaml"))
    assert result.exit_code == 2 and "refusing to overwrite" in result.stderr


def test_pool_and_serial_reports_are_identical(orgs: Path) -> None:
    write(orgs / "broken.yaml", "organisation: [\n")
    runs = [
        cli("portfolio", str(orgs), "--as-of", AS_OF, "--format", "json", "--jobs", jobs).stdout for jobs in ("1", "2")
    ]
    assert runs[0] == runs[1] and '"bad_input"' in runs[0]


def test_usable_cores_honours_a_cgroup_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert workers._cgroup_quota(tmp_path) == 2
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert workers._cgroup_quota(tmp_path) is None
    assert workers.usable_cores() >= 1


def test_unreachable_scheduler_is_a_usage_error(orgs: Path) -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    result = cli("portfolio", str(orgs), "--as-of", AS_OF, "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2 and "cannot reach the Dask scheduler" in result.stderr


def test_progress_is_drawn_only_on_a_terminal(orgs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.cli import portfolio as portfolio_cli
    from engine.report.portfolio import UnitResult

    quiet = cli("portfolio", str(orgs), "--as-of", AS_OF, "--jobs", "1")
    assert quiet.stderr == ""  # not a terminal: nothing but problems would be written there

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(portfolio_cli.sys, "stderr", screen)
    progress = portfolio_cli._Progress(2)
    progress(UnitResult("a", "a", (), "ok"))
    progress(UnitResult("b", "b", (), "bad_input"))
    progress.close()
    drawn = screen.getvalue()
    assert "2/2" in drawn and "failed=1" in drawn


def test_a_unit_is_checked_for_what_its_result_keeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """A portfolio counts each organisation's findings and never shows one, nor its departments'
    stages, so its check skips finding them in the files (for a YAML file read fast, a second
    pass over the text) and assessing each department: the same findings, each at UNLOCATED,
    the file's positions never walked, the same assessment of the organisation."""
    import dataclasses
    import datetime as dt

    from engine import pipeline
    from engine.evaluate.findings import UNLOCATED
    from engine.inputs import yaml_fast
    from engine.policy import policies

    rules = policies.load(pipeline.default_policies())  # compiled once, as a portfolio worker does
    options = pipeline.CheckOptions(inventory=(str(ROOT / "examples" / "energy"),), as_of=dt.date(2026, 10, 1))
    located = pipeline.run_check(options, compiled=rules)
    assert located.findings and all(f.location.line > 0 for f in located.findings)

    def walked(text: str) -> dict:
        raise AssertionError("positions walked for a check that does not locate its findings")

    monkeypatch.setattr(yaml_fast, "marks_of", walked)
    unlocated = pipeline.run_check(dataclasses.replace(options, detail=False), compiled=rules)
    assert [dataclasses.replace(f, location=UNLOCATED) for f in located.findings] == list(unlocated.findings)
    assert unlocated.summary == located.summary and located.assessment.departments
    assert unlocated.assessment == dataclasses.replace(located.assessment, departments=())
    # ... and a portfolio worker checks a unit that way
    from engine.portfolio.organisation import Settings, check_unit, compiled
    from engine.portfolio.units import Unit

    monkeypatch.undo()
    compiled(())  # the worker's policies, compiled once before its first unit
    monkeypatch.setattr(yaml_fast, "marks_of", walked)
    result = check_unit(Unit("energy", str(ROOT / "examples" / "energy")), Settings((), dt.date(2026, 10, 1)))
    assert result.status == "ok" and result.findings == located.summary.findings, result
