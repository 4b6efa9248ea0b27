"""Which classes are taken for which: the confusions of a run, as short lists.

A 920 x 922 pixel matrix is too big to read; what a researcher looks at is the
largest off-diagonal cells (ground-truth class -> predicted class, with the
share of the ground-truth class they take) and, per class, the one class it is
most often mistaken for. Both come from the exact per-image counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from submitkit.scoring.counts import PerImageCounts


@dataclass(frozen=True)
class Confusion:
    """Pixels of ground-truth class ``truth`` predicted as class ``predicted``."""

    truth: int
    predicted: int
    pixels: int
    share: float
    """Percent of the ground-truth class's scored pixels."""


def top_confusions(counts: PerImageCounts, limit: int) -> list[Confusion]:
    """The ``limit`` largest cells off the diagonal (predicted ids above K left out)."""
    matrix, gt_pixels = _matrix(counts)
    np.fill_diagonal(matrix, 0)
    flat = np.flatnonzero(matrix)
    if limit <= 0 or flat.size == 0:
        return []
    # Largest first; ties by ground-truth then predicted id, so the list is stable.
    order = flat[np.lexsort((flat, -matrix.ravel()[flat]))][:limit]
    truth, predicted = np.unravel_index(order, matrix.shape)
    return [
        _confusion(int(t), int(p), matrix, gt_pixels) for t, p in zip(truth, predicted, strict=True)
    ]


def most_mistaken_for(counts: PerImageCounts) -> dict[int, Confusion]:
    """For each class with ground-truth pixels and some error: its largest wrong prediction."""
    matrix, gt_pixels = _matrix(counts)
    np.fill_diagonal(matrix, 0)
    worst = matrix.argmax(axis=1)
    out = {}
    for truth in np.flatnonzero(matrix.max(axis=1) > 0):
        out[int(truth)] = _confusion(int(truth), int(worst[truth]), matrix, gt_pixels)
    return out


def _matrix(counts: PerImageCounts) -> tuple[np.ndarray, np.ndarray]:
    full = counts.confusion()
    gt_pixels = full.sum(axis=1)
    return full[:, : counts.k + 1].copy(), gt_pixels


def _confusion(truth: int, predicted: int, matrix: np.ndarray, gt_pixels: np.ndarray) -> Confusion:
    pixels = int(matrix[truth, predicted])
    total = int(gt_pixels[truth])
    return Confusion(truth, predicted, pixels, 100.0 * pixels / total if total else 0.0)
