"""`smgov policy impact --base REF`: the same inventories under the policies at REF and now."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import cli, rule, write

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV, "HOME": str(repo)}
    subprocess.run(["git", "-c", "commit.gpgsign=false", *args], cwd=repo, check=True, capture_output=True, env=env)


OWNER = rule("account", {"field": "owner", "exists": True}, id="ACME-OWN-001", severity="high")
MFA = rule("account", {"field": "mfa", "equals": True}, id="ACME-MFA-001", severity="medium", stage="contagion")
INVENTORY = {
    "organisation": {"name": "Org"},
    "departments": [{"id": "d1", "name": "D1"}],
    "accounts": [
        {"id": "a1", "platform": "x", "handle": "@1", "department": "d1", "owner": "ann", "mfa": True},
        {"id": "a2", "platform": "x", "handle": "@2", "department": "d1", "mfa": True},
        {"id": "a3", "platform": "x", "handle": "@3", "department": "d1", "owner": "bob", "status": "dormant"},
    ],
}


def save(repo: Path, rules: list[dict[str, Any]]) -> None:
    write(repo / "policies" / "acme" / "pack.yaml", {"name": "acme", "version": "1", "description": "Acme"})
    write(repo / "policies" / "acme" / "rules.yaml", {"version": 1, "rules": rules})


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    save(root, [OWNER, MFA])
    write(root / "org" / "inventory.yaml", INVENTORY)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "policies v1")
    # the change under review: the owner rule gets milder and only covers accounts whose
    # status is active (a2 has none); the MFA rule becomes high
    owner = {**OWNER, "severity": "medium", "when": {"field": "status", "equals": "active"}}
    mfa = {**MFA, "severity": "high"}
    save(root, [owner, mfa])
    git(root, "commit", "-q", "-am", "policies v2")
    monkeypatch.chdir(root)
    return root


def impact(*args: str) -> Any:
    return cli("policy", "impact", "--policies", "policies/acme", "--inventory", "org", "--as-of", "2026-10-01", *args)


def test_impact_of_a_severity_and_condition_change(repo: Path) -> None:
    result = impact("--base", "HEAD~1")
    assert result.exit_code == 0, result.output
    md = result.output
    assert md.startswith("## smgov policy impact: `HEAD~1` → working tree\n")
    assert "**2 rules changed**; findings: **+0 / −1** (2 → 1); **" in md
    # a2 has no status: the new `when` no longer selects it
    assert (
        "| `ACME-OWN-001` test rule | severity high → medium; when condition changed | — | −1<br>org: account `a2` |"
    ) in md
    assert "| `ACME-MFA-001` test rule | severity medium → high | — | — |" in md
    assert "### Stage changes" in md and "| `org` | organisation | none | initialisation |" in md


def test_impact_against_the_same_revision_changes_nothing(repo: Path) -> None:
    result = impact("--base", "HEAD", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rules"] == [] and data["stages"] == [] and data["findings_before"] == data["findings_after"] == 1


def test_impact_sees_uncommitted_changes_and_new_rules(repo: Path) -> None:
    save(repo, [OWNER, MFA, rule("account", {"field": "backup_owner", "exists": True}, id="ACME-BCK-001")])
    out = repo / "impact.md"
    result = impact("--base", "HEAD", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert (
        "| `ACME-BCK-001` test rule | new rule | +3<br>org: account `a1`<br>org: account `a2`<br>"
        "org: account `a3` | — |" in text
    )


def test_impact_bad_input_is_exit_2(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    result = impact("--base", "no-such-branch")
    assert result.exit_code == 2 and "--base: unknown git revision 'no-such-branch'" in result.output
    save(repo, [{**OWNER, "require": {"field": "onwer", "exists": True}}])
    git(repo, "commit", "-q", "-am", "broken")
    save(repo, [OWNER])
    result = impact("--base", "HEAD")
    assert result.exit_code == 2
    assert "HEAD:policies/acme/rules.yaml:" in result.output and "unknown field 'onwer'" in result.output
    outside = tmp_path / "outside"
    outside.mkdir()
    write(outside / "org.yaml", INVENTORY)
    monkeypatch.chdir(outside)
    result = cli("policy", "impact", "--base", "HEAD", "--inventory", "org.yaml")
    assert result.exit_code == 2
    assert "not inside a git checkout" in result.output and "Traceback" not in result.output


def test_a_pack_that_does_not_exist_at_the_base_adds_every_rule(repo: Path) -> None:
    write(repo / "policies" / "new" / "pack.yaml", {"name": "new", "version": "1", "description": "New"})
    write(repo / "policies" / "new" / "rules.yaml", {"version": 1, "rules": [OWNER]})
    result = cli(
        "policy",
        "impact",
        "--base",
        "HEAD",
        "--policies",
        "policies/new",
        "--inventory",
        "org",
        "--as-of",
        "2026-10-01",
    )
    assert result.exit_code == 0, result.output
    assert "| `ACME-OWN-001` test rule | new rule | +1<br>org: account `a2` | — |" in result.output
    assert "| `org` | organisation | — | none |" in result.output


def test_impact_never_writes_over_the_policies_or_inventories_it_compares(repo: Path) -> None:
    rules = repo / "policies" / "acme" / "rules.yaml"
    inventory = repo / "org" / "inventory.yaml"
    before = rules.read_bytes(), inventory.read_bytes()
    for target, role in (("policies/acme/rules.yaml", "policy"), ("org/inventory.yaml", "inventory")):
        result = impact("--base", "HEAD~1", "-o", target)
        assert result.exit_code == 2, result.output
        assert f"--output {target} is an input of this command ({role})" in result.stderr
    assert (rules.read_bytes(), inventory.read_bytes()) == before
