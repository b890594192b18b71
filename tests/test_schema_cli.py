"""``smgov schema``: every bundled schema by name, the inventory's with declared fields."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from engine.inputs import schemas
from tests.helpers import cli, write


def test_every_bundled_schema_prints_by_name_and_matches_its_file() -> None:
    for name, path in schemas.bundled().items():
        if name == "inventory":
            continue
        result = cli("schema", name)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == json.loads(path.read_text())


def test_the_inventory_schema_includes_the_fields_a_pack_and_a_file_declare(tmp_path: Path) -> None:
    write(
        tmp_path / "pack" / "pack.yaml",
        {"name": "p", "version": "1", "description": "d", "fields": {"accounts": {"contact_email": "email"}}},
    )
    org = write(tmp_path / "org.yaml", {"fields": {"departments": {"code": {"enum": ["A", "B"]}}}})
    out = tmp_path / "inventory.schema.json"
    args = ["schema", "--policies", str(tmp_path / "pack"), "--inventory-fields", str(org), "-o", str(out)]
    result = cli(*args)
    assert result.exit_code == 0, result.output
    schema = json.loads(out.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    account = {"id": "a", "platform": "x", "contact_email": "a@b.org"}
    assert validator.is_valid({"accounts": [account], "departments": [{"id": "d", "name": "D", "code": "A"}]})
    assert not validator.is_valid({"accounts": [{**account, "contact_email": "nope"}]})
    assert not validator.is_valid({"accounts": [{**account, "contact_emial": "a@b.org"}]})
    plain = json.loads(cli("schema").output)
    assert "contact_email" not in plain["$defs"]["account"]["properties"]


def test_schema_refuses_an_unknown_name_and_a_bad_declaration(tmp_path: Path) -> None:
    result = cli("schema", "inventroy")
    assert result.exit_code == 2 and "not a bundled schema" in result.output
    bad = write(tmp_path / "f.yaml", "fields:\n  accounts:\n    x: emial\n")
    result = cli("schema", "--inventory-fields", str(bad))
    assert result.exit_code == 2
    assert f"{bad}:3:5: 'emial' is not one of: string" in result.output
    assert cli("schema", "report", "--policies", "policies/baseline").exit_code == 2


def test_the_bundled_ids_resolve_from_the_installed_package() -> None:
    registry = schemas.registry()
    for name in schemas.bundled():
        schema = schemas.load_schema(name)
        assert registry.contents(schema["$id"]) == schema
    pointer = {"$ref": "https://smgov.invalid/schemas/waivers.schema.json"}
    validator = jsonschema.Draft202012Validator(pointer, registry=registry)
    assert not validator.is_valid({"nonsense": 1})
    listing = cli("schema", "--list").output
    assert "inventory      https://smgov.invalid/schemas/inventory.schema.json" in listing
