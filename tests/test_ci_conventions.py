"""What a CI log and a first-time user get from a check (issue 18.2): the one-line summary on
stderr (unless --quiet), default flags from smgov.toml / [tool.smgov] with the precedence
flags > environment > file, --select/--skip for one run, and `smgov examples`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import pipeline
from engine.cli.app import main
from engine.policy import policies
from tests.helpers import ROOT

EXAMPLE = str(ROOT / "examples" / "automotive")


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory outside the repository (no configuration file above it)."""
    (tmp_path / ".git").mkdir()  # the search for a configuration file stops here
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_check_with_output_dir_ends_with_a_summary_that_says_why_it_failed(elsewhere: Path) -> None:
    out = elsewhere / "ci"
    result = run(
        "check", EXAMPLE, "--as-of", "2026-10-01", "--format", "sarif", "--format", "junit", "--output-dir", str(out)
    )
    assert result.exit_code == 1 and result.stdout == ""
    data = json.loads(run("check", EXAMPLE, "--as-of", "2026-10-01", "--format", "json", "-q").stdout)
    by = data["summary"]["by_severity"]
    counts = ", ".join(f"{by[s]} {s}" for s in ("critical", "high", "medium", "low", "info") if by.get(s))
    stage = data["assessment"]["organisation"]["stage"]
    failing = by.get("critical", 0) + by.get("high", 0)
    assert result.stderr.splitlines() == [
        f"smgov: {data['summary']['findings']} findings ({counts}); stage {stage} (target "
        f"{data['assessment']['target']['stage']}); {failing} at or above --fail-on high: exit 1; "
        f"wrote {out / 'report.sarif'}, {out / 'report.junit.xml'}"
    ]


def test_quiet_prints_nothing_on_stderr_and_keeps_the_exit_code(elsewhere: Path) -> None:
    result = run("check", EXAMPLE, "--as-of", "2026-10-01", "--quiet", "-o", str(elsewhere / "r.txt"))
    assert result.exit_code == 1 and result.stdout == "" and result.stderr == ""
    never = run("check", EXAMPLE, "--as-of", "2026-10-01", "--fail-on", "never")
    assert never.exit_code == 0 and never.stderr.rstrip().endswith("--fail-on never: exit 0")


def _failing_on(result) -> str:
    return result.stderr.split("at or above --fail-on ")[1].split(":")[0]


def test_defaults_come_from_smgov_toml_and_flags_and_environment_win(elsewhere: Path) -> None:
    (elsewhere / "smgov.toml").write_text('fail-on = "critical"\n[check]\nas-of = "2026-10-01"\n')
    result = run("check", EXAMPLE)
    assert result.exit_code == 0 and _failing_on(result) == "critical"  # automotive has no critical finding
    assert _failing_on(run("check", EXAMPLE, env={"SMGOV_CHECK_FAIL_ON": "medium"})) == "medium"  # env > file
    flag = run("check", EXAMPLE, "--fail-on", "high", env={"SMGOV_CHECK_FAIL_ON": "medium"})
    assert flag.exit_code == 1 and _failing_on(flag) == "high"  # flag > env


def test_tool_smgov_in_pyproject_is_read_from_a_subdirectory(elsewhere: Path, monkeypatch) -> None:
    (elsewhere / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.smgov.check]\nfail-on = "never"\n')
    (elsewhere / "sub").mkdir()
    monkeypatch.chdir(elsewhere / "sub")
    assert run("check", EXAMPLE, "--as-of", "2026-10-01").exit_code == 0


def test_a_misspelt_configuration_key_is_a_usage_error_with_a_suggestion(elsewhere: Path) -> None:
    (elsewhere / "smgov.toml").write_text('[check]\nfail-onn = "never"\n')
    result = run("check", EXAMPLE)
    assert result.exit_code == 2 and "unknown option 'check.fail-onn' (did you mean 'fail-on'?)" in result.output
    (elsewhere / "smgov.toml").write_text("fail_on = ")
    bad = run("check", EXAMPLE)
    assert bad.exit_code == 2 and "not a readable TOML file" in bad.output and "Traceback" not in bad.output


def test_an_explicit_config_file(elsewhere: Path) -> None:
    config = elsewhere / "gate.toml"
    config.write_text('[tool.smgov.check]\nfail-on = "never"\n')
    assert run("--config", str(config), "check", EXAMPLE, "--as-of", "2026-10-01").exit_code == 0


def test_select_and_skip_by_id_and_tag(elsewhere: Path) -> None:
    def rule_ids(*args: str) -> set[str]:
        data = json.loads(run("check", EXAMPLE, "--as-of", "2026-10-01", "--format", "json", "-q", *args).stdout)
        return {r["id"] for r in data["rules"]}

    loaded = policies.load(pipeline.default_policies())
    tags = [t for r in loaded.rules for t in r.tags]  # the baseline's rules, whatever they are today
    tag = next(t for t in tags if tags.count(t) >= 2)
    tagged = {r.id for r in loaded.rules if tag in r.tags}
    first = sorted(tagged)[0]
    every = rule_ids()
    assert every == {r.id for r in loaded.rules}
    assert rule_ids("--select", first) == {first}
    assert rule_ids("--select", tag) == tagged and tagged < every
    assert rule_ids("--skip", tag) == every - tagged
    assert rule_ids("--select", tag, "--skip", first) == tagged - {first}
    typo = run("check", EXAMPLE, "--select", "BND-ACC-01")
    assert typo.exit_code == 2 and "no rule has the id or tag 'BND-ACC-01' (did you mean" in typo.output


def test_the_help_example_works_outside_the_repository(tmp_path: Path) -> None:
    where = subprocess.run([sys.executable, "-m", "engine", "examples"], capture_output=True, text=True, cwd=tmp_path)
    examples = Path(where.stdout.strip())
    assert (examples / "automotive").is_dir()
    assert 'smgov check "$(smgov examples)/automotive"' in run("--help").stdout
    result = subprocess.run(
        [sys.executable, "-m", "engine", "check", str(examples / "automotive"), "--as-of", "2026-10-01"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 1 and "findings (" in result.stdout


def test_examples_are_in_the_wheel() -> None:
    import tomllib

    include = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert include["force-include"]["examples"] == "engine/_data/examples"


def test_the_documented_shell_completion_line_produces_a_completion_function() -> None:
    smgov = Path(sys.executable).parent / "smgov"
    if not smgov.exists():  # pragma: no cover - the suite always runs from an installed venv
        pytest.skip("the smgov script is not installed beside this Python")
    assert '"$(_SMGOV_COMPLETE=bash_source smgov)"' in (ROOT / "README.md").read_text()
    script = subprocess.run([str(smgov)], env={"_SMGOV_COMPLETE": "bash_source"}, capture_output=True, text=True)
    assert "complete -o nosort -F _smgov_completion smgov" in script.stdout
