"""Matching a method's own ids (clusters) to ground-truth classes.

Fully unsupervised methods predict ids of their own and must say which class
each one stands for (baked into the masks, or shipped as match.json). Three
ways to find that map, all from statistics gathered in one pass over the
validation set (:class:`MatchStatistics`):

* ``hungarian(stats.images)``: the official default (``evaluation/match.py``).
  A one-to-one assignment of predicted ids 1..K to classes 1..K maximising the
  number of images in which the id and the class both appear, ``0 -> 0`` fixed.
* ``hungarian(stats.pixels, level="pixel")``: the same assignment, maximising
  the number of pixels on which id and class agree instead.
* ``many_to_one(stats.pixels)`` / ``many_to_one(stats.images, level="image")``:
  for over-clustering (more predicted ids than classes), every id goes to the
  class it overlaps most (pixels) or shares most images with (images; "other"
  excluded, as it is in nearly every image). Several ids may share
  a class, which turns a fine clustering into a good score without any
  one-to-one constraint; the rules therefore admit it only under the fully
  unsupervised protocol (:data:`submitkit.benchmark.protocols.MANY_TO_ONE_PROTOCOLS`).

:func:`mapped_miou` scores any of them from the pixel matrix alone; the
official tie-break lives in :mod:`submitkit.scoring.tiebreak`, the tie
analysis in :mod:`submitkit.scoring.ties`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from submitkit.scoring.metrics import class_ids, joint_histogram

MatchLevel = Literal["image", "pixel"]
"""What agreement counts: images in which id and class co-occur, or pixels they share."""

IntArray = npt.NDArray[np.int64]


@dataclass
class MatchStatistics:
    """Agreement between predicted ids 0..``clusters`` and classes 0..``k``.

    ``images[i, c]`` counts images whose prediction uses id ``i`` and whose
    ground truth holds class ``c``; ``pixels[i, c]`` counts pixels predicted
    ``i`` with ground truth ``c``. Both look at scored pixels only (ground
    truth not 1000), as the official matching does. Predicted ids above
    ``clusters`` are left out, as the official matching leaves out ids above K.
    """

    k: int
    clusters: int
    count: int = 0
    """Images added."""
    above: int = 0
    """Scored pixels whose predicted id exceeds ``clusters`` (left out of the matrices)."""
    max_id: int = 0
    """The largest predicted id seen on a scored pixel (tracked once an id exceeds ``clusters``)."""
    images: IntArray = field(init=False)
    pixels: IntArray = field(init=False)

    def __post_init__(self) -> None:
        if self.k < 1 or self.clusters < 1:
            raise ValueError("k and clusters must be positive")
        shape = (self.clusters + 1, self.k + 1)
        self.images = np.zeros(shape, dtype=np.int64)
        self.pixels = np.zeros(shape, dtype=np.int64)

    def add(self, gt: npt.NDArray[np.integer], pred: npt.NDArray[np.integer]) -> None:
        """Fold in one image, given as H x W ground-truth and predicted ids."""
        rows, conf, above, top = image_region(gt, pred, self.k, self.clusters)
        self.above += above
        self.max_id = max(self.max_id, top)
        if not conf.any():
            self.count += 1
            return
        self.add_region(rows, conf)

    def add_region(self, rows: npt.NDArray[np.integer], region: npt.NDArray[np.integer]) -> None:
        """Fold in one image given as its histogram: ``region[r, i]`` scored pixels of class
        ``rows[r]`` predicted ``i`` (columns 0..clusters; wider histograms are cut)."""
        conf = np.asarray(region)[:, : self.clusters + 1].T
        self.pixels[: conf.shape[0], rows] += conf
        used = np.flatnonzero(conf.sum(axis=1))
        present = np.asarray(rows)[conf.sum(axis=0) > 0]
        self.images[np.ix_(used, present)] += 1
        self.count += 1

    def merge(self, other: MatchStatistics) -> None:
        """Add another set of statistics (from a parallel worker) into this one."""
        if (other.k, other.clusters) != (self.k, self.clusters):
            raise ValueError("cannot merge statistics of different shapes")
        self.images += other.images
        self.pixels += other.pixels
        self.count += other.count
        self.above += other.above
        self.max_id = max(self.max_id, other.max_id)


def image_region(
    gt: npt.NDArray[np.integer], pred: npt.NDArray[np.integer], k: int, clusters: int
) -> tuple[IntArray, IntArray, int, int]:
    """One image's scored histogram for matching: classes, (class x id 0..clusters) pixels,
    the scored pixels whose id exceeds ``clusters`` and the largest such id (0 if none)."""
    g, p = np.asarray(gt), np.asarray(pred)
    if g.shape != p.shape:
        raise ValueError(f"shape mismatch: ground truth {g.shape}, prediction {p.shape}")
    n = clusters
    # Ignore -> k+1; ids above `clusters` -> column n+1, dropped.
    rows, counts = joint_histogram(
        g, p, k, n + 2, row_of=partial(class_ids, top=k + 1), col_of=partial(class_ids, top=n + 1)
    )
    scored = rows <= k
    rows, conf = rows[scored], counts[scored, :, 0]
    above = int(conf[:, n + 1].sum())
    top = 0
    if above:
        gcls = class_ids(g, k + 1)
        top = int(p.ravel()[gcls.ravel() <= k].max())
    return rows, conf[:, : n + 1], above, top


@dataclass
class AgreementPairs:
    """Agreement of ids 0..``clusters`` (default K) with classes 0..K as sparse entries.

    One image adds a handful of (id, class) pairs, so a chunk of images sends
    kilobytes between processes instead of two dense (clusters+1) x (K+1)
    matrices (27 MB a chunk with 1,838 clusters on the 919 track); the dense
    :class:`MatchStatistics` are built once, from all of them.
    """

    k: int
    clusters: int | None = None
    count: int = 0
    above: int = 0
    """As :attr:`MatchStatistics.above`."""
    max_id: int = 0
    """As :attr:`MatchStatistics.max_id`."""
    pixel_keys: list[IntArray] = field(default_factory=list)
    pixel_counts: list[IntArray] = field(default_factory=list)
    image_keys: list[IntArray] = field(default_factory=list)

    @property
    def ids(self) -> int:
        """The largest id counted."""
        return self.k if self.clusters is None else self.clusters

    def add(self, gt: npt.NDArray[np.integer], pred: npt.NDArray[np.integer]) -> None:
        """Fold in one image, given as H x W ids (as :meth:`MatchStatistics.add`)."""
        rows, conf, above, top = image_region(gt, pred, self.k, self.ids)
        self.above += above
        self.max_id = max(self.max_id, top)
        self.add_region(rows, conf)

    def add_region(self, rows: npt.NDArray[np.integer], region: npt.NDArray[np.integer]) -> None:
        """Fold in one image's histogram (as :meth:`MatchStatistics.add_region`)."""
        k1 = self.k + 1
        conf = np.asarray(region)[:, : self.ids + 1]
        cls = np.asarray(rows, dtype=np.int64)
        r, i = np.nonzero(conf)
        self.pixel_keys.append(i.astype(np.int64) * k1 + cls[r])
        self.pixel_counts.append(conf[r, i].astype(np.int64))
        used = np.flatnonzero(conf.sum(axis=0))
        present = cls[conf.sum(axis=1) > 0]
        self.image_keys.append((used[:, None] * k1 + present[None, :]).ravel())
        self.count += 1

    def statistics(self) -> MatchStatistics:
        """The dense statistics of everything added."""
        k1 = self.k + 1
        stats = MatchStatistics(self.k, self.ids)
        if self.pixel_keys:
            keys = np.concatenate(self.pixel_keys)
            weights = np.concatenate(self.pixel_counts)
            stats.pixels += _count(keys, weights, self.ids + 1, k1)
            stats.images += _count(np.concatenate(self.image_keys), None, self.ids + 1, k1)
        stats.count, stats.above, stats.max_id = self.count, self.above, self.max_id
        return stats

    def merge(self, other: AgreementPairs) -> None:
        self.pixel_keys += other.pixel_keys
        self.pixel_counts += other.pixel_counts
        self.image_keys += other.image_keys
        self.count += other.count
        self.above += other.above
        self.max_id = max(self.max_id, other.max_id)


def _count(keys: IntArray, weights: IntArray | None, ids: int, k1: int) -> IntArray:
    """Sum ``weights`` (or 1) per key into an ids x k1 matrix, exactly in integers."""
    uniq, inverse = np.unique(keys, return_inverse=True)
    sums = np.zeros(len(uniq), dtype=np.int64)
    np.add.at(sums, inverse, 1 if weights is None else weights)
    out = np.zeros(ids * k1, dtype=np.int64)
    out[uniq] = sums
    return out.reshape(ids, k1)


UNMATCHED_POINTS = 10.0
"""E001 fires when a matching would raise the mIoU by at least this many points..."""
UNMATCHED_FACTOR = 2.0
"""...and to at least this many times the mIoU scored as given."""


def matched_gain(stats: MatchStatistics, scored: float) -> float | None:
    """The mIoU an image-level matching would reach, when it beats ``scored`` by far.

    "By far": at least :data:`UNMATCHED_POINTS` higher and :data:`UNMATCHED_FACTOR`
    times as high. Predictions already in class ids score best as they are.
    """
    threshold = max(scored + UNMATCHED_POINTS, UNMATCHED_FACTOR * scored)
    if _best_miou_bound(stats.pixels) < threshold:
        return None  # no one-to-one matching can get there: skip solving one
    matched = mapped_miou(stats.pixels, hungarian(stats.images).mapping)
    return matched if matched >= threshold else None


def _best_miou_bound(pixels: npt.ArrayLike) -> float:
    """An upper bound of :func:`mapped_miou` over one-to-one matchings of ids 1.. to 1..K.

    Under such a matching class c >= 1 gets exactly one id, so its IoU is at most
    the best IoU any single id has with it; class 0 is bounded by 100 %. Ids that
    are class ids already (the usual case) stay far below the E001 threshold, so
    the assignment is rarely solved.
    """
    p = np.asarray(pixels, dtype=np.float64)
    if p.shape[0] < 2 or p.shape[1] < 2:
        return 100.0
    pred = p[1:].sum(axis=1, keepdims=True)
    gt = p[:, 1:].sum(axis=0, keepdims=True)
    tp = p[1:, 1:]
    best = (tp / (pred + gt - tp + 1e-10)).max(axis=0)
    return float((1.0 + best.sum()) / (best.size + 1) * 100.0)


class Matching(BaseModel):
    """A map from predicted id to class, and how much agreement it achieves."""

    model_config = ConfigDict(frozen=True)

    mapping: dict[int, int]
    """Predicted id -> class in 0..K, with ``0 -> 0``; every id 0..clusters has a key."""
    level: MatchLevel
    many_to_one: bool
    agreement: int
    """Sum of the agreement matrix over the pairs ``id -> mapping[id]`` for ids >= 1."""

    @property
    def cost(self) -> int:
        """The objective the official matching minimises (its Munkres cost): ``-agreement``."""
        return -self.agreement

    def json_object(self) -> dict[str, int]:
        """The mapping as match.json writes it: decimal string keys, in id order."""
        return {str(i): self.mapping[i] for i in sorted(self.mapping)}


def _check(agreement: npt.ArrayLike) -> IntArray:
    a = np.asarray(agreement)
    if a.ndim != 2 or a.shape[0] < 2 or a.shape[1] < 2:
        raise ValueError(f"expected an (ids+1) x (K+1) agreement matrix, got shape {a.shape}")
    return a.astype(np.int64, copy=False)


def agreement_of(agreement: npt.ArrayLike, mapping: Mapping[int, int]) -> int:
    """Total agreement of ``mapping`` (ids >= 1 only) under an agreement matrix.

    Ids outside the matrix contribute nothing, so an official match.json can be
    scored against our statistics whatever its extra keys.
    """
    a = _check(agreement)
    total = 0
    for i, c in mapping.items():
        if 1 <= i < a.shape[0] and 0 <= c < a.shape[1]:
            total += int(a[i, c])
    return total


def hungarian(agreement: npt.ArrayLike, *, level: MatchLevel = "image") -> Matching:
    """One-to-one matching of ids 1.. to classes 1..K maximising total agreement.

    With the image co-occurrence matrix and as many ids as classes this is the
    official ``match.py`` (which minimises the negated counts with Munkres).
    Where several assignments are optimal any of them may come back; compare
    :attr:`Matching.agreement`, not the dictionaries. With more ids than classes
    the ids left over map to 0 ("other"), so that every id has a key.
    """
    from scipy.optimize import linear_sum_assignment  # 0.5 s to import: only when matching

    a = _check(agreement)
    rows, cols = linear_sum_assignment(a[1:, 1:], maximize=True)
    mapping = dict.fromkeys(range(a.shape[0]), 0)
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        mapping[r + 1] = c + 1
    return Matching(
        mapping=mapping,
        level=level,
        many_to_one=False,
        agreement=agreement_of(a, mapping),
    )


def many_to_one(
    agreement: npt.ArrayLike,
    *,
    level: MatchLevel = "pixel",
    tie_break: npt.ArrayLike | None = None,
) -> Matching:
    """Each id 1.. to the class it agrees with most.

    Pixel level: classes 0..K, so a cluster of background pixels maps to "other".
    Image level: classes 1..K only, since "other" is in almost every image and would
    win every id; an id that never shares an image with a class maps to 0. On small
    sets many classes share an id's images equally often: ``tie_break`` (the pixel
    matrix) then decides between them, and the lowest class after that.
    Legitimate only under the fully unsupervised protocol (see the module notes).
    """
    a = _check(agreement)
    first = 1 if level == "image" else 0
    primary = a[:, first:]
    top = primary.max(axis=1, keepdims=True)
    if tie_break is None:
        best = np.argmax(primary, axis=1) + first
    else:
        secondary = _check(tie_break)[:, first:].astype(np.float64)
        best = np.argmax(np.where(primary == top, secondary + 1.0, 0.0), axis=1) + first
    seen = top[:, 0] > 0
    mapping = {i: int(best[i]) if seen[i] else 0 for i in range(a.shape[0])}
    mapping[0] = 0
    return Matching(
        mapping=mapping,
        level=level,
        many_to_one=True,
        agreement=agreement_of(a, mapping),
    )


def mapped_miou(pixels: npt.ArrayLike, mapping: Mapping[int, int]) -> float:
    """Validation mIoU (%) of ``mapping`` from the pixel agreement matrix alone.

    Each class c gets ``TP = sum pixels[i, c]`` and ``Pred = sum of row i`` over
    the ids i mapped to c, ``GT`` its column: the official evaluator's
    ``TP / (Pred + GT - TP + 1e-10)``, averaged over classes 0..K. Exact for any
    mapping (one-to-one or many-to-one), so candidate matchings need no new pass
    over the masks. Ids without a key count as mapped to 0.
    """
    p = np.asarray(pixels, dtype=np.int64)
    ids, k1 = p.shape
    target = np.zeros(ids, dtype=np.int64)
    for i, c in mapping.items():
        if 0 <= i < ids:
            target[i] = c
    tp = np.zeros(k1, dtype=np.int64)
    pred = np.zeros(k1, dtype=np.int64)
    np.add.at(tp, target, p[np.arange(ids), target])
    np.add.at(pred, target, p.sum(axis=1))
    gt = p.sum(axis=0)
    iou = tp / (pred + gt - tp + 1e-10)
    return float(iou.mean() * 100.0)
