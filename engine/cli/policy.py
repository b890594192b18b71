"""The command line for policy authors and reviewers: ``smgov policy validate|test|docs|impact``
and ``smgov diff``. Registered on the main group by ``engine.cli.app``; same exit-code contract:
0 ok, 1 failed (tests, coverage, new findings with --fail-on-new), 2 bad input or usage, 3 internal error.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from engine import pipeline
from engine.authoring import impact as impacting
from engine.authoring import policydocs, policytest
from engine.cli.common import (
    AS_OF,
    ENGINE,
    EXIT_FINDINGS,
    EXIT_OK,
    _emit,
    guarded,
    input_files,
    output_write,
    refuse_overwriting,
)
from engine.inputs.diagnostics import Diagnostic, InputError
from engine.inputs.sources import display
from engine.policy import policies, policylint
from engine.report import diff as diffing

CASES_AS_OF = click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Assessment date of test cases that set none (default: today, UTC).",
)


def _today(as_of: dt.datetime | None) -> dt.date:
    return as_of.date() if as_of else dt.datetime.now(dt.UTC).date()


def _dirs(paths: tuple[str, ...]) -> list[str]:
    return list(paths) or [display(p) for p in pipeline.default_policies()]


@click.group()
def policy() -> None:
    """Validate, test, document policy packs and measure the impact of a change."""


@policy.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@guarded
def validate_policies(paths: tuple[str, ...]) -> None:
    """Check policy packs without an inventory: schema, duplicate ids across packs, unknown
    fields (a typo such as 'onwer' fails), regexes, stages, levers, overrides, conditions that
    can never hold, and the test-case files beside the rules.

    Every problem is printed as file:line:col: message (path.in.document); exit 2 if any.

    \b
    Example:
      smgov policy validate policies/baseline my-pack
    """
    loaded = policies.load(_dirs(paths))
    problems: list[Diagnostic] = policylint.problems(loaded)
    files = policytest.case_files(loaded, paths)
    cases: list[policytest.Case] = []
    try:
        cases = policytest.load_cases(files, loaded, _today(None))
    except InputError as exc:
        problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems)
    packs = ", ".join(p.label for p in loaded.packs) or "no pack.yaml"
    click.echo(
        f"ok: {len(loaded.rules)} rules ({packs}), {len(loaded.disabled)} disabled, "
        f"{len(cases)} test cases in {len(files)} file(s)"
    )


class _Percent(click.FloatRange):
    """A percentage: a finite number in 0..100. ``nan`` passes a plain range check (it compares
    false with both bounds) and would turn the coverage gate off: a usage error instead."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number in the range 0<=x<=100", param, ctx)
        return number


@policy.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--min-coverage",
    type=_Percent(0, 100),
    default=0,
    show_default=True,
    help="Fail below this percentage of rules with both a passing and a failing case.",
)
@click.option(
    "--engine",
    type=click.Choice([*sorted(pipeline.EVALUATORS), "all"]),
    default="native",
    show_default=True,
    help="Evaluator; 'all' runs every one and fails a case on which they disagree.",
)
@click.option("--verbose", "-v", is_flag=True, help="List passing cases too.")
@CASES_AS_OF
@guarded
def test_policies(
    paths: tuple[str, ...], min_coverage: float, engine: str, verbose: bool, as_of: dt.datetime | None
) -> None:
    """Run the test cases stored beside the rules (DIR/tests/*.yaml, schemas/policy-tests.schema.json).

    A case fails on a missing expected finding and on an unexpected one, and prints expected
    vs actual. Packs a pack extends are tested too. Reports the rules without tests. Exit 1
    when a case fails or coverage is below --min-coverage.

    \b
    Examples:
      smgov policy test policies/baseline --min-coverage 100
      smgov policy test my-pack --engine all -v
    """
    loaded = policies.load(_dirs(paths))
    files = policytest.case_files(loaded, paths)
    if not files:
        where = ", ".join(_dirs(paths))
        raise InputError([Diagnostic(where, message="no test cases: add tests/*.test.yaml beside the rules")])
    cases = policytest.load_cases(files, loaded, _today(as_of))
    names = sorted(pipeline.EVALUATORS) if engine == "all" else [engine]
    if engine == "all":  # every evaluator installed; the ones whose extra is missing are named
        for name in [n for n in names if pipeline.unavailable(n)]:
            names.remove(name)
            click.echo(f"smgov: not running --engine {name}: {pipeline.unavailable(name)}", err=True)
    if "native" in names:  # the default first: the others are compared with it
        names.remove("native")
        names.insert(0, "native")
    run = policytest.run(loaded, cases, [(n, pipeline.evaluator(n)) for n in names])
    click.echo(policytest.render(run, verbose), nl=False)
    low = run.coverage.percent < min_coverage
    if low:
        click.echo(f"coverage {run.coverage.percent:.1f}% is below --min-coverage {min_coverage:g}%")
    sys.exit(EXIT_FINDINGS if run.failed or low else EXIT_OK)


@policy.command("docs")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the catalogue to this file (atomically).")
@CASES_AS_OF
@click.option("--own", is_flag=True, help="Only the rules of the last pack given, not those of the packs it extends.")
@guarded
def docs(paths: tuple[str, ...], output: str | None, as_of: dt.datetime | None, own: bool) -> None:
    """A Markdown catalogue of the rules by lever and stage, with a passing and a failing
    example of each from the tests.

    \b
    Example:
      smgov policy docs policies/baseline -o docs/rules.md
      smgov policy docs policies/financial-services --own -o docs/packs/financial-services.md
    """
    refuse_overwriting([output_write(output)], input_files(_dirs(paths), "policy"))
    loaded = policies.load(_dirs(paths))
    cases = policytest.load_cases(policytest.case_files(loaded, paths), loaded, _today(as_of))
    _emit(policydocs.render(loaded, cases, loaded.packs[-1].name if own and loaded.packs else None), output)


@policy.command("impact")
@click.option("--base", required=True, help="The git revision to compare with (a branch, tag or commit).")
@click.option(
    "--policies",
    "policy_dirs",
    multiple=True,
    type=click.Path(),
    help="Policy pack directory in this checkout (repeatable). Default: the built-in baseline pack.",
)
@click.option(
    "--inventory",
    "inventories",
    multiple=True,
    type=click.Path(exists=True),
    help="Inventory file or directory, one organisation each (repeatable). Default: the bundled examples.",
)
@AS_OF
@ENGINE
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file (atomically).")
@guarded
def impact(
    base: str,
    policy_dirs: tuple[str, ...],
    inventories: tuple[str, ...],
    as_of: dt.datetime | None,
    engine: str,
    fmt: str,
    output: str | None,
) -> None:
    """What a policy change does: the policies at git REF and in the working tree, evaluated
    on the same inventories; per rule the findings added and removed, and stage changes,
    as Markdown for a pull-request comment.

    \b
    Example:
      smgov policy impact --base origin/main --inventory examples/telecom > impact.md
    """
    inputs = input_files(_dirs(policy_dirs), "policy")
    refuse_overwriting(
        [output_write(output)], inputs + input_files(inventories or impacting.default_inventories(), "inventory")
    )
    result = impacting.run(base, policy_dirs, inventories, _today(as_of), engine, Path.cwd())
    if fmt == "json":
        _emit(json.dumps(asdict(result), indent=2, ensure_ascii=False) + "\n", output)
    else:
        _emit(impacting.render_markdown(result), output)


@click.command("diff")
@click.argument("old", type=click.Path())
@click.argument("new", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write to this file (atomically).")
@click.option("--verbose", "-v", is_flag=True, help="List unchanged findings too.")
@click.option("--fail-on-new", is_flag=True, help="Exit 1 when NEW has a finding OLD does not (waived ones aside).")
@guarded
def diff(old: str, new: str, fmt: str, output: str | None, verbose: bool, fail_on_new: bool) -> None:
    """Compare two JSON reports of one organisation: new, resolved and unchanged findings (by
    fingerprint: rule, subject kind and id), and stage changes. Both reports are checked
    against schemas/report.schema.json; reports of two organisations are an input error, and
    reports made with different policy sets get a warning on stderr.

    \b
    Example:
      smgov diff last-month.json report.json --format markdown
    """
    refuse_overwriting([output_write(output)], [(old, "report"), (new, "report")])
    problems: list[Diagnostic] = []
    reports = []
    for path in (old, new):
        try:
            reports.append(diffing.load_report(path))
        except InputError as exc:
            problems.extend(exc.diagnostics)
    if problems:
        raise InputError(problems)
    result = diffing.diff(reports[0], reports[1])  # InputError: two organisations
    differences = diffing.policy_differences(reports[0], reports[1])
    if differences:
        click.echo(
            f"smgov: warning: {result.old_file} and {result.new_file} were made with different policy sets "
            f"({differences}): a finding may be new or resolved because the rules changed",
            err=True,
        )
    if fmt == "json":
        rendered = diffing.render_json(result)
    elif fmt == "markdown":
        rendered = diffing.render_markdown(result, verbose)
    else:
        rendered = diffing.render_text(result, verbose)
    _emit(rendered, output)
    sys.exit(EXIT_FINDINGS if fail_on_new and any(not i.waived for i in result.new) else EXIT_OK)
