"""The command line: the only module that touches the terminal and maps outcomes to exit codes.

Exit codes: 0 no finding at or above --fail-on (``plan``: at or above the target stage);
1 there are (``plan``: below the target); 2 bad input or usage; 3 internal error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from engine import __version__, pipeline
from engine.cli import frameworks
from engine.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    NonEmptyPath,
    _colour,
    _emit,
    guarded,
    input_files,
    output_write,
    refuse_overwriting,
)
from engine.cli.importing import import_command
from engine.cli.policy import diff, policy
from engine.cli.reports import trend, verify
from engine.cli.schema import schema
from engine.cli.starter import init
from engine.inputs import limits
from engine.inputs.diagnostics import InputError
from engine.policy import policies
from engine.policy.packs import describe as describe_origin
from engine.policy.packs import params_text, set_allow_outside
from engine.report import baseline
from engine.report.output import OutputError, Write, write_all
from engine.report.render import FILE_NAMES, PLAN_RENDERERS, RENDERERS, roadmap
from engine.report.render import text as text_renderer
from engine.vocabulary import SEVERITIES, at_or_above


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
    report: Any, formats: tuple[str, ...], output: str | None, output_dir: str | None, write_baseline: str | None
) -> None:
    """The report files and the baseline, rendered first and then written all or none; or the
    report on standard output."""
    files: dict[str, str] = {}
    if write_baseline:
        files[write_baseline] = baseline.render(report.findings, report.as_of, report.tool_version)
    if output_dir:
        files.update({os.path.join(output_dir, FILE_NAMES[fmt]): RENDERERS[fmt](report) for fmt in formats})
    elif output:
        files[output] = RENDERERS[formats[0]](report)
    write_all(files)
    if not output and not output_dir:
        colour = formats[0] == "text" and _colour(None)
        _emit(text_renderer.render(report, color=True) if colour else RENDERERS[formats[0]](report), None)


def _evidence_problem(directory: str | None) -> None:
    """Refuse, before checking anything, a bundle directory that may not be replaced."""
    if directory:
        from engine.report import evidence

        problem = evidence.replace_problem(directory)
        if problem:
            raise click.UsageError(problem)


def _write_evidence(report: Any, directory: str) -> None:
    from engine.report import evidence

    command = ["smgov", *click.get_current_context().meta.get("smgov.argv", [])]
    try:
        evidence.write_bundle(report, directory, command)
    except evidence.BundleError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise OutputError(directory, exc.strerror or str(exc)) from None
    click.echo(f"smgov: wrote an evidence bundle to {directory}", err=True)


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


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
def main() -> None:
    """smgov: check an organisation's social-media governance against policies as code.

    \b
    Example:
      smgov check examples/automotive --as-of 2026-10-01
    """


QUESTIONNAIRE = click.option("--questionnaire", type=NonEmptyPath(dir_okay=False), help="Staff answers per department.")
WAIVERS = click.option(
    "--waivers",
    "waivers_file",
    type=NonEmptyPath(dir_okay=False),
    help="Waivers file (schemas/waivers.schema.json): waived findings are reported, fail nothing, block no stage.",
)
POLICIES = click.option(
    "--policies",
    "policy_dirs",
    multiple=True,
    type=NonEmptyPath(),
    help="Policy file or pack directory (repeatable). Default: the built-in baseline pack.",
)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=NonEmptyPath())
@POLICIES
@click.option(
    "--format",
    "formats",
    type=click.Choice(sorted(RENDERERS)),
    multiple=True,
    help="Report format (default text); repeatable with --output-dir.",
)
@click.option("--output", "-o", type=NonEmptyPath(dir_okay=False), help="Write the report to this file (atomically).")
@click.option(
    "--output-dir",
    type=NonEmptyPath(file_okay=False),
    help="Write each --format to report.<ext> in this directory (atomically).",
)
@click.option(
    "--evidence",
    "evidence_dir",
    type=NonEmptyPath(file_okay=False),
    help="Also write an evidence bundle here: every format and manifest.json (smgov verify checks it).",
)
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "never"]),
    default="high",
    show_default=True,
    help="Exit 1 when a finding is at least this severe.",
)
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Assessment date (default: today, UTC).")
@click.option("--engine", type=click.Choice(sorted(pipeline.EVALUATORS)), default="native", show_default=True)
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
) -> None:
    """Check inventory files or directories (merged into one organisation).

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
    _evidence_problem(evidence_dir)
    options = pipeline.CheckOptions(
        inventory=paths,
        policies=policy_dirs,
        as_of=as_of.date() if as_of else None,
        engine=engine,
        waivers=waivers_file,
        questionnaire=questionnaire,
        baseline=baseline_file,
    )
    del parallel  # accepted, no effect (see --help)
    report = pipeline.run_check(options)
    refuse_overwriting(writes, _read_by(report))  # packs reached through ``extends`` are known only now
    _note_waivers(report)
    _write_reports(report, formats, output, output_dir, write_baseline)
    if write_baseline:
        kept = sum(1 for f in report.findings if not f.waived)
        click.echo(f"smgov: wrote a baseline of {kept} finding(s) to {write_baseline}", err=True)
    if evidence_dir:
        _write_evidence(report, evidence_dir)
    failing = fail_on != "never" and any(
        at_or_above(f.severity, fail_on) and not f.waived and (report.baseline is None or report.baseline.is_new(f))
        for f in report.findings
    )
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
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Assessment date (default: today).")
@click.option("--engine", type=click.Choice(sorted(pipeline.EVALUATORS)), default="native", show_default=True)
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
    ladder = policies.stages.default_ladder() if inventory_paths and not policy_paths else ladder  # as check
    if inventory_paths:
        from engine.assess import maturity
        from engine.inputs import inventory

        sources, unread = pipeline.read_inventory(inventory_paths, read)
        declared = loaded.declared if policy_paths and ladder is not None else ()
        found = unread or inventory.check(sources, declared)
        problems.extend(found)
        org = inventory.assemble(sources, declared) if ladder is not None and not unread else None
        stage = org.organisation.get("target_stage") if org and isinstance(org.organisation, dict) else None
        unjudged = isinstance(stage, str) and not any(d.path == "organisation.target_stage" for d in found)
        if org is not None and ladder is not None and unjudged:  # a malformed one is reported already
            try:
                maturity.target_of(ladder, org)
            except InputError as exc:
                problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems)
    _emit(
        f"ok: {len(policy_paths)} policy input(s) with {counted} rules, {len(inventory_paths)} inventory input(s)\n",
        None,
    )


@main.command("rules")
@POLICIES
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@frameworks.options
@guarded
def list_rules(policy_dirs: tuple[str, ...], fmt: str, framework: str | None, **check: Any) -> None:
    """List the loaded rules with lever, stage, severity, scope, origin and parameters in force:
    the pack each rule comes from and what a pack extending it changed (severity, parameters),
    then the rules a pack disabled, with the reason.

    \b
    Example:
      smgov rules --policies policies/baseline
      smgov rules --policies policies/financial-services --framework FINRA --inventory examples/packs/bank
    """
    if framework:  # one framework's requirements, and with --inventory whether each passed
        return frameworks.show(policy_dirs, framework, check["framework_inventory"], check["framework_as_of"], fmt)
    loaded = policies.load(list(policy_dirs) or pipeline.default_policies())
    origins = dict(loaded.origins)
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
                **({"params": dict(r.params)} if r.params else {}),
                **({"frameworks": list(r.frameworks)} if r.frameworks else {}),
                **({"origin": asdict(origins[r.id])} if r.id in origins else {}),
            }
            for r in loaded.rules
        ]
        rows += [
            {
                "id": d.rule_id,
                "title": d.rule.title,
                "lever": d.rule.lever,
                "stage": d.rule.stage,
                "severity": d.rule.severity,
                "scope": d.rule.scope,
                "file": d.rule.file,
                "line": d.rule.line,
                "disabled": {"pack": d.pack, "reason": d.reason, "file": d.file, "line": d.line},
            }
            for d in loaded.disabled
        ]
        _emit(json.dumps(rows, indent=2) + "\n", None)
        return
    lines = []
    for r in loaded.rules:
        origin = origins.get(r.id)
        pack = f"{origin.pack}{'*' if origin.changes else ''}" if origin and origin.pack else Path(r.file).name
        line = f"{r.id:<14} {r.lever:<11} {r.stage:<14} {r.severity:<8} {r.scope:<12} {pack:<12} {r.title}"
        lines.append(line + params_text(r))
    changed = [(r.id, origins[r.id]) for r in loaded.rules if r.id in origins and origins[r.id].changes]
    lines += [f"* {rule_id}: from {describe_origin(origin)}" for rule_id, origin in changed]
    lines += [f"disabled {d.rule_id} by {d.pack} ({d.file}:{d.line}): {d.reason}" for d in loaded.disabled]
    packs = f" in {', '.join(p.label for p in loaded.packs)}" if loaded.packs else ""
    lines.append(f"{len(loaded.rules)} rules from {len(loaded.sources)} file(s){packs}")
    _emit("\n".join(lines) + "\n", None)


main.add_command(policy)
main.add_command(diff)
main.add_command(verify)
main.add_command(trend)
main.add_command(schema)
main.add_command(import_command)
main.add_command(init)
