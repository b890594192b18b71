"""The report-keeping commands: ``smgov verify`` (evidence bundles) and ``smgov trend``."""

from __future__ import annotations

import sys
from typing import Any

import click

from engine.cli.common import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, _emit, guarded, output_write, refuse_overwriting
from engine.report.output import OutputError


def evidence_problem(directory: str | None) -> None:
    """Refuse, before checking anything, a bundle directory that may not be replaced."""
    if directory:
        from engine.report import evidence

        problem = evidence.replace_problem(directory)
        if problem:
            raise click.UsageError(problem)


def write_evidence(report: Any, directory: str, quiet: bool = False) -> None:
    """Write the evidence bundle of a check (every format and manifest.json) to ``directory``."""
    from engine.report import evidence

    command = ["smgov", *click.get_current_context().meta.get("smgov.argv", [])]
    try:
        evidence.write_bundle(report, directory, command)
    except evidence.BundleError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise OutputError(directory, exc.strerror or str(exc)) from None
    if not quiet:
        click.echo(f"smgov: wrote an evidence bundle to {directory}", err=True)


@click.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option(
    "--base",
    type=click.Path(file_okay=False),
    help="Where relative input paths are looked up (default: the current directory, as when checked).",
)
@guarded
def verify(directory: str, base: str | None) -> None:
    """Verify an evidence bundle (smgov check --evidence DIR): recompute the sha256 of every
    input and output in its manifest.json and say what changed. Exit 0 when nothing did,
    1 when anything did, 2 when DIRECTORY is not a bundle.

    \b
    Example:
      smgov verify evidence/2026-10-01
    """
    from engine.report import evidence

    try:
        result = evidence.verify(directory, base)
    except evidence.BundleError as exc:
        click.echo(f"smgov: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    for change in result.changes:
        click.echo(change.describe())
    m = result.manifest
    where = f"{directory} (smgov {m['tool']['version']}, as of {m['as_of']})"
    if result.ok:
        click.echo(f"ok: {where}: {result.checked} files, none changed")
        sys.exit(EXIT_OK)
    click.echo(f"changed: {where}: {len(result.changes)} of {result.checked} files differ from the manifest")
    sys.exit(EXIT_FINDINGS)


@click.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the trend to this file (atomically).")
@guarded
def trend(reports: tuple[str, ...], fmt: str, output: str | None) -> None:
    """How the organisation's stage, each department's stage and the findings per lever
    changed across JSON reports kept over time (smgov check --format json), oldest first.
    The reports are checked against schemas/report.schema.json and must all be of one
    organisation (exit 2 otherwise).

    \b
    Examples:
      smgov trend reports/history/*.json
      smgov trend reports/history/*.json --format html --output trend.html
    """
    from engine.report import trend as trends

    refuse_overwriting([output_write(output)], [(path, "report") for path in reports])
    points = trends.load(reports)
    _emit(trends.render_html(points) if fmt == "html" else trends.render_markdown(points), output)
