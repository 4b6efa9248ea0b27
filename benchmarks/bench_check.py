"""End-to-end speed of `submitkit check` on a full-size submission, against the decode floor.

Builds a synthetic submission for one track and split (default: ImageNet-S919
test, 27,423 masks) from the official list when a toolbox is given (else from
made-up names), with realistic masks (mostly ImageNet-sized, ~1.5% above
1000x1000) and a fake dataset whose JPEGs have the masks' sizes. Then, in one
run, times (the floor and `--jobs 1` as the best of `--repeat` runs):

* floor: ``np.asarray(Image.open(p))`` on every mask, one process;
* building the manifest from the toolbox and the dataset (JPEG headers only);
* the check with that manifest, --jobs 1 and all cores, and --quick;
* the command a user runs, ``submitkit check SUB --toolbox T --dataset D``.

    python benchmarks/bench_check.py [--toolbox ../shared/imagenet-s] [--track 919]
        [--split test] [--images N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_masks import COMMON_SIZES, LARGE_SHARE, blobby_ids
from PIL import Image

from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.checks.staged import run_check
from submitkit.inputs.config import RunContext
from submitkit.inputs.manifest import ManifestSources, official_names, toolbox_data_dir
from submitkit.inputs.png import encode


def default_toolbox() -> Path | None:
    configured = os.environ.get("SUBMITKIT_TEST_TOOLBOX")
    for candidate in filter(None, [configured, Path(__file__).parents[2] / "shared/imagenet-s"]):
        if (Path(candidate) / "data" / "categories").is_dir():
            return Path(candidate)
    return None


def build(root: Path, names: list[str], k: int, split: Split, seed: int = 0) -> tuple[Path, Path]:
    """Masks under root/submission and same-sized JPEGs under root/dataset."""
    rng = np.random.default_rng(seed)
    submission = root / "submission"
    split_dir = root / "dataset" / TRACKS[k].folder / split.value
    for i, name in enumerate(names):
        if rng.random() < LARGE_SHARE:
            height, width = int(rng.integers(1100, 2600)), int(rng.integers(1100, 3200))
        else:
            height, width = COMMON_SIZES[int(rng.integers(len(COMMON_SIZES)))]
        mask = submission / f"{name}.png"
        mask.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(encode(blobby_ids(rng, height, width, k))).save(mask, optimize=False)
        jpeg = split_dir / f"{name}.JPEG"
        jpeg.parent.mkdir(parents=True, exist_ok=True)
        # Only the header's size matters to the check: a flat grey image is enough.
        Image.new("L", (width, height), 128).save(jpeg, quality=10)
        if (i + 1) % 5000 == 0:
            print(f"  generated {i + 1:,} of {len(names):,}", file=sys.stderr)
    return submission, root / "dataset"


def timed(
    label: str, fn: Callable[[], object], floor: float | None, repeat: int = 1
) -> tuple[float, object]:
    """The best of ``repeat`` runs (a shared machine only ever adds time)."""
    seconds, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        seconds = min(seconds, time.perf_counter() - start)
    ratio = f"{seconds / floor:6.2f}x" if floor else "   1.00x"
    print(f"{label:<52} {seconds:8.2f} s {ratio}")
    return seconds, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toolbox", type=Path, default=default_toolbox())
    parser.add_argument("--track", type=int, default=919, choices=sorted(TRACKS))
    parser.add_argument("--split", type=Split, default=Split.test)
    parser.add_argument("--images", type=int, help="use only the first N names")
    parser.add_argument("--keep", type=Path, help="generate into (and keep) this folder")
    parser.add_argument("--repeat", type=int, default=3, help="best of N for floor and --jobs 1")
    args = parser.parse_args()
    k, split = args.track, args.split
    if args.toolbox is not None:
        names = official_names(toolbox_data_dir(args.toolbox), TRACKS[k], split)
    else:
        names = [f"n{i % k:08d}/ILSVRC2012_val_{i:08d}" for i in range(TRACKS[k].count(split))]
    names = names[: args.images] if args.images else names
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-check-"))
    print(
        f"{len(names):,} masks of {TRACKS[k].name} {split.value} in {root}; {os.cpu_count()} cores"
    )
    if not (root / "submission").is_dir():
        build(root, names, k, split)
    submission, dataset = root / "submission", root / "dataset"
    paths = sorted(submission.rglob("*.png"))

    def decode_all() -> None:
        for path in paths:
            with Image.open(path) as image:
                np.asarray(image)

    decode_all()  # warm the page cache
    floor, _ = timed(
        "floor: decode every mask (PIL + NumPy, 1 process)", decode_all, None, args.repeat
    )
    # With a partial list (--images) the toolbox would report the rest missing.
    toolbox = args.toolbox if not args.images else None
    sources = ManifestSources(toolbox, dataset)
    _, built = timed(
        "manifest from toolbox + dataset (JPEG headers)", lambda: sources.build(k, split), floor
    )
    manifest_path = root / "manifest.json"
    built[0].save(manifest_path)  # type: ignore[index]

    def check(jobs: int, quick: bool) -> object:
        context = RunContext(ManifestSources(manifest=manifest_path), quick=quick, jobs=jobs)
        run = run_check(submission, context)
        errors = run.report.errors
        assert errors == 1, f"expected only T001 (no method.txt), got {run.report.by_code}"
        return run

    full1, _ = timed(
        "check --manifest, full, --jobs 1", lambda: check(1, False), floor, args.repeat
    )
    timed("check --manifest, full, all cores", lambda: check(0, False), floor)
    timed("check --manifest, --quick", lambda: check(0, True), floor)
    command = [
        sys.executable,
        "-m",
        "submitkit",
        "check",
        str(submission),
        "--dataset",
        str(dataset),
    ]
    if toolbox is not None:
        command += ["--toolbox", str(toolbox)]
    timed(
        "user command: check --toolbox --dataset, all cores",
        lambda: subprocess.run(command, capture_output=True, check=False),
        floor,
    )
    verdict = "met" if full1 <= 1.1 * floor else "NOT met"
    print(f"target check --jobs 1 <= 1.1x floor: {verdict} ({full1 / floor:.2f}x)")


if __name__ == "__main__":
    main()
