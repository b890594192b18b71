"""Where a one-process native check's memory goes, against the memory target's budget.

    .venv/bin/python bench/memory.py                     # the 100,000-account inventory
    .venv/bin/python bench/memory.py --accounts 10000

The issue's memory target asks the native check to use 10x less memory than the durable-rules
one. Read as whole-process peaks, that is a budget of durable's peak / 10 (taken from
``bench/out/results.json`` when ``bench/run.py`` measured durable at this size, or given with
``--durable-mb``). This script measures, each in a fresh process, what any check of the file
must hold, so the budget can be compared with the parts:

  imports    the interpreter with the engine and the native evaluator imported;
  bytes      the file's bytes, read (RSS added);
  reader     the inventory as the check holds it after reading: parsed records plus what
             locating items later needs (RSS added, bytes freed), and the time to read it;
  typed      the same records as the most compact form measured: msgspec structs generated
             from the inventory schema (``engine.inputs.typedcheck``), decoded straight from the
             bytes in C, which also checks their types (RSS added, bytes freed), and the
             time to read and decode them;
  findings   a serial check's findings (RSS added while ``findings.by_rule`` runs), and per
             1,000 findings;
  peak       the serial check's peak RSS, as ``bench/run.py`` measures it.

Memory freed inside a process is not always given back to the system, so each part is
measured in its own process, as the RSS it adds over the imports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
PARTS = ("imports", "bytes", "reader", "typed", "check")


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")  # pragma: no cover - not Linux


def _rss() -> float:
    return _status("VmRSS:")


def worker(part: str, inventory: str, rules: str, as_of: str) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    sys.path.insert(0, str(ROOT))
    import gc

    from engine import pipeline
    from engine.evaluate import findings
    from engine.inputs import schemas, sources

    pipeline.evaluator("native")
    gc.disable()  # as run_check does: nothing here is cyclic
    base = _rss()
    out: dict[str, Any] = {"part": part, "imports_mb": base}
    path = Path(inventory)
    if part == "bytes":
        raw = path.read_bytes()
        out["mb"] = _rss() - base
        out["size_mb"] = len(raw) / 2**20
    elif part == "reader":
        start = time.perf_counter()
        loaded = sources.load(path)
        parsed = sources.parse(loaded)  # type: ignore[arg-type]
        out["seconds"] = time.perf_counter() - start
        del loaded
        out["mb"] = _rss() - base
        out["ok"] = isinstance(parsed, sources.Source)
    elif part == "typed":
        import msgspec

        validator = schemas.fast_check("inventory")
        assert validator is not None
        start = time.perf_counter()
        raw = path.read_bytes()
        document = msgspec.json.decode(raw, type=validator.type)
        out["seconds"] = time.perf_counter() - start
        del raw
        out["mb"] = _rss() - base
        out["ok"] = document is not None
    elif part == "check":
        grown: list[float] = []
        by_rule = findings.by_rule

        def measured(*args: Any, **kwargs: Any) -> Any:
            before = _rss()
            try:
                return by_rule(*args, **kwargs)
            finally:
                grown.append(_rss() - before)

        findings.by_rule = measured  # type: ignore[assignment]
        options = pipeline.CheckOptions(inventory=(inventory,), policies=(rules,), as_of=dt.date.fromisoformat(as_of))
        report = pipeline.run_check(options)
        out["findings"] = len(report.findings)
        out["mb"] = sum(grown)
        out["peak_mb"] = _status("VmHWM:")
    return out


def measure(part: str, inventory: Path, rules: Path, as_of: str) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", part, str(inventory), str(rules), as_of]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        raise SystemExit(f"the {part} measurement failed (exit {done.returncode}): {tail or 'no output'}")
    return json.loads(lines[-1])  # type: ignore[no-any-return]


def durable_peak(accounts: int) -> float | None:
    """Durable's whole-check peak at this size, from the last ``bench/run.py`` run."""
    try:
        results = json.loads((OUT / "results.json").read_text())
    except (OSError, ValueError):
        return None
    for row in results.get("sizes", []):
        durable = row.get("durable") or {}
        if row.get("accounts") == accounts and "error" not in durable and durable.get("peak_mb"):
            return float(durable["peak_mb"])
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100000, help="inventory size (default %(default)s)")
    parser.add_argument("--rules", type=int, default=100, help="rules in the rule set (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--durable-mb", type=float, help="durable's peak MB (default: from bench/out/results.json)")
    parser.add_argument("--worker", nargs=4, metavar=("PART", "INVENTORY", "RULES", "AS_OF"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(*args.worker)))
        return 0

    sys.path.insert(0, str(BENCH))
    import generate
    import run

    inventory = run.inventory_file(args.accounts, args.seed)
    rules, _ = run.rules_dir(args.rules, args.seed)
    as_of = generate.AS_OF.isoformat()
    size = inventory.stat().st_size / 2**20
    print(f"{inventory.relative_to(ROOT)} ({size:.0f} MB), {args.rules} rules, as of {as_of}")
    got = {part: measure(part, inventory, rules, as_of) for part in PARTS[1:]}
    imports = got["bytes"]["imports_mb"]
    check = got["check"]
    per_thousand = check["mb"] / check["findings"] * 1000 if check["findings"] else 0.0
    rows = [
        ("interpreter + engine imports", imports),
        (f"the file's bytes ({got['bytes']['size_mb']:.0f} MB)", got["bytes"]["mb"]),
        (
            f"the inventory as the check holds it (records + positions; read in {got['reader']['seconds']:.2f} s)",
            got["reader"]["mb"],
        ),
        (
            f"the same records as typed msgspec structs (read and type-checked in {got['typed']['seconds']:.2f} s)",
            got["typed"]["mb"],
        ),
        (f"findings: {check['findings']:,} ({per_thousand:.2f} MB per 1,000)", check["mb"]),
        ("one-process native check, peak", check["peak_mb"]),
    ]
    width = max(len(label) for label, _ in rows)
    for label, mb in rows:
        print(f"  {label:<{width}}  {mb:8.0f} MB")
    durable = args.durable_mb or durable_peak(args.accounts)
    if durable is None:
        print("budget: unknown (run bench/run.py at this size with durable, or pass --durable-mb)")
        return 0
    budget = durable / 10
    floor = imports + got["typed"]["mb"]
    print(f"budget for 10x less than durable's peak ({durable:.0f} MB): {budget:.0f} MB")
    print(
        f"holding the whole inventory in the most compact form measured needs {floor:.0f} MB "
        f"(imports + typed records) before any finding: {floor / budget:.2f}x the budget"
    )
    peak = check["peak_mb"]
    print(f"one-process native peak: {peak / budget:.2f}x the budget ({durable / peak:.1f}x less than durable)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
