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
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def can_fork() -> bool:
    return hasattr(os, "fork") and cores() >= 2 and threading.active_count() == 1


class Task(Generic[T]):
    """``function(*args)``, run in a child process or, failing that, by :meth:`result`."""

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
        """Compute, send the pickled answer, and leave without running any of the parent's
        exit handlers or flushing its buffers (they belong to the parent)."""
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends the child at once
            payload = pickle.dumps(self.function(*self.args), protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(payload)
            while view:
                view = view[os.write(pipe, view) :]
        except BaseException:  # nothing sent: the parent does the work itself
            pass
        finally:
            os._exit(0)

    def result(self, otherwise: Callable[[], T] | None = None) -> T:
        """The answer: the child's or, if there is no child or it failed, ``otherwise()``
        (default: the function, called here)."""
        fallback = otherwise or (lambda: self.function(*self.args))
        if not self.in_child:
            return fallback()
        chunks = []
        with os.fdopen(self._pipe, "rb") as pipe:
            self._pipe = -1
            while chunk := pipe.read(1 << 20):
                chunks.append(chunk)
        _reap(self.pid)
        try:
            return pickle.loads(b"".join(chunks))  # type: ignore[no-any-return]
        except Exception:  # the child died before it finished writing
            return fallback()

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


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # already reaped (SIGCHLD ignored)
        os.waitpid(pid, 0)
