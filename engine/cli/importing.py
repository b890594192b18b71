"""``smgov import``: account lists in, an inventory and an import report out."""

from __future__ import annotations

import sys

import click

from engine.cli.common import EXIT_INPUT, EXIT_OK, NonEmptyPath, _emit, guarded, refuse_overwriting
from engine.inputs.importers import document
from engine.inputs.importers.mapping import describe_built_in, resolve
from engine.report.output import Write, write_all


@click.command("import")
@click.argument("sources", nargs=-1, type=NonEmptyPath(dir_okay=False))
@click.option(
    "--mapping", "-m", "mapping", help="A mapping file (schemas/mapping.schema.json) or a built-in mapping's name."
)
@click.option("--output", "-o", type=NonEmptyPath(dir_okay=False), help="Write the inventory here (atomically).")
@click.option("--format", "fmt", type=click.Choice(document.FORMATS), default="json", show_default=True)
@click.option(
    "--report", "report_file", type=NonEmptyPath(dir_okay=False), help="Also write the import report as JSON."
)
@click.option("--encoding", help="The CSV files' text encoding (default UTF-8, with or without a BOM).")
@click.option("--organisation", help="The organisation's name (default: the mapping's).")
@click.option(
    "--without-organisation",
    "part",
    is_flag=True,
    help="Write no organisation block: the accounts go beside an inventory that has one (a directory is merged).",
)
@click.option(
    "--strict", is_flag=True, help="Exit 2, writing no inventory, when any row was dropped, changed or doubtful."
)
@click.option("--list-mappings", is_flag=True, help="List the built-in mappings and exit.")
@guarded
def import_command(
    sources: tuple[str, ...],
    mapping: str | None,
    output: str | None,
    fmt: str,
    report_file: str | None,
    encoding: str | None,
    organisation: str | None,
    part: bool,
    strict: bool,
    list_mappings: bool,
) -> None:
    """Turn account lists (CSV, XLSX/ODS spreadsheets, JSON) into an inventory.

    Every row dropped, changed or doubtful is reported as file:row:column: what and why
    (on standard error; all of them in JSON with --report). Re-importing the same files gives
    the same inventory, byte for byte, with the same ids. Exit 0 when the inventory is
    written, 2 on bad input (or, with --strict, on any reported row), 3 on an internal error.

    \b
    Examples:
      smgov import --list-mappings
      smgov import accounts.csv --mapping generic-accounts -o inventory.json
      smgov import registry.json --mapping us-digital-registry --format yaml -o org.yaml --report import.json
    """
    if list_mappings:
        rows = describe_built_in()
        width = max(len(name) for name, _ in rows)
        _emit("".join(f"{name:<{width}}  {text}\n" for name, text in rows), None)
        sys.exit(EXIT_OK)
    if not sources:
        raise click.UsageError("give at least one SOURCE file (or --list-mappings)")
    if not mapping:
        raise click.UsageError("give --mapping FILE or a built-in mapping (smgov import --list-mappings)")
    inputs = [(path, "source") for path in sources]
    mapping_path = str(resolve(mapping))
    writes = [Write(output, "--output") if output else None, Write(report_file, "--report") if report_file else None]
    refuse_overwriting(writes, [*inputs, (mapping_path, "mapping")])
    imported = document.run(list(sources), mapping_path, encoding, organisation, part)
    report = imported.report
    report.output = output or ""
    click.echo(report.to_text(), err=True, nl=False)
    failed = strict and bool(report.issues)
    files = {report_file: report.to_json()} if report_file else {}
    if not failed and output:
        files[output] = document.render(imported.document, fmt)
    write_all(files)
    if failed:
        click.echo(f"smgov: --strict: {len(report.issues)} row issue(s); no inventory written", err=True)
        sys.exit(EXIT_INPUT)
    if not output:
        _emit(document.render(imported.document, fmt), None)
    sys.exit(EXIT_OK)
