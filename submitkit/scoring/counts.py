"""Per-image counts as one sparse table, and every official total derived from it.

An evaluation keeps, for each scored image, the non-zero cells of its histogram
(ground-truth class, predicted column, boundary flags, pixels) as exact
integers: a few dozen cells an image, so 12,419 images fit in a few MB. From
that table alone come the official totals of any weighted set of images (a
bootstrap resample is one), the confusions, and the file `evaluate
--save-counts` writes for `compare`.

The totals are laid out as a matrix with one row per image and one column per
(group, channel, class): group 0 is all pixels, groups 1..4 the object-size
buckets S/MS/ML/L; the channels are the six histograms the official metrics
need (``CHANNELS``). Weighted totals are then one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from submitkit.scoring.metrics import (
    BUCKET_NAMES,
    Accumulator,
    ImageCounts,
    size_bucket,
)

if TYPE_CHECKING:
    from scipy import sparse

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

CHANNELS: tuple[str, ...] = ("tp", "pred", "gt", "btp", "bpred", "bgt")
"""True positives, predicted and ground-truth pixels; then the same on boundaries."""
GROUPS = 1 + len(BUCKET_NAMES)
"""All pixels, then one group per object-size bucket."""

_GT_EDGE, _PRED_EDGE = 1, 2


@dataclass(frozen=True)
class PerImageCounts:
    """The scored cells of every image, one entry a row (parallel arrays).

    ``image[e]`` indexes ``names``; ``gt`` is the ground-truth class 0..K,
    ``pred`` the predicted column (0..K, ``K+1`` for an id above K, ``K+2`` for
    an id the match lacks), ``flags`` bit 0 a ground-truth and bit 1 a predicted
    boundary pixel, ``pixels`` the count. ``accurate`` and ``fmeasure`` (a
    fraction) are the two per-image metrics.
    """

    k: int
    names: list[str]
    image: IntArray
    gt: IntArray
    pred: IntArray
    flags: IntArray
    pixels: IntArray
    accurate: npt.NDArray[np.bool_]
    fmeasure: FloatArray

    @property
    def n(self) -> int:
        return len(self.names)

    @classmethod
    def from_images(
        cls, k: int, names: Sequence[str], images: Sequence[ImageCounts]
    ) -> PerImageCounts:
        """Gather the cells of counted images (``names[i]`` is ``images[i]``)."""
        parts = [c.entries() for c in images]
        sizes = [len(p[0]) for p in parts]
        return cls(
            k=k,
            names=list(names),
            image=np.repeat(np.arange(len(parts), dtype=np.int64), sizes),
            gt=_cat([p[0] for p in parts]),
            pred=_cat([p[1] for p in parts]),
            flags=_cat([p[2] for p in parts]),
            pixels=_cat([p[3] for p in parts]),
            accurate=np.array([c.accurate() for c in images], dtype=bool),
            fmeasure=np.array([c.fmeasure() for c in images], dtype=np.float64),
        )

    @classmethod
    def concat(cls, k: int, parts: Sequence[PerImageCounts]) -> PerImageCounts:
        """One table from several (chunks of a parallel run), images in the given order."""
        offsets = np.cumsum([0, *(p.n for p in parts)])
        return cls(
            k=k,
            names=[name for p in parts for name in p.names],
            image=_cat([p.image + off for p, off in zip(parts, offsets, strict=False)]),
            gt=_cat([p.gt for p in parts]),
            pred=_cat([p.pred for p in parts]),
            flags=_cat([p.flags for p in parts]),
            pixels=_cat([p.pixels for p in parts]),
            accurate=np.concatenate([p.accurate for p in parts]).astype(bool),
            fmeasure=np.concatenate([p.fmeasure for p in parts]).astype(np.float64),
        )

    def select(self, names: Sequence[str]) -> PerImageCounts:
        """The same table restricted to ``names``, in that order (KeyError if one is absent)."""
        where = {name: i for i, name in enumerate(self.names)}
        order = np.array([where[name] for name in names], dtype=np.int64)
        new_index = np.full(self.n, -1, dtype=np.int64)
        new_index[order] = np.arange(len(order))
        keep = new_index[self.image] >= 0
        image = new_index[self.image[keep]]
        sort = np.argsort(image, kind="stable")
        return PerImageCounts(
            k=self.k,
            names=list(names),
            image=image[sort],
            gt=self.gt[keep][sort],
            pred=self.pred[keep][sort],
            flags=self.flags[keep][sort],
            pixels=self.pixels[keep][sort],
            accurate=self.accurate[order],
            fmeasure=self.fmeasure[order],
        )

    def accumulator(self) -> Accumulator:
        """The exact official sums over every image of the table: what ``evaluate`` scores.

        One sum over the table replaces folding images in one by one.
        """
        return Accumulator.from_totals(
            self.k,
            self.totals(),
            accurate=int(self.accurate.sum()),
            fmeasures=self.fmeasure,
        )

    def class_images(self) -> IntArray:
        """For each class 0..K, the number of images whose ground truth holds it."""
        keys = np.unique(self.image * (self.k + 1) + self.gt)
        return np.bincount(keys % (self.k + 1), minlength=self.k + 1).astype(np.int64)

    def confusion(self) -> IntArray:
        """Pixels by (ground-truth class 0..K, predicted column 0..K+2), summed over images."""
        k1, cols = self.k + 1, self.k + 3
        out = np.zeros(k1 * cols, dtype=np.int64)
        np.add.at(out, self.gt * cols + self.pred, self.pixels)
        return out.reshape(k1, cols)

    def totals_matrix(self) -> sparse.csr_matrix:
        """Images x (group, channel, class) counts: row i holds what image i adds to each total.

        Multiplying integer weights by it gives the totals of a weighted set of
        images exactly (float64 holds integers below 2**53; totals stay far below).
        """
        from scipy import sparse  # 0.3 s to import: only for resampling

        rows, cols, vals = self._cells()
        matrix = sparse.csr_matrix(
            (vals.astype(np.float64), (rows, cols)),
            shape=(self.n, GROUPS * len(CHANNELS) * (self.k + 1)),
        )
        matrix.sum_duplicates()
        return matrix

    def totals(self) -> IntArray:
        """The (group, channel, class) totals of all images together, exact."""
        _, cols, vals = self._cells()
        k1 = self.k + 1
        summed = np.bincount(cols, weights=vals, minlength=GROUPS * len(CHANNELS) * k1)
        return np.rint(summed).astype(np.int64).reshape(GROUPS, len(CHANNELS), k1)

    def _cells(self) -> tuple[IntArray, IntArray, IntArray]:
        """(image, column, pixels) of every count, the column being (group, channel, class)."""
        k1 = self.k + 1
        cols: list[IntArray] = []
        rows: list[IntArray] = []
        vals: list[IntArray] = []
        for group, sel in enumerate(self._group_selections()):
            for channel, (cls, mask) in enumerate(self._channels()):
                pick = sel & mask
                rows.append(self.image[pick])
                cols.append((group * len(CHANNELS) + channel) * k1 + cls[pick])
                vals.append(self.pixels[pick])
        return _cat(rows), _cat(cols), _cat(vals)

    def _channels(self) -> list[tuple[IntArray, npt.NDArray[np.bool_]]]:
        """For each channel: which class an entry counts for, and whether it counts."""
        hit = self.gt == self.pred
        scored_pred = self.pred <= self.k
        gt_edge = (self.flags & _GT_EDGE) > 0
        pred_edge = (self.flags & _PRED_EDGE) > 0
        every = np.ones(len(self.gt), dtype=bool)
        pred_cls = np.minimum(self.pred, self.k)
        return [
            (self.gt, hit),
            (pred_cls, scored_pred),
            (self.gt, every),
            (self.gt, hit & gt_edge & pred_edge),
            (pred_cls, scored_pred & pred_edge),
            (self.gt, gt_edge),
        ]

    def _group_selections(self) -> list[npt.NDArray[np.bool_]]:
        """Entries of all pixels, then of each size bucket (its classes plus the background)."""
        k1 = self.k + 1
        key = self.image * k1 + self.gt
        uniq, inverse = np.unique(key, return_inverse=True)
        class_pixels = np.bincount(inverse, weights=self.pixels).astype(np.int64)
        image_pixels = np.bincount(self.image, weights=self.pixels, minlength=self.n)
        owner = uniq // k1
        foreground = (uniq % k1) > 0
        bucket = np.full(len(uniq), -1, dtype=np.int64)
        if foreground.any():
            total = image_pixels[owner[foreground]].astype(np.int64)
            bucket[foreground] = size_bucket(_percent(class_pixels[foreground], total))
        present = np.zeros((self.n, len(BUCKET_NAMES)), dtype=bool)
        present[owner[foreground], bucket[foreground]] = True
        entry_bucket = bucket[inverse]
        background = self.gt == 0
        out = [np.ones(len(self.gt), dtype=bool)]
        for b in range(len(BUCKET_NAMES)):
            out.append((entry_bucket == b) | (background & present[self.image, b]))
        return out


def _percent(counts: IntArray, totals: IntArray) -> IntArray:
    """``ceil(100 * count / total)``, exact: ``size_percent`` with one total per class."""
    return -((-100 * counts) // totals)


def _cat(parts: Sequence[npt.NDArray[np.generic]]) -> IntArray:
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(parts).astype(np.int64, copy=False)
