"""The official ImageNet-S metrics, computed exactly with integer histograms.

This reproduces what ``evaluation/evaluator.py`` of the official toolbox
reports (Acc, mIoU, per-class IoU, FMeasure, mBIoU and the size buckets
S/MS/ML/L and BS/BMS/BML/BL), including its quirks:

* classes absent from every ground truth *and* every prediction still count,
  with IoU 0, in the mean over all K+1 classes (class 0 "other" included);
* boundaries are computed on the full masks (ignore region included) and the
  ignore pixels are dropped afterwards;
* with a match, prediction boundaries come from the *unmapped* ids and are
  relabelled afterwards, so over-clustering changes mBIoU but not mIoU;
* a predicted id above K without a match is foreground for FMeasure but falls
  outside every IoU histogram.

Work per image is a single ``np.bincount`` over a combined index (ground-truth
class, predicted class, boundary flags), so what survives an image is a few
small histograms: memory stays flat in the number of images. Counts are int64
where the original used float32 on the GPU; the two agree to far decimals on
sets of validation size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from submitkit.benchmark.ids import MAX_ENCODABLE
from submitkit.core.runs import run_histogram, runs
from submitkit.scoring.boundaries import BOUNDARY_RATIO, boundary_mask, boundary_width

BUCKET_NAMES: tuple[str, ...] = ("S", "MS", "ML", "L")
"""Object-size buckets, smallest first."""

BUCKET_LIMITS: tuple[int, ...] = (5, 25, 50)
"""Upper bounds (inclusive, in whole percent of the scored pixels) of S, MS and ML."""

_BETA = 0.3
_EPS_F = 1e-20
_EPS_IOU = 1e-10

# Above this many (gt class x predicted column x flag) bins a per-image dense
# histogram costs more to allocate than compacting the ground-truth rows first.
_DENSE_BINS_LIMIT = 1 << 16

IntArray = npt.NDArray[np.int64]


# --- object sizes ----------------------------------------------------------------


def size_percent(counts: npt.ArrayLike, total: int) -> IntArray:
    """``ceil(100 * count / total)`` in exact integer arithmetic.

    The toolbox evaluates this in float32; for any image below 2^24 pixels the
    float32 result cannot cross an integer the exact one does not, so exact
    arithmetic gives the same buckets.
    """
    c = np.asarray(counts, dtype=np.int64)
    if total <= 0:
        raise ValueError("total must be positive")
    return -((-100 * c) // total)


def size_bucket(percent: npt.ArrayLike) -> IntArray:
    """Bucket index (0=S, 1=MS, 2=ML, 3=L) of sizes in whole percent: <=5, <=25, <=50, else."""
    return np.searchsorted(np.asarray(BUCKET_LIMITS), np.asarray(percent), side="left").astype(
        np.int64
    )


# --- match tables ----------------------------------------------------------------


def match_table(mapping: Mapping[int, int], k: int) -> npt.NDArray[np.int32]:
    """A lookup table from raw predicted id to class, for :func:`count_image`.

    Ids without a key map to the sentinel ``k + 2`` ("unmapped"); the table has
    one extra last entry so that ids beyond the encodable range (clipped onto it)
    are unmapped too. Raises ``ValueError`` for keys or values out of range.
    """
    table = np.full(MAX_ENCODABLE + 2, k + 2, dtype=np.int32)
    for key, value in mapping.items():
        if not 0 <= key <= MAX_ENCODABLE:
            raise ValueError(f"match key {key} is not an encodable id (0..{MAX_ENCODABLE})")
        if not 0 <= value <= k:
            raise ValueError(f"match maps {key} to {value}, outside 0..{k}")
        table[key] = value
    return table


# --- one image -------------------------------------------------------------------


@dataclass(frozen=True)
class ImageCounts:
    """Everything one image contributes, as a small sparse histogram.

    ``conf[r, p, f]`` counts pixels whose ground-truth class is ``rows[r]``,
    whose predicted class is ``p`` and whose boundary flags are ``f`` (bit 0:
    on a ground-truth boundary, bit 1: on a predicted boundary). ``rows`` holds
    0..K, plus ``k + 1`` for ignored pixels (id 1000 exceeds K+1 on every track;
    any other ground-truth id above K, which no official mask holds, is treated
    as ignored too); the predicted columns are 0..K,
    ``k + 1`` for an id above K (no match) and ``k + 2`` for an id the match
    does not map. The scored part (rows 0..K, flags summed) is derived once,
    since every per-image metric reads it.
    """

    k: int
    height: int
    width: int
    rows: IntArray
    conf: IntArray
    _scored: tuple[IntArray, IntArray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        valid = self.rows <= self.k
        object.__setattr__(self, "_scored", (self.rows[valid], self.conf[valid].sum(axis=2)))

    def region(self) -> tuple[IntArray, IntArray]:
        """Scored ground-truth classes and their (class x predicted column) counts."""
        return self._scored

    def entries(self) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """The non-zero scored cells as (ground-truth class, predicted column, flags, pixels).

        Exact integers and a few dozen per image: what survives an image for
        resampling, comparisons and confusions (:mod:`submitkit.scoring.counts`).
        """
        valid = self.rows <= self.k
        conf = self.conf[valid]
        r, p, f = np.nonzero(conf)
        return self.rows[valid][r], p.astype(np.int64), f.astype(np.int64), conf[r, p, f]

    @property
    def unmapped_pixels(self) -> int:
        """Scored pixels whose predicted id the match has no key for."""
        return int(self._scored[1][:, self.k + 2].sum())

    def fmeasure(self) -> float:
        """The toolbox's per-image F-measure (beta^2 = 0.3) of foreground (id > 0)."""
        rows, c = self._scored
        fg = rows > 0
        t = float(c[fg].sum())
        p = float(c[:, 1:].sum())
        tp = float(c[fg][:, 1:].sum())
        recall = tp / (t + _EPS_F)
        precision = tp / (p + _EPS_F)
        return (1 + _BETA) * precision * recall / (_BETA * precision + recall + _EPS_F)

    def image_label(self) -> int:
        """The class with most predicted pixels among 1..K (lowest id on ties; 1 if none)."""
        pred = self._scored[1].sum(axis=0)[1 : self.k + 1]
        return int(np.argmax(pred)) + 1

    def accurate(self) -> bool:
        """Image-level accuracy: the image label has pixels in both ground truth and prediction."""
        rows, c = self._scored
        label = self.image_label()
        pred_count = int(c[:, label].sum())
        gt_count = int(c[rows == label].sum())
        return pred_count > 0 and gt_count > 0

    def miou(self) -> float:
        """Mean IoU (x100) over the classes 0..K in this image's ground truth or prediction."""
        rows, c = self._scored
        k1 = self.k + 1
        gt = np.zeros(k1, dtype=np.int64)
        gt[rows] = c.sum(axis=1)
        tp = np.zeros(k1, dtype=np.int64)
        tp[rows] = c[np.arange(len(rows)), rows]
        pred = c.sum(axis=0)[:k1]
        present = (gt > 0) | (pred > 0)
        if not present.any():
            return 0.0
        union = gt + pred - tp
        return float(np.mean(tp[present] / union[present]) * 100)


def count_image(
    gt: npt.NDArray[np.integer],
    pred: npt.NDArray[np.integer],
    k: int,
    table: npt.NDArray[np.int32] | None = None,
    gt_edge: npt.NDArray[np.bool_] | None = None,
) -> ImageCounts:
    """Histogram one image: ground truth ``gt`` and prediction ``pred`` as H x W ids.

    ``table`` (from :func:`match_table`) maps predicted ids to classes when the
    submission ships a match; boundaries are taken on the raw ``pred`` either way.
    ``gt_edge`` is the ground truth's :func:`boundary_mask` when it is known
    already (the ground-truth cache keeps it).

    Every per-pixel pass works in the narrowest unsigned type that holds its
    values (uint8 classes on the 50 track, a uint16 bin index), since these
    passes, not the arithmetic, are what an image costs.
    """
    g, p = np.asarray(gt), np.asarray(pred)
    if g.shape != p.shape or g.ndim != 2:
        raise ValueError(f"shape mismatch: ground truth {g.shape}, prediction {p.shape}")
    h, w = g.shape
    d = boundary_width(h, w)
    if gt_edge is None:
        gt_edge = boundary_mask(g, d)
    pred_edge = boundary_mask(p, d).view(np.uint8)
    flags = np.add(pred_edge, pred_edge)  # not `<< 1`: NumPy's uint8 shift is 10x slower
    flags |= gt_edge.view(np.uint8)
    # Ignore (and any ground-truth id above K) -> k+1; ids above K -> column k+1.
    # Both are functions of the raw ids, so they are applied to the runs' values only.
    col_of: Classify = partial(class_ids, top=k + 1)
    if table is not None:
        col_of = partial(np.take, table, mode="clip")
    rows, conf = joint_histogram(
        g, p, k, k + 3, flags, row_of=partial(class_ids, top=k + 1), col_of=col_of
    )
    seen = conf.reshape(len(rows), -1).any(axis=1)
    return ImageCounts(k=k, height=h, width=w, rows=rows[seen], conf=conf[seen])


def class_ids(ids: npt.NDArray[np.integer], top: int) -> npt.NDArray[np.unsignedinteger[Any]]:
    """``min(ids, top)`` as uint8 or uint16 (decoded masks are one of the two already)."""
    narrow: npt.NDArray[np.unsignedinteger[Any]]
    if ids.dtype in (np.uint8, np.uint16):
        narrow = cast("npt.NDArray[np.unsignedinteger[Any]]", ids)
    else:
        narrow = ids.clip(0, top).astype(np.uint16)
    if np.iinfo(narrow.dtype).max <= top:
        return narrow  # nothing can exceed top
    # Against a row of `top`s, not the scalar: NumPy vectorises only the array form (4x).
    row = np.full(narrow.shape[-1:], top, dtype=narrow.dtype)
    out: npt.NDArray[np.unsignedinteger[Any]] = np.minimum(narrow, row)
    return out


Classify = Callable[[npt.NDArray[Any]], npt.NDArray[Any]]
"""A per-value map from raw ids to histogram rows or columns (``class_ids``, a match table)."""


def joint_histogram(
    gcls: npt.NDArray[np.integer],
    pcls: npt.NDArray[np.integer],
    k: int,
    ncol: int,
    flags: npt.NDArray[np.uint8] | None = None,
    *,
    row_of: Classify | None = None,
    col_of: Classify | None = None,
) -> tuple[IntArray, IntArray]:
    """Pixels by (ground-truth class, predicted column[, flags]): the one per-pixel count.

    ``gcls`` holds classes 0..K+1 (K+1: ignored), ``pcls`` columns below
    ``ncol``, ``flags`` two bits per pixel. Returns the histogram's rows (the
    classes it covers) and the counts, rows x ``ncol`` x (4 with flags, else 1).
    ``row_of`` and ``col_of``, when given, turn raw ids into those classes and
    columns; being functions of a pixel's value, they are applied to each run's
    value, not to every pixel.

    Label maps are runs: one comparison of neighbours along the rows of all
    the planes finds them, and everything after works on a few thousand runs
    an image, so no per-pixel gather, index or wide copy is made. With few
    classes every class gets a row; on the large tracks the rows are the
    classes the image holds. Noise-like maps are counted pixel by pixel.
    """
    planes = 1 if flags is None else 4
    found = runs(gcls, pcls) if flags is None else runs(gcls, pcls, flags)
    if found is None:
        g = gcls if row_of is None else row_of(gcls)
        p = pcls if col_of is None else col_of(pcls)
        return _pixel_histogram(g, p, k, ncol, flags)
    starts, lengths = found
    g, p = gcls.ravel()[starts], pcls.ravel()[starts]
    if row_of is not None:
        g = row_of(g)
    if col_of is not None:
        p = col_of(p)
    key = g.astype(np.int64) * ncol + p
    if flags is not None:
        key = key * planes + flags.ravel()[starts]
    width = ncol * planes
    uniq, inverse = np.unique(key, return_inverse=True)
    # Run lengths summed in float64: exact far beyond any image's pixel count.
    sums = np.bincount(inverse.ravel(), weights=lengths).astype(np.int64)
    cls = uniq // width
    if (k + 2) * width <= _DENSE_BINS_LIMIT:
        rows = np.arange(k + 2, dtype=np.int64)
    else:
        rows = np.unique(cls)
    conf = np.zeros((len(rows), width), dtype=np.int64)
    conf[np.searchsorted(rows, cls), uniq % width] = sums
    return rows, conf.reshape(len(rows), ncol, planes)


def _pixel_histogram(
    gcls: npt.NDArray[np.integer],
    pcls: npt.NDArray[np.integer],
    k: int,
    ncol: int,
    flags: npt.NDArray[np.uint8] | None,
) -> tuple[IntArray, IntArray]:
    """:func:`joint_histogram` pixel by pixel, for noise-like maps (too many runs).

    The bin index is built in uint16 where it fits, one pixel at a time.
    """
    planes = 1 if flags is None else 4
    rows, gidx = _row_index(gcls, k, ncol * planes)
    bins = len(rows) * ncol * planes
    key = np.empty(gcls.shape, dtype=np.uint16 if bins <= 1 << 16 else np.uint32)
    np.multiply(gidx, key.dtype.type(ncol), out=key, casting="unsafe")
    np.add(key, pcls, out=key, casting="unsafe")
    if flags is not None:
        np.left_shift(key, key.dtype.type(2), out=key)
        key |= flags
    return rows, run_histogram(key, bins).reshape(len(rows), ncol, planes)


def _row_index(
    gcls: npt.NDArray[np.integer], k: int, row_bins: int
) -> tuple[IntArray, npt.NDArray[np.integer]]:
    """The histogram's rows (classes 0..K+1) and each pixel's row.

    With few classes every class gets a row; on the large tracks a dense
    histogram would be millions of bins per image, so the rows are the classes
    the image holds (a handful), found by one count.
    """
    if (k + 2) * row_bins <= _DENSE_BINS_LIMIT:
        return np.arange(k + 2, dtype=np.int64), gcls
    rows = np.flatnonzero(np.bincount(gcls.ravel(), minlength=k + 2)).astype(np.int64)
    compact = np.zeros(k + 2, dtype=np.uint8 if len(rows) <= 0x100 else np.uint16)
    compact[rows] = np.arange(len(rows))
    return rows, np.take(compact, gcls)


# --- results ---------------------------------------------------------------------


class Scores(BaseModel):
    """The official metrics, in percent, named as the toolbox prints them.

    A bucket score is ``None`` where the toolbox would print ``nan``: no image
    has a ground-truth object of that size.
    """

    model_config = ConfigDict(frozen=True)

    Acc: float
    mIoU: float
    mBIoU: float
    FMeasure: float
    S: float | None
    MS: float | None
    ML: float | None
    L: float | None
    BS: float | None
    BMS: float | None
    BML: float | None
    BL: float | None
    IoUs: list[float]
    """IoU of each class 0..K (0 = "other")."""
    BIoUs: list[float]
    """Boundary IoU of each class 0..K."""
    images: int


def _iou(tp: IntArray, pred: IntArray, gt: IntArray) -> npt.NDArray[np.float64]:
    return tp / (pred + gt - tp + _EPS_IOU)


# Every finite double is an integer multiple of 2**-1074, so this scale is exact.
_F_SCALE = 1100


def _fixed(value: float) -> int:
    num, den = value.as_integer_ratio()
    return num * ((1 << _F_SCALE) // den)


def _zeros(*shape: int) -> IntArray:
    return np.zeros(shape, dtype=np.int64)


@dataclass
class Accumulator:
    """Running sums over images; two accumulators merge by addition (for parallel runs)."""

    k: int
    images: int = 0
    accurate: int = 0
    fmeasure_sum: int = 0
    """Sum of per-image F-measures in units of 2**-_F_SCALE: exact, so any order of
    adding and merging (serial or parallel) gives the same result."""
    tp: IntArray = field(init=False)
    pred: IntArray = field(init=False)
    gt: IntArray = field(init=False)
    btp: IntArray = field(init=False)
    bpred: IntArray = field(init=False)
    bgt: IntArray = field(init=False)
    size_tp: IntArray = field(init=False)
    size_pred: IntArray = field(init=False)
    size_gt: IntArray = field(init=False)
    size_btp: IntArray = field(init=False)
    size_bpred: IntArray = field(init=False)
    size_bgt: IntArray = field(init=False)

    def __post_init__(self) -> None:
        k1 = self.k + 1
        nb = len(BUCKET_NAMES)
        self.tp, self.pred, self.gt = _zeros(k1), _zeros(k1), _zeros(k1)
        self.btp, self.bpred, self.bgt = _zeros(k1), _zeros(k1), _zeros(k1)
        self.size_tp, self.size_pred, self.size_gt = _zeros(nb, k1), _zeros(nb, k1), _zeros(nb, k1)
        self.size_btp, self.size_bpred = _zeros(nb, k1), _zeros(nb, k1)
        self.size_bgt = _zeros(nb, k1)

    @classmethod
    def from_totals(
        cls, k: int, totals: IntArray, *, accurate: int, fmeasures: npt.NDArray[np.float64]
    ) -> Accumulator:
        """The sums of a set of images from their totals, laid out (group, channel, class).

        Group 0 is all pixels and groups 1..4 the size buckets; the channels are
        tp, pred, gt and the same on boundaries (:data:`submitkit.scoring.counts.CHANNELS`).
        ``fmeasures`` are the images' F-measures, summed here exactly.
        """
        acc = cls(
            k,
            images=len(fmeasures),
            accurate=accurate,
            fmeasure_sum=sum(_fixed(float(f)) for f in fmeasures),
        )
        acc.tp, acc.pred, acc.gt, acc.btp, acc.bpred, acc.bgt = (totals[0, c] for c in range(6))
        (acc.size_tp, acc.size_pred, acc.size_gt, acc.size_btp, acc.size_bpred, acc.size_bgt) = (
            totals[1:, c] for c in range(6)
        )
        return acc

    def add(self, counts: ImageCounts) -> None:
        """Fold one image in.

        Evaluations sum the per-image table at once instead
        (:meth:`submitkit.scoring.counts.PerImageCounts.accumulator`); this is the
        plain image-by-image statement of the same sums that the table is tested against.
        """
        if counts.k != self.k:
            raise ValueError(f"image counted for K={counts.k}, accumulator has K={self.k}")
        k1 = self.k + 1
        valid = counts.rows <= self.k
        rows = counts.rows[valid]
        conf = counts.conf[valid]
        region = conf.sum(axis=2)
        gt_edge = conf[:, :, 1] + conf[:, :, 3]
        pred_edge = conf[:, :, 2] + conf[:, :, 3]
        both_edge = conf[:, :, 3]
        diag = (np.arange(len(rows)), rows)

        gt_count = region.sum(axis=1)
        tp = region[diag]
        bgt_count = gt_edge.sum(axis=1)
        btp = both_edge[diag]

        self.images += 1
        self.gt[rows] += gt_count
        self.tp[rows] += tp
        self.pred += region.sum(axis=0)[:k1]
        self.bgt[rows] += bgt_count
        self.btp[rows] += btp
        self.bpred += pred_edge.sum(axis=0)[:k1]
        self.accurate += counts.accurate()
        self.fmeasure_sum += _fixed(counts.fmeasure())

        # Rows can be listed with no pixel (the dense layout lists every class).
        fg = (rows > 0) & (gt_count > 0)
        total = int(gt_count.sum())
        if not fg.any() or total == 0:
            return
        bucket = np.full(len(rows), -1, dtype=np.int64)
        bucket[fg] = size_bucket(size_percent(gt_count[fg], total))
        background = rows == 0
        for b in np.unique(bucket[fg]):
            # A bucket sees the background pixels plus the pixels of its classes.
            sel = (bucket == b) | background
            r = rows[sel]
            self.size_gt[b, r] += gt_count[sel]
            self.size_tp[b, r] += tp[sel]
            self.size_pred[b] += region[sel].sum(axis=0)[:k1]
            self.size_bgt[b, r] += bgt_count[sel]
            self.size_btp[b, r] += btp[sel]
            self.size_bpred[b] += pred_edge[sel].sum(axis=0)[:k1]

    def merge(self, other: Accumulator) -> None:
        """Add another accumulator's sums into this one."""
        if other.k != self.k:
            raise ValueError(f"cannot merge K={other.k} into K={self.k}")
        self.images += other.images
        self.accurate += other.accurate
        self.fmeasure_sum += other.fmeasure_sum
        for name in (
            "tp",
            "pred",
            "gt",
            "btp",
            "bpred",
            "bgt",
            "size_tp",
            "size_pred",
            "size_gt",
            "size_btp",
            "size_bpred",
            "size_bgt",
        ):
            mine: IntArray = getattr(self, name)
            mine += getattr(other, name)

    def scores(self) -> Scores:
        """The metrics over everything added so far (raises ``ValueError`` with no image)."""
        if self.images == 0:
            raise ValueError("no image was evaluated")
        ious = _iou(self.tp, self.pred, self.gt) * 100
        bious = _iou(self.btp, self.bpred, self.bgt) * 100

        def bucket_means(tp: IntArray, pred: IntArray, gt: IntArray) -> list[float | None]:
            out: list[float | None] = []
            for b in range(len(BUCKET_NAMES)):
                # Only classes with ground truth in the bucket count, background included.
                seen = gt[b] > 0
                if not seen.any():
                    out.append(None)
                else:
                    out.append(float(np.mean(_iou(tp[b], pred[b], gt[b])[seen]) * 100))
            return out

        s, ms, ml, lg = bucket_means(self.size_tp, self.size_pred, self.size_gt)
        bs, bms, bml, bl = bucket_means(self.size_btp, self.size_bpred, self.size_bgt)
        return Scores(
            Acc=self.accurate / self.images * 100,
            mIoU=float(np.mean(ious)),
            mBIoU=float(np.mean(bious)),
            FMeasure=float(Fraction(self.fmeasure_sum, 1 << _F_SCALE) / self.images * 100),
            S=s,
            MS=ms,
            ML=ml,
            L=lg,
            BS=bs,
            BMS=bms,
            BML=bml,
            BL=bl,
            IoUs=[float(v) for v in ious],
            BIoUs=[float(v) for v in bious],
            images=self.images,
        )


__all__ = [
    "BOUNDARY_RATIO",
    "BUCKET_LIMITS",
    "BUCKET_NAMES",
    "Accumulator",
    "ImageCounts",
    "Scores",
    "boundary_mask",
    "boundary_width",
    "count_image",
    "match_table",
    "size_bucket",
    "size_percent",
]
