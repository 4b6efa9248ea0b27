"""How fast is `evaluate` compared with merely decoding the masks?

Builds, in a temporary folder, a synthetic validation set the size of
ImageNet-S50's (752 images; mostly about 500x375, a few above 1000x1000) with
blobby label maps and imperfect predictions, then times:

* the floor: decoding every ground-truth and prediction PNG into ids, once;
* what ``submitkit evaluate --jobs 1 --no-cache`` runs (the staged check and
  the scoring pass, :func:`submitkit.workflows.evaluate.run_evaluate`, every
  ground-truth PNG decoded), then with every core, then ``--jobs 1`` with the
  ground-truth cache warm (the second evaluation of a checkpoint);
* the scoring pass alone (``score_pass`` and ``evaluation_of``, no check), and
  ``match`` (check and one pass) with one thread.

Target: ``evaluate --jobs 1 --no-cache`` within 1.3x the floor, boundaries included.
The cache is kept in a temporary folder, never the user's.

    python benchmarks/bench_evaluate.py [--images N] [--seed S] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image
from scipy import ndimage

if importlib.util.find_spec("submitkit") is None:  # run from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from realistic_set import smooth_field as _field  # the same noise as the shared set

from submitkit.benchmark.ids import IGNORE
from submitkit.benchmark.tracks import Split
from submitkit.inputs.config import RunContext
from submitkit.inputs.manifest import ManifestSources, manifest_from_names
from submitkit.inputs.png import decode, encode
from submitkit.scoring.engine import Evaluation, evaluation_of, image_tasks, score_pass
from submitkit.workflows.evaluate import run_evaluate
from submitkit.workflows.match import run_match

K = 50
VALIDATION_IMAGES = 752


def _size(rng: np.random.Generator) -> tuple[int, int]:
    """(H, W) distributed roughly like ImageNet validation images."""
    r = rng.random()
    if r < 0.03:  # a few large ones, as in the real set
        h, w = (int(v) for v in rng.integers(1000, 2000, size=2))
        return h, w
    if r < 0.70:
        return 375, 500
    if r < 0.85:
        return 500, 375
    return int(rng.integers(250, 500)), 500


def _pair(
    rng: np.random.Generator, cls: int
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]:
    """A ground truth with 1-3 objects (and some ignore) and an imperfect prediction."""
    h, w = _size(rng)
    gt = np.zeros((h, w), dtype=np.int32)
    pred = np.zeros((h, w), dtype=np.int32)
    classes = [cls] + [int(c) for c in rng.integers(1, K + 1, size=int(rng.integers(0, 3)))]
    for i, c in enumerate(classes):
        base = _field(rng, h, w, 6)
        level = np.quantile(base, 0.55 + 0.12 * i)
        obj = base > level
        gt[obj] = c
        # The prediction: same blob, wobbly boundary, sometimes the wrong class.
        noisy = base + 0.25 * _field(rng, h, w, 20)
        guess = c if rng.random() < 0.8 else int(rng.integers(1, K + 1))
        pred[noisy > level] = guess
    if rng.random() < 0.3:  # ignore band along one object's edge
        edge = ndimage.binary_dilation(gt != ndimage.grey_erosion(gt, size=3), iterations=2)
        gt[edge] = IGNORE
    return gt, pred


def _write(path: Path, ids: npt.NDArray[np.int32]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(encode(ids), mode="RGB").save(path)


def build(root: Path, images: int, seed: int) -> tuple[Path, Path, list[str]]:
    """Write the synthetic set; returns (predictions, ground truth, names)."""
    rng = np.random.default_rng(seed)
    gt_root = root / "dataset" / f"ImageNetS{K}" / "validation-segmentation"
    pred_root = root / "submission"
    names = []
    for i in range(images):
        cls = i % K + 1
        name = f"n{10000000 + cls:08d}/ILSVRC2012_val_{i + 1:08d}"
        gt, pred = _pair(rng, cls)
        _write(gt_root / f"{name}.png", gt)
        _write(pred_root / f"{name}.png", pred)
        names.append(name)
    return pred_root, gt_root, names


def decode_floor(pred_root: Path, gt_root: Path, names: list[str]) -> None:
    """Decode every mask into ids and nothing else: the least any evaluator must do."""
    for name in names:
        for root in (gt_root, pred_root):
            with Image.open(root / f"{name}.png") as im:
                decode(np.asarray(im))


def _timed(fn: Callable[[], object], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def scoring_pass(pred_root: Path, gt_root: Path, names: list[str], jobs: int) -> Evaluation:
    """The one pass `evaluate` runs after its check, on its own."""
    passed = score_pass(image_tasks(pred_root, names), gt_root, K, jobs=jobs)
    return evaluation_of(passed, K, matched=False)


def workflow(
    root: Path, names: list[str], jobs: int, match: bool = False, cache: bool = False
) -> object:
    """What `submitkit evaluate` (or `match`) runs: the staged check, then the one pass."""
    manifest = root / "manifest.json"
    if not manifest.exists():
        listed = manifest_from_names(K, Split.validation, names)
        manifest.write_text(listed.model_dump_json(), encoding="utf-8")
    sources = ManifestSources(dataset=root / "dataset", manifest=manifest)
    if match:
        return run_match(root / "submission", RunContext(sources, jobs=jobs))
    scored = run_evaluate(root / "submission", RunContext(sources, jobs=jobs), cache=cache)
    assert scored.evaluation is not None and scored.evaluation.scores is not None
    return scored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=VALIDATION_IMAGES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="build the set here and keep it")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="submitkit-bench-"))
    try:
        t = time.perf_counter()
        if not (root / "submission").is_dir():
            build(root, args.images, args.seed)
        pred_root = root / "submission"
        gt_root = root / "dataset" / f"ImageNetS{K}" / "validation-segmentation"
        names = sorted(p.relative_to(gt_root).as_posix()[:-4] for p in gt_root.rglob("*.png"))
        built = time.perf_counter() - t
        sizes = [Image.open(gt_root / f"{n}.png").size for n in names]
        large = sum(1 for w, h in sizes if w * h > 1000 * 1000)
        cores = os.cpu_count() or 1

        decode_floor(pred_root, gt_root, names)  # warm the page cache
        r = args.repeat
        # The floor and the target run alternate, so that a machine slowing down
        # (it is shared) weighs on both alike; each keeps its best run.
        floor = wf1 = float("inf")
        for _ in range(r):
            floor = min(floor, _timed(lambda: decode_floor(pred_root, gt_root, names)))
            wf1 = min(wf1, _timed(lambda: workflow(root, names, 1)))
        wfn = _timed(lambda: workflow(root, names, 0), repeat=r)
        os.environ["SUBMITKIT_CACHE_DIR"] = str(root / "cache")
        workflow(root, names, 1, cache=True)  # fill the cache
        warm = _timed(lambda: workflow(root, names, 1, cache=True), repeat=r)
        ev1 = _timed(lambda: scoring_pass(pred_root, gt_root, names, 1), repeat=r)
        m1 = _timed(lambda: workflow(root, names, 1, match=True), repeat=r)
        result = scoring_pass(pred_root, gt_root, names, 0)
        assert result.scores is not None and not result.diagnostics

        n = len(names)
        print(f"synthetic set: {n} images ({large} above 1000x1000), ready in {built:.1f} s")
        print(f"mIoU {result.scores.mIoU:.2f}  mBIoU {result.scores.mBIoU:.2f}  (sanity)")
        print()
        print(f"{'stage':<40}{'seconds':>9}{'ms/image':>10}{'x floor':>9}")
        for label, secs in (
            ("decode floor (GT + pred, once)", floor),
            ("evaluate --jobs 1 --no-cache", wf1),
            (f"evaluate --jobs 0 --no-cache ({cores} cores)", wfn),
            ("evaluate --jobs 1, cache warm", warm),
            ("scoring pass alone, jobs=1", ev1),
            ("match --jobs 1 (check + one pass)", m1),
        ):
            print(f"{label:<40}{secs:>9.2f}{secs / n * 1000:>10.2f}{secs / floor:>9.2f}")
        verdict = "met" if wf1 <= 1.3 * floor else "NOT met"
        ratio = wf1 / floor
        print(f"\ntarget evaluate --jobs 1 --no-cache <= 1.3x floor: {verdict} ({ratio:.2f}x)")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
