"""Does the scoring program fit a Codabench CPU worker on a full 919-track test submission?

Builds, in a temporary folder, a synthetic ground truth for every one of the
27,423 images of the official 919 test list (data/mapping, so names, folders
and count are the real ones), and a submission that predicts each object with
a shifted box. Masks are small (48-96 px a side: a floor for decoding) or,
with --real-sizes, sized like ImageNet validation images. Then:

1. `submitkit bundle --split test --toolbox ...` builds the competition bundle;
2. the bundle's own scoring program runs as the platform runs it (its
   metadata.yaml command, `INPUT/ref` + `INPUT/res`, a fresh process) and its
   wall time and peak resident memory (largest process) are measured;
3. the baseline, in the same run: the same check and scoring as a library call
   (`run_evaluate`, one process per core), so the ratio shows what the
   platform contract and process start add.

    python benchmarks/bench_server.py --toolbox /work/shared/imagenet-s [--real-sizes]
        [--images N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

if importlib.util.find_spec("submitkit") is None:  # run from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from submitkit.benchmark.ids import IGNORE
from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.inputs.config import RunContext
from submitkit.inputs.manifest import ManifestSources, official_categories, official_names
from submitkit.inputs.png import encode
from submitkit.workflows.bundle import (
    PROGRAM_ZIP,
    BundleSettings,
    plan_bundle,
    reference_zip_name,
    write_bundle,
)
from submitkit.workflows.codabench import (
    PLATFORM_FILES,
    REFERENCE_MANIFEST,
    REFERENCE_MASKS,
    find_reference,
)
from submitkit.workflows.evaluate import run_evaluate
from submitkit.workflows.rehearsal import prediction_step

K = 919


def _shape(rng: np.random.Generator, real: bool) -> tuple[int, int]:
    """Small masks, or (H, W) distributed roughly like ImageNet validation images."""
    if not real:
        h, w = (int(v) for v in rng.integers(48, 97, size=2))
        return h, w
    r = rng.random()
    if r < 0.03:
        h, w = (int(v) for v in rng.integers(1000, 2000, size=2))
        return h, w
    if r < 0.70:
        return 375, 500
    return (500, 375) if r < 0.85 else (int(rng.integers(250, 500)), 500)


def _masks(rng: np.random.Generator, class_id: int, real: bool) -> tuple[np.ndarray, np.ndarray]:
    h, w = _shape(rng, real)
    gt = np.zeros((h, w), dtype=np.int64)
    top, left = int(rng.integers(0, h // 3)), int(rng.integers(0, w // 3))
    gt[top : top + h // 2, left : left + w // 2] = class_id
    gt[0, :] = IGNORE
    pred = np.zeros((h, w), dtype=np.int64)
    dy, dx = (int(v) for v in rng.integers(-4, 5, size=2))
    pred[max(0, top + dy) : top + dy + h // 2, max(0, left + dx) : left + dx + w // 2] = class_id
    return gt, pred


def _write(path: Path, ids: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(encode(ids)).save(path, compress_level=1)


def build_data(root: Path, toolbox: Path, images: int, real: bool) -> tuple[Path, Path]:
    data = toolbox / "data"
    names = official_names(data, TRACKS[K], Split.test)[:images]
    ids = {wnid: i + 1 for i, wnid in enumerate(official_categories(data, TRACKS[K]))}
    rng = np.random.default_rng(0)
    gt_root, sub = root / "gt", root / "submission"
    for name in names:
        gt, pred = _masks(rng, ids.get(name.split("/")[0], 1), real)
        _write(gt_root / f"{name}.png", gt)
        _write(sub / f"{name}.png", pred)
    (sub / "method.txt").write_text(
        "Method name: Bench\nTraining data: ImageNet-S919 train\nTraining scheme: SSL\n"
        "Networks: ResNet-50\nPaper/Project link: null\nProtocol: free\nTrack: 919\n"
        "Method description: synthetic boxes\n"
    )
    return gt_root, sub


def rehearse(bundle: Path, sub: Path, root: Path) -> tuple[float, int, int]:
    """Wall seconds, exit code and peak RSS (KiB) of the bundle's scoring program."""
    input_dir, program = root / "input", root / "program"
    with zipfile.ZipFile(bundle) as outer:
        reference = outer.read(reference_zip_name(Split.test))
        zipfile.ZipFile(io.BytesIO(reference)).extractall(input_dir / "ref")
        zipfile.ZipFile(io.BytesIO(outer.read(PROGRAM_ZIP))).extractall(program)
    # The worker's prediction step: the upload copied, its `metadata` file added, re-zipped.
    (root / "prediction").mkdir()
    with zipfile.ZipFile(prediction_step(sub, root / "prediction")) as prediction:
        prediction.extractall(input_dir / "res")
    # A bare interpreter, as in the image: the program brings its own wheels.
    argv = [sys.executable, "-I", "-S", str(program / "score.py"), str(input_dir)]
    argv.append(str(root / "output"))
    start = time.perf_counter()
    done = subprocess.run([*argv, "--protocol", "free"], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, done.returncode, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--toolbox", type=Path, required=True)
    parser.add_argument("--images", type=int, default=TRACKS[K].test)
    parser.add_argument("--keep", type=Path, default=None)
    parser.add_argument(
        "--no-baseline", action="store_true", help="time the scoring program only (halves the run)"
    )
    parser.add_argument(
        "--real-sizes", action="store_true", help="ImageNet-like mask sizes (slow to build)"
    )
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-server-"))
    try:
        t0 = time.perf_counter()
        gt_root, sub = build_data(root, args.toolbox, args.images, args.real_sizes)
        print(f"synthetic data: {args.images} masks x2 in {time.perf_counter() - t0:.1f} s")
        settings = BundleSettings(
            track=K, ground_truth=gt_root, protocol=Protocol.free, split=Split.test
        )
        if args.images == TRACKS[K].test:
            settings.toolbox = args.toolbox
        t0 = time.perf_counter()
        bundle = root / "imagenet-s919.zip"
        write_bundle(plan_bundle(settings), bundle)
        print(f"bundle: {bundle.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")

        seconds, code, peak = rehearse(bundle, sub, root)
        print(
            f"scoring program (fresh process, platform contract): {seconds:.1f} s, "
            f"exit {code}, peak RSS {peak / 1024:.0f} MiB"
        )

        reference = find_reference(root / "input" / "ref")
        full = TRACKS[K].test
        if args.images != full:
            print(
                f"per image: {1000 * seconds / args.images:.1f} ms (program, start-up included); "
                f"linear extrapolation to {full} images: {seconds / args.images * full:.0f} s"
            )
        if args.no_baseline:
            return
        timings = {}
        for label, truth in (("shipped ground-truth cache", reference.truth()), ("decoding", None)):
            t0 = time.perf_counter()
            sources = ManifestSources(manifest=reference.manifest_path)
            scored = run_evaluate(
                root / "input" / "res",
                RunContext(sources, track=K, split=Split.test, protocol=Protocol.free),
                ground_truth=reference.masks,
                cache=False,
                truth_cache=truth,
                platform_files=PLATFORM_FILES,
            )
            timings[label] = time.perf_counter() - t0
            ok = scored.evaluation is not None and scored.evaluation.scores is not None
            print(
                f"baseline run_evaluate in-process, {label}: {timings[label]:.1f} s (scored: {ok})"
            )
        baseline = timings["shipped ground-truth cache"]
        print(f"ratio scoring program / in-process evaluate (same work): {seconds / baseline:.2f}")
        print(
            "ratio in-process with the shipped cache / decoding the ground truth: "
            f"{baseline / timings['decoding']:.2f}"
        )
        assert (root / "input" / "ref" / REFERENCE_MANIFEST).is_file()
        assert (root / "input" / "ref" / REFERENCE_MASKS).is_dir()
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
