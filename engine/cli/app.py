"""The command line: the only module that touches the terminal and maps outcomes to exit codes.

Exit codes: 0 no finding at or above --fail-on (``plan``: at or above the target stage);
1 there are (``plan``: below the target); 2 bad input or usage; 3 internal error.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from typing import Any

import click

from engine import __version__, pipeline
from engine.cli import config
from engine.cli.common import (
    AS_OF,
    ENGINE,
    EXIT_FINDINGS,
    EXIT_OK,
    POLICIES,
    NonEmptyPath,
    _colour,
    _emit,
    guarded,
    input_files,
    output_write,
    refuse_overwriting,
    report_options,
)
from engine.cli.examples import examples_dir
from engine.cli.hooks import hook
from engine.cli.importing import import_command
from engine.cli.policy import diff, policy
from engine.cli.portfolio import portfolio
from engine.cli.reports import evidence_problem, trend, verify, write_evidence
from engine.cli.rules import list_rules
from engine.cli.schema import schema
from engine.cli.starter import init
from engine.cli.summary import RUN_OPTIONS, failing_findings, renderers, summary_line
from engine.inputs import limits
from engine.inputs.diagnostics import InputError
from engine.policy import policies
from engine.policy.packs import set_allow_outside
from engine.report import baseline
from engine.report.output import Write, write_all
from engine.report.render import FILE_NAMES, PLAN_RENDERERS, RENDERERS, roadmap
from engine.report.render import text as text_renderer


def _formats(formats: tuple[str, ...], output: str | None, output_dir: str | None) -> tuple[str, ...]:
    """The formats asked for, each once; several need --output-dir. Usage errors exit 2."""
    chosen = tuple(dict.fromkeys(formats)) or ("text",)
    if output and output_dir:
        raise click.UsageError("give --output (one format) or --output-dir (any formats), not both")
    if len(chosen) > 1 and not output_dir:
        raise click.UsageError(f"{len(chosen)} formats need --output-dir (one file per format)")
    return chosen


def _check_inputs(
    paths: tuple[str, ...], policy_dirs: tuple[str, ...], waivers: str | None, known: str | None = None
) -> list[tuple[str, str]]:
    """Every file a check or a plan reads, with its role (``known``: the --baseline)."""
    found = input_files(paths, "inventory") + input_files(policy_dirs or pipeline.default_policies(), "policy")
    return found + [(path, role) for path, role in ((waivers, "waivers"), (known, "baseline")) if path]


def _read_by(report: Any) -> list[tuple[str, str]]:
    """Every file the check read, as its report lists them (with the packs that ``extends``
    brought in)."""
    return [(item.path, item.role) for item in report.inputs]


def _report_writes(
    formats: tuple[str, ...],
    output: str | None,
    output_dir: str | None,
    evidence_dir: str | None,
    write_baseline: str | None,
) -> list[Write]:
    """What a check will write. A new baseline or JSON report may replace the --baseline it
    was compared with (a baseline kept up to date in place); nothing else may replace an input."""
    refresh = frozenset({"baseline"})
    writes = [Write(write_baseline, "--write-baseline", refresh)] if write_baseline else []
    if output:
        writes.append(Write(output, "--output", refresh if formats[0] == "json" else frozenset()))
    if output_dir:
        writes += [
            Write(os.path.join(output_dir, FILE_NAMES[f]), "--output-dir", refresh if f == "json" else frozenset())
            for f in formats
        ]
    if evidence_dir:
        writes.append(Write(evidence_dir, "--evidence", replaces_directory=True))
    return writes


def _write_reports(
    report: Any,
    formats: tuple[str, ...],
    output: str | None,
    output_dir: str | None,
    write_baseline: str | None,
    sarif_root: str | None = None,
) -> None:
    """The report files and the baseline, rendered first and then written all or none; or the
    report on standard output."""
    render = renderers(sarif_root)  # the registry, with SARIF's %SRCROOT%
    files: dict[str, str] = {}
    if write_baseline:
        files[write_baseline] = baseline.render(report.findings, report.as_of, report.tool_version)
    if output_dir:
        files.update({os.path.join(output_dir, FILE_NAMES[fmt]): render[fmt](report) for fmt in formats})
    elif output:
        files[output] = render[formats[0]](report)
    write_all(files)
    if not output and not output_dir:
        colour = formats[0] == "text" and _colour(None)
        _emit(text_renderer.render(report, color=True) if colour else render[formats[0]](report), None)


def _max_file_size(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    try:  # (set on every run: the default when not given)
        limits.set_max_file_size(limits.DEFAULT_MAX_FILE_SIZE if value is None else limits.parse_size(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


class _Group(click.Group):
    """Keeps the raw arguments (``ctx.meta["smgov.argv"]``) for the evidence manifest."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["smgov.argv"] = list(args)
        return super().parse_args(ctx, args)


@click.group(cls=_Group, context_settings=config.CONTEXT)
@click.version_option(__version__, prog_name="smgov")
@click.option(
    "--max-file-size",
    metavar="SIZE",
    envvar=limits.FILE_SIZE_ENV,
    callback=_max_file_size,
    expose_value=False,
    is_eager=True,
    help=f"Largest input file read (default {limits.DEFAULT_MAX_FILE_SIZE >> 20} MiB; "
    f"K, M, G suffixes; also {limits.FILE_SIZE_ENV}).",
)
@click.option(
    "--allow-outside",
    is_flag=True,
    callback=lambda _c, _p, value: set_allow_outside(value),
    expose_value=False,
    is_eager=True,
    help="Let a policy pack read outside its directory and the working directory "
    "(extends a path elsewhere, rule files that are links to elsewhere).",
)
@config.CONFIG
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """smgov: check an organisation's social-media governance against policies as code.

    \b
    Example (the bundled example organisation, from any directory):
      smgov check "$(smgov examples)/automotive" --as-of 2026-10-01
    """
    config.apply(ctx, main, config_file)


QUESTIONNAIRE = click.option("--questionnaire", type=NonEmptyPath(dir_okay=False), help="Staff answers per department.")
WAIVERS = click.option(
    "--waivers",
    "waivers_file",
    type=NonEmptyPath(dir_okay=False),
    help="Waivers file (schemas/waivers.schema.json): waived findings are reported, fail nothing, block no stage.",
)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=NonEmptyPath())
@POLICIES
@report_options(RENDERERS, "report", "Exit 1 when a finding is at least this severe.")
@AS_OF
@ENGINE
@click.option(
    "--parallel/--no-parallel",
    default=True,
    show_default=True,
    hidden=True,
    help="Accepted for one release and ignored: a check runs in one process (many organisations are fanned out "
    "by `smgov portfolio`).",
)
@WAIVERS
@QUESTIONNAIRE
@click.option(
    "--baseline",
    "baseline_file",
    type=NonEmptyPath(dir_okay=False),
    help="A baseline (--write-baseline) or JSON report: fail only on findings not in it (matched by fingerprint).",
)
@click.option(
    "--write-baseline",
    type=NonEmptyPath(dir_okay=False),
    help="Also write the current findings (not waived) as a baseline to this file (atomically).",
)
@RUN_OPTIONS
@guarded
def check(
    paths: tuple[str, ...],
    policy_dirs: tuple[str, ...],
    formats: tuple[str, ...],
    output: str | None,
    output_dir: str | None,
    evidence_dir: str | None,
    fail_on: str,
    as_of: dt.datetime | None,
    engine: str,
    parallel: bool,
    waivers_file: str | None,
    questionnaire: str | None,
    baseline_file: str | None,
    write_baseline: str | None,
    select: tuple[str, ...],
    skip: tuple[str, ...],
    sarif_root: str | None,
    sign_key: str | None,
    quiet: bool,
) -> None:
    """Check inventory files or directories (merged into one organisation).

    Ends with one line on standard error (unless --quiet): the findings by severity, the
    stage, how many findings fail --fail-on and the files written.

    \b
    Examples:
      smgov check examples/telecom
      smgov check org/ --policies policies/baseline --policies my-pack --fail-on critical
      smgov check org.json --format json --output report.json --as-of 2026-10-01
      smgov check org/ --waivers waivers.yaml --baseline baseline.json
      smgov check org/ --format sarif --format junit --format html --output-dir reports/
      smgov check org/ --evidence evidence/2026-10-01 --as-of 2026-10-01
    """
    formats = _formats(formats, output, output_dir)
    writes = _report_writes(formats, output, output_dir, evidence_dir, write_baseline)
    refuse_overwriting(writes, _check_inputs(paths, policy_dirs, waivers_file, baseline_file))
    evidence_problem(evidence_dir, sign_key)
    options = pipeline.CheckOptions(
        inventory=paths,
        policies=policy_dirs,
        as_of=as_of.date() if as_of else None,
        engine=engine,
        waivers=waivers_file,
        questionnaire=questionnaire,
        baseline=baseline_file,
        select=select,
        skip=skip,
    )
    del parallel  # accepted, no effect (see --help)
    report = pipeline.run_check(options)
    refuse_overwriting(writes, _read_by(report))  # packs reached through ``extends`` are known only now
    _note_waivers(report)
    _write_reports(report, formats, output, output_dir, write_baseline, sarif_root)
    if write_baseline and not quiet:
        kept = sum(1 for f in report.findings if not f.waived)
        click.echo(f"smgov: wrote a baseline of {kept} finding(s) to {write_baseline}", err=True)
    if evidence_dir:
        write_evidence(report, evidence_dir, quiet, sign_key)
    failing = failing_findings(report, fail_on)
    if not quiet:
        click.echo(summary_line(report, fail_on, len(failing), [w.path for w in writes]), err=True)
    sys.exit(EXIT_FINDINGS if failing else EXIT_OK)


def _note_waivers(report: Any) -> None:
    """Expired and unused waivers on stderr: they need attention even when the run passes."""
    for w in report.waivers or ():
        where = f"smgov: {w.file}:{w.line}: waiver of {w.rule_id} for {w.subject}"
        if w.status == "expired":
            again = f"; its {len(w.matched)} finding(s) count again" if w.matched else ""
            click.echo(f"{where} expired on {w.expires}{again}", err=True)
        elif w.status == "unused":
            click.echo(f"{where} is unused: it matches no finding", err=True)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=NonEmptyPath())
@POLICIES
@click.option("--format", "fmt", type=click.Choice(sorted(PLAN_RENDERERS)), default="text", show_default=True)
@click.option("--output", "-o", type=NonEmptyPath(dir_okay=False), help="Write the plan to this file (atomically).")
@AS_OF
@ENGINE
@WAIVERS
@QUESTIONNAIRE
@guarded
def plan(
    paths: tuple[str, ...],
    policy_dirs: tuple[str, ...],
    fmt: str,
    output: str | None,
    as_of: dt.datetime | None,
    engine: str,
    waivers_file: str | None,
    questionnaire: str | None,
) -> None:
    """Assess the stage reached and show the road to the target stage, stage by stage.

    For each stage up to the target, the whole rules to fix in order, with owner, effort, what
    to do and what to record (docs/maturity.md). Exit 0 at or above the target, 1 below it.

    \b
    Example:
      smgov plan examples/telecom --as-of 2026-10-01 --format markdown -o plan.md
    """
    refuse_overwriting([output_write(output)], _check_inputs(paths, policy_dirs, waivers_file))
    day = as_of.date() if as_of else None
    options = pipeline.CheckOptions(paths, policy_dirs, day, engine, waivers_file, questionnaire=questionnaire)
    report = pipeline.run_check(options)
    refuse_overwriting([output_write(output)], _read_by(report))
    _note_waivers(report)
    _emit(roadmap.render(fmt, report, _colour(output)), output)
    sys.exit(EXIT_FINDINGS if report.next_step.status == "below_target" else EXIT_OK)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=NonEmptyPath())
@guarded
def validate(paths: tuple[str, ...]) -> None:
    """Validate inventory and policy files without checking anything.

    Files with a top-level 'rules' list (and no organisation or collection) are policies; the
    rest are one inventory. Its organisation.target_stage must be a stage of the policies (or of
    the bundled ladder). Every problem is printed as file:line:col: message (path.in.document).

    \b
    Example:
      smgov validate examples/energy policies/baseline
    """
    inventory_paths, policy_paths, read = pipeline.split_inputs(paths)
    problems = []
    counted = 0
    ladder = None
    if policy_paths:
        try:
            loaded = policies.load(policy_paths)
            counted, ladder = len(loaded.rules), loaded.ladder
        except InputError as exc:
            problems.extend(exc.diagnostics)
    bundled = not policy_paths  # as check: without policies the bundled ladder judges target_stage
    if inventory_paths:
        from engine.assess import maturity
        from engine.inputs import inventory

        sources, unread = pipeline.read_inventory(inventory_paths, read)
        declared = loaded.declared if policy_paths and ladder is not None else ()
        found = unread or inventory.check(sources, declared)
        problems.extend(found)
        org = inventory.assemble(sources, declared) if (ladder or bundled) and not unread else None
        stage = org.organisation.get("target_stage") if org and isinstance(org.organisation, dict) else None
        unjudged = isinstance(stage, str) and not any(d.path == "organisation.target_stage" for d in found)
        if org is not None and unjudged:  # a malformed one is reported already
            try:
                maturity.target_of(ladder or policies.stages.default_ladder(), org)
            except InputError as exc:
                problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems)
    _emit(
        f"ok: {len(policy_paths)} policy input(s) with {counted} rules, {len(inventory_paths)} inventory input(s)\n",
        None,
    )


main.add_command(list_rules)
main.add_command(examples_dir)
main.add_command(hook)
main.add_command(policy)
main.add_command(diff)
main.add_command(verify)
main.add_command(trend)
main.add_command(schema)
main.add_command(import_command)
main.add_command(init)
main.add_command(portfolio)
