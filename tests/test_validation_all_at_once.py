"""Validation says everything in one run (issue 18.3): every unknown key of every object, the
references of what parsed even when the schema rejects other values, "did you mean" for
misspelt inventory keys (a key given twice, once misspelt, included), and ``"$schema"``."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import cli, write

INVENTORY = """\
organisation:
  name: Acme
  targt_stage: control
departments:
  - id: d1
    name: Marketing
acounts:
  - id: x1
accounts:
  - id: a1
    platform: x
    ownr: bob
    mfaa: true
    department: d9
  - id: a2
    platform: x
    owner: 12
    department: d1
    departmnt: d1
"""


def test_every_problem_of_every_layer_in_one_run(tmp_path: Path) -> None:
    path = write(tmp_path / "org.yaml", INVENTORY)
    result = cli("validate", str(path))
    assert result.exit_code == 2
    lines = [line.split(": ", 1)[1] for line in result.stderr.splitlines()[:-1]]
    assert [line.split(" (allowed")[0] for line in lines] == [
        "unknown key 'targt_stage'; did you mean 'target_stage'?",
        "unknown key 'acounts'; did you mean 'accounts' (also given)?",
        "unknown key 'ownr'; did you mean 'owner'?",  # both unknown keys of one object, in one run
        "unknown key 'mfaa'; did you mean 'mfa'?",
        "account 'a1' refers to department 'd9', which is not defined in 'departments' (accounts[0].department)",
        "expected text (or empty), got the number 12; in YAML an unquoted number is read as a number: "
        "put it in quotes to keep it as text (accounts[1].owner)",
        "unknown key 'departmnt'; did you mean 'department' (also given)?",
    ]
    assert result.stderr.splitlines()[-1] == "smgov: 7 input problems; nothing was checked"


def test_references_are_checked_across_files_when_one_file_is_rejected(tmp_path: Path) -> None:
    write(tmp_path / "org" / "a.yaml", {"organisation": {"name": "A", "size": 12}})  # size: not a number
    write(tmp_path / "org" / "b.yaml", {"accounts": [{"id": "a1", "platform": "x", "department": "nope"}]})
    result = cli("validate", str(tmp_path / "org"))
    assert result.exit_code == 2
    assert "(organisation.size)" in result.stderr
    assert "refers to department 'nope', which is not defined" in result.stderr


def test_a_schema_key_is_accepted_in_yaml_and_json(tmp_path: Path) -> None:
    schema = "https://smgov.invalid/schemas/inventory.schema.json"
    yaml_file = write(tmp_path / "y" / "org.yaml", {"$schema": schema, "organisation": {"name": "A"}})
    json_file = tmp_path / "j" / "org.json"
    json_file.parent.mkdir()
    json_file.write_text(json.dumps({"$schema": schema, "organisation": {"name": "A"}}))
    for path in (yaml_file, json_file):
        assert cli("validate", str(path)).exit_code == 0
        assert cli("check", str(path), "--fail-on", "never", "-q").exit_code == 0
    bad = write(tmp_path / "b" / "org.yaml", {"$schema": 3, "organisation": {"name": "A"}})
    assert cli("validate", str(bad)).exit_code == 2  # when given, it is text


def test_an_account_list_in_an_inventory_directory_is_not_skipped_silently(tmp_path: Path) -> None:
    org = tmp_path / "org"
    write(org / "inventory.yaml", {"organisation": {"name": "A"}})
    (org / "accounts.csv").write_text("id,platform\na1,x\n", encoding="utf-8")
    (org / ".cache").mkdir()
    (org / ".cache" / "old.csv").write_text("x\n", encoding="utf-8")  # hidden, as for inventory files
    for command in ("validate", "check"):
        result = cli(command, str(org))
        assert result.exit_code == 2, command
        assert "accounts.csv: an account list beside the inventory files is not read" in result.stderr
        assert "smgov import" in result.stderr and "old.csv" not in result.stderr
    (org / "accounts.csv").unlink()
    assert cli("validate", str(org)).exit_code == 0
