"""Run one function in a forked child process while the caller goes on (POSIX only).

A large check spends a fifth of its time validating its inventory. With a second core, a
child process can do that while the parent evaluates; the parent uses its results only once
the child says the inventory is valid (``engine.pipeline``). Anything unusual makes the
parent do the work itself, as if no child had been started: no fork available, one usable
core, threads running (forking a threaded process is unsafe), or a child that fails, is
killed or sends back something unreadable.

The child starts as a copy-on-write view of the parent: fork it before building large data
it does not need, or every page either process writes to gets copied.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import pickle
import select
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")


#: Where Linux shows the CPU quota of the container this process runs in.
CGROUP = Path("/sys/fs/cgroup")


def cores() -> int:
    """CPUs this process may use at once: those it may run on, within its container's CPU
    quota (a container limited to one CPU's time gains nothing from a second process)."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        count = os.cpu_count() or 1
    quota = _quota()
    return count if quota is None else max(1, min(count, int(quota)))


def _quota() -> float | None:
    """The CPU quota in CPUs (cgroup v2 ``cpu.max``, or v1 ``cpu.cfs_quota_us``), or None."""
    try:
        limit, period = (CGROUP / "cpu.max").read_text().split()[:2]
        return None if limit == "max" else int(limit) / int(period)
    except (OSError, ValueError):
        pass
    try:
        limit = int((CGROUP / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((CGROUP / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if limit <= 0 or period <= 0 else limit / period


def can_fork() -> bool:
    return hasattr(os, "fork") and cores() >= 2 and threading.active_count() == 1


class Task(Generic[T]):
    """``function(*args)``, run in a child process or, failing that, here.

    ``function`` may be a generator: the child then sends each value as soon as it is
    yielded. :meth:`result` is the first value; :meth:`ready` the ones that followed and have
    arrived by the time it is called (it never waits for the child to compute one)."""

    def __init__(self, function: Callable[..., T], *args: Any, fork: bool = True) -> None:
        self.function, self.args = function, args
        self.pid = 0
        self._pipe = -1
        if fork and can_fork():
            self._start()

    @property
    def in_child(self) -> bool:
        """Whether a child process is (or was) doing the work."""
        return self.pid > 0

    def _start(self) -> None:
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:  # no memory or process slot for a child: the parent does the work
            os.close(read_end)
            os.close(write_end)
            return
        if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
            os.close(read_end)
            self._child(write_end)
        os.close(write_end)
        self.pid, self._pipe = pid, read_end

    def _child(self, pipe: int) -> None:  # pragma: no cover - runs in the child
        """Compute, send each value (its pickled length, then it), and leave without running
        any of the parent's exit handlers or flushing its buffers (they belong to the parent)."""
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C or a stop ends the child at once
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            out = self.function(*self.args)
            for value in out if inspect.isgenerator(out) else (out,):
                payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                view = memoryview(len(payload).to_bytes(8, "big") + payload)
                while view:
                    view = view[os.write(pipe, view) :]
        except BaseException:  # nothing more sent: the parent does the rest itself
            pass
        finally:
            os._exit(0)

    def result(self, otherwise: Callable[[], T] | None = None) -> T:
        """The (first) answer: the child's or, if there is no child or it failed,
        ``otherwise()`` (default: the function's, computed here)."""
        if self.in_child and self._pipe >= 0:
            received, value = self._receive()
            if received:
                return value  # type: ignore[no-any-return]
        if otherwise is not None:
            return otherwise()
        out = self.function(*self.args)
        return next(out) if inspect.isgenerator(out) else out  # type: ignore[no-any-return]

    def ready(self) -> list[Any]:
        """The further values the child has sent so far (after :meth:`result`)."""
        values = []
        while self._pipe >= 0 and select.select([self._pipe], [], [], 0)[0]:
            received, value = self._receive()
            if not received:
                break
            values.append(value)
        return values

    def _receive(self) -> tuple[bool, Any]:
        """The next value, waiting for it; at the end (or on garbage) the child is reaped."""
        header = _read(self._pipe, 8)
        payload = _read(self._pipe, int.from_bytes(header, "big")) if header else None
        if payload is not None:
            with contextlib.suppress(Exception):  # unreadable: treated as the end
                return True, pickle.loads(payload)
        self.cancel()
        return False, None

    def cancel(self) -> None:
        """Stop the child, if it is still running, and reap it."""
        if self._pipe >= 0:
            os.close(self._pipe)
            self._pipe = -1
            with contextlib.suppress(ProcessLookupError):  # it may have exited already
                os.kill(self.pid, signal.SIGKILL)
            _reap(self.pid)

    def __enter__(self) -> Task[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.cancel()


def _read(pipe: int, size: int) -> bytes | None:
    """Exactly ``size`` bytes, or None if the pipe ends first."""
    chunks = []
    while size:
        chunk = os.read(pipe, min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # already reaped (SIGCHLD ignored)
        os.waitpid(pid, 0)
