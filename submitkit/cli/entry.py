"""The console-script entry point: Ctrl-C is one line and exit 130 from the first instant.

It imports nothing heavy itself, so that an interrupt while the command's
modules are still loading is caught here like one during the work: no
traceback, the line ``interrupted`` on stderr, exit status 130. A second
Ctrl-C while cleaning up is ignored, so temporary files are always removed.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from submitkit.core.exits import ExitCode

INTERRUPTED = int(ExitCode.INTERRUPTED)
"""The exit status of a run stopped by Ctrl-C (128 + SIGINT), as shells report it."""

_seen: list[int] = []


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    # The first Ctrl-C stops the work; the cleanup it sets off must not be cut short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _seen.append(signum)
    raise KeyboardInterrupt


def _unraisable(report: sys.UnraisableHookArgs) -> None:
    """A Ctrl-C that landed in a finaliser, which cannot raise: deliver it to the work again.

    Printed, it would be a traceback beside "interrupted"; swallowed, the work
    would go on with Ctrl-C ignored. So the handler is put back and the
    signal sent anew, which the main thread then handles as usual.
    """
    if _seen and report.exc_type is not None and issubclass(report.exc_type, KeyboardInterrupt):
        signal.signal(signal.SIGINT, _on_interrupt)
        # A real signal, not _thread.interrupt_main: it also wakes a blocking wait.
        os.kill(os.getpid(), signal.SIGINT)
        return
    sys.__unraisablehook__(report)


def interrupted() -> None:
    """Say so on one line and leave at once (daemon worker threads die with the process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sys.stderr.write("interrupted\n")
        sys.stderr.flush()
    finally:
        os._exit(INTERRUPTED)


def main() -> None:
    """Run the command line with Ctrl-C handled from the first import on."""
    signal.signal(signal.SIGINT, _on_interrupt)
    sys.unraisablehook = _unraisable
    try:
        from submitkit.cli.app import main as run

        run()
    except KeyboardInterrupt:
        interrupted()
    except SystemExit:
        # typer turns Ctrl-C into a silent exit 130 once the temporary files are gone.
        if _seen:
            interrupted()
        raise
    if _seen:
        interrupted()
