"""``smgov schema``: print a bundled JSON Schema, the inventory's with the fields declared."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.cli.common import NonEmptyPath, _emit, guarded, output_write, refuse_overwriting
from engine.inputs import fields, schemas
from engine.inputs.diagnostics import InputError
from engine.inputs.sources import Source, read
from engine.policy.packs import expand_packs


def _declared(policy_dirs: tuple[str, ...], field_files: tuple[str, ...]) -> tuple[fields.Declared, ...]:
    """The fields the packs (and the packs they extend) and the given files declare, merged."""
    expansion, problems = expand_packs(policy_dirs)
    found = [d for pack in expansion.packs for d in pack.fields]
    for path in field_files:
        source = read(Path(path))
        if not isinstance(source, Source):
            problems.append(source)
            continue
        own, bad = fields.declarations(source)
        found.extend(own)
        problems.extend(bad)
    declared, clashes = fields.merge(found)
    problems.extend(clashes)
    if problems:
        raise InputError(problems)
    return declared


@click.command("schema")
@click.argument("name", required=False, default="inventory", metavar="[NAME]")
@click.option(
    "--policies",
    "policy_dirs",
    multiple=True,
    type=NonEmptyPath(),
    help="A pack (repeatable): the inventory schema includes the fields it declares.",
)
@click.option(
    "--inventory-fields",
    "field_files",
    multiple=True,
    type=NonEmptyPath(dir_okay=False),
    help="An inventory (or any YAML/JSON file) whose 'fields' block is included too (repeatable).",
)
@click.option("--list", "listing", is_flag=True, help="List the bundled schemas: name, $id and installed file.")
@click.option("-o", "--output", type=NonEmptyPath(dir_okay=False), help="Write to this file instead of stdout.")
@guarded
def schema(
    name: str, policy_dirs: tuple[str, ...], field_files: tuple[str, ...], listing: bool, output: str | None
) -> None:
    """Print the JSON Schema of a file format (default: inventory).

    NAME is one of the bundled schemas (smgov schema --list): inventory, policy, pack, waivers,
    baseline, report, fields ... The inventory schema printed is the effective one: with the
    fields that --policies packs and --inventory-fields files declare, and the 'fields' and
    'recorded' blocks described in full, for an editor's YAML/JSON support.

    \b
    Example:
      smgov schema inventory --policies policies/baseline -o inventory.schema.json
    """
    known = schemas.bundled()
    if listing:
        rows = [f"{n:<14} {schemas.load_schema(n)['$id']}  {path}" for n, path in known.items()]
        _emit("\n".join(rows) + "\n", output)
        return
    if name not in known:
        raise click.BadParameter(f"{name!r} is not a bundled schema (one of: {', '.join(known)})", param_hint="NAME")
    if (policy_dirs or field_files) and name != "inventory":
        raise click.UsageError("--policies and --inventory-fields shape the inventory schema only")
    refuse_overwriting([output_write(output)], [(p, "input") for p in (*policy_dirs, *field_files)])
    document = fields.editor_schema(_declared(policy_dirs, field_files)) if name == "inventory" else known[name]
    if isinstance(document, Path):
        document = schemas.load_schema(name)
    _emit(json.dumps(document, indent=2, ensure_ascii=False) + "\n", output)
