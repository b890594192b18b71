"""One organisation's check, as a worker runs it: paths in, a compact result out.

The policies are compiled once per worker process (``compiled``: by the policy paths, so
organisations with their own packs get theirs once too), never once per organisation. A
result never carries the parsed inventory, only :class:`UnitResult`; its file paths are
absolute so that the process that assembles the report can show them from its own
directory, whatever the worker's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass

from engine import pipeline
from engine.inputs.diagnostics import Diagnostic, InputError
from engine.policy import policies
from engine.portfolio.units import Unit
from engine.report.model import InputFile
from engine.report.portfolio import Problem, UnitResult, broken_unit, failed_unit, unit_result


@dataclass(frozen=True)
class Settings:
    """What every organisation of one run shares."""

    policies: tuple[str, ...]  # absolute; empty: the built-in baseline
    as_of: dt.date
    engine: str = "native"


_COMPILED: dict[tuple[str, tuple[str, ...]], policies.PolicySet | InputError] = {}


def compiled(paths: tuple[str, ...]) -> policies.PolicySet | InputError:
    """The policy set of ``paths``, compiled on this worker's first use of them (from this
    directory: a compiled set names its files relative to the directory it was read from)."""
    key = (os.getcwd(), paths)
    if key not in _COMPILED:
        try:
            _COMPILED[key] = policies.load(list(paths) or pipeline.default_policies())
        except InputError as exc:
            _COMPILED[key] = exc
    return _COMPILED[key]


def check_unit(unit: Unit, settings: Settings) -> UnitResult:
    """Check one organisation; never raises: bad input and internal errors are results."""
    try:
        rules = compiled(unit.packs or settings.policies)
        if isinstance(rules, InputError):
            return failed_unit(unit.name, unit.path, unit.tags, rules.diagnostics)
        if unit.target_stage is not None and unit.target_stage not in {s.id for s in rules.ladder.stages}:
            file, line, col = unit.origin or (unit.path, 0, 0)
            known = ", ".join(s.id for s in rules.ladder.stages)
            message = f"target_stage {unit.target_stage!r} is not a stage of its policies ({known})"
            return failed_unit(unit.name, unit.path, unit.tags, (Diagnostic(file, line, col, message, "target_stage"),))
        options = pipeline.CheckOptions(
            inventory=(unit.path,), as_of=settings.as_of, engine=settings.engine, detail=False
        )  # a unit's result counts findings and never shows one, and has no departments
        report = pipeline.run_check(options, compiled=rules)
        return absolute(unit_result(unit.name, unit.path, unit.tags, report, unit.target_stage))
    except InputError as exc:
        return absolute(failed_unit(unit.name, unit.path, unit.tags, exc.diagnostics))
    except Exception as exc:  # one organisation's surprise must not stop the others
        return broken_unit(unit.name, unit.path, unit.tags, f"{type(exc).__name__}: {exc}")


def absolute(result: UnitResult) -> UnitResult:
    """Every file path of ``result`` made absolute (from this process's directory)."""
    return relocated(result, os.path.abspath)


def relocated(result: UnitResult, fix: Callable[[str], str]) -> UnitResult:
    """``result`` with ``fix`` applied to the path of every input file and problem."""
    return dataclasses.replace(
        result,
        path=fix(result.path),
        inputs=tuple(InputFile(fix(i.path), i.role, i.sha256) for i in result.inputs),
        problems=tuple(
            Problem(fix(p.file) if _is_path(p.file) else p.file, p.line, p.col, p.message, p.path)
            for p in result.problems
        ),
    )


def _is_path(file: str) -> bool:
    """Whether a problem's ``file`` names a file (not a placeholder such as ``<fragment>``)."""
    return bool(file) and not file.startswith("<")
