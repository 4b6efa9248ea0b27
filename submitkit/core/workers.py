"""How submitkit starts worker processes, shared by the mask checks and scoring."""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import signal

from submitkit.inputs.source import forget_open_zips


def pool_context() -> multiprocessing.context.BaseContext:
    """The start method for worker pools: forkserver where it exists, else spawn.

    Not fork: a parent may hold threads (the progress display) and an open zip
    handle whose file offset a forked child would share, so concurrent reads
    would interleave. forkserver forks workers from a clean process that has
    already imported NumPy and PIL. The price: a script calling submitkit's
    library functions needs the usual ``if __name__ == "__main__":`` guard.
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(
            ["submitkit.checks.masks", "submitkit.scoring.engine", "submitkit.workflows.pack"]
        )
        return ctx
    return multiprocessing.get_context("spawn")


def start_worker() -> None:
    """Run first in every worker process.

    Ctrl-C reaches the whole process group: only the parent should react (by
    cancelling the queue and removing temporary files), not every worker with
    a traceback of its own. And no zip handle opened by another process is
    ever reused.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    forget_open_zips()
