"""``smgov portfolio``: many organisations in one command (the CLI side: options, progress,
writing the report, exit codes)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

import click

from engine.cli.common import (
    AS_OF,
    ENGINE,
    EXIT_FINDINGS,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_OK,
    NonEmptyPath,
    _emit,
    guarded,
    input_files,
    refuse_overwriting,
    report_options,
)
from engine.portfolio import check as portfolio_check
from engine.portfolio import workers
from engine.report.output import OutputError, Write, write_all
from engine.report.portfolio import UnitResult
from engine.report.render import PORTFOLIO_FILE_NAMES, PORTFOLIO_RENDERERS
from engine.vocabulary import at_or_above


class _Progress:
    """A progress bar on standard error when it is a terminal (tqdm: done, failed, time
    left), nothing otherwise. tqdm rather than rich: one small package with no dependencies,
    and a bar is all this needs."""

    def __init__(self, total: int) -> None:
        self.bar: Any = None
        self.failed = 0
        if sys.stderr is not None and sys.stderr.isatty() and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="org", file=sys.stderr, dynamic_ncols=True, leave=False)

    def __call__(self, result: UnitResult) -> None:
        if self.bar is None:
            return
        if result.status != "ok":
            self.failed += 1
            self.bar.set_postfix(failed=self.failed, refresh=False)
        self.bar.update(1)
        if self.bar.n >= self.bar.total:  # the last one: shown, whatever tqdm's refresh interval
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _exit_code(results: tuple[UnitResult, ...], fail_on: str) -> int:
    if any(u.status == "internal_error" for u in results):
        return EXIT_INTERNAL
    if any(u.status == "bad_input" for u in results):
        return EXIT_INPUT
    failing = fail_on != "never" and any(
        n and at_or_above(severity, fail_on) for u in results for severity, n in u.by_severity
    )
    return EXIT_FINDINGS if failing else EXIT_OK


@click.command()
@click.argument("paths", nargs=-1, required=True, type=NonEmptyPath())
@click.option(
    "--policies",
    "policy_dirs",
    multiple=True,
    type=NonEmptyPath(),
    help="Policy file or pack directory (repeatable) for every organisation without packs of its own in the "
    "manifest. Default: the built-in baseline pack.",
)
@report_options(PORTFOLIO_RENDERERS, "portfolio", "Exit 1 when any organisation has a finding at least this severe.")
@AS_OF
@ENGINE
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Worker processes on this machine (default: the usable cores, a container's CPU quota included).",
)
@click.option(
    "--scheduler",
    envvar=workers.SCHEDULER_VARIABLE,
    help="Run on an existing Dask cluster at this address (tcp://HOST:PORT; default $DASK_SCHEDULER_ADDRESS). "
    "Needs pip install 'smgov[dask]'.",
)
@guarded
def portfolio(
    paths: tuple[str, ...],
    policy_dirs: tuple[str, ...],
    formats: tuple[str, ...],
    output: str | None,
    output_dir: str | None,
    evidence_dir: str | None,
    fail_on: str,
    as_of: dt.datetime | None,
    engine: str,
    jobs: int | None,
    scheduler: str | None,
) -> None:
    """Check many organisations: each directory or file under PATH is one, or PATH is a
    portfolio.yaml manifest (name, path, tags, target_stage, packs of each organisation).

    Reports each organisation's stage, gates and findings by severity, and the rules
    failing in most organisations. An organisation whose input is bad is listed with its
    errors and the others are still checked; the exit code is then 2 (3 if an
    organisation met an internal error), else 1 if any finding is at or above --fail-on.

    \b
    Examples:
      smgov portfolio examples/portfolio.yaml --as-of 2026-10-01
      smgov portfolio orgs/ --jobs 4 --format html --output portfolio.html
      smgov portfolio portfolio.yaml --scheduler tcp://10.0.0.5:8786 --format json -o portfolio.json
      smgov portfolio orgs/ --evidence evidence/2026-10-01 --as-of 2026-10-01
    """
    chosen = tuple(dict.fromkeys(formats)) or ("text",)
    if output and output_dir:
        raise click.UsageError("give --output (one format) or --output-dir (any formats), not both")
    if len(chosen) > 1 and not output_dir:
        raise click.UsageError(f"{len(chosen)} formats need --output-dir (one file per format)")
    files = {output: chosen[0]} if output else {}
    if output_dir:
        files = {os.path.join(output_dir, PORTFOLIO_FILE_NAMES[f]): f for f in chosen}
    writes = [Write(path, "--output" if output else "--output-dir") for path in files]
    if evidence_dir:
        writes.append(Write(evidence_dir, "--evidence", replaces_directory=True))
    refuse_overwriting(writes, input_files(paths, "inventory") + input_files(policy_dirs, "policy"))
    if evidence_dir:
        from engine.report import evidence

        problem = evidence.replace_problem(evidence_dir)
        if problem:
            raise click.UsageError(problem)
    options = portfolio_check.PortfolioOptions(
        paths=paths,
        policies=policy_dirs,
        as_of=as_of.date() if as_of else None,
        engine=engine,
        jobs=jobs or workers.usable_cores(),
        scheduler=scheduler or None,
    )
    found, _ = portfolio_check.prepare(options)  # bad paths, manifests or policies: exit 2 before any work
    progress = _Progress(len(found.units))
    try:
        outcome = portfolio_check.run_portfolio(options, progress)
    except workers.WorkersUnavailable as exc:
        raise click.UsageError(str(exc)) from None
    finally:
        progress.close()
    report = outcome.report
    for unit in report.units:
        if unit.status != "ok":
            click.echo(f"smgov: {unit.name} ({unit.path}) was not checked:", err=True)
            for problem in unit.problems:
                click.echo(f"  {problem.format()}", err=True)
            if unit.error:
                click.echo(f"  internal error: {unit.error}", err=True)
    if files:
        write_all({path: PORTFOLIO_RENDERERS[fmt](report) for path, fmt in files.items()})
    else:
        _emit(PORTFOLIO_RENDERERS[chosen[0]](report), None)
    if evidence_dir:
        from engine.report import evidence

        command = ["smgov", *click.get_current_context().find_root().meta.get("smgov.argv", [])]
        try:
            portfolio_check.write_evidence(outcome, evidence_dir, command)
        except evidence.BundleError as exc:
            raise click.UsageError(str(exc)) from None
        except OSError as exc:
            raise OutputError(evidence_dir, exc.strerror or str(exc)) from None
        click.echo(f"smgov: wrote an evidence bundle to {evidence_dir}", err=True)
    sys.exit(_exit_code(report.units, fail_on))
