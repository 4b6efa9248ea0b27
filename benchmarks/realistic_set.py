"""A realistic ImageNet-S validation set to run `evaluate`, `compare` and the cache on.

The official validation names and wnids of a track (from the shared list
files, or a toolbox clone): by default ImageNet-S50's 752 images; with
``--track 919`` the 12,419 of the 919 track, whose ids pass 255 in about three
ground truths of four (``--images N`` keeps the first N, ``--every`` spreads
them over all classes), synthetic blobby ground truth with ignore
bands, imperfect predictions, and source JPEGs of the right sizes (their
content is flat gray: only the size matters to a check). Written:

    ROOT/dataset/ImageNetS50/{validation,validation-segmentation}/<wnid>/<stem>.*
    ROOT/submission/<wnid>/<stem>.png + method.txt
    ROOT/degraded/  the same submission with the masks of a few classes zeroed

    python benchmarks/realistic_set.py ROOT [--toolbox DIR] [--track 50|300|919]
        [--images N] [--every N] [--seed S]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image
from scipy import ndimage

if importlib.util.find_spec("submitkit") is None:  # run from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from submitkit.benchmark.ids import IGNORE
from submitkit.inputs.png import encode

K = 50
DEGRADED_CLASSES = (3, 11, 27, 40, 46)
"""Class ids whose predicted pixels the degraded copy sets to 0."""
METHOD = """Method name: Synthetic
Training data: ImageNet-S50 train and train-semi
Training scheme: SSL+Sup
Networks: ResNet-50
Paper/Project link: null
Method description: Synthetic predictions for submitkit's benchmarks.
"""


def _size(rng: np.random.Generator, scale: float = 1.0) -> tuple[int, int]:
    h, w = _full_size(rng)
    return max(24, round(h * scale)), max(24, round(w * scale))


def _full_size(rng: np.random.Generator) -> tuple[int, int]:
    r = rng.random()
    if r < 0.03:
        return int(rng.integers(1000, 1600)), int(rng.integers(1000, 1600))
    if r < 0.70:
        return 375, 500
    if r < 0.85:
        return 500, 375
    return int(rng.integers(250, 500)), 500


def smooth_field(rng: np.random.Generator, h: int, w: int, cells: int) -> npt.NDArray[np.float64]:
    """A smooth random field: coarse noise, upsampled bilinearly (shared by the benchmarks)."""
    gh, gw = max(2, h * cells // max(h, w)), max(2, w * cells // max(h, w))
    coarse = ndimage.gaussian_filter(rng.standard_normal((gh, gw)), 0.8)
    out = ndimage.zoom(coarse, (h / gh, w / gw), order=1)
    return np.asarray(out[:h, :w], dtype=np.float64)


def _pair(
    rng: np.random.Generator, cls: int, hard: float, scale: float, k: int = K
) -> tuple[np.ndarray, np.ndarray]:
    """Ground truth with 1-3 objects (some ignore) and a prediction wrong ``hard`` of the time."""
    h, w = _size(rng, scale)
    gt = np.zeros((h, w), dtype=np.int32)
    pred = np.zeros((h, w), dtype=np.int32)
    extra = [int(c) for c in rng.integers(1, k + 1, size=int(rng.integers(0, 3)))]
    for i, c in enumerate([cls, *extra]):
        base = smooth_field(rng, h, w, 6)
        level = np.quantile(base, 0.55 + 0.12 * i)
        gt[base > level] = c
        noisy = base + 0.3 * smooth_field(rng, h, w, 20)
        guess = c if rng.random() > hard else int(rng.integers(1, k + 1))
        pred[noisy > level] = guess
    if rng.random() < 0.3:
        edge = ndimage.binary_dilation(gt != ndimage.grey_erosion(gt, size=3), iterations=2)
        gt[edge] = IGNORE
    return gt, pred


def _png(path: Path, ids: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(encode(ids), mode="RGB").save(path)


def build(
    root: Path,
    toolbox: Path,
    images: int | None = None,
    seed: int = 0,
    every: int = 1,
    scale: float = 1.0,
    track: int = K,
) -> list[str]:
    """Write the set under ``root``; returns the image names (``wnid/stem``).

    ``every`` keeps every n-th official name (spread over all classes), ``scale``
    shrinks the images (tests use small ones; the benchmark full-size ones),
    ``track`` is the number of classes K (50, 300 or 919).
    """
    data = toolbox / "data"
    wnids = (data / "categories" / f"ImageNetS_categories_im{track}.txt").read_text().split()
    lines = (data / "names" / f"ImageNetS_im{track}_validation.txt").read_text().splitlines()
    names = [line.split()[0][: -len(".JPEG")] for line in lines if line.strip()][::every][:images]
    rng = np.random.default_rng(seed)
    folder = root / "dataset" / f"ImageNetS{track}"
    for name in names:
        cls = wnids.index(name.split("/")[0]) + 1
        # Some classes are hard (often mistaken), as in real results.
        gt, pred = _pair(rng, cls, 0.6 if cls % 7 == 0 else 0.15, scale, track)
        _png(folder / "validation-segmentation" / f"{name}.png", gt)
        _png(root / "submission" / f"{name}.png", pred)
        degraded = np.where(np.isin(pred, DEGRADED_CLASSES), 0, pred)
        _png(root / "degraded" / f"{name}.png", degraded)
        jpeg = folder / "validation" / f"{name}.JPEG"
        jpeg.parent.mkdir(parents=True, exist_ok=True)
        Image.new("L", (gt.shape[1], gt.shape[0]), 128).save(jpeg, quality=30)
    for sub in ("submission", "degraded"):
        (root / sub / "method.txt").write_text(METHOD.replace("S50", f"S{track}"))
    return names


def default_toolbox() -> Path:
    """The official list files: ``SUBMITKIT_TEST_TOOLBOX``, else the shared copy."""
    return Path(os.environ.get("SUBMITKIT_TEST_TOOLBOX", "/work/shared/imagenet-s"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--toolbox", type=Path, default=default_toolbox())
    parser.add_argument("--track", type=int, choices=(50, 300, 919), default=K)
    parser.add_argument("--images", type=int, default=None)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.root.exists():
        shutil.rmtree(args.root)
    names = build(args.root, args.toolbox, args.images, args.seed, args.every, track=args.track)
    print(f"{len(names)} images written under {args.root}")


if __name__ == "__main__":
    main()
