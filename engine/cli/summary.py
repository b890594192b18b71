"""The last line of a check on standard error, and the options that shape one run (--quiet,
--select, --skip): what a CI log shows of a check."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import click

from engine.cli.common import EXIT_FINDINGS, EXIT_OK
from engine.cli.config import repository_root
from engine.cli.reports import SIGN_KEY
from engine.report.render import RENDERERS, sarif
from engine.vocabulary import SEVERITIES, at_or_above

QUIET = click.option(
    "--quiet", "-q", is_flag=True, help="No summary or progress lines on standard error (errors only)."
)
SELECT = click.option(
    "--select",
    multiple=True,
    metavar="ID|TAG",
    help="Run only the rules with this id or tag (repeatable); the stage is assessed on the rules run.",
)
SKIP = click.option(
    "--skip", multiple=True, metavar="ID|TAG", help="Do not run the rules with this id or tag (repeatable)."
)


SARIF_ROOT = click.option(
    "--sarif-root",
    type=click.Path(file_okay=False, exists=True),
    help="SARIF URIs are relative to this directory (%SRCROOT%). Default: the git repository's top directory "
    "when run inside one, else the current directory's relative paths.",
)


def RUN_OPTIONS(command: Any) -> Any:
    """The options of ``check`` that shape one run: --select, --skip, --sarif-root, --sign-key, --quiet."""
    for option in (QUIET, SIGN_KEY, SARIF_ROOT, SKIP, SELECT):
        command = option(command)
    return command


def renderers(sarif_root: str | None) -> dict[str, Any]:
    """The renderers, SARIF's given its %SRCROOT%: --sarif-root, or the git repository around
    the working directory (none outside git)."""
    root = os.path.abspath(sarif_root) if sarif_root else repository_root(Path.cwd())
    if root is None:
        return dict(RENDERERS)
    return {**RENDERERS, "sarif": functools.partial(sarif.render, root=str(root), cwd=os.getcwd())}


def failing_findings(report: Any, fail_on: str) -> list[Any]:
    """The findings that fail the run: at or above --fail-on, not waived, new against a --baseline."""
    if fail_on == "never":
        return []
    known = report.baseline
    return [
        f
        for f in report.findings
        if at_or_above(f.severity, fail_on) and not f.waived and (known is None or known.is_new(f))
    ]


def summary_line(report: Any, fail_on: str, failing: int, written: list[str]) -> str:
    """One line for a CI log: the findings by severity, the stage, what fails and why, the files written."""
    s = report.summary
    counts = ", ".join(f"{s.by_severity[v]} {v}" for v in SEVERITIES if s.by_severity.get(v))
    parts = [f"{s.findings} finding{'' if s.findings == 1 else 's'}" + (f" ({counts})" if counts else "")]
    if s.waived:
        parts[0] += f", {s.waived} waived"
    assessment = report.assessment
    parts.append(f"stage {assessment.organisation.stage} (target {assessment.target.stage})")
    if fail_on == "never":
        parts.append("--fail-on never: exit 0")
    else:
        new = " new" if report.baseline is not None else ""
        parts.append(f"{failing}{new} at or above --fail-on {fail_on}: exit {EXIT_FINDINGS if failing else EXIT_OK}")
    if written:
        parts.append("wrote " + ", ".join(written))
    return "smgov: " + "; ".join(parts)
