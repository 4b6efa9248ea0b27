"""The one parallel runner: worker threads or forked processes, one CPU-count rule.

Which one is decided by measurement (``benchmarks/bench_runner.py``, two
cores). Pillow releases the GIL while it decodes, and with it checking masks
on threads reached 92-102 % of the processes' throughput. The fast decoder
(:mod:`~submitkit.inputs.fast_png`, libspng through ``pyspng``) does not
release it: on 752 masks, check's decoding took 0.76 s on one thread, 0.90 s
on two threads and 0.43 s in two processes. Scoring is, beside the decoding,
some thirty short NumPy passes per image, each releasing and retaking the
GIL; there two threads reached 49 % of two processes' throughput. So work
that decodes masks (the check's pixel stage, the scoring pass, pack, fix) is
declared ``processes=True`` and runs in worker processes where ``fork``
exists (Linux); everything else, or everywhere else, runs on threads.

Both are safe the same way: no ``if __name__ == "__main__":`` guard is needed
in a script that calls the library (``fork`` starts no new interpreter), a
worker process ignores Ctrl-C and is terminated by the run it serves on any
exit (Ctrl-C, an error, an early stop), so none outlives it.

The workers are daemon threads fed one chunk of items at a time. Results come
back in input order to the calling thread, which alone reports progress and
writes output. When the caller stops (Ctrl-C, an error, or simply breaking
out of the loop) the workers drop what is queued and finish only the item at
hand, so the process can exit at once.
"""

from __future__ import annotations

import collections
import ctypes
import math
import multiprocessing
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Generator, Sequence
from typing import Any, Generic, TypeVar

from submitkit.core.errors import UsageError
from submitkit.core.exits import STOP_SIGNALS

T = TypeVar("T")
R = TypeVar("R")

MAX_CHUNK = 32
"""Items per task at most: big enough to hide hand-off costs, small enough for progress."""
IO_THREADS_PER_CPU = 4
"""Threads per CPU for work that mostly waits on the disk (reading file headers)."""
MAX_IO_THREADS = 32
_POLL_SECONDS = 0.2


def usable_cpus() -> int:
    """CPUs this process may run on: its affinity mask (containers, taskset), else all."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def resolve_workers(jobs: int, *, io_bound: bool = False) -> int:
    """The number of workers for ``--jobs``: 0 means one per usable CPU.

    Work that waits on the disk rather than the CPU gets a few threads per CPU,
    so that many reads are in flight on a cold cache.
    """
    if jobs < 0:
        raise UsageError(f"jobs must be 0 (all cores) or a positive number, not {jobs}")
    if jobs > 0:
        return jobs
    cpus = usable_cpus()
    return min(MAX_IO_THREADS, IO_THREADS_PER_CPU * cpus) if io_bound else cpus


class _Crew(Generic[T, R]):
    """Daemon threads that apply one function to chunks of items."""

    def __init__(self, fn: Callable[[T], R], workers: int) -> None:
        self._fn = fn
        self._tasks: queue.SimpleQueue[tuple[int, Sequence[T]] | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[tuple[int, list[R] | None, BaseException | None]] = (
            queue.SimpleQueue()
        )
        self._stop = threading.Event()
        for n in range(workers):
            threading.Thread(target=self._work, name=f"submitkit-worker-{n}", daemon=True).start()
        self._workers = workers

    def _work(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None or self._stop.is_set():
                return
            index, part = task
            out: list[R] = []
            try:
                for item in part:
                    if self._stop.is_set():
                        return
                    out.append(self._fn(item))
            except BaseException as exc:
                # Handed to the calling thread, which raises it there.
                self._done.put((index, None, exc))
                continue
            self._done.put((index, out, None))

    def submit(self, index: int, part: Sequence[T]) -> None:
        self._tasks.put((index, part))

    def result(self) -> tuple[int, list[R]]:
        """The next finished chunk; a worker's exception is raised here."""
        while True:
            try:
                # A timeout keeps the calling thread responsive to signals on every platform.
                index, out, exc = self._done.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if exc is not None:
                raise exc
            assert out is not None
            return index, out

    def stop(self) -> None:
        self._stop.set()
        for _ in range(self._workers):
            self._tasks.put(None)


def chunked(items: Sequence[T], workers: int, max_chunk: int = MAX_CHUNK) -> list[Sequence[T]]:
    """``items`` cut into about four chunks per worker, at most ``max_chunk`` items each."""
    size = max(1, min(max_chunk, math.ceil(len(items) / (workers * 4))))
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_ordered(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
    io_bound: bool = False,
    max_chunk: int = MAX_CHUNK,
    window: int | None = None,
    processes: bool = False,
) -> Generator[R, None, None]:
    """``fn`` over ``items``, yielded in input order.

    ``jobs`` as :func:`resolve_workers` reads it (1 stays on the calling thread).
    ``progress(n)`` is called on the calling thread as results are handed out.
    ``window`` bounds the chunks finished or in flight (default: two per worker),
    so that memory stays flat however many items there are. Exceptions raised by
    ``fn`` come out here; ``fn`` should turn bad input into results, not raise.
    ``processes``: run in forked worker processes where the platform forks (see
    the module); ``fn`` and the items are inherited, only results travel pickled.
    """
    workers = resolve_workers(jobs, io_bound=io_bound)
    chunks = chunked(items, workers, max_chunk)
    if workers == 1 or len(chunks) < 2:
        for part in chunks:
            out = [fn(item) for item in part]
            if progress is not None:
                progress(len(out))
            yield from out
        return
    workers = min(workers, len(chunks))
    if processes and can_fork():
        yield from _forked(fn, chunks, workers, progress, window)
        return
    yield from _parallel(fn, chunks, workers, progress, window)


def can_fork() -> bool:
    """Whether worker processes can be forked here (Linux; macOS forks unsafely, Windows not)."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


_inherited: list[tuple[Callable[[Any], Any], Sequence[Sequence[Any]]]] = []
"""The function and chunks of the forked run in progress, which its worker processes inherit:
only a chunk's index travels to a worker, and only results come back pickled."""
_forking = threading.Lock()
"""Held from setting that function until the workers are forked (runs from several threads)."""


def _forked(
    fn: Callable[[T], R],
    chunks: list[Sequence[T]],
    workers: int,
    progress: Callable[[int], None] | None,
    window: int | None,
) -> Generator[R, None, None]:
    pool = None
    done = False
    try:
        with _forking:
            _inherited[:] = [(fn, chunks)]
            # Ctrl-C is held back while the workers are forked: a worker must not get
            # it before it has set itself to ignore it (it is delivered right after).
            _hold_interrupts(True)
            try:
                pool = multiprocessing.get_context("fork").Pool(
                    workers, initializer=_worker_start, initargs=(os.getpid(),)
                )
            finally:
                _hold_interrupts(False)
        owner = threading.get_ident()
        yield from _windowed(pool, chunks, max(1, window or 2 * workers), progress)
        done = True
    finally:
        # Whatever ends the run (done, Ctrl-C, an error, an early stop): no worker survives it.
        with _forking:
            if _inherited and _inherited[0][1] is chunks:
                _inherited.clear()  # the workers have their own copy; the items can go
        if pool is not None:
            if done and threading.get_ident() == owner:
                pool.terminate()
                pool.join()
            else:
                _stop_quickly(pool)


def _windowed(
    pool: Any, chunks: list[Sequence[T]], ahead: int, progress: Callable[[int], None] | None
) -> Generator[Any, None, None]:
    """The chunks' results in order, at most ``ahead`` chunks in flight or waiting.

    ``Pool.imap`` would queue every chunk at once, and finished results (a
    packed mask's bytes, say) would pile up in memory behind a slow reader.
    """
    flight: collections.deque[Any] = collections.deque()
    for index in range(len(chunks) + ahead):
        if index < len(chunks):
            flight.append(pool.apply_async(_apply_inherited, (index,)))
        if len(flight) == ahead or index >= len(chunks):
            if not flight:
                return
            out = flight.popleft().get()
            if progress is not None:
                progress(len(out))
            yield from out


def _hold_interrupts(hold: bool) -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK if hold else signal.SIG_UNBLOCK, set(STOP_SIGNALS))


def _worker_start(parent: int) -> None:
    # Ctrl-C (and SIGHUP) reach the whole process group: they are the parent's to
    # handle, which then ends its workers. SIGTERM keeps its default: it is how the
    # pool's own terminate() ends a worker.
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_DFL if signum == signal.SIGTERM else signal.SIG_IGN)
    _die_with(parent)
    _hold_interrupts(False)


_PR_SET_PDEATHSIG = 1
"""prctl(2): the signal the kernel sends this process when its parent ends."""


def _die_with(parent: int) -> None:
    """Have the kernel kill this worker when its parent process ends, however it ends.

    A stopped run leaves by ``os._exit`` at once (see ``cli.entry``); a run whose
    generator was never closed would leave its workers waiting on the task queue
    for ever, orphaned. With the parent-death signal no worker outlives its run.
    Linux only, as forking is; a worker whose parent is already gone leaves now.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


_STOP_SECONDS = 0.5
"""How long a stopped run waits for the pool to wind down before killing its workers."""


def _stop_quickly(pool: Any) -> None:
    """End the workers of a run that did not finish, without hanging on them.

    Stopped by a signal sent to the whole group (SIGTERM), a worker may have
    died holding the task queue's lock, on which the pool's own terminate()
    would wait forever; a run abandoned by its caller may be finalised on one
    of the pool's own threads, which cannot join itself. So the pool is ended
    from a thread of its own, given a moment, and any worker left is killed.
    """
    stopper = threading.Thread(target=_end, args=(pool,), daemon=True)
    stopper.start()
    stopper.join(_STOP_SECONDS)
    for worker in getattr(pool, "_pool", []):
        if worker.exitcode is None:
            worker.kill()


def _end(pool: Any) -> None:
    pool.terminate()
    pool.join()


def _apply_inherited(index: int) -> list[Any]:
    fn, chunks = _inherited[0]
    return [fn(item) for item in chunks[index]]


def _parallel(
    fn: Callable[[T], R],
    chunks: list[Sequence[T]],
    workers: int,
    progress: Callable[[int], None] | None,
    window: int | None,
) -> Generator[R, None, None]:
    crew: _Crew[T, R] = _Crew(fn, workers)
    ahead = max(1, window if window is not None else 2 * workers)
    submitted = 0
    ready: dict[int, list[R]] = {}
    try:
        while submitted < min(len(chunks), ahead):
            crew.submit(submitted, chunks[submitted])
            submitted += 1
        for i in range(len(chunks)):
            while i not in ready:
                index, out = crew.result()
                ready[index] = out
            out = ready.pop(i)
            if submitted < len(chunks):
                crew.submit(submitted, chunks[submitted])
                submitted += 1
            if progress is not None:
                progress(len(out))
            yield from out
    finally:
        # Ctrl-C, an error or an early stop: the workers drop the queue and exit.
        crew.stop()


def run_all(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
    io_bound: bool = False,
    max_chunk: int = MAX_CHUNK,
    processes: bool = False,
) -> list[R]:
    """:func:`run_ordered`, collected into a list."""
    return list(
        run_ordered(
            fn,
            items,
            jobs=jobs,
            progress=progress,
            io_bound=io_bound,
            max_chunk=max_chunk,
            processes=processes,
        )
    )
