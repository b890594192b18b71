"""What every smgov command shares: exit codes, the input-error and internal-error handling,
and writing output (only the CLI modules touch the terminal)."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from engine import pipeline
from engine.evaluate.evaluation import EvaluatorRefused, EvaluatorUnavailable
from engine.inputs.diagnostics import InputError
from engine.inputs.sources import discover
from engine.report.output import OutputError, Write, clashes, collisions, write_atomic
from engine.vocabulary import SEVERITIES

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
#: A closed pipe ends a command as SIGPIPE ends any Unix tool (128 + 13); Ctrl-C as SIGINT does.
EXIT_PIPE, EXIT_INTERRUPTED = 141, 130


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
        except OutputError as exc:
            click.echo(f"smgov: {exc}", err=True)
            sys.exit(EXIT_INPUT)
        except BrokenPipeError:  # the reader of our output went away (``smgov rules | head -1``)
            _silence_stdout()
            sys.exit(EXIT_PIPE)
        except EvaluatorUnavailable as exc:
            click.echo(f"smgov: {exc}", err=True)
            sys.exit(EXIT_INPUT)
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


class NonEmptyPath(click.Path):
    """A path option that refuses an empty value: ``--evidence "$DIR"`` with ``DIR`` unset
    must not quietly mean "no evidence"."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("an empty path (is a variable unset?)", param, ctx)
        return super().convert(value, param, ctx)


def input_files(paths: Iterable[str | Path], role: str) -> list[tuple[str, str]]:
    """The files a command reads from ``paths`` (directories expanded), with their role; the
    paths that are not there are the reading step's to report."""
    return [(str(path), role) for path in discover(paths, role)[0]]


def refuse_overwriting(writes: Iterable[Write | None], inputs: Iterable[tuple[str, str]]) -> None:
    """Exit 2, before anything is written, when an output would overwrite one of the
    command's inputs (or replace a directory that holds one), or two outputs would undo
    each other."""
    chosen = [w for w in writes if w is not None]
    problems = [f"{clash.message()}: refusing to overwrite it" for clash in clashes(chosen, inputs)]
    problems += collisions(chosen)
    if not problems:
        return
    for problem in problems:
        click.echo(f"smgov: {problem}", err=True)
    click.echo("smgov: nothing was written; choose other output paths", err=True)
    sys.exit(EXIT_INPUT)


def output_write(output: str | None) -> Write | None:
    """The ``--output`` file of a command, if given."""
    return Write(output, "--output") if output else None


def _colour(output: str | None) -> bool:
    stdout = sys.stdout
    return output is None and stdout is not None and stdout.isatty() and not os.environ.get("NO_COLOR")


def _emit(text: str, output: str | None) -> None:
    """The command's result, to ``output`` or standard output. A reader that stops reading
    (``| head``) leaves the rest unread; the command still ends with its own exit code."""
    if output:
        write_atomic(output, text)
        return
    if sys.stdout is None:  # started with standard output closed (``>&-``)
        raise OutputError("standard output", "it is closed")
    try:
        click.echo(text, nl=False)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
    except OSError as exc:  # a full disk behind a redirection, ...
        raise OutputError("standard output", exc.strerror or str(exc)) from None


def _silence_stdout() -> None:
    """Point standard output at the null device, so that the interpreter's last flush does not
    fail again on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no real stdout (a test runner's buffer)
        pass


#: ``--policies``, as every command that loads policies takes it.
POLICIES = click.option(
    "--policies",
    "policy_dirs",
    multiple=True,
    type=NonEmptyPath(),
    help="Policy file or pack directory (repeatable). Default: the built-in baseline pack.",
)

#: ``--as-of``, ``--engine`` and ``--evidence``, as every command that assesses takes them.
AS_OF = click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Assessment date (default: today, UTC)."
)
ENGINE = click.option("--engine", type=click.Choice(sorted(pipeline.EVALUATORS)), default="native", show_default=True)
EVIDENCE = click.option(
    "--evidence",
    "evidence_dir",
    type=NonEmptyPath(file_okay=False),
    help="Also write an evidence bundle here: every format and manifest.json (smgov verify checks it).",
)


F = TypeVar("F", bound=Callable[..., Any])


def report_options(renderers: Iterable[str], stem: str, fail_on_help: str) -> Callable[[F], F]:
    """``--format``, ``--output``, ``--output-dir``, ``--evidence`` and ``--fail-on``, as every
    command that writes reports takes them (``stem``: the file name ``--output-dir`` writes)."""
    options = [
        click.option(
            "--format",
            "formats",
            type=click.Choice(sorted(renderers)),
            multiple=True,
            help="Report format (default text); repeatable with --output-dir.",
        ),
        click.option(
            "--output", "-o", type=NonEmptyPath(dir_okay=False), help="Write the report to this file (atomically)."
        ),
        click.option(
            "--output-dir",
            type=NonEmptyPath(file_okay=False),
            help=f"Write each --format to {stem}.<ext> in this directory (atomically).",
        ),
        EVIDENCE,
        click.option(
            "--fail-on",
            type=click.Choice([*SEVERITIES, "never"]),
            default="high",
            show_default=True,
            help=fail_on_help,
        ),
    ]

    def apply(function: F) -> F:
        for option in reversed(options):  # applied bottom-up, so --help lists them in this order
            function = option(function)
        return function

    return apply
