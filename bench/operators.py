"""What the operators the sector packs added cost: `fold` and `days_after` against the exact
comparisons they stand beside, evaluated by the native evaluator over N accounts.

    .venv/bin/python bench/operators.py              # 100k accounts
    .venv/bin/python bench/operators.py --size 10000 --repeat 5

Each pair is measured in this one process, on the same generated accounts, as the best of
``--repeat`` runs of ``native.evaluate`` (compilation of the rules included; parsing and
validation of the inventory excluded: the inventory is built once). Printed: seconds per
pair and the ratio new/old, and whether the two evaluators agree on a 2,000-account sample.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.evaluate import native
from engine.inputs.inventory import build
from engine.inputs.positions import MarkTable
from engine.inputs.sources import Source
from engine.policy.policies import compile_sources

AS_OF = dt.date(2026, 10, 1)
PAIRS = {
    "equals a value": (
        {"field": "platform", "equals": "facebook"},
        {"field": "platform", "equals": {"value": "Facebook", "fold": True}},
    ),
    "one_of": (
        {"field": "platform", "one_of": ["facebook", "x"]},
        {"field": "platform", "one_of": {"values": ["Facebook", "X"], "fold": True}},
    ),
    "equals a field": (
        {"field": "owner", "not_equals": {"ref": "backup_owner"}},
        {"field": "owner", "not_equals": {"ref": "backup_owner", "fold": True}},
    ),
    "dates": (
        {"field": "last_reviewed_on", "days_since": {"lte": 365}},
        {"field": "last_reviewed_on", "days_after": {"from": {"ref": "created_on"}, "lte": 60}},
    ),
}


def accounts(size: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    platforms = ["facebook", "Facebook", "FACEBOOK", "x", "X", "instagram", "ｆａｃｅｂｏｏｋ"]
    names = ["ann", "Ann", "bob", "BOB", "Straße", "STRASSE", "carl"]
    out = []
    for i in range(size):
        created = AS_OF - dt.timedelta(days=rng.randrange(30, 3000))
        out.append(
            {
                "id": f"a{i}",
                "platform": rng.choice(platforms),
                "owner": rng.choice(names),
                "backup_owner": rng.choice(names),
                "created_on": created.isoformat(),
                "last_reviewed_on": (created + dt.timedelta(days=rng.randrange(0, 400))).isoformat(),
            }
        )
    return out


def policy(require: dict) -> object:
    rule = {
        "id": "B-001", "title": "bench", "description": "bench", "lever": "boundary", "stage": "initialisation",
        "severity": "low", "scope": "account", "require": require, "message": "m", "remediation": "r",
        "references": ["bench"],
    }  # fmt: skip
    return compile_sources([Source("bench.yaml", {"version": 1, "rules": [rule]}, MarkTable({}), "0" * 64)])


def best(policies: object, inventory: object, repeat: int) -> tuple[float, int]:
    times, failed = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = native.evaluate(policies, inventory, AS_OF)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
        failed = len(result[0].failed)
    return min(times), failed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = {"organisation": {"name": "Bench"}, "accounts": accounts(args.size)}
    inventory = build([Source("bench.yaml", data, MarkTable({}), "0" * 64)])
    sample = build([Source("s.yaml", {**data, "accounts": data["accounts"][:2000]}, MarkTable({}), "0" * 64)])
    from engine.evaluate import durable

    print(f"{args.size} accounts, best of {args.repeat}")
    for name, (old, new) in PAIRS.items():
        (t_old, f_old), (t_new, f_new) = (
            best(policy(old), inventory, args.repeat),
            best(policy(new), inventory, args.repeat),
        )
        agree = durable.evaluate(policy(new), sample, AS_OF) == native.evaluate(policy(new), sample, AS_OF)  # type: ignore[arg-type]
        print(
            f"{name:<16} exact {t_old:.3f} s ({f_old} failing)  new {t_new:.3f} s ({f_new} failing)  "
            f"ratio {t_new / t_old:.2f}  durable agrees: {agree}"
        )


if __name__ == "__main__":
    main()
