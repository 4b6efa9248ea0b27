"""How fast is `match` now, against the way it used to score its candidates?

Builds the synthetic ImageNet-S50-sized validation set of bench_evaluate.py
(752 images), then turns its predictions into 100 cluster ids (a permutation of
the classes; the right half of each image uses id + 50), and times, with one
process, in the same run:

* before: the check, the agreement pass, then one full `evaluate` pass per
  candidate matching (image Hungarian, pixel Hungarian, many-to-one), as
  `match` did until the candidates were scored from the pixel matrix;
* now: `run_match` as the CLI runs it: the check, the agreement pass, every
  candidate (official tie-break, both many-to-one matchings) scored from the
  statistics, and the exact tie analysis;
* the same two without --clusters (50 permuted ids, ties analysed).

Target: now / before <= 1.5.

    python benchmarks/bench_match.py [--images N] [--seed S] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

if importlib.util.find_spec("submitkit") is None:  # run from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_evaluate import VALIDATION_IMAGES, K, build

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import Split
from submitkit.checks.staged import run_check
from submitkit.inputs.config import RunContext
from submitkit.inputs.manifest import ManifestSources, manifest_from_names
from submitkit.inputs.png import decode, encode
from submitkit.scoring.engine import image_tasks, score_pass, table_for
from submitkit.scoring.matching import hungarian, many_to_one
from submitkit.workflows.match import run_match


def to_clusters(pred_root: Path, out: Path, names: list[str], split: bool, seed: int) -> None:
    """Rewrite the predictions with permuted ids (and, with ``split``, id + K on the right)."""
    perm = np.concatenate([[0], np.random.default_rng(seed).permutation(K) + 1])
    for name in names:
        with Image.open(pred_root / f"{name}.png") as im:
            ids = perm[decode(np.asarray(im))]
        if split:
            right = ids[:, ids.shape[1] // 2 :]
            right[right > 0] += K
        path = out / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(encode(ids.astype(np.int32)), mode="RGB").save(path)


def before(sub: Path, sources: ManifestSources, gt: Path, names: list[str], clusters: int) -> None:
    """The former flow: check, agreement pass, one evaluate pass per candidate."""
    run_check(sub, RunContext(sources, split=Split.validation, quick=True, jobs=1))
    stats = score_pass(image_tasks(sub, names), gt, K, clusters=clusters, jobs=1).statistics
    assert stats is not None
    candidates = [hungarian(stats.images), hungarian(stats.pixels, level="pixel")]
    if clusters > K:
        candidates.append(many_to_one(stats.pixels))
    for matching in candidates:
        total = {i: matching.mapping.get(i, 0) for i in range(clusters + 1)}
        score_pass(image_tasks(sub, names), gt, K, table=table_for(total, K), jobs=1)


def now(sub: Path, sources: ManifestSources, clusters: int) -> None:
    protocol = Protocol("unsupervised") if clusters > K else None
    context = RunContext(sources, protocol=protocol, jobs=1)
    done = run_match(sub, context, clusters=clusters if clusters > K else None)
    assert done.mapping is not None


def _timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=VALIDATION_IMAGES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="build the set here and keep it")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="submitkit-bench-match-"))
    try:
        pred_root, gt_root, names = build(root, args.images, args.seed)
        manifest = root / "manifest.json"
        manifest.write_text(manifest_from_names(K, Split.validation, names).model_dump_json())
        sources = ManifestSources(dataset=root / "dataset", manifest=manifest)
        rows = []
        for label, clusters in (("100 cluster ids, --clusters 100", 2 * K), ("50 ids", K)):
            sub = root / f"clusters-{clusters}"
            to_clusters(pred_root, sub, names, clusters > K, args.seed)
            old = _timed(lambda s=sub, c=clusters: before(s, sources, gt_root, names, c))
            new = _timed(lambda s=sub, c=clusters: now(s, sources, c))
            rows.append((label, old, new))
        print(f"synthetic set: {len(names)} images, K = {K}, one process")
        print(f"{'case':<34}{'before s':>10}{'now s':>8}{'now/before':>12}")
        for label, old, new in rows:
            print(f"{label:<34}{old:>10.2f}{new:>8.2f}{new / old:>12.2f}")
        worst = max(new / old for _, old, new in rows)
        print(f"\ntarget now/before <= 1.5: {'met' if worst <= 1.5 else 'NOT met'}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
