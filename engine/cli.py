"""The command line: the only module that touches the terminal and maps outcomes to exit codes.

Exit codes: 0 no finding at or above --fail-on (``plan``: at or above the target stage);
1 there are (``plan``: below the target); 2 bad input or usage; 3 internal error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn

import click

from engine import __version__, pipeline, policies
from engine.diagnostics import InputError
from engine.evaluation import EvaluatorRefused
from engine.levels import SEVERITIES, at_or_above
from engine.output import write_atomic
from engine.render import RENDERERS
from engine.render import text as text_renderer

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3


def _fail_input(error: InputError) -> NoReturn:
    for diagnostic in error.diagnostics:
        click.echo(diagnostic.format(), err=True)
    count = len(error.diagnostics)
    click.echo(f"smgov: {count} input problem{'s' if count != 1 else ''}; nothing was checked", err=True)
    sys.exit(EXIT_INPUT)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input -> its diagnostics and exit 2; anything unexpected -> exit 3, no traceback
    unless SMGOV_DEBUG is set."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            _fail_input(exc)
        except EvaluatorRefused as exc:
            click.echo(f"smgov: the evaluator refused these policies: {exc}", err=True)
            click.echo("smgov: run with --engine native (the default)", err=True)
            sys.exit(EXIT_INPUT)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # the contract: never a traceback, exit 3
            if os.environ.get("SMGOV_DEBUG"):
                traceback.print_exc()
            click.echo(f"smgov: internal error: {type(exc).__name__}: {exc}", err=True)
            click.echo("smgov: set SMGOV_DEBUG=1 for details and please report it", err=True)
            sys.exit(EXIT_INTERNAL)

    return run


def _colour(output: str | None) -> bool:
    return output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _emit(text: str, output: str | None) -> None:
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="smgov")
def main() -> None:
    """smgov: check an organisation's social-media governance against policies as code.

    \b
    Example:
      smgov check examples/automotive --as-of 2026-10-01
    """


POLICIES = click.option(
    "--policies",
    "policy_dirs",
    multiple=True,
    type=click.Path(),
    help="Policy file or pack directory (repeatable). Default: the built-in baseline pack.",
)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@POLICIES
@click.option("--format", "fmt", type=click.Choice(sorted(RENDERERS)), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to this file (atomically).")
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "never"]),
    default="high",
    show_default=True,
    help="Exit 1 when a finding is at least this severe.",
)
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Assessment date (default: today).")
@click.option("--engine", type=click.Choice(sorted(pipeline.EVALUATORS)), default="native", show_default=True)
@guarded
def check(
    paths: tuple[str, ...],
    policy_dirs: tuple[str, ...],
    fmt: str,
    output: str | None,
    fail_on: str,
    as_of: dt.datetime | None,
    engine: str,
) -> None:
    """Check inventory files or directories (merged into one organisation).

    \b
    Examples:
      smgov check examples/telecom
      smgov check org/ --policies policies/baseline --policies my-pack --fail-on critical
      smgov check org.json --format json --output report.json --as-of 2026-10-01
    """
    options = pipeline.CheckOptions(
        inventory=paths, policies=policy_dirs, as_of=as_of.date() if as_of else None, engine=engine
    )
    report = pipeline.run_check(options)
    colour = fmt == "text" and _colour(output)
    rendered = text_renderer.render(report, color=True) if colour else RENDERERS[fmt](report)
    _emit(rendered, output)
    failing = fail_on != "never" and any(at_or_above(f.severity, fail_on) for f in report.findings)
    sys.exit(EXIT_FINDINGS if failing else EXIT_OK)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@POLICIES
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the plan to this file (atomically).")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Assessment date (default: today).")
@click.option("--engine", type=click.Choice(sorted(pipeline.EVALUATORS)), default="native", show_default=True)
@guarded
def plan(
    paths: tuple[str, ...],
    policy_dirs: tuple[str, ...],
    fmt: str,
    output: str | None,
    as_of: dt.datetime | None,
    engine: str,
) -> None:
    """Assess the stage reached and show the road to the target stage, stage by stage.

    For each stage from the next one up to organisation.target_stage (default: the top
    stage): exactly the failing checks that block its gate, grouped by lever, most severe
    first, and the failures the gate tolerates (may wait). The JSON format is the full
    report; its next_step holds the road. Exit 0 at or above the target, 1 below it.

    \b
    Examples:
      smgov plan examples/telecom --as-of 2026-10-01
      smgov plan org/ --policies my-pack --format json --output plan.json
    """
    options = pipeline.CheckOptions(
        inventory=paths, policies=policy_dirs, as_of=as_of.date() if as_of else None, engine=engine
    )
    report = pipeline.run_check(options)
    rendered = RENDERERS["json"](report) if fmt == "json" else text_renderer.render_plan(report, color=_colour(output))
    _emit(rendered, output)
    sys.exit(EXIT_FINDINGS if report.next_step.status == "below_target" else EXIT_OK)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@guarded
def validate(paths: tuple[str, ...]) -> None:
    """Validate inventory and policy files without checking anything.

    Files with a top-level 'rules' list are policies; the rest are one inventory. Every problem
    is printed as file:line:col: message (path.in.document).

    \b
    Example:
      smgov validate examples/energy policies/baseline
    """
    inventory_paths, policy_paths = pipeline.split_inputs(paths)
    problems = []
    counted = 0
    if policy_paths:
        try:
            counted += len(policies.load(policy_paths).rules)
        except InputError as exc:
            problems.extend(exc.diagnostics)
    if inventory_paths:
        try:
            pipeline.load_inventory(inventory_paths)
        except InputError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems)
    click.echo(
        f"ok: {len(policy_paths)} policy input(s) with {counted} rules, {len(inventory_paths)} inventory input(s)"
    )


@main.command("rules")
@POLICIES
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@guarded
def list_rules(policy_dirs: tuple[str, ...], fmt: str) -> None:
    """List the loaded rules with lever, stage, severity and scope.

    \b
    Example:
      smgov rules --policies policies/baseline
    """
    loaded = policies.load(list(policy_dirs) or pipeline.default_policies())
    if fmt == "json":
        rows = [
            {
                "id": r.id,
                "title": r.title,
                "lever": r.lever,
                "stage": r.stage,
                "severity": r.severity,
                "scope": r.scope,
                "file": r.file,
                "line": r.line,
            }
            for r in loaded.rules
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    for r in loaded.rules:
        click.echo(f"{r.id:<14} {r.lever:<11} {r.stage:<14} {r.severity:<8} {r.scope:<12} {r.title}")
    click.echo(f"{len(loaded.rules)} rules from {len(loaded.sources)} file(s)")
