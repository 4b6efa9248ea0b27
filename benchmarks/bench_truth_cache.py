"""What the ground-truth cache gains, and the ratio to the official evaluator.

On the realistic 752-image ImageNet-S50 validation set (benchmarks/realistic_set.py:
the official names and wnids, synthetic masks), in one run, interleaved, each
timed as a user runs it (``python -m submitkit evaluate ... --quiet``, all cores):

* uncached: ``--no-cache``, ground truth decoded from PNG;
* cold: the first cached run, which also writes the cache;
* cached: the second and later runs, ground truth from the cache.

The official evaluator cannot run here (it needs CUDA, torch, OpenCV). Its
time is *estimated* from the documented ratio measured side by side on the
same 752-image set (/work/shared/performance.md: official 57-61 s on CPU,
submitkit's uncached evaluate 7.7-9.8 s in the same interleaved runs, 7.5x):
official ~= 7.5 x this run's uncached time. The target is cached >= 20x
faster than the official evaluator, i.e. cached >= 20 / 7.5 = 2.67x faster
than uncached.

    python benchmarks/bench_truth_cache.py [--keep DIR] [--repeat N] [--toolbox DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import realistic_set

OFFICIAL_OVER_UNCACHED = 7.5
"""Official evaluator time / submitkit uncached evaluate time, measured side by side
(performance.md: 57-61 s vs 7.7-9.8 s on the 752-image set)."""
TARGET = 20.0


def _time(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"evaluate failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build (or reuse) the set here")
    parser.add_argument("--repeat", type=int, default=3)
    default = os.environ.get("SUBMITKIT_TEST_TOOLBOX", "/work/shared/imagenet-s")
    parser.add_argument("--toolbox", type=Path, default=Path(default))
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="submitkit-cache-bench-"))
    cache = Path(tempfile.mkdtemp(prefix="submitkit-cache-"))
    try:
        if not (root / "submission").is_dir():
            realistic_set.build(root, args.toolbox)
        env = {**os.environ, "SUBMITKIT_CACHE_DIR": str(cache)}
        base = [
            sys.executable, "-m", "submitkit", "evaluate", str(root / "submission"),
            "--dataset", str(root / "dataset"), "--toolbox", str(args.toolbox),
            "--quiet", "--format", "json",
        ]  # fmt: skip
        _time([*base, "--no-cache"], env)  # warm the page cache and the imports
        cold = _time(base, env)
        uncached, cached = [], []
        for _ in range(args.repeat):
            uncached.append(_time([*base, "--no-cache"], env))
            cached.append(_time(base, env))
        size = sum(p.stat().st_size for p in cache.rglob("*.bin"))
        gt_png = sum(
            p.stat().st_size
            for p in (root / "dataset" / "ImageNetS50" / "validation-segmentation").rglob("*.png")
        )
        best_u, best_c = min(uncached), min(cached)
        gain = best_u / best_c
        official = OFFICIAL_OVER_UNCACHED * best_u
        print(f"752-image set at {root}; {os.cpu_count()} cores; best of {args.repeat}")
        print(f"  uncached evaluate (--no-cache)   {best_u:6.2f} s   runs {_list(uncached)}")
        print(f"  first cached run (writes cache)  {cold:6.2f} s")
        print(f"  cached evaluate                  {best_c:6.2f} s   runs {_list(cached)}")
        print(f"  cache gain                       {gain:6.2f}x")
        print(f"  cache file {size / 1e6:.1f} MB for {gt_png / 1e6:.1f} MB of ground-truth PNGs")
        print(
            f"  official evaluator, estimated    {official:6.1f} s   "
            f"(= {OFFICIAL_OVER_UNCACHED}x uncached: the ratio measured side by side in "
            "performance.md; it needs CUDA and cannot run here)"
        )
        ratio = official / best_c
        verdict = "met" if ratio >= TARGET else "NOT met"
        print(
            f"  cached vs official (estimated)   {ratio:6.1f}x   target >= {TARGET:.0f}x: {verdict}"
        )
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
