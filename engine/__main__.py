"""The ``smgov`` command and ``python -m engine``: the command line, with Ctrl-C an exit.

Ctrl-C (SIGINT) ends smgov with exit code 130 and one line on stderr, whenever it comes:
even while the modules are still loading, so the handler is set before they are imported.
It raises :class:`Interrupted`, which no ``except Exception`` catches, so it is never
mistaken for an internal error or for bad input; ``finally`` blocks still run, and outputs
are written all or none (``engine.output``). A child process sharing a check goes with it.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


class Interrupted(BaseException):
    """The user pressed Ctrl-C."""


def _interrupt(_signal: int, _frame: FrameType | None) -> None:
    raise Interrupted


def run() -> None:
    signal.signal(signal.SIGINT, _interrupt)
    try:
        from engine.cli import main

        main()
    except Interrupted:
        sys.stderr.write("smgov: interrupted\n")
        sys.exit(130)  # engine.cli_common.EXIT_INTERRUPTED, not imported: it may not be loaded yet


if __name__ == "__main__":
    run()
