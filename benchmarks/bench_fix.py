"""Throughput of `submitkit fix` on a full-size submission, against decoding the same masks.

Builds the mistake fix exists for, on ImageNet-S919 test by default (27,423
masks, small-ish: 160x120 by default): every prediction a 16-bit grayscale PNG
written under its ImageNet label folder (first column of the official test
mapping), so 3,571 of them sit in the wrong folder. With ``--imagenet1k`` the
masks hold ImageNet-1k ids and fix converts them too (a synthetic class list
is written for it). Then, in one run, times:

* floor: ``np.asarray(Image.open(p))`` on every input mask, one process;
* decode + encode: the floor plus writing each mask back as RGB into memory;
* ``fix_submission`` with a manifest, ``--jobs 1`` and all cores (this
  includes the check of the written copy, which decodes every mask again).

    python benchmarks/bench_fix.py [--toolbox ../shared/imagenet-s] [--track 919]
        [--images N] [--size 160x120] [--imagenet1k] [--keep DIR]
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from bench_check import default_toolbox
from PIL import Image

from submitkit.benchmark.imagenet1k import MERGES
from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.inputs.config import RunContext
from submitkit.inputs.manifest import (
    ManifestSources,
    manifest_from_names,
    official_categories,
    toolbox_data_dir,
)
from submitkit.inputs.png import encode
from submitkit.workflows.fix import fix_submission


def test_images(data: Path, k: int) -> list[tuple[str, str]]:
    """(ImageNet label folder, ImageNet-S ``wnid/stem``) for every test image."""
    text = (data / TRACKS[k].test_mapping_file).read_text()
    rows = [line.split() for line in text.splitlines() if line.strip()]
    return [(a.split("/")[0], b.rsplit(".", 1)[0]) for a, b in rows]


def synsets(categories: list[str]) -> list[str]:
    wnids = set(categories) | set(MERGES)
    filler = 0
    while len(wnids) < 1000:
        wnids.add(f"n{9_000_000 + filler:08d}")
        filler += 1
    return sorted(wnids)


def build(
    root: Path, images: list[tuple[str, str]], high: int, size: tuple[int, int], seed: int = 0
) -> Path:
    """16-bit grayscale masks of blocky random ids under the label folders."""
    rng = np.random.default_rng(seed)
    width, height = size
    submission = root / "submission"
    for i, (label, key) in enumerate(images):
        coarse = rng.integers(0, high + 1, size=(height // 16 + 1, width // 16 + 1))
        ids = np.kron(coarse, np.ones((16, 16), dtype=np.int64))[:height, :width]
        mask = submission / label / f"{key.split('/', 1)[1]}.png"
        mask.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(ids.astype(np.uint16)).save(mask)
        if (i + 1) % 5000 == 0:
            print(f"  generated {i + 1:,} of {len(images):,}", file=sys.stderr)
    (submission / "method.txt").write_text(
        "Method name: bench\nTraining data: ImageNet\nTraining scheme: Sup\n"
        "Networks: none\nPaper/Project link: null\nMethod description: benchmark\n"
    )
    return submission


Floor = tuple[float, float]


def timed(label: str, fn: Callable[[], object], floor: Floor | None) -> tuple[Floor, object]:
    """Wall and CPU seconds (all threads of this process), each as a ratio to the floor's.

    On a shared machine the wall clock also counts other sessions' work; the
    CPU time of this process does not, so both are printed.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    base = floor or (wall, cpu)
    print(
        f"{label:<52} wall {wall:7.2f} s {wall / base[0]:6.2f}x   "
        f"cpu {cpu:7.2f} s {cpu / base[1]:6.2f}x"
    )
    return (wall, cpu), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toolbox", type=Path, default=default_toolbox())
    parser.add_argument("--track", type=int, default=919, choices=sorted(TRACKS))
    parser.add_argument("--images", type=int, help="use only the first N test images")
    parser.add_argument("--size", default="160x120", help="mask width x height")
    parser.add_argument("--imagenet1k", action="store_true", help="masks hold ImageNet-1k ids")
    parser.add_argument("--keep", type=Path, help="generate into (and keep) this folder")
    parser.add_argument("--jobs", default="1,0", help="fix --jobs values to time (0 = all cores)")
    args = parser.parse_args()
    if args.toolbox is None:
        parser.error("the official lists are needed: give --toolbox")
    k = args.track
    data = toolbox_data_dir(args.toolbox)
    categories = official_categories(data, TRACKS[k])
    images = test_images(data, k)[: args.images or None]
    width, height = (int(n) for n in args.size.lower().split("x"))
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-fix-"))
    moved = sum(1 for label, key in images if key.split("/")[0] != label)
    print(
        f"{len(images):,} masks of {TRACKS[k].name} test ({width}x{height}, {moved:,} under "
        f"another folder) in {root}; {os.cpu_count()} cores"
    )
    if not (root / "submission").is_dir():
        build(root, images, 1000 if args.imagenet1k else k, (width, height))
    submission = root / "submission"
    manifest = root / "manifest.json"
    manifest_from_names(k, Split.test, [key for _, key in images], categories=categories).save(
        manifest
    )
    synset_file = root / "LOC_synset_mapping.txt"
    synset_file.write_text("".join(f"{w} class\n" for w in synsets(categories)))
    paths = sorted(submission.rglob("*.png"))

    def decode_all() -> None:
        for path in paths:
            with Image.open(path) as image:
                np.asarray(image)

    def decode_encode_all() -> None:
        for path in paths:
            with Image.open(path) as image:
                ids = np.asarray(image)
            Image.fromarray(encode(ids)).save(io.BytesIO(), format="PNG")

    floor, _ = timed("floor: decode every mask (PIL + NumPy, 1 process)", decode_all, None)
    timed("decode + encode as RGB (1 process, in memory)", decode_encode_all, floor)

    def fix(jobs: int, name: str) -> object:
        out = root / name
        shutil.rmtree(out, ignore_errors=True)
        result = fix_submission(
            submission,
            out,
            RunContext(ManifestSources(manifest=manifest), jobs=jobs),
            from_labels="imagenet1k" if args.imagenet1k else None,
            synsets=synset_file if args.imagenet1k else None,
        )
        assert result.passed, result.report.by_code if result.report else "no report"
        shutil.rmtree(out, ignore_errors=True)
        return result

    what = "fix (move, RGB" + (", ImageNet-1k ids" if args.imagenet1k else "") + ", check)"
    for jobs in (int(j) for j in args.jobs.split(",")):
        timed(f"{what}, --jobs {jobs}", functools.partial(fix, jobs, f"out{jobs}"), floor)


if __name__ == "__main__":
    main()
