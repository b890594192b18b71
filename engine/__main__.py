"""The ``smgov`` command and ``python -m engine``: the command line, with Ctrl-C an exit.

Ctrl-C (SIGINT) ends smgov with exit code 130 and one line on stderr, and a stop (SIGTERM,
as a CI runner sends when a job is cancelled) with 143, whenever they come: even while the
modules are still loading, so the handlers are set before they are imported. They raise
:class:`Interrupted`, which no ``except Exception`` catches, so it is never mistaken for an
internal error or for bad input; ``finally`` blocks still run, outputs are written all or
none (``engine.report.output``), and a child process sharing a check is stopped with its parent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType


class Interrupted(BaseException):
    """The user pressed Ctrl-C, or something asked smgov to stop."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def _interrupt(number: int, _frame: FrameType | None) -> None:
    _handle(_late)  # a second signal while this one unwinds: no second exception, no traceback
    raise Interrupted(number)


def _late(number: int, _frame: FrameType | None) -> None:
    """A signal after the command has finished (or while it is being stopped): end at once,
    with the same exit code and line, never a traceback from wherever the interpreter was."""
    with contextlib.suppress(OSError):
        os.write(2, b"smgov: interrupted\n" if number == signal.SIGINT else b"smgov: stopped\n")
    os._exit(128 + number)


def _handle(handler: Callable[[int, FrameType | None], None]) -> None:
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def run() -> None:
    _handle(_interrupt)
    try:
        from engine.cli.app import main

        main()
    except Interrupted as stop:
        sys.stderr.write("smgov: interrupted\n" if stop.number == signal.SIGINT else "smgov: stopped\n")
        sys.exit(128 + stop.number)  # 130 for Ctrl-C (engine.cli.common.EXIT_INTERRUPTED), 143 for SIGTERM
    except BrokenPipeError:  # the reader of ``smgov --help | head -1`` went away: as SIGPIPE ends a tool
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    except OSError as exc:  # writing help or the version to a full disk, ...
        with contextlib.suppress(OSError):
            sys.stderr.write(f"smgov: cannot write standard output: {exc.strerror or exc}\n")
        sys.exit(2)
    finally:
        _handle(_late)


if __name__ == "__main__":
    run()
