"""The report-keeping commands: ``smgov verify`` (evidence bundles) and ``smgov trend``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from engine.cli.common import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, _emit, guarded, output_write, refuse_overwriting
from engine.cli.config import repository_root
from engine.report.output import OutputError

SIGN_KEY = click.option(
    "--sign-key",
    type=click.Path(dir_okay=False, exists=True),
    help="Sign the evidence manifest with this Ed25519 private key (PEM; needs smgov[sign]).",
)


def evidence_problem(directory: str | None, sign_key: str | None = None) -> None:
    """Refuse, before checking anything, a bundle directory that may not be replaced."""
    if sign_key and not directory:
        raise click.UsageError("--sign-key signs an evidence bundle: give --evidence DIR too")
    if directory:
        from engine.report import evidence

        problem = evidence.replace_problem(directory)
        if problem:
            raise click.UsageError(problem)


def write_evidence(report: Any, directory: str, quiet: bool = False, sign_key: str | None = None) -> None:
    """Write the evidence bundle of a check (every format and manifest.json) to ``directory``."""
    from engine.report import evidence

    command = ["smgov", *click.get_current_context().meta.get("smgov.argv", [])]
    try:
        root = repository_root(Path.cwd()) or Path.cwd()
        evidence.write_bundle(report, directory, command, root, sign_key)
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
    help="Where the inputs are looked up (default: the root the manifest records, if it is here).",
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False, exists=True),
    help="A trusted Ed25519 public key (PEM): the bundle must be signed by it (needs smgov[sign]).",
)
@guarded
def verify(directory: str, base: str | None, key: str | None) -> None:
    """Verify an evidence bundle (smgov check --evidence DIR): recompute the sha256 of every
    input and output in its manifest.json, check the manifest's own fields against its seal
    (and its signature, by --key when given), and say what changed. Exit 0 when nothing did,
    1 when anything did, 2 when DIRECTORY is not a bundle. It reads only the bundle's files
    and the inputs under the recorded root (or --base) and the installed built-in packs.

    \b
    Example:
      smgov verify evidence/2026-10-01
    """
    from engine.report import evidence

    try:
        result = evidence.verify(directory, base, key)
    except evidence.BundleError as exc:
        click.echo(f"smgov: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    for change in result.changes:
        click.echo(change.describe())
    for note in result.notes:
        click.echo(f"note: {note}")
    m = result.manifest
    where = f"{directory} (smgov {m['tool']['version']}, as of {m['as_of']})"
    if result.ok:
        click.echo(f"ok: {where}: {result.checked} files and the manifest, none changed; {result.signature}")
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
