"""YAML reading speed: the fast path (yaml-rs, ``engine/inputs/yaml_fast.py``) against PyYAML.

    .venv/bin/python bench/yaml_speed.py                    # 10,000 accounts, 5 runs each
    .venv/bin/python bench/yaml_speed.py --accounts 2000 --repeat 3

The inventory is ``generate.generate_inventory`` (10,000 accounts and ~50,000 training
records by default) written block style by ``yaml.safe_dump``, as a person would write it.
Each reader runs ``--repeat`` times, taking turns (so that load from elsewhere falls on all
alike); medians are compared:

  csafe        ``yaml.load(text, Loader=yaml.CSafeLoader)``: libyaml through PyYAML, the reference speed
  reference    ``yaml_source.parse_yaml``: smgov's PyYAML reader (data and every node's position)
  fast         ``yaml_fast.parse_yaml_fast``: yaml-rs and the checks that it gives the same data
  fast+marks   the same, then a position asked for (PyYAML composes them: a file with findings)
  rapidyaml    ``ryml.parse_in_arena`` (parse only: no Python data), when installed
  ruamel       ruamel.yaml's C-based safe loader, when installed

Target: fast ≥ 5× faster than csafe, with the same data as ``reference`` (checked here, and
error positions in tests/test_yaml_fast.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import generate  # noqa: E402
import yaml  # noqa: E402


def candidates(text: str) -> dict[str, Callable[[], Any]]:
    from engine.inputs.yaml_fast import parse_yaml_fast
    from engine.inputs.yaml_source import parse_yaml

    def with_marks() -> Any:
        result = parse_yaml_fast(text, "inventory.yaml")
        result[1].locate(("accounts", 0))  # type: ignore[index]
        return result

    readers: dict[str, Callable[[], Any]] = {
        "csafe": lambda: yaml.load(text, Loader=yaml.CSafeLoader),
        "reference": lambda: parse_yaml(text, "inventory.yaml"),
        "fast": lambda: parse_yaml_fast(text, "inventory.yaml"),
        "fast+marks": with_marks,
    }
    try:
        import ryml  # rapidyaml

        encoded = text.encode("utf-8")
        readers["rapidyaml"] = lambda: ryml.parse_in_arena(encoded)
    except ImportError:
        pass
    try:
        from ruamel.yaml import YAML

        loader = YAML(typ="safe", pure=False)
        readers["ruamel"] = lambda: loader.load(text)
    except ImportError:
        pass
    return readers


def measure(accounts: int, seed: int, repeat: int) -> dict[str, Any]:
    from engine.inputs.yaml_fast import fast_data
    from engine.inputs.yaml_source import parse_yaml

    text = yaml.safe_dump(generate.generate_inventory(accounts, seed), sort_keys=False, allow_unicode=True)
    reference = parse_yaml(text, "inventory.yaml")
    fast = fast_data(text)
    same = fast is not None and not hasattr(reference, "message") and repr(fast) == repr(reference[0])  # type: ignore[index]
    readers = candidates(text)
    runs: dict[str, list[float]] = {name: [] for name in readers}
    for _ in range(max(1, repeat)):
        for name, read in readers.items():
            start = time.perf_counter()
            read()
            runs[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(times) for name, times in runs.items()}
    return {
        "accounts": accounts,
        "megabytes": len(text.encode("utf-8")) / 1e6,
        "fast_path_taken": fast is not None,
        "same_data": same,
        "runs": runs,
        "medians": medians,
        "ratio": medians["csafe"] / medians["fast"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} at the start")
    result = measure(args.accounts, args.seed, args.repeat)
    print(f"{result['accounts']:,} accounts, {result['megabytes']:.1f} MB of YAML; medians of {args.repeat} runs")
    fast = result["medians"]["fast"]
    for name, seconds in result["medians"].items():
        print(f"  {name:<11} {seconds:8.3f} s  {seconds / fast:6.1f}× the fast path")
    ok = result["fast_path_taken"] and result["same_data"] and result["ratio"] >= 5
    print(
        f"{'PASS' if ok else 'FAIL'} fast ≥ 5× faster than CSafeLoader with the same data: {result['ratio']:.1f}× "
        f"(fast path taken: {result['fast_path_taken']}, same data as parse_yaml: {result['same_data']})"
    )
    print(f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    return 0 if result["fast_path_taken"] and result["same_data"] else 1


if __name__ == "__main__":
    sys.exit(main())
