"""`smgov check`: exit codes, --fail-on, formats, --output, determinism, isolation, positions."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from engine import pipeline
from engine.inputs.schemas import load_schema
from tests.helpers import ENGINES, ROOT, cli, needs_durable, write

POLICY = {
    "version": 1,
    "rules": [
        {
            "id": "BND-ACC-001",
            "title": "Owner",
            "description": "d",
            "lever": "boundary",
            "stage": "initialisation",
            "severity": "critical",
            "scope": "account",
            "require": {"field": "owner", "exists": True},
            "message": "Account {handle} has no owner",
            "remediation": "Name an owner.",
            "references": ["Altimeter-2013"],
        },
        {
            "id": "BND-ACC-002",
            "title": "MFA",
            "description": "d",
            "lever": "boundary",
            "stage": "initialisation",
            "severity": "medium",
            "scope": "account",
            "require": {"field": "mfa", "equals": True},
            "message": "Account {handle} has no MFA",
            "remediation": "Turn MFA on.",
            "references": ["Altimeter-2013"],
        },
        {
            "id": "DIA-MET-001",
            "title": "Targets",
            "description": "d",
            "lever": "diagnostic",
            "stage": "contagion",
            "severity": "low",
            "scope": "metric",
            "require": {"field": "target", "exists": True},
            "message": "{name} has no target",
            "remediation": "Set a target.",
            "references": ["MIP-2015"],
        },
    ],
}
INVENTORY = {
    "organisation": {"name": "Example <b>&</b> Co", "target_stage": "control"},
    "departments": [{"id": "mkt", "name": "Marketing"}],
    "accounts": [
        {"id": "a1", "platform": "x", "handle": "@one", "department": "mkt", "owner": "ann", "mfa": True},
        {"id": "a2", "platform": "x", "handle": "@two", "department": "mkt", "mfa": True},
        {"id": "a3", "platform": "facebook", "handle": "three", "owner": "bob", "mfa": False},
    ],
    "metrics": [{"id": "m1", "name": "Followers", "department": "mkt"}],
}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write(tmp_path / "p" / "rules.yaml", POLICY), write(tmp_path / "org.yaml", INVENTORY)


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def check(files: tuple[Path, Path], *args: str):
    policy, inventory = files
    return cli("check", str(inventory), "--policies", str(policy), "--as-of", "2026-10-01", *args)


def test_exit_1_on_findings_at_or_above_fail_on(files) -> None:
    assert check(files).exit_code == 1  # default high; a critical exists
    assert check(files, "--fail-on", "critical").exit_code == 1
    assert check(files, "--fail-on", "never").exit_code == 0


def test_exit_0_when_findings_are_below_fail_on(files, tmp_path: Path) -> None:
    inv = dict(INVENTORY, accounts=[a | {"owner": "x"} for a in INVENTORY["accounts"]])
    inventory = write(tmp_path / "fixed.yaml", inv)
    result = cli("check", str(inventory), "--policies", str(files[0]), "--as-of", "2026-10-01")
    assert result.exit_code == 0, result.output  # medium and low remain, below high
    assert "BND-ACC-002" in result.output


def test_text_report_groups_by_severity_with_location_and_fix(files) -> None:
    out = check(files).output
    assert out.index("CRITICAL (1)") < out.index("MEDIUM (1)") < out.index("LOW (1)")
    assert "BND-ACC-001 account a2: Account @two has no owner" in out
    assert f"at {files[1]}:{line_of(files[1], 'id: a2')}" in out
    assert "fix: Name an owner." in out
    assert "boundary" in out.split("CRITICAL")[0]  # lever summary first
    assert "\033[" not in out  # no colour when not a terminal


def test_json_report_validates_and_is_deterministic(files) -> None:
    first = check(files, "--format", "json").stdout
    second = check(files, "--format", "json").stdout
    assert first == second
    data = json.loads(first)
    jsonschema.Draft202012Validator(load_schema("report")).validate(data)
    assert [(f["rule_id"], f["subject"]["id"]) for f in data["findings"]] == [
        ("BND-ACC-001", "a2"),
        ("BND-ACC-002", "a3"),
        ("DIA-MET-001", "m1"),
    ]
    finding = data["findings"][0]
    assert finding["evidence"] == [{"field": "owner", "value": None}]
    assert finding["location"]["line"] == line_of(files[1], "id: a2")
    assert data["summary"]["by_severity"]["critical"] == 1
    assert data["inputs"][0]["role"] == "inventory" and len(data["inputs"][0]["sha256"]) == 64


def test_output_file_written_atomically(files, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.json"
    result = check(files, "--format", "json", "--output", str(target))
    assert result.exit_code == 1
    assert result.stdout == ""  # the report is in the file; stderr has the one-line summary
    assert result.stderr.startswith("smgov: ") and str(target) in result.stderr
    assert json.loads(target.read_text())["report_version"] == 1
    assert [p.name for p in target.parent.iterdir()] == ["report.json"]


def test_two_checks_in_one_process_share_no_state(files, tmp_path: Path) -> None:
    other = write(
        tmp_path / "other.yaml",
        {"organisation": {"name": "Other"}, "accounts": [{"id": "z1", "platform": "x", "owner": "o", "mfa": True}]},
    )
    options = pipeline.CheckOptions(inventory=(str(files[1]),), policies=(str(files[0]),))
    first = pipeline.run_check(options)
    pipeline.run_check(pipeline.CheckOptions(inventory=(str(other),), policies=(str(files[0]),)))
    again = pipeline.run_check(options)
    assert first == again


@pytest.mark.parametrize("engine", ENGINES)
def test_json_inventory_gives_the_same_findings_and_real_lines(files, tmp_path: Path, engine: str) -> None:
    as_json = tmp_path / "org.json"
    as_json.write_text(json.dumps(INVENTORY, indent=2))
    result = cli(
        "check",
        str(as_json),
        "--policies",
        str(files[0]),
        "--as-of",
        "2026-10-01",
        "--format",
        "json",
        "--engine",
        engine,
    )
    data = json.loads(result.stdout)
    yaml_data = json.loads(check(files, "--format", "json").stdout)
    assert [f["fingerprint"] for f in data["findings"]] == [f["fingerprint"] for f in yaml_data["findings"]]
    lines = as_json.read_text().splitlines()
    for finding in data["findings"]:
        line = lines[finding["location"]["line"] - 1]
        assert f'"id": "{finding["subject"]["id"]}"' in line, line  # the subject's id line


def test_json_positions_survive_strings_that_look_like_ids(tmp_path: Path, files) -> None:
    """A string value that contains an "id" key does not shift the items' lines."""
    inventory = {
        "organisation": {"name": "Tricky"},
        "accounts": [
            {"id": "a1", "platform": "x", "handle": "@one", "notes": 'copy of {"id": "a2"} and "id":"a3"'},
            {"id": "a2", "platform": "x", "handle": "@two", "notes": "ends with a backslash \\"},
            {"id": "a3", "platform": "x", "handle": "@three"},
        ],
    }
    for indent in (2, None):
        path = tmp_path / f"org-{indent}.json"
        path.write_text(json.dumps(inventory, indent=indent))
        result = cli("check", str(path), "--policies", str(files[0]), "--as-of", "2026-10-01", "--format", "json")
        data = json.loads(result.stdout)
        text = path.read_text()
        for finding in data["findings"]:
            if finding["rule_id"] != "BND-ACC-001":
                continue
            line, col = finding["location"]["line"], finding["location"]["col"]
            at = text.splitlines()[line - 1][col - 1 :]
            assert at.startswith(f'"id": "{finding["subject"]["id"]}"'), (indent, at[:40])


def test_json_error_positions_point_inside_items(tmp_path: Path, files) -> None:
    broken = dict(INVENTORY, accounts=[*INVENTORY["accounts"], {"id": "a4", "platform": "x", "onwer": "x"}])
    path = tmp_path / "org.json"
    path.write_text(json.dumps(broken, indent=2))
    result = cli("check", str(path), "--policies", str(files[0]))
    assert result.exit_code == 2
    lines = path.read_text().splitlines()
    line_no = int(result.output.split(":")[1])
    assert '"onwer"' in lines[line_no - 1]


@needs_durable
def test_durable_engine_gives_the_same_report(files) -> None:
    native = json.loads(check(files, "--format", "json").stdout)
    durable = json.loads(check(files, "--format", "json", "--engine", "durable").stdout)
    assert durable.pop("engine") == "durable" and native.pop("engine") == "native"
    assert durable == native


def test_rules_command_lists_rules(files) -> None:
    result = cli("rules", "--policies", str(files[0]))
    assert result.exit_code == 0
    assert "BND-ACC-001" in result.output and "3 rules" in result.output
    data = json.loads(cli("rules", "--policies", str(files[0]), "--format", "json").output)
    assert {r["id"]: r["lever"] for r in data}["DIA-MET-001"] == "diagnostic"


@pytest.mark.parametrize("command", [[], ["check"], ["validate"], ["rules"]])
def test_help_has_an_example(command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output


def test_usage_error_exits_2(files) -> None:
    assert check(files, "--fail-on", "sometimes").exit_code == 2
    assert check(files, "--as-of", "yesterday").exit_code == 2
    assert cli("check").exit_code == 2


def test_policy_yaml_on_key_is_a_string(tmp_path: Path, files) -> None:
    """YAML 1.1 reads a bare `on` key as true; our loader keeps keys as written."""
    first = dict(POLICY["rules"][0], require="REQUIRE")
    text = yaml.safe_dump({"version": 1, "rules": [first]}, sort_keys=False).replace(
        "REQUIRE", "{related: {collection: departments, on: {id: department}}}"
    )
    assert "on: {id: department}" in text
    policy = write(tmp_path / "q" / "rules.yaml", text)
    result = cli("check", str(files[1]), "--policies", str(policy), "--as-of", "2026-10-01", "--format", "json")
    ids = [(f["rule_id"], f["subject"]["id"]) for f in json.loads(result.stdout)["findings"]]
    assert ("BND-ACC-001", "a3") in ids and ("BND-ACC-001", "a1") not in ids


@needs_durable
def test_durable_refusal_is_a_clear_input_error(tmp_path: Path) -> None:
    policy = write(
        tmp_path / "p" / "rules.yaml",
        {
            "version": 1,
            "rules": [
                {
                    "id": "DIA-DEP-001",
                    "title": "Headcount",
                    "description": "d",
                    "lever": "diagnostic",
                    "stage": "initialisation",
                    "severity": "low",
                    "scope": "department",
                    "require": {"field": "headcount", "gte": 5},
                    "message": "{name}",
                    "remediation": "r",
                    "references": ["MIP-2015"],
                }
            ],
        },
    )
    inventory = write(
        tmp_path / "org.yaml",
        {"organisation": {"name": "Big"}, "departments": [{"id": "d1", "name": "Huge", "headcount": 2**60}]},
    )
    native = cli("check", str(inventory), "--policies", str(policy), "--as-of", "2026-10-01")
    assert native.exit_code == 0, native.output
    durable = cli("check", str(inventory), "--policies", str(policy), "--as-of", "2026-10-01", "--engine", "durable")
    assert durable.exit_code == 2
    assert "refused" in durable.output and "Traceback" not in durable.output


def test_check_restores_the_garbage_collector(files) -> None:
    import gc

    assert gc.isenabled()
    pipeline.run_check(pipeline.CheckOptions(inventory=(str(files[1]),), policies=(str(files[0]),)))
    assert gc.isenabled()
    gc.disable()
    try:
        pipeline.run_check(pipeline.CheckOptions(inventory=(str(files[1]),), policies=(str(files[0]),)))
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_findings_in_a_directory_point_into_the_file_of_each_subject(files, tmp_path: Path, suffix: str) -> None:
    """Accounts split over three files (one with none): each finding names its own file and
    the line of its subject's id."""
    org = tmp_path / "org"
    org.mkdir()
    parts = {
        "a": {"organisation": {"name": "Split"}, "accounts": [{"id": f"a{i}", "platform": "x"} for i in range(3)]},
        "b": {"departments": [{"id": "d1", "name": "D"}]},
        "c": {"accounts": [{"id": f"c{i}", "platform": "x", "owner": "o" if i % 2 else None} for i in range(4)]},
    }
    for name, data in parts.items():
        text = json.dumps(data, indent=2) if suffix == ".json" else yaml.safe_dump(data, sort_keys=False)
        (org / f"{name}{suffix}").write_text(text)
    result = cli("check", str(org), "--policies", str(files[0]), "--as-of", "2026-10-01", "--format", "json")
    findings = [f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "BND-ACC-001"]
    assert sorted(f["subject"]["id"] for f in findings) == ["a0", "a1", "a2", "c0", "c2"]
    for finding in findings:
        path = Path(finding["location"]["file"])
        assert path.name == finding["subject"]["id"][0] + suffix
        line = path.read_text().splitlines()[finding["location"]["line"] - 1]
        assert finding["subject"]["id"] in line, (finding["location"], line)


def test_validate_parses_an_inventory_file_once(monkeypatch, tmp_path: Path) -> None:
    """Telling policies from inventories reads the files; an inventory is not parsed again."""
    from engine.inputs import sources

    counted: dict[str, int] = {}
    original = sources.read

    def counting(path: Path) -> object:
        counted[str(Path(path).resolve())] = counted.get(str(Path(path).resolve()), 0) + 1
        return original(path)

    monkeypatch.setattr(sources, "read", counting)
    inventory = tmp_path / "org.json"
    inventory.write_text(json.dumps(INVENTORY))
    result = cli("validate", str(inventory), str(ROOT / "policies" / "baseline"))
    assert result.exit_code == 0, result.output
    assert counted[str(inventory.resolve())] == 1
    assert counted and set(counted.values()) == {1}


def test_durable_without_its_extra_says_how_to_install_it(files, monkeypatch: pytest.MonkeyPatch) -> None:
    """durable-rules is an optional extra: without it, --engine durable is a usage problem
    (exit 2) that names the extra, never a traceback; the default evaluator never needs it."""
    monkeypatch.setitem(pipeline.NEEDS_EXTRA, "durable", ("durable_rules_engine_not_installed", "durable"))
    result = check(files, "--engine", "durable")
    assert result.exit_code == 2
    assert "pip install 'smgov[durable]'" in result.output and "Traceback" not in result.output
    assert check(files, "--format", "json").exit_code in (0, 1)  # native: unaffected
