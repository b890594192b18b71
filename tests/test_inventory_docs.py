"""docs/inventory.md is generated from the inventory schema and kept current; every field of
the schema has a description and an example, and every example is valid for its field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from engine.authoring import inventorydocs
from engine.inputs.schemas import load_schema
from tests.helpers import ROOT, cli, write


def _fields() -> Iterator[tuple[str, dict[str, Any]]]:
    schema = load_schema("inventory")

    def walk(node: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, field in node.get("properties", {}).items():
            yield f"{where}{name}", field
            yield from walk(field, f"{where}{name}.")

    yield from walk(schema, "")
    for kind, record in schema["$defs"].items():
        yield from walk(record, f"{kind}.")


FIELDS = dict(_fields())


def test_the_page_is_current() -> None:
    expected = inventorydocs.render()
    assert (ROOT / "docs" / "inventory.md").read_text(encoding="utf-8") == expected, (
        "docs/inventory.md is stale: run `make docs`"
    )


def test_the_schema_has_many_fields() -> None:
    assert len(FIELDS) > 120


@pytest.mark.parametrize("path", sorted(FIELDS))
def test_every_field_has_a_description_and_a_valid_example(path: str) -> None:
    field = FIELDS[path]
    assert len(field.get("description", "")) >= 10, f"{path}: no description"
    assert field.get("examples"), f"{path}: no example"
    schema = load_schema("inventory")
    for example in field["examples"]:
        jsonschema.Draft202012Validator({**field, "$defs": schema["$defs"]}).validate(example)


def test_every_field_is_on_the_page() -> None:
    page = (ROOT / "docs" / "inventory.md").read_text(encoding="utf-8")
    kinds = load_schema("inventory")["$defs"]
    for path in FIELDS:
        first, _, rest = path.partition(".")
        name = rest if rest and first in kinds else path  # a record's fields are listed by their own name
        assert f"`{name}`" in page, path


def test_the_documented_modeline_file_validates(tmp_path) -> None:
    """An inventory written as the page shows (the editor modeline, a `$schema` in JSON) checks."""
    modeline = "# yaml-language-server: $schema=../schemas/inventory.schema.json\n"
    path = write(tmp_path / "org.yaml", modeline + "organisation: {name: Acme}\n")
    assert cli("validate", str(path)).exit_code == 0
