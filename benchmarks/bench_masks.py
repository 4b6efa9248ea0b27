"""How fast submitkit inspects prediction masks, against the raw PNG decode floor.

Generates N realistic 919-track predictions (a few large smooth regions, as an
argmax over upsampled logits gives; mostly ImageNet-sized, a few above 1000x1000
pixels), saved like the official inference scripts save them (PIL, optimize=False).
Then times:

* floor: ``np.asarray(Image.open(p))`` on every file, one process;
* ``inspect_masks`` full mode with jobs=1 and with every core;
* ``inspect_masks`` quick mode (headers only);

and extrapolates each to the 27,423 masks of a full ImageNet-S919 test submission.

    python benchmarks/bench_masks.py [--images 2000] [--zip] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image

from submitkit.checks.masks import inspect_masks
from submitkit.inputs.layout import Prediction
from submitkit.inputs.png import encode
from submitkit.inputs.source import MemberRef

FULL_TEST_SET = 27_423
COMMON_SIZES = [(375, 500), (500, 375), (333, 500), (500, 333), (500, 500), (281, 500)]
LARGE_SHARE = 0.015


def blobby_ids(
    rng: np.random.Generator, height: int, width: int, k: int = 919
) -> npt.NDArray[np.int64]:
    """An id map like a segmentation network's: argmax of smooth upsampled logits."""
    n = int(rng.integers(2, 5))
    classes = np.concatenate([[0], rng.choice(np.arange(1, k + 1), n - 1, replace=False)])
    logits = []
    for c in range(n):
        low = rng.normal(size=(6, 8)).astype(np.float32) + (0.6 if c == 0 else 0.0)
        up = Image.fromarray(low, mode="F").resize((width, height), Image.Resampling.BILINEAR)
        logits.append(np.asarray(up))
    ids: npt.NDArray[np.int64] = classes[np.argmax(np.stack(logits), axis=0)]
    return ids


def generate(root: Path, count: int, seed: int = 0) -> list[str]:
    """Write ``count`` masks below ``root`` as wnid/stem.png; returns their names."""
    rng = np.random.default_rng(seed)
    names = []
    for i in range(count):
        if rng.random() < LARGE_SHARE:
            height, width = int(rng.integers(1100, 2600)), int(rng.integers(1100, 3200))
        else:
            height, width = COMMON_SIZES[int(rng.integers(len(COMMON_SIZES)))]
        name = f"n{i % 50:08d}/ILSVRC2012_val_{i:08d}.png"
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        rgb = encode(blobby_ids(rng, height, width))
        Image.fromarray(rgb).save(root / name, optimize=False)
        names.append(name)
    return names


def timed(label: str, fn: Callable[[], object], count: int, floor: float | None) -> float:
    start = time.perf_counter()
    fn()
    seconds = time.perf_counter() - start
    per = seconds / count
    ratio = f"  {seconds / floor:5.2f}x floor" if floor else ""
    print(
        f"{label:<28} {seconds:7.2f} s  {per * 1e3:6.3f} ms/mask  "
        f"-> {per * FULL_TEST_SET:6.1f} s for {FULL_TEST_SET:,}{ratio}"
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000, help="masks to generate")
    parser.add_argument("--zip", action="store_true", help="read the masks from a zip")
    parser.add_argument("--keep", type=Path, help="generate into (and keep) this folder")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="submitkit-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        names = generate(root, args.images)
        raw = sum((root / n).stat().st_size for n in names)
        print(
            f"generated {len(names)} masks ({raw / len(names) / 1024:.1f} KiB each) in "
            f"{time.perf_counter() - start:.1f} s; {os.cpu_count()} cores"
        )
        if args.zip:
            archive = root.with_suffix(".zip")
            with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
                for n in names:
                    zf.write(root / n, n)
            refs = [MemberRef(str(archive), n, True) for n in names]
        else:
            refs = [MemberRef(str(root), n, False) for n in names]
        tasks = [Prediction(r, n, None) for r, n in zip(refs, names, strict=True)]
        count = len(tasks)

        def floor_run() -> None:
            for n in names:
                np.asarray(Image.open(root / n))

        # Warm the page cache so every run reads from memory alike.
        floor_run()
        floor = timed("floor (PIL + np.asarray)", floor_run, count, None)
        timed("full, jobs=1", lambda: inspect_masks(tasks, jobs=1), count, floor)
        timed(f"full, jobs={os.cpu_count()}", lambda: inspect_masks(tasks, jobs=0), count, floor)
        timed("quick, jobs=1", lambda: inspect_masks(tasks, quick=True, jobs=1), count, floor)
        timed("quick, jobs=0", lambda: inspect_masks(tasks, quick=True, jobs=0), count, floor)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
            root.with_suffix(".zip").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
