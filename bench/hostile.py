"""Hostile inputs, measured: what each costs smgov now (time and peak memory, each in a fresh
process), and what the bounds cost an ordinary large inventory.

    .venv/bin/python bench/hostile.py            # ~1 minute
    .venv/bin/python bench/hostile.py --accounts 100000   # the bounds' cost at 100k accounts

Figures and the machine are in bench/README.md ("Hostile inputs").
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Runs one smgov command and prints its exit code, wall time and peak resident memory.
_MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, check=False)
took = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
first = (done.stderr.decode(errors="replace").splitlines() or ["-"])[0][:150]
print(done.returncode, f"{took:.3f}", f"{peak:.0f}", first)
"""


def smgov(*args: str) -> tuple[int, float, float, str]:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, sys.executable, "-m", "engine", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout.split(" ", 3)
    return int(out[0]), float(out[1]), float(out[2]), out[3].strip()


def laughs(levels: int = 9) -> str:
    text = "organisation: {name: X}\nx0: &a0 [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
    for k in range(1, levels + 1):
        text += f"x{k}: &a{k} [" + ",".join([f"*a{k - 1}"] * 10) + "]\n"
    return text


DEEP = 50_000


def files(directory: Path) -> dict[str, Path]:
    made = {
        "alias bomb (10^10 nodes, 1 KB)": ("bomb.yaml", laughs()),
        "YAML nested 50,000 deep": ("deep.yaml", "organisation: {name: X}\nx: " + "[" * 50_000 + "]" * 50_000 + "\n"),
        "JSON nested 50,000 deep": (
            "deep.json",
            '{"organisation": {"name": "X"}, "x": ' + "[" * 50_000 + "]" * 50_000 + "}",
        ),
        "one string of 50 MB (JSON)": ("long.json", '{"organisation": {"name": "' + "a" * 50_000_000 + '"}}'),
        "lone surrogate (JSON)": ("surrogate.json", '{"organisation": {"name": "\\ud800"}}'),
        "NaN (JSON)": ("nan.json", '{"organisation": {"name": "X", "employees": NaN}}'),
    }
    out = {}
    for label, (name, text) in made.items():
        out[label] = directory / name
        out[label].write_text(text, encoding="utf-8")
    sparse = directory / "huge.json"
    with sparse.open("wb") as handle:
        handle.truncate((256 << 20) + 1)
    out["a 256 MiB + 1 file (sparse)"] = sparse
    return out


def regex_figures() -> list[str]:
    import re

    from engine.policy.patterns import compile_pattern

    lines = []
    for n in (18, 20, 22):
        start = time.perf_counter()
        re.search(r"^(a+)+$", "a" * n + "b")
        lines.append(f"| Python `re`, `^(a+)+$` on {n} a's + b | {time.perf_counter() - start:.3f} s |")
    pattern = compile_pattern(r"^(a+)+$")
    start = time.perf_counter()
    pattern.matches("a" * 200_000 + "b")
    lines.append(f"| RE2 (smgov), `^(a+)+$` on 200,000 a's + b | {time.perf_counter() - start:.4f} s |")
    texts = ["a" * 200 + "b", "a" * 200] * 50_000  # a check asks about every subject's text at once
    start = time.perf_counter()
    pattern.which(texts)
    lines.append(
        f"| RE2 (smgov), `^(a+)+$` on 100,000 texts of 200 a's, half + b | {time.perf_counter() - start:.4f} s |"
    )
    everything = compile_pattern("a")
    start = time.perf_counter()
    everything.which(texts)
    lines.append(f"| RE2 (smgov), `a` (matches every text) on the same, joined | {time.perf_counter() - start:.4f} s |")
    return lines


def bounds_cost(accounts: int) -> list[str]:
    """What the string screen and the credential pass cost an ordinary inventory."""
    from engine import pipeline
    from engine.inputs import credentials, limits

    with tempfile.TemporaryDirectory() as name:
        path = Path(name) / "org.json"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate.py"),
                "inventory",
                "--accounts",
                str(accounts),
                "--out",
                str(path),
            ],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
        raw = path.read_bytes()
        start = time.perf_counter()
        limits.may_hold_a_long_string(raw)
        screen = time.perf_counter() - start
        spent = [0.0]
        redact = credentials.redact_findings

        def timed(found: Any) -> Any:  # the pass as the pipeline runs it (garbage collector off)
            began = time.perf_counter()
            try:
                return redact(found)
            finally:
                spent[0] += time.perf_counter() - began

        pipeline.credentials.redact_findings = timed  # type: ignore[attr-defined]
        start = time.perf_counter()
        report = pipeline.run_check(pipeline.CheckOptions(inventory=(str(path),)))
        whole = time.perf_counter() - start
        redaction = spent[0]
    return [
        f"| {accounts:,} accounts ({len(raw) / 1e6:.0f} MB of JSON): long-string screen | {screen:.3f} s |",
        f"| the credential pass over {len(report.findings):,} findings | {redaction:.3f} s |",
        f"| the whole check, for scale | {whole:.2f} s |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000, help="inventory size for the bounds' cost")
    options = parser.parse_args()
    print("| input | exit | time | peak memory | first line |\n|---|---|---|---|---|")
    code, took, peak, _ = smgov("--version")
    print(f"| (none: `smgov --version`, the start-up every row includes) | {code} | {took:.2f} s | {peak:.0f} MB | |")
    with tempfile.TemporaryDirectory() as name:
        for label, path in files(Path(name)).items():
            code, took, peak, line = smgov("validate", str(path))
            line = line.replace(str(path), Path(path).name)
            print(f"| {label} | {code} | {took:.2f} s | {peak:.0f} MB | `{line}` |")
        code, took, peak, line = smgov(
            "check",
            str(ROOT / "examples" / "automotive"),
            "--as-of",
            "2026-10-01",
            "--policies",
            str(Path(name) / "bomb.yaml"),
        )
        print(f"| alias bomb as --policies | {code} | {took:.2f} s | {peak:.0f} MB | `{line.split(': ', 1)[-1]}` |")
    print("\n| regular expression | time |\n|---|---|")
    print("\n".join(regex_figures()))
    print("\n| the bounds on an ordinary inventory | time |\n|---|---|")
    print("\n".join(bounds_cost(options.accounts)))


if __name__ == "__main__":
    main()
