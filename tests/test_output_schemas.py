"""JSON written by `smgov rules` and `smgov policy impact` matches its schema in schemas/."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from engine.inputs.schemas import bundled, load_schema
from tests.helpers import ROOT, cli, write


def test_rules_json_matches_schema(tmp_path: Path) -> None:
    data = json.loads(cli("rules", "--format", "json").stdout)
    jsonschema.Draft202012Validator(load_schema("rules")).validate(data)
    pack = write(
        tmp_path / "mine" / "pack.yaml",
        {
            "name": "mine",
            "version": "1.0.0",
            "description": "ours",
            "extends": "baseline",
            "overrides": {
                "BND-ACC-002": {"disabled": True, "reason": "covered by SSO"},
                "BND-ACC-005": {"severity": "critical", "reason": "regulator asks"},
            },
        },
    )
    data = json.loads(cli("rules", "--policies", str(pack.parent), "--format", "json").output)
    jsonschema.Draft202012Validator(load_schema("rules")).validate(data)
    assert any("disabled" in r for r in data)


def test_impact_json_matches_schema(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    policy = {
        "version": 1,
        "rules": [
            {
                "id": "BND-ACC-001",
                "title": "Owner",
                "description": "d",
                "lever": "boundary",
                "stage": "initialisation",
                "severity": "high",
                "scope": "account",
                "require": {"field": "owner", "exists": True},
                "message": "no owner",
                "remediation": "r",
                "references": ["Altimeter-2013"],
            }
        ],
    }
    write(repo / "p" / "rules.yaml", policy)

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "base")
    policy["rules"][0]["severity"] = "low"
    write(repo / "p" / "rules.yaml", policy)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "policy",
            "impact",
            "--base",
            "HEAD",
            "--policies",
            "p",
            "--inventory",
            str(ROOT / "examples" / "telecom"),
            "--format",
            "json",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator(load_schema("impact")).validate(data)
    assert data["rules"][0]["status"] == "changed"


@pytest.mark.parametrize("name", sorted(bundled()))
def test_every_bundled_schema_is_a_valid_json_schema(name: str) -> None:
    """The checker does not validate its own bundled schemas on every run (``schemas._full``):
    this does, for each of them."""
    schema = load_schema(name)
    jsonschema.validators.validator_for(schema).check_schema(schema)
