"""docs/inventory.md: the inventory reference, generated from ``schemas/inventory.schema.json``.

Every field of the schema with its type in words, whether it is required, its description and
an example (both kept in the schema, so editors show the same text as the page). Run
``python -m engine.authoring.inventorydocs > docs/inventory.md`` (``make docs``);
``tests/test_inventory_docs.py`` fails when the page is stale.
"""

from __future__ import annotations

import json
from typing import Any

from engine.inputs.schemas import load_schema

HEADER = """\
# Inventory reference

<!-- Generated from schemas/inventory.schema.json by `make docs`
     (python -m engine.authoring.inventorydocs); edit the schema, not this page. -->

An inventory describes one organisation: a YAML or JSON file, or a directory whose `.yaml`,
`.yml` and `.json` files are merged (each record defined once). Every key below is checked:
an unknown or misspelt key is an error with a suggestion, and a value of the wrong type is
reported with its `file:line:col`. A field left out, or `null`, means "not recorded"; a rule
that needs it says so rather than guessing.

## Your editor checks it as you type

The schema is `schemas/inventory.schema.json` in this repository and inside the installed
package; `smgov schema inventory --policies my-pack -o inventory.schema.json` writes it, with
the fields your packs declare, where your editor can find it (`smgov schema --list` shows the
installed files).

- **VS Code** (the Red Hat *YAML* extension; JSON needs nothing): put a modeline on the first
  line of each YAML inventory file,

  ```yaml
  # yaml-language-server: $schema=../schemas/inventory.schema.json
  ```

  or map files to it once in `.vscode/settings.json`:

  ```json
  {"yaml.schemas": {"./schemas/inventory.schema.json": ["org/*.yaml"]},
   "json.schemas": [{"fileMatch": ["org/*.json"], "url": "./schemas/inventory.schema.json"}]}
  ```

- **JetBrains IDEs** (IntelliJ, PyCharm …): *Settings → Languages & Frameworks → Schemas and
  DTDs → JSON Schema Mappings*, add the schema file and the inventory files or directory; it
  serves YAML and JSON alike.
- **JSON files** may also name it themselves: `"$schema": "../schemas/inventory.schema.json"`
  (smgov accepts and ignores the key).

The editor then completes keys, shows each description below as you hover, and underlines a
misspelt key or a wrong value before smgov sees it.
"""

#: JSON Schema types in the words a compliance officer uses.
WORDS = {"string": "text", "integer": "whole number", "number": "number", "boolean": "true or false", "null": ""}


def _type(schema: dict[str, Any], node: dict[str, Any]) -> str:
    """A field's type in words."""
    if "x-references" in node:
        target = node["x-references"]
        return f"list of {target} ids" if _is_array(node) else f"a {_singular(target)} id"
    if ("$ref" in node and node["$ref"] == "#/$defs/date") or str(node.get("pattern", "")).startswith("^\\d{4}"):
        return "date (YYYY-MM-DD)"
    if "enum" in node:
        return "one of: " + ", ".join(f"`{v}`" for v in node["enum"] if v is not None)
    if "const" in node:
        return f"always `{json.dumps(node['const'])}`"
    if _is_array(node):
        items = node.get("items", {})
        ref = items.get("$ref", "")
        return f"list of {ref.rsplit('/', 1)[-1]} records" if ref else f"list of {_type(schema, items)}"
    types = node.get("type", [])
    names = [types] if isinstance(types, str) else list(types)
    if "object" in names:
        return "a mapping (below)"
    if "anyOf" in node:
        return " or ".join(_type(schema, branch) for branch in node["anyOf"] if branch.get("type") != "null")
    if "$ref" in node:
        return _type(schema, schema["$defs"][node["$ref"].rsplit("/", 1)[-1]])
    return " or ".join(WORDS.get(n, n) for n in names if n != "null") or "any"


def _is_array(node: dict[str, Any]) -> bool:
    types = node.get("type", [])
    return "array" in ([types] if isinstance(types, str) else types)


def _singular(collection: str) -> str:
    return {"processes": "process", "training": "training record"}.get(collection, collection.rstrip("s"))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _example(node: dict[str, Any]) -> str:
    examples = node.get("examples")
    return f"`{_cell(json.dumps(examples[0], ensure_ascii=False))}`" if examples else ""


def _table(schema: dict[str, Any], node: dict[str, Any], prefix: str = "", nest: bool = True) -> list[str]:
    required = set(node.get("required", []))
    rows = ["| field | type | required | what it is | example |", "|---|---|---|---|---|"]
    nested: list[tuple[str, dict[str, Any]]] = []
    for name, field in node.get("properties", {}).items():
        rows.append(
            f"| `{prefix}{name}` | {_cell(_type(schema, field))} | {'yes' if name in required else ''} "
            f"| {_cell(field.get('description', ''))} | {_example(field)} |"
        )
        if nest and "properties" in field:
            nested.append((f"{prefix}{name}.", field))
    for deeper, field in nested:
        rows += ["", *_table(schema, field, deeper)]
    return rows


def render() -> str:
    schema = load_schema("inventory")
    lines = [HEADER, "## The top level", "", *_table(schema, schema, nest=False), ""]
    top = schema["properties"]
    for section in ("organisation", "governance"):
        lines += [
            f"## `{section}`",
            "",
            top[section].get("description", ""),
            "",
            *_table(schema, top[section], f"{section}."),
            "",
        ]
    for collection, node in top.items():
        ref = node.get("items", {}).get("$ref") if _is_array(node) else None
        if not ref:
            continue
        kind = ref.rsplit("/", 1)[-1]
        record = schema["$defs"][kind]
        lines += [f"## `{collection}`: {kind} records", "", record.get("description", ""), ""]
        lines += [*_table(schema, record), ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # pragma: no cover - `make docs`
    print(render(), end="")
