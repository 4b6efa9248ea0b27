"""Is `Evaluator` as cheap per image as `evaluate`? The same images, both ways, one thread.

Builds the realistic ImageNet-S50 validation set (benchmarks/realistic_set.py:
official names and wnids, blobby ground truth with ignore bands, imperfect
predictions) in a temporary folder, then times, interleaved over ``--repeat``
rounds (the best round of each counts):

* ``submitkit.evaluate(..., jobs=1, cache=False)``: what the command runs, the
  check and the scoring pass, every PNG decoded;
* ``Evaluator.update`` over the same images already decoded into arrays (what a
  training loop holds), then ``compute()``;
* the decoding alone, for reference.

Prints the per-image cost of each and the ratio Evaluator / evaluate; the two
must give the same scores (checked). Target: the same order of cost per image
(a ratio at most 1; it skips the decoding and the check).

    python benchmarks/bench_evaluator.py [--images N] [--scale S] [--repeat R] [--toolbox DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

if importlib.util.find_spec("submitkit") is None:  # run from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import realistic_set

import submitkit
from submitkit.inputs.png import file_opener, read_official

SCORE_KEYS = ("Acc", "mIoU", "mBIoU", "FMeasure", "S", "MS", "ML", "L", "IoUs", "BIoUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=None, help="default: all 752")
    parser.add_argument("--scale", type=float, default=1.0, help="image size factor")
    parser.add_argument("--repeat", type=int, default=3)
    default = os.environ.get("SUBMITKIT_TEST_TOOLBOX", "/work/shared/imagenet-s")
    parser.add_argument("--toolbox", type=Path, default=Path(default))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-evaluator-") as tmp:
        root = Path(tmp)
        os.environ["SUBMITKIT_CACHE_DIR"] = str(root / "cache")  # never the user's cache
        names = realistic_set.build(root, args.toolbox, args.images, scale=args.scale)
        truth = root / "dataset" / "ImageNetS50" / "validation-segmentation"
        submission, dataset = root / "submission", root / "dataset"
        best = {"evaluate": float("inf"), "Evaluator": float("inf"), "decode": float("inf")}
        for _ in range(args.repeat):
            start = time.perf_counter()
            document = submitkit.evaluate(submission, dataset=dataset, jobs=1, cache=False)
            best["evaluate"] = min(best["evaluate"], time.perf_counter() - start)

            start = time.perf_counter()
            pairs = [
                (
                    read_official(file_opener(submission / f"{n}.png")),
                    read_official(file_opener(truth / f"{n}.png")),
                )
                for n in names
            ]
            best["decode"] = min(best["decode"], time.perf_counter() - start)

            start = time.perf_counter()
            evaluator = submitkit.Evaluator(track=50)
            for prediction, ground_truth in pairs:
                evaluator.update(prediction, ground_truth)
            scores = evaluator.compute()
            best["Evaluator"] = min(best["Evaluator"], time.perf_counter() - start)
        assert document.scores is not None
        theirs = document.scores.model_dump(include=set(SCORE_KEYS))
        assert scores.model_dump(include=set(SCORE_KEYS)) == theirs, "scores differ"
    n = len(names)
    print(f"{n} images (scale {args.scale}), best of {args.repeat}, one thread")
    for what, seconds in best.items():
        print(f"  {what:<10} {seconds:7.2f} s  {1000 * seconds / n:6.2f} ms/image")
    print(f"  ratio Evaluator / evaluate: {best['Evaluator'] / best['evaluate']:.2f}")
    print(f"  ratio Evaluator / decoding alone: {best['Evaluator'] / best['decode']:.2f}")


if __name__ == "__main__":
    main()
