"""Where a portfolio's organisations are checked: here, a local process pool, or a Dask
cluster, all behind the one ``concurrent.futures.Executor`` interface.

* ``jobs == 1``: in this process, one organisation after the other (no pool to start);
* ``jobs > 1``: a ``ProcessPoolExecutor`` of that many workers (``forkserver`` where the
  platform has it: no copy of a threaded parent's state);
* a scheduler address (``tcp://HOST:PORT``): an existing Dask distributed cluster, through
  ``Client.get_executor()`` (the ``dask`` extra).

Work is submitted one organisation per task (a task costs ~0.1 ms on a local pool and
~1.6 ms on Dask, against tens of milliseconds for the smallest check). Results come back in
the order they finish, for progress; :func:`run` puts them in the order the organisations
were named, so the report does not depend on how the work was spread.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from pathlib import Path

from engine.inputs.sources import display
from engine.portfolio.organisation import Settings, check_unit, relocated
from engine.portfolio.units import Unit
from engine.report.portfolio import UnitResult, broken_unit

#: The environment variable Dask itself reads for a scheduler's address.
SCHEDULER_VARIABLE = "DASK_SCHEDULER_ADDRESS"


class WorkersUnavailable(Exception):
    """The workers asked for cannot be had (no dask installed, no scheduler there)."""


def usable_cores() -> int:
    """The cores this process may use: its CPU affinity, capped by a container's CPU quota
    (cgroup v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``), at least one."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cores, quota) if quota else cores)


def _cgroup_quota(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    try:
        limit, period = (root / "cpu.max").read_text().split()[:2]
        return None if limit == "max" else math.ceil(int(limit) / int(period))
    except (OSError, ValueError):
        pass
    try:
        limit = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
        period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        return None if int(limit) <= 0 else math.ceil(int(limit) / int(period))
    except (OSError, ValueError):
        return None


@contextmanager
def executor(jobs: int, scheduler: str | None) -> Iterator[Executor | None]:
    """The executor for a run (None: this process), shut down after it."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise WorkersUnavailable("a Dask scheduler needs the dask extra: pip install 'smgov[dask]'") from None
        try:
            client = Client(scheduler, timeout="10s", set_as_default=False)
        except OSError as exc:
            raise WorkersUnavailable(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
    elif jobs <= 1:
        yield None
    else:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            yield pool


def run(
    units: Sequence[Unit],
    settings: Settings,
    pool: Executor | None,
    done: Callable[[UnitResult], None] = lambda _r: None,
) -> list[UnitResult]:
    """Check every unit; ``done`` is called with each result as it comes (for progress).
    The results are in the order of ``units``, their paths shown from this directory."""
    results: list[UnitResult | None] = [None] * len(units)
    if pool is None:
        for index, unit in enumerate(units):
            results[index] = _arrived(check_unit(unit, settings), done)
    else:
        futures: dict[Future[UnitResult], int] = {
            pool.submit(check_unit, unit, settings): index for index, unit in enumerate(units)
        }
        for future in as_completed(futures):
            index = futures.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # a worker that died (killed, out of memory)
                unit = units[index]
                result = broken_unit(unit.name, unit.path, unit.tags, f"the worker failed: {type(exc).__name__}: {exc}")
            results[index] = _arrived(result, done)
    return [r for r in results if r is not None]


def _arrived(result: UnitResult, done: Callable[[UnitResult], None]) -> UnitResult:
    shown = relocated(result, lambda path: display(Path(path)))
    done(shown)
    return shown
