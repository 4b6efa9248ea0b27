"""Threads or processes? The measurement behind submitkit's one parallel runner.

Builds realistic masks (the synthetic validation set of bench_evaluate.py:
ground truth and imperfect predictions, mostly ImageNet-sized, a few above
1000x1000) and times, in one run on this machine, the two kinds of work the
runner carries:

* check: read, decode and list the ids of every prediction;
* evaluate: read and decode prediction and ground truth, count one image;

each on one thread, on worker threads, and on worker processes (fork). The
rule, per kind of work: threads win if they reach at least 90 % of the
processes' throughput, because threads need no pickling and share memory;
otherwise that work asks the runner for processes (``run_ordered(...,
processes=True)``, which forks where the platform can).

    python benchmarks/bench_runner.py [--images N] [--repeat R] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

if importlib.util.find_spec("submitkit") is None:  # run from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_evaluate import K, build

from submitkit.core.workers import run_all, usable_cpus
from submitkit.inputs import png
from submitkit.scoring.metrics import count_image

_ROOTS: tuple[Path, Path] | None = None


def _check_one(name: str) -> int:
    assert _ROOTS is not None
    header, data = png.read_png(png.file_opener(_ROOTS[0] / f"{name}.png"))
    # The check's own decode: the fast decoder where the file allows, else Pillow.
    return len(png.decode_pixels(header, data).palette().ids) + header.width


def _evaluate_one(name: str) -> int:
    assert _ROOTS is not None
    pred = png.read_official(png.file_opener(_ROOTS[0] / f"{name}.png"))
    gt = png.read_official(png.file_opener(_ROOTS[1] / f"{name}.png"))
    return count_image(gt, pred, K).height


def _chunk(fn: Callable[[str], int], names: Sequence[str]) -> int:
    return sum(fn(n) for n in names)


def _check_chunk(names: Sequence[str]) -> int:
    return _chunk(_check_one, names)


def _evaluate_chunk(names: Sequence[str]) -> int:
    return _chunk(_evaluate_one, names)


def _chunks(names: Sequence[str], size: int = 16) -> list[Sequence[str]]:
    return [names[i : i + size] for i in range(0, len(names), size)]


def _timed(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    global _ROOTS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=752)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the set here and keep it")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="submitkit-runner-"))
    try:
        if not (root / "submission").is_dir():
            build(root, args.images, 0)
        pred_root = root / "submission"
        gt_root = root / "dataset" / f"ImageNetS{K}" / "validation-segmentation"
        names = sorted(p.relative_to(pred_root).as_posix()[:-4] for p in pred_root.rglob("*.png"))
        names = names[: args.images]
        _ROOTS = (pred_root, gt_root)
        cpus = usable_cpus()
        context = multiprocessing.get_context("fork")
        print(f"{len(names)} images, {cpus} usable CPUs, best of {args.repeat}")
        print(f"{'work':<10}{'1 thread':>10}{'threads':>10}{'processes':>11}{'thr/proc':>10}")
        verdicts = []
        for label, one, chunk in (
            ("check", _check_one, _check_chunk),
            ("evaluate", _evaluate_one, _evaluate_chunk),
        ):
            run_all(one, names[:50], jobs=1)  # warm the page cache
            serial = _timed(lambda one=one: run_all(one, names, jobs=1), args.repeat)
            threads = _timed(lambda one=one: run_all(one, names, jobs=cpus), args.repeat)
            with ProcessPoolExecutor(cpus, mp_context=context) as pool:
                list(pool.map(chunk, _chunks(names[:32], 8)))  # start the workers

                def processes(pool: ProcessPoolExecutor = pool, chunk=chunk) -> None:  # type: ignore[no-untyped-def]
                    list(pool.map(chunk, _chunks(names)))

                procs = _timed(processes, args.repeat)
            ratio = procs / threads
            verdicts.append(ratio)
            print(f"{label:<10}{serial:>9.2f}s{threads:>9.2f}s{procs:>10.2f}s{ratio:>9.0%}")
        print()
        for label, ratio in zip(("check", "evaluate"), verdicts, strict=True):
            choice = "threads" if ratio >= 0.9 else "processes"
            print(f"{label}: threads reach {ratio:.0%} of the processes (rule: >= 90%): {choice}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
