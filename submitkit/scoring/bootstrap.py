"""Confidence intervals and paired comparisons by resampling images.

A percentile bootstrap over images: a resample draws N images with
replacement, which is a vector of integer weights (how often each image was
drawn); the official totals of the resample are those weights times the
per-image count matrix of :mod:`submitkit.scoring.counts`, so 1,000 resamples
of 12,419 images are a few sparse-times-dense products, done in chunks of
resamples to bound memory. Every metric is then computed from the totals as the
official evaluator does (mIoU over all K+1 classes, bucket means over classes
seen in the bucket, Acc and FMeasure as means over the drawn images).

A paired comparison applies the *same* resamples to two runs over the same
images, so what varies between images cancels out of the difference.

Resampling runs over the images in one canonical order, their names sorted,
whatever order the counts arrived in: the same masks and seed give the same
interval whether the image list came from the bundled manifest, the official
toolbox's list or a saved counts file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from submitkit.scoring.counts import CHANNELS, GROUPS, FloatArray, IntArray, PerImageCounts
from submitkit.scoring.metrics import BUCKET_NAMES

HEADLINE: tuple[str, ...] = (
    "mIoU",
    "Acc",
    "FMeasure",
    "mBIoU",
    *BUCKET_NAMES,
    *(f"B{b}" for b in BUCKET_NAMES),
)
"""Every metric that gets an interval, in the order tables show them."""

CHUNK = 50
"""Resamples per matrix product: 50 x 12,419 weights and 50 x 27,600 totals stay small."""

SMALL_CLASS_IMAGES = 5
"""A class held by fewer validation images than this is flagged: its IoU rests on too few
objects for two runs to be told apart on it (the 919 track has classes with 3)."""

_EPS_IOU = 1e-10


class BootstrapInfo(BaseModel):
    """How the intervals were drawn: enough to reproduce them exactly."""

    samples: int
    seed: int
    level: float
    unit: str = "image"
    method: str = "percentile"
    note: str | None = None
    """Set when an estimate lies outside its own interval: the resamples are biased (classes
    held by few images are missed by some resamples and then score 0, as officially)."""


def check_settings(samples: int, level: float) -> None:
    """Reject settings that cannot give an interval (raises ``ValueError``)."""
    if samples < 2:
        raise ValueError(f"--bootstrap needs at least 2 resamples, not {samples}")
    if not 0 < level < 1:
        raise ValueError(f"--level must lie strictly between 0 and 1, not {level}")


def resample_indices(n: int, samples: int, seed: int) -> Iterator[IntArray]:
    """The drawn image indices, ``CHUNK`` resamples at a time (rows: resamples).

    The one source of randomness: the fast path and the reference in the tests
    both consume it, so they see the very same resamples.
    """
    rng = np.random.default_rng(seed)
    done = 0
    while done < samples:
        size = min(CHUNK, samples - done)
        yield rng.integers(0, n, size=(size, n), dtype=np.int64)
        done += size


def weights_of(indices: IntArray, n: int) -> FloatArray:
    """How often each image was drawn, per resample (rows), as float64 (exact integers)."""
    rows = indices.shape[0]
    flat = indices + (np.arange(rows, dtype=np.int64) * n)[:, None]
    return np.bincount(flat.ravel(), minlength=rows * n).reshape(rows, n).astype(np.float64)


@dataclass
class Replicates:
    """The metrics of each resample: ``metrics[name]`` (samples,), ``ious`` (samples, K+1)."""

    metrics: dict[str, FloatArray]
    ious: FloatArray


def metrics_from_totals(
    totals: FloatArray, accurate: FloatArray, fsum: FloatArray, images: FloatArray
) -> Replicates:
    """The official metrics of many weighted image sets at once.

    ``totals`` is (sets, groups, channels, K+1) as laid out by
    :meth:`PerImageCounts.totals_matrix`; ``accurate`` and ``fsum`` the weighted
    sums of per-image accuracy and F-measure; ``images`` the weights' sums.
    """

    def iou(group: int, first: int) -> FloatArray:
        tp, pred, gt = (totals[:, group, first + i] for i in range(3))
        return tp / (pred + gt - tp + _EPS_IOU) * 100

    ious, bious = iou(0, 0), iou(0, 3)
    out = {
        "mIoU": ious.mean(axis=1),
        "Acc": accurate / images * 100,
        "FMeasure": fsum / images * 100,
        "mBIoU": bious.mean(axis=1),
    }
    for b, name in enumerate(BUCKET_NAMES, start=1):
        for prefix, first in (("", 0), ("B", 3)):
            seen = totals[:, b, first + 2] > 0
            values = np.where(seen, iou(b, first), 0.0).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[prefix + name] = np.where(seen.any(axis=1), values / seen.sum(axis=1), np.nan)
    return Replicates(metrics=out, ious=ious)


def replicate(counts: PerImageCounts, samples: int, seed: int) -> Replicates:
    """The metrics of ``samples`` bootstrap resamples of the images of ``counts``."""
    return replicate_many([counts], samples, seed)[0]


def replicate_many(runs: list[PerImageCounts], samples: int, seed: int) -> list[Replicates]:
    """The same resamples applied to each run (all over the same images, in any order).

    The images are put in sorted name order first, so the draws depend on
    which images were scored, never on the order of the list that named them.
    """
    order = sorted(runs[0].names)
    runs = [run if run.names == order else run.select(order) for run in runs]
    n = len(order)
    k1 = runs[0].k + 1
    matrices = [run.totals_matrix().T.tocsr() for run in runs]
    parts: list[list[Replicates]] = [[] for _ in runs]
    for indices in resample_indices(n, samples, seed):
        weights = weights_of(indices, n)
        for run, matrix, out in zip(runs, matrices, parts, strict=True):
            totals = np.asarray(matrix @ weights.T).T.reshape(-1, GROUPS, len(CHANNELS), k1)
            out.append(
                metrics_from_totals(
                    totals,
                    weights @ run.accurate.astype(np.float64),
                    weights @ run.fmeasure,
                    weights.sum(axis=1),
                )
            )
    return [_join(p) for p in parts]


def _join(parts: list[Replicates]) -> Replicates:
    names = parts[0].metrics
    return Replicates(
        metrics={m: np.concatenate([p.metrics[m] for p in parts]) for m in names},
        ious=np.concatenate([p.ious for p in parts]),
    )


def percentile_interval(values: FloatArray, level: float) -> tuple[float | None, float | None]:
    """The central ``level`` share of ``values`` (linear interpolation); None if all undefined."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None
    tail = (1 - level) / 2
    low, high = np.quantile(finite, [tail, 1 - tail])
    return float(low), float(high)


def class_intervals(ious: FloatArray, level: float) -> npt.NDArray[np.float64]:
    """(K+1, 2) percentile intervals of each class's IoU."""
    tail = (1 - level) / 2
    return np.asarray(np.quantile(ious, [tail, 1 - tail], axis=0).T, dtype=np.float64)


def paired_p_value(deltas: FloatArray) -> float:
    """Two-sided bootstrap p-value of "no change": twice the smaller tail beyond 0.

    ``(count + 1) / (samples + 1)`` keeps it above zero (a bootstrap of B
    resamples cannot show a smaller p than about 1/B); a difference that is 0 in
    every resample (identical runs) gives 1.
    """
    finite = deltas[np.isfinite(deltas)]
    if finite.size == 0:
        return 1.0
    below = int((finite <= 0).sum())
    above = int((finite >= 0).sum())
    return float(min(1.0, 2 * (min(below, above) + 1) / (finite.size + 1)))
