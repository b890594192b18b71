"""The pre-commit hooks check the user's changed files (issue 18.5): each hook of
.pre-commit-hooks.yaml is run the way pre-commit runs it (its `files` pattern chooses among the
changed files, then `entry + args + filenames`, in the repository's top directory), and fails
on the user's errors, passes on their good files, and never falls back to the built-in pack."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import ROOT, rule, write

HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
SMGOV = Path(sys.executable).parent / "smgov"


def run_hook(hook_id: str, repo: Path, changed: list[str], args: list[str] | None = None):
    """What pre-commit does with a hook: filter the changed files, append them to entry + args."""
    hook = HOOKS[hook_id]
    assert hook["pass_filenames"] is True and hook["language"] == "python"
    files = [f for f in changed if re.search(hook["files"], f)]
    entry = shlex.split(hook["entry"])
    assert entry[0] == "smgov"
    command = [str(SMGOV), *entry[1:], *(args or hook.get("args", [])), *files]
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if not SMGOV.exists():  # pragma: no cover - the suite runs from an installed venv
        pytest.skip("the smgov script is not installed beside this Python")
    (tmp_path / ".git").mkdir()
    shutil.copytree(ROOT / "examples" / "telecom", tmp_path / "org")
    shutil.copytree(ROOT / "tests" / "fixtures" / "render" / "policies", tmp_path / "policies" / "acme")
    write(tmp_path / ".github" / "workflows" / "ci.yml", {"on": "push", "jobs": {}})
    write(tmp_path / "package.json", '{"name": "site"}')
    return tmp_path


def test_validate_checks_the_changed_inventory_and_skips_other_yaml(repo: Path) -> None:
    result = run_hook(
        "smgov-validate", repo, ["org/inventory.yaml", ".github/workflows/ci.yml", "package.json", "a.md"]
    )
    assert result.returncode == 0, result.stderr
    assert "ok: validated 0 policy pack(s), 1 inventory(ies); 2 other file(s) skipped" in result.stdout


def test_validate_fails_on_the_users_error(repo: Path) -> None:
    inventory = repo / "org" / "inventory.yaml"
    inventory.write_text(inventory.read_text(encoding="utf-8").replace("  name:", "  nmae:", 1), encoding="utf-8")
    result = run_hook("smgov-validate", repo, ["org/inventory.yaml"])
    assert result.returncode == 2
    assert "org/inventory.yaml:" in result.stderr and "unknown key 'nmae'" in result.stderr


def test_a_changed_rule_file_validates_its_pack(repo: Path) -> None:
    rules = next((repo / "policies" / "acme").glob("*.yaml"))
    changed = [str(rules.relative_to(repo))]
    assert run_hook("smgov-policy-validate", repo, changed).returncode == 0
    rules.write_text(rules.read_text(encoding="utf-8").replace("severity:", "severty:", 1), encoding="utf-8")
    broken = run_hook("smgov-policy-validate", repo, changed)
    assert broken.returncode == 2 and str(rules.relative_to(repo)) in broken.stderr


def test_with_no_smgov_file_changed_nothing_is_checked_and_it_says_so(repo: Path) -> None:
    result = run_hook("smgov-validate", repo, [".github/workflows/ci.yml"])
    assert result.returncode == 0
    assert "0 policy pack(s), 0 inventory(ies); 1 other file(s) skipped" in result.stdout


def test_check_fails_on_findings_of_the_changed_inventory(repo: Path) -> None:
    result = run_hook("smgov-check", repo, ["org/inventory.yaml"], ["--fail-on", "low"])
    assert result.returncode == 1 and "findings (" in result.stdout
    assert "examples/telecom" not in result.stdout  # the user's file, not the bundled example
    passing = run_hook("smgov-check", repo, ["org/inventory.yaml"], ["--fail-on", "never"])
    assert passing.returncode == 0


def test_policy_test_runs_the_tests_of_the_changed_pack(repo: Path) -> None:
    owner = rule("account", {"field": "owner", "exists": True}, id="T-OWN-001", message="Account {id} has no owner")
    pack = repo / "policies" / "mine"
    write(pack / "pack.yaml", {"name": "mine", "version": "0.1", "description": "test pack"})
    write(pack / "rules.yaml", {"version": 1, "rules": [owner]})
    accounts = {"accounts": [{"id": "a1", "platform": "x", "owner": "ann"}, {"id": "a2", "platform": "x"}]}

    def cases(expected: str) -> Path:
        case = {
            "name": "owner",
            "rules": ["T-OWN-001"],
            "inventory": accounts,
            "expect": [{"rule": "T-OWN-001", "subject": expected}],
        }
        return write(pack / "tests" / "rules.test.yaml", {"version": 1, "as_of": "2026-10-01", "cases": [case]})

    changed = [str(cases("a2").relative_to(repo))]
    result = run_hook("smgov-policy-test", repo, changed)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tested 1 policy pack(s)" in result.stdout
    cases("a1")  # the user's wrong expectation
    failing = run_hook("smgov-policy-test", repo, changed)
    assert failing.returncode == 1 and "FAIL" in failing.stdout


def test_pre_commit_try_repo_runs_the_hook_and_fails_on_the_users_error(repo: Path, tmp_path: Path) -> None:
    """The real thing: pre-commit installs this repository's hooks into its own environment
    (pip, from the package index pip is configured with) and runs smgov-validate on a
    repository whose inventory has an unknown key."""
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (it is in the test extra)")
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed: pre-commit needs it")
    inventory = repo / "org" / "inventory.yaml"
    inventory.write_text(inventory.read_text(encoding="utf-8").replace("  name:", "  nmae:", 1), encoding="utf-8")
    shutil.rmtree(repo / ".git")
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PRE_COMMIT_HOME": str(tmp_path / "pc"),
    }
    ident = ["-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    for command in (["init", "-q"], ["add", "-A"], [*ident, "commit", "-qm", "init"]):
        subprocess.run([git, *command], cwd=repo, env=env, check=True, capture_output=True)
    result = subprocess.run(
        [str(pre_commit), "try-repo", str(ROOT), "smgov-validate", "--all-files"],
        cwd=repo,
        env={**env, **{k: v for k, v in os.environ.items() if k.startswith("PIP_")}},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "smgov validate" in result.stdout and "Failed" in result.stdout
    assert "unknown key 'nmae'" in result.stdout
