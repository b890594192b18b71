"""`smgov examples`: where the bundled example organisations are installed."""

from __future__ import annotations

import click

from engine.cli.common import _emit


@click.command("examples")
def examples_dir() -> None:
    """Print the directory of the bundled example organisations (installed with smgov).

    \b
    Example:
      smgov check "$(smgov examples)/telecom" --as-of 2026-10-01
    """
    from engine.inputs.schemas import data_dir

    _emit(f"{data_dir('examples')}\n", None)
