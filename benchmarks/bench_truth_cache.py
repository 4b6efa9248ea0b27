"""What the ground-truth cache gains, and the ratio to the official evaluator.

On the realistic 752-image ImageNet-S50 validation set (benchmarks/realistic_set.py:
the official names and wnids, synthetic masks), in one run, interleaved, each
timed as a user runs it (``python -m submitkit evaluate ... --quiet``, all cores):

* uncached: ``--no-cache``, ground truth decoded from PNG;
* cold: the first cached run, which also writes the cache;
* cached: the second and later runs, ground truth from the cache;
* official: the official evaluator, when ``--official`` gives the command that
  runs it, timed in the same interleaved rounds. The target is cached >= 20x
  faster than the official evaluator.

The official ``evaluation/evaluator.py`` needs CUDA, torchvision and OpenCV; on
a CPU machine it runs from a checkout of the toolbox in a venv with torch
(CPU build), numpy<2, opencv-python-headless, pillow, munkres, tqdm and
prettytable, through ``benchmarks/official_harness.py``, which makes
``torch.Tensor.cuda`` the identity and gives ``torchvision.datasets.ImageFolder``
as a bare ``Dataset`` (EvalDataset only calls its constructor), then runs
``evaluator.py`` from its own folder. The command is a template with
``{submission}`` and ``{ground_truth}``, for example::

    --official "VENV/bin/python benchmarks/official_harness.py TOOLBOX \
        --predict-dir {submission} --gt-dir {ground_truth} --workers 2 --mode 50"

Without ``--official`` the ratio uses the 57 s recorded in
/work/shared/performance.md for the same set on the same kind of machine,
and says so.

    python benchmarks/bench_truth_cache.py [--keep DIR] [--repeat N] [--toolbox DIR]
        [--official CMD]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import realistic_set

RECORDED_OFFICIAL_SECONDS = 57.0
"""The official evaluator on this set, CPU, 2 loader workers (performance.md: 57-61 s)."""
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
    parser.add_argument("--official", help="command template that runs the official evaluator")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="submitkit-cache-bench-"))
    cache = Path(tempfile.mkdtemp(prefix="submitkit-cache-"))
    try:
        if not (root / "submission").is_dir():
            realistic_set.build(root, args.toolbox)
        ground_truth = root / "dataset" / "ImageNetS50" / "validation-segmentation"
        env = {**os.environ, "SUBMITKIT_CACHE_DIR": str(cache)}
        base = [
            sys.executable, "-m", "submitkit", "evaluate", str(root / "submission"),
            "--dataset", str(root / "dataset"), "--toolbox", str(args.toolbox),
            "--quiet", "--format", "json",
        ]  # fmt: skip
        official_command = None
        if args.official:
            filled = args.official.format(submission=root / "submission", ground_truth=ground_truth)
            official_command = shlex.split(filled)
        _time([*base, "--no-cache"], env)  # warm the page cache and the imports
        cold = _time(base, env)
        uncached, cached, official = [], [], []
        for _ in range(args.repeat):
            uncached.append(_time([*base, "--no-cache"], env))
            cached.append(_time(base, env))
            if official_command is not None:
                official.append(_time(official_command, env))
        size = sum(p.stat().st_size for p in cache.rglob("*.bin"))
        gt_png = sum(p.stat().st_size for p in ground_truth.rglob("*.png"))
        best_u, best_c = min(uncached), min(cached)
        print(f"752-image set at {root}; {os.cpu_count()} cores; best of {args.repeat}")
        print(f"  uncached evaluate (--no-cache)   {best_u:6.2f} s   runs {_list(uncached)}")
        print(f"  first cached run (writes cache)  {cold:6.2f} s")
        print(f"  cached evaluate                  {best_c:6.2f} s   runs {_list(cached)}")
        print(f"  cache gain                       {best_u / best_c:6.2f}x")
        print(f"  cache file {size / 1e6:.1f} MB for {gt_png / 1e6:.1f} MB of ground-truth PNGs")
        if official:
            reference = min(official)
            print(f"  official evaluator (CPU)         {reference:6.2f} s   runs {_list(official)}")
            how = "measured in this run"
        else:
            reference = RECORDED_OFFICIAL_SECONDS
            print(f"  official evaluator, recorded     {reference:6.1f} s   (performance.md)")
            how = "against the recorded time"
        for label, mine in (("uncached", best_u), ("cached", best_c)):
            print(f"  {label + ' vs official':<32} {reference / mine:6.1f}x   ({how})")
        verdict = "met" if reference / best_c >= TARGET else "NOT met"
        print(f"  target cached >= {TARGET:.0f}x faster than the official evaluator: {verdict}")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
