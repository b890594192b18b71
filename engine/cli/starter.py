"""``smgov init``: the starting files for a new organisation."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.authoring.starter import plan
from engine.cli.common import EXIT_INPUT, EXIT_OK, NonEmptyPath, guarded
from engine.report.output import OutputError, write_all


@click.command("init")
@click.argument("directory", type=NonEmptyPath(file_okay=False))
@guarded
def init(directory: str) -> None:
    """Write a starter inventory, a spreadsheet mapping and a policy pack into DIRECTORY.

    \b
    DIRECTORY/inventory/organisation.yaml  every section of an inventory, commented
    DIRECTORY/mapping.yaml                 how `smgov import` reads your spreadsheet
    DIRECTORY/policies/                    a pack that extends the baseline, and a rule of your own
    Existing files are never overwritten: if one is there, nothing is written (exit 2).

    \b
    Example:
      smgov init my-org
    """
    files, existing = plan(directory)
    if existing:
        for path in existing:
            click.echo(f"smgov: {path} exists: refusing to overwrite it", err=True)
        click.echo("smgov: nothing was written; choose another directory", err=True)
        sys.exit(EXIT_INPUT)
    try:
        for path in files:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(directory, exc.strerror or str(exc)) from None
    write_all(files)
    for path in files:
        click.echo(f"smgov: wrote {path}", err=True)
    root = Path(directory)
    click.echo(
        "next: fill in the inventory, then\n"
        f"  smgov import YOUR-SHEET.xlsx --mapping {root / 'mapping.yaml'} --without-organisation "
        f"-o {root / 'inventory' / 'accounts.json'}\n"
        f"  smgov check {root / 'inventory'} --policies {root / 'policies'}",
        err=True,
    )
    sys.exit(EXIT_OK)
