"""The ``smgov`` command and ``python -m engine``: the command line, with Ctrl-C an exit.

Ctrl-C (SIGINT) ends smgov with exit code 130 and one line on stderr, and a stop (SIGTERM,
as a CI runner sends when a job is cancelled) with 143, whenever they come: even while the
modules are still loading, so the handlers are set before they are imported. They raise
:class:`Interrupted`, which no ``except Exception`` catches, so it is never mistaken for an
internal error or for bad input; ``finally`` blocks still run, outputs are written all or
none (``engine.report.output``), and a child process sharing a check is stopped with its parent.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


class Interrupted(BaseException):
    """The user pressed Ctrl-C, or something asked smgov to stop."""

    def __init__(self, number: int) -> None:
        super().__init__(number)
        self.number = number


def _interrupt(number: int, _frame: FrameType | None) -> None:
    raise Interrupted(number)


def run() -> None:
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        from engine.cli.app import main

        main()
    except Interrupted as stop:
        sys.stderr.write("smgov: interrupted\n" if stop.number == signal.SIGINT else "smgov: stopped\n")
        sys.exit(128 + stop.number)  # 130 for Ctrl-C (engine.cli.common.EXIT_INTERRUPTED), 143 for SIGTERM


if __name__ == "__main__":
    run()
