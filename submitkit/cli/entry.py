"""The console-script entry point: Ctrl-C is one line and exit 130 from the first instant.

It imports nothing heavy itself, so that an interrupt while the command's
modules are still loading is caught here like one during the work: no
traceback, the line ``interrupted`` on stderr, exit status 130. SIGTERM (a
``timeout``, a cancelled CI job) and SIGHUP are handled the same way, with
``terminated`` and exit 143 or ``hung up`` and 129. A second signal while
cleaning up is ignored, so temporary files are always removed.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType

from submitkit.core.exits import STOP_SIGNALS

_seen: list[int] = []
_RESEND_SECONDS = 0.01
"""A swallowed stop signal is sent again after this long (the hook has returned by then)."""


def _ignore_stops() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    # The first signal stops the work; the cleanup it sets off must not be cut short.
    _ignore_stops()
    _seen.append(signum)
    raise KeyboardInterrupt


def _unraisable(report: sys.UnraisableHookArgs) -> None:
    """A Ctrl-C that landed in a finaliser, which cannot raise: deliver it to the work again.

    Printed, it would be a traceback beside "interrupted"; swallowed, the work
    would go on with Ctrl-C ignored. So the handler is put back and the
    signal sent anew, which the main thread then handles as usual.
    """
    if _seen and report.exc_type is not None and issubclass(report.exc_type, KeyboardInterrupt):
        signal.signal(_seen[0], _on_interrupt)
        # A real signal, not _thread.interrupt_main: it also wakes a blocking wait. Its
        # handler runs on the main thread: sent from there, it would raise inside this
        # hook (and be swallowed again), so it is sent a moment later, from a thread.
        if threading.current_thread() is threading.main_thread():
            again = threading.Timer(_RESEND_SECONDS, os.kill, (os.getpid(), _seen[0]))
            again.daemon = True
            again.start()
        else:
            os.kill(os.getpid(), _seen[0])
        return
    sys.__unraisablehook__(report)


def stopping() -> bool:
    """Whether a stop signal has arrived: an error raised after it is the stop's doing.

    A library may turn the KeyboardInterrupt into its own error (pydantic
    building a validator wraps it in a SchemaError); the run is still stopping.
    """
    return bool(_seen)


def interrupted() -> None:
    """Say so on one line and leave at once (daemon worker threads die with the process).

    The status is 128 + the signal, as shells report a process the signal killed.
    """
    _ignore_stops()
    signum = _seen[0] if _seen else int(signal.SIGINT)
    try:
        sys.stderr.write(STOP_SIGNALS.get(signum, "interrupted") + "\n")
        sys.stderr.flush()
    finally:
        os._exit(128 + signum)


def main() -> None:
    """Run the command line with Ctrl-C (and SIGTERM, SIGHUP) handled from the first import on."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, _on_interrupt)
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
