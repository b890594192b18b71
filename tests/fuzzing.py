"""What the property-based tests (tests/test_fuzz_*.py) share: the two hypothesis profiles,
the time budget of ``make fuzz`` and the count of cases tried.

``make test`` runs the fast profile: a fixed, bounded set of examples per property
(``derandomize``: the same ones every run, so the suite never flickers). ``make fuzz``
(``SMGOV_FUZZ_SECONDS``, from ``FUZZ_SECONDS``) runs each property again and again on fresh
random examples until its share of the time is spent, and prints what it tried. A failure
prints the smallest input hypothesis found; keep it as a regression test
(tests/test_fuzz_regressions.py).
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from collections import Counter
from collections.abc import Callable

from hypothesis import HealthCheck, settings

#: Seconds ``make fuzz`` spends, shared among the properties (0: the fast profile only).
FUZZ_SECONDS = float(os.environ.get("SMGOV_FUZZ_SECONDS", "0") or 0)
#: Properties in tests/test_fuzz_*.py (the time budget is split among them).
PROPERTIES = 11

_CHECKS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile(
    "fast", max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=_CHECKS
)
settings.register_profile("long", max_examples=250, deadline=None, database=None, suppress_health_check=_CHECKS)
settings.load_profile("long" if FUZZ_SECONDS else "fast")



def examples(fast: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """At most ``fast`` examples in the fast profile (a property that runs whole checks);
    the long profile's number under ``make fuzz``."""
    return settings(max_examples=fast if not FUZZ_SECONDS else 250)


TRIED: Counter[str] = Counter()
SPENT: Counter[str] = Counter()


def tried(name: str) -> None:
    """Count one case of the property ``name``."""
    TRIED[name] += 1


def run(name: str, prop: Callable[[], None]) -> None:
    """The property ``prop`` (hypothesis-wrapped): once in the fast profile; under ``make
    fuzz``, repeatedly until its share of ``FUZZ_SECONDS`` is spent."""
    start = time.monotonic()
    prop()
    if FUZZ_SECONDS:
        while time.monotonic() - start < FUZZ_SECONDS / PROPERTIES:
            prop()
    SPENT[name] += time.monotonic() - start


@atexit.register
def _report() -> None:  # pragma: no cover - printed by make fuzz
    if not FUZZ_SECONDS or not TRIED:
        return
    lines = [f"fuzz: {sum(TRIED.values())} cases in {sum(SPENT.values()):.0f} s"]
    lines += [f"  {name}: {TRIED[name]} cases, {SPENT[name]:.0f} s" for name in sorted(TRIED)]
    sys.stdout.write("\n".join(lines) + "\n")
