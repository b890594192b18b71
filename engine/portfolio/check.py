"""The whole portfolio check: find the organisations, check each where the workers are,
assemble the report; and the portfolio's evidence bundle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import __version__
from engine.inputs.diagnostics import InputError
from engine.portfolio import units as found_units
from engine.portfolio import workers
from engine.portfolio.organisation import Settings, compiled
from engine.report import evidence
from engine.report.model import InputFile
from engine.report.portfolio import PortfolioReport, UnitResult, assemble
from engine.report.render import PORTFOLIO_FILE_NAMES, PORTFOLIO_RENDERERS


@dataclass(frozen=True)
class PortfolioOptions:
    paths: tuple[str, ...]
    policies: tuple[str, ...] = ()
    as_of: dt.date | None = None
    engine: str = "native"
    jobs: int = 1
    scheduler: str | None = None


@dataclass(frozen=True)
class Outcome:
    report: PortfolioReport
    portfolio: found_units.Portfolio


def prepare(options: PortfolioOptions) -> tuple[found_units.Portfolio, Settings]:
    """The organisations and the settings of the run. Raises InputError (nothing checked)
    when a PATH, a manifest or the portfolio's policies are bad."""
    portfolio = found_units.find(options.paths)
    settings = Settings(
        policies=tuple(str(Path(p).resolve()) for p in options.policies),
        as_of=options.as_of or dt.datetime.now(dt.UTC).date(),
        engine=options.engine,
    )
    rules = compiled(settings.policies)  # here too: bad policies stop the run before any worker starts
    if isinstance(rules, InputError):
        raise rules
    return portfolio, settings


def run_portfolio(options: PortfolioOptions, done: Callable[[UnitResult], None] = lambda _r: None) -> Outcome:
    portfolio, settings = prepare(options)
    with workers.executor(options.jobs, options.scheduler) as pool:
        results = workers.run(portfolio.units, settings, pool, done)
    return Outcome(report(portfolio, settings, results), portfolio)


def report(portfolio: found_units.Portfolio, settings: Settings, results: Sequence[UnitResult]) -> PortfolioReport:
    rules: dict[str, tuple[str, str]] = {}
    for paths in dict.fromkeys([settings.policies, *(u.packs for u in portfolio.units if u.packs)]):
        loaded = compiled(paths)
        if not isinstance(loaded, InputError):
            for rule in loaded.rules:
                rules.setdefault(rule.id, (rule.title, rule.severity))
    default = compiled(settings.policies)
    stages = tuple(s.id for s in default.ladder.stages) if not isinstance(default, InputError) else ()
    return assemble(
        __version__, settings.as_of.isoformat(), settings.engine, portfolio.name, stages, list(results), rules
    )


def inputs(outcome: Outcome) -> list[InputFile]:
    """Every file the portfolio read, once: its manifests, then each organisation's inputs."""
    seen: dict[str, InputFile] = {}
    for source in outcome.portfolio.manifests:
        seen.setdefault(source.path, InputFile(source.path, "portfolio", source.sha256))
    for unit in outcome.report.units:
        for item in unit.inputs:
            seen.setdefault(item.path, item)
    return list(seen.values())


def write_evidence(outcome: Outcome, directory: str, command: Sequence[str]) -> dict[str, Any]:
    """The portfolio in every format and ``manifest.json`` (``smgov verify`` checks it)."""
    report = outcome.report
    outputs = {
        PORTFOLIO_FILE_NAMES[name]: render(report).encode("utf-8") for name, render in PORTFOLIO_RENDERERS.items()
    }
    formats = {name: fmt for fmt, name in PORTFOLIO_FILE_NAMES.items()}
    order = {s: i for i, s in enumerate(["none", *report.stages])}
    reached = sorted({u.stage for u in report.checked() if u.stage}, key=lambda s: order.get(s, len(order)))
    cwd = Path.cwd().resolve()
    data = {
        "manifest_version": evidence.MANIFEST_VERSION,
        "root": str(cwd),
        "tool": {"name": "smgov", "version": report.tool_version},
        "as_of": report.as_of,
        "engine": report.engine,
        "command": list(command),
        "organisation": {"id": f"portfolio:{report.name}", "name": report.name},
        "stage": reached[0] if reached else "none",
        "organisations": len(report.units),
        "inputs": [
            {**evidence.recorded(i.path, cwd, cwd), "role": i.role, "sha256": i.sha256} for i in inputs(outcome)
        ],
        "outputs": [
            {"path": name, "format": formats[name], "bytes": len(data), "sha256": evidence.sha256_bytes(data)}
            for name, data in outputs.items()
        ],
    }
    return evidence.write_files(directory, outputs, data)
