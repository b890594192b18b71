"""Portfolio benchmark: ``smgov portfolio`` over many organisations, serial and fanned out.

    .venv/bin/python bench/portfolio.py                      # 1,000 organisations × 50-500 accounts
    .venv/bin/python bench/portfolio.py --orgs 200 --repeat 1
    .venv/bin/python bench/portfolio.py generate --orgs 1000 --out /tmp/portfolio   # the data only
    .venv/bin/python bench/portfolio.py --dir /tmp/portfolio --limit 200           # its first 200 only

The portfolio (``bench/out/portfolio-o{N}-a{MIN}-{MAX}-s{SEED}/``) is one directory per
organisation, half of them a YAML inventory written block style as people write it, half
JSON (``generate.dumps_inventory``), each a ``generate.generate_inventory`` of a size drawn
uniformly from ``[--min-accounts, --max-accounts]`` with its own seed and name. Generated once
and reused.

Measured in this one run, so that the ratios compare like with like on a shared machine:

1. **single checks**: each organisation's ``pipeline.run_check`` in this process, one after
   the other, with the policies compiled once beforehand: the sum of their times, and of
   their evaluate + findings phases;
2. **portfolio runs**: ``run_portfolio`` with ``--jobs 1`` (in this process) and with
   ``--jobs N`` (a process pool, its start included), taking turns, ``--repeat`` times each
   (medians kept).

Printed: the whole run against the sum of the single checks' evaluate + findings time ÷
workers (target ≤ 1.3×; beside it, against the whole single checks), the per-organisation
overhead ((wall × workers − sum of single checks) ÷ organisations) and the speed-up of N jobs
over 1 (target ≥ 1.7× with 2 jobs on 2 cores). A portfolio's unit check keeps less than a
single check makes (``CheckOptions(detail=False)``: findings counted, not located; the
organisation assessed, not each department), so it can cost less than a single check's
evaluate + findings. Results go to
``bench/out/portfolio.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import generate  # noqa: E402
import yaml  # noqa: E402

#: Bump when the generated portfolio changes, so cached ones are not reused.
PORTFOLIO_VERSION = 1


def write_portfolio(out: Path, orgs: int, low: int, high: int, seed: int) -> Path:
    """One directory per organisation; half YAML, half JSON. Deterministic."""
    rng = random.Random(f"smgov-portfolio-{seed}")
    out.mkdir(parents=True, exist_ok=True)
    for n in range(orgs):
        accounts = rng.randint(low, high)
        data = generate.generate_inventory(accounts, seed=seed * 100_000 + n)
        data["organisation"] = {**data["organisation"], "name": f"Unit {n:04d}", "id": f"org-{n:04d}"}
        folder = out / f"unit-{n:04d}"
        folder.mkdir(exist_ok=True)
        if n % 2:
            (folder / "inventory.json").write_text(generate.dumps_inventory(data), encoding="utf-8")
        else:
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
            (folder / "inventory.yaml").write_text(text, encoding="utf-8")
    (out / ".complete").write_text("ok\n", encoding="utf-8")
    return out


def portfolio_dir(orgs: int, low: int, high: int, seed: int) -> Path:
    path = OUT / f"portfolio-v{PORTFOLIO_VERSION}g{generate.GENERATOR_VERSION}-o{orgs}-a{low}-{high}-s{seed}"
    if not (path / ".complete").exists():
        print(f"generating {orgs} organisations into {path} ...", flush=True)
        write_portfolio(path, orgs, low, high, seed)
    return path


def single_checks(units: list[Path], as_of: dt.date) -> dict[str, float]:
    """Each organisation's check in this process, policies compiled once: sums of seconds."""
    from engine import pipeline
    from engine.evaluate import findings
    from engine.policy import policies

    rules = policies.load(pipeline.default_policies())
    spent = {"evaluate+findings": 0.0}
    chooser, by_rule = pipeline.evaluator, findings.by_rule

    def timed(function: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent["evaluate+findings"] += time.perf_counter() - start

        return run

    pipeline.evaluator = lambda name: timed(chooser(name))  # type: ignore[assignment]
    findings.by_rule = timed(by_rule)  # type: ignore[assignment]
    try:
        total = 0.0
        for unit in units:
            options = pipeline.CheckOptions(inventory=(str(unit),), as_of=as_of)
            start = time.perf_counter()
            pipeline.run_check(options, compiled=rules)
            total += time.perf_counter() - start
    finally:
        pipeline.evaluator, findings.by_rule = chooser, by_rule  # type: ignore[assignment]
    return {"check": total, "evaluate+findings": spent["evaluate+findings"]}


def portfolio_run(path: Path, as_of: dt.date, jobs: int) -> tuple[float, str]:
    """Wall seconds of one ``run_portfolio``, and the JSON report (to compare runs)."""
    from engine.portfolio.check import PortfolioOptions, run_portfolio
    from engine.report.render import PORTFOLIO_RENDERERS

    start = time.perf_counter()
    outcome = run_portfolio(PortfolioOptions(paths=(str(path),), as_of=as_of, jobs=jobs))
    seconds = time.perf_counter() - start
    return seconds, PORTFOLIO_RENDERERS["json"](outcome.report)


def load() -> str:
    try:
        return " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "?"


def measure(args: argparse.Namespace) -> dict[str, Any]:
    path = args.dir or portfolio_dir(args.orgs, args.min_accounts, args.max_accounts, args.seed)
    units = sorted(p for p in path.iterdir() if p.is_dir() and any(p.glob("inventory.*")))
    if args.limit and args.limit < len(units):  # the first N, through a manifest listing them
        units = units[: args.limit]
        manifest = OUT / f"portfolio-first-{args.limit}" / "portfolio.yaml"
        manifest.parent.mkdir(parents=True, exist_ok=True)
        listed = [{"name": u.name, "path": str(u.resolve())} for u in units]
        manifest.write_text(yaml.safe_dump({"organisations": listed}, sort_keys=False), encoding="utf-8")
        path = manifest
    as_of = generate.AS_OF
    print(f"load average {load()} at the start (2 = both CPUs busy elsewhere: figures are then noisy)", flush=True)
    walls: dict[int, list[float]] = {1: [], args.jobs: []}
    reports: set[str] = set()
    singles: list[dict[str, float]] = []
    for _ in range(max(1, args.repeat)):
        singles.append(single_checks(units, as_of))
        print(f"  single checks: {singles[-1]['check']:.2f} s", flush=True)
        for jobs in walls:
            seconds, report = portfolio_run(path, as_of, jobs)
            walls[jobs].append(seconds)
            reports.add(report)
            (OUT / f"portfolio-jobs{jobs}.json").write_text(report, encoding="utf-8")  # to compare when they differ
            print(f"  portfolio --jobs {jobs}: {seconds:.2f} s", flush=True)
    check = statistics.median(s["check"] for s in singles)
    core = statistics.median(s["evaluate+findings"] for s in singles)
    one, many = statistics.median(walls[1]), statistics.median(walls[args.jobs])
    n, j = len(units), args.jobs
    result = {
        "organisations": n,
        "accounts": [args.min_accounts, args.max_accounts],
        "jobs": j,
        "usable_cores": _cores(),
        "single_checks_s": round(check, 3),
        "single_evaluate_findings_s": round(core, 3),
        "wall_s": {str(k): [round(v, 3) for v in vs] for k, vs in walls.items()},
        "whole_vs_checks_per_worker": many / (check / j),
        "whole_vs_evaluate_findings_per_worker": many / (core / j),
        "overhead_ms_per_organisation": {
            "1": 1000 * (one - check) / n,
            str(j): 1000 * (many * j - check) / n,
        },
        "speedup": one / many,
        "identical_reports": len(reports) == 1,
        "load_average_end": load(),
    }
    return result


def _cores() -> int:
    from engine.portfolio.workers import usable_cores

    return usable_cores()


def report(result: dict[str, Any]) -> int:
    n, j = result["organisations"], result["jobs"]
    say = print
    say()
    say(f"{n} organisations ({result['accounts'][0]}-{result['accounts'][1]} accounts), {j} jobs, "
        f"{result['usable_cores']} usable cores; medians of {len(result['wall_s']['1'])} run(s)")  # fmt: skip
    say(f"  sum of single checks (policies compiled once): {result['single_checks_s']:.2f} s; "
        f"of their evaluate+findings: {result['single_evaluate_findings_s']:.2f} s")  # fmt: skip
    say(f"  portfolio --jobs 1: {statistics.median(result['wall_s']['1']):.2f} s; "
        f"--jobs {j}: {statistics.median(result['wall_s'][str(j)]):.2f} s")  # fmt: skip
    for jobs, ms in result["overhead_ms_per_organisation"].items():
        say(
            f"  per-organisation overhead with {jobs} job(s): {ms:.1f} ms (wall × jobs − single checks) ÷ organisations"
        )
    verdicts = [
        (
            f"whole run ≤ 1.3× (the single checks' evaluate+findings ÷ {j} workers)",
            result["whole_vs_evaluate_findings_per_worker"] <= 1.3,
            f"{result['whole_vs_evaluate_findings_per_worker']:.2f}×",
        ),
        (f"≥ 1.7× faster with {j} jobs than 1", result["speedup"] >= 1.7, f"{result['speedup']:.2f}×"),
        ("the report is identical byte for byte whatever the jobs", result["identical_reports"], ""),
    ]
    for name, ok, figure in verdicts:
        say(f"{'PASS' if ok else 'FAIL'} {name}: {figure}")
    say(f"     (against the whole single checks ÷ {j}: {result['whole_vs_checks_per_worker']:.2f}×)")
    say(f"load average {result['load_average_end']} at the end")
    return 0 if result["identical_reports"] else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", default="run", choices=["run", "generate"])
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--min-accounts", type=int, default=50)
    parser.add_argument("--max-accounts", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2, help="jobs of the parallel run (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--out", type=Path, help="generate: where to write the portfolio")
    parser.add_argument("--dir", type=Path, help="run: an existing portfolio directory instead of the generated one")
    parser.add_argument("--limit", type=int, help="run: only its first N organisations")
    args = parser.parse_args(argv)
    if args.command == "generate":
        target = args.out or portfolio_dir(args.orgs, args.min_accounts, args.max_accounts, args.seed)
        write_portfolio(target, args.orgs, args.min_accounts, args.max_accounts, args.seed)
        print(f"wrote {args.orgs} organisations to {target}")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    result = measure(args)
    (OUT / "portfolio.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return report(result)


if __name__ == "__main__":
    sys.exit(main())
