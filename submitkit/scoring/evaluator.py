"""The official metrics from arrays in memory: ``Evaluator`` for training loops.

``update`` counts one image with :func:`~submitkit.scoring.metrics.count_image`,
the very function `submitkit evaluate` counts each decoded PNG with, and keeps
only its exact scored cells (:class:`~submitkit.scoring.counts.PerImageCounts`,
a few dozen integers an image). ``compute`` derives every official metric from
those cells as `evaluate` does, and bootstrap intervals from the same
resampling. Integer counts add exactly, so evaluators fed disjoint images
(one per data-parallel worker) merge into one fed them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from submitkit.benchmark.ids import IGNORE, MAX_ENCODABLE
from submitkit.benchmark.tracks import TRACKS
from submitkit.core.errors import InputError, UsageError
from submitkit.inputs.arrays import id_map, id_range
from submitkit.scoring.bootstrap import (
    HEADLINE,
    BootstrapInfo,
    check_settings,
    class_intervals,
    percentile_interval,
    replicate,
)
from submitkit.scoring.counts import PerImageCounts
from submitkit.scoring.metrics import Scores, count_image, match_table

_X = "\N{MULTIPLICATION SIGN}"
_COMPACT_EVERY = 512
"""Images kept as separate tables before they are joined into one (bounds the list)."""


class EvaluatorScores(Scores):
    """The official metrics (the keys of `evaluate`'s ``scores``), and intervals if asked for."""

    intervals: dict[str, list[float | None]] | None = None
    """With ``compute(bootstrap=N)``: metric -> [low, high], percentile bootstrap over images."""
    class_intervals: list[list[float]] | None = None
    """With ``compute(bootstrap=N)``: [low, high] of the IoU of each class 0..K."""
    bootstrap: BootstrapInfo | None = None
    """With ``compute(bootstrap=N)``: resamples, seed and level."""


class Evaluator:
    """Accumulates images and computes the official ImageNet-S metrics of all of them.

    ``update(prediction, ground_truth, match=None)`` takes H x W integer class-id
    arrays (ground truth: 0..K, 1000 ignored; prediction: 0..K, or cluster ids
    that ``match`` maps to 0..K); ``compute()`` returns :class:`EvaluatorScores`.
    """

    def __init__(self, track: int) -> None:
        if track not in TRACKS:
            raise UsageError(f"{track!r} is not a track", "tracks are 50, 300 and 919")
        self.k = int(track)
        self._parts: list[PerImageCounts] = []
        self._images = 0
        self._tables: dict[tuple[tuple[int, int], ...], npt.NDArray[np.int32]] = {}

    def __len__(self) -> int:
        """Images counted so far."""
        return self._images

    def __repr__(self) -> str:
        return f"Evaluator(track={self.k}, images={self._images})"

    def reset(self) -> None:
        """Forget every image (the track stays)."""
        self._parts = []
        self._images = 0

    def update(
        self,
        prediction: npt.ArrayLike,
        ground_truth: npt.ArrayLike,
        match: Mapping[int, int] | None = None,
        name: str | None = None,
    ) -> None:
        """Count one image: its predicted and ground-truth id maps, the same H x W.

        ``name`` (its key, such as ``n01443537/ILSVRC2012_val_00004677``) places the
        image where `evaluate` places it: intervals are drawn over the images in
        sorted name order, so named images get `evaluate`'s intervals for the same
        seed, in whatever order they came. Unnamed images keep the order they came in.
        """
        pred = id_map(prediction, "prediction")
        gt = id_map(ground_truth, "ground truth")
        if pred.shape != gt.shape:
            (ph, pw), (gh, gw) = pred.shape, gt.shape
            raise InputError(
                f"prediction is {pw}{_X}{ph} but its ground truth is {gw}{_X}{gh} (W{_X}H)",
                "predict at the ground truth's size (resize logits before the argmax)",
            )
        self._check_truth(gt)
        table = self._table(match) if match is not None else None
        self._check_prediction(pred, table)
        counts = count_image(_narrow(gt), _narrow(pred), self.k, table)
        if table is not None and counts.unmapped_pixels:
            missing = np.unique(pred[(np.take(table, pred) == self.k + 2) & (gt != IGNORE)])
            raise InputError(
                f"the match has no key for predicted ids {_listed(missing)}",
                "map every predicted id to a class 0..K",
            )
        self._parts.append(PerImageCounts.from_images(self.k, [name or ""], [counts]))
        self._images += 1
        if len(self._parts) >= _COMPACT_EVERY:
            self._parts = [self._joined()]

    def merge(self, other: Evaluator) -> Evaluator:
        """Add the images ``other`` counted to this evaluator (in place); returns it."""
        if not isinstance(other, Evaluator):
            raise InputError(f"cannot merge a {type(other).__name__} into an Evaluator")
        if other.k != self.k:
            raise InputError(f"cannot merge an evaluator of track {other.k} into track {self.k}")
        self._parts = [self._joined(), other._joined()]
        self._images += other._images
        return self

    def __add__(self, other: Evaluator) -> Evaluator:
        """A new evaluator holding the images of both."""
        out = Evaluator(self.k)
        return out.merge(self).merge(other)

    def _joined(self) -> PerImageCounts:
        """The images counted so far, in the order they came, names as given ("" if none)."""
        parts = [p for p in self._parts if p.n]
        if not parts:
            return PerImageCounts.from_images(self.k, [], [])
        return parts[0] if len(parts) == 1 else PerImageCounts.concat(self.k, parts)

    def counts(self) -> PerImageCounts:
        """The exact per-image cells counted so far, images in the order they came.

        An unnamed image is called ``#`` and its position (zero-padded, so that
        sorted names keep the order the images came in).
        """
        joined = self._joined()
        names = [n or f"#{i:09d}" for i, n in enumerate(joined.names)]
        return replace(joined, names=names)

    def compute(self, bootstrap: int = 0, seed: int = 0, level: float = 0.95) -> EvaluatorScores:
        """Every official metric over the images counted so far (percent, as `evaluate`).

        ``bootstrap`` resamples of the images (1000 is usual) add percentile
        ``intervals`` at ``level``; the same ``seed`` gives the same intervals.
        """
        if self._images == 0:
            raise UsageError("no image was counted", "call update() with at least one image")
        self._parts = [self._joined()]
        counts = self.counts()
        scores = counts.accumulator().scores()
        if not bootstrap:
            return EvaluatorScores(**scores.model_dump())
        try:
            check_settings(bootstrap, level)
        except ValueError as exc:
            raise UsageError(str(exc).replace("--", "")) from exc
        reps = replicate(counts, bootstrap, seed)
        found = {m: list(percentile_interval(reps.metrics[m], level)) for m in HEADLINE}
        per_class = [[float(low), float(high)] for low, high in class_intervals(reps.ious, level)]
        info = BootstrapInfo(samples=bootstrap, seed=seed, level=level)
        return EvaluatorScores(
            **scores.model_dump(), intervals=found, class_intervals=per_class, bootstrap=info
        )

    def _check_truth(self, gt: npt.NDArray[np.integer[Any]]) -> None:
        low, high = id_range(gt)
        if low < 0 or (high > self.k and np.any((gt > self.k) & (gt != IGNORE))):
            bad = np.unique(gt[(gt < 0) | ((gt > self.k) & (gt != IGNORE))])
            raise InputError(
                f"ground truth holds ids {_listed(bad)}, outside 0..{self.k} and {IGNORE}",
                f"ground truth is 0 (other), 1..{self.k}, or {IGNORE} (ignored): check the track",
            )

    def _check_prediction(
        self, pred: npt.NDArray[np.integer[Any]], table: npt.NDArray[np.int32] | None
    ) -> None:
        low, high = id_range(pred)
        top = self.k if table is None else MAX_ENCODABLE
        if low >= 0 and high <= top:
            return
        bad = np.unique(pred[(pred < 0) | (pred > top)])
        hint = (
            f"predictions are 0 (other) or 1..{self.k}; cluster ids need a match"
            if table is None
            else f"cluster ids lie in 0..{MAX_ENCODABLE}"
        )
        raise InputError(f"prediction holds ids {_listed(bad)}, outside 0..{top}", hint)

    def _table(self, match: Mapping[int, int]) -> npt.NDArray[np.int32]:
        try:
            key = tuple(sorted((int(a), int(b)) for a, b in match.items()))
        except (AttributeError, TypeError, ValueError) as exc:
            raise InputError(
                "match is not a mapping of predicted id to class", "give a dict {id: class}"
            ) from exc
        table = self._tables.get(key)
        if table is None:
            try:
                table = match_table(dict(key), self.k)
            except ValueError as exc:
                raise InputError(f"match: {exc}", "map predicted ids to classes 0..K") from exc
            self._tables = {key: table}  # one match is the usual case: keep the last
        return table


def _narrow(ids: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.integer[Any]]:
    """Checked ids in the unsigned type a decoded PNG has (what the counting passes expect)."""
    return ids.astype(np.uint8 if int(ids.max()) <= 0xFF else np.uint16, copy=False)


def _listed(ids: npt.NDArray[np.integer[Any]], limit: int = 8) -> str:
    shown = ", ".join(str(int(i)) for i in ids[:limit])
    return f"{shown} (and {len(ids) - limit} more)" if len(ids) > limit else shown
