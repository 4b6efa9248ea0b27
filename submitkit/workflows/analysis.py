"""What `evaluate` reports beyond the score: intervals, small classes, confusions, saved counts.

Everything here is computed from an :class:`~submitkit.scoring.engine.Evaluation`
and its exact per-image counts, then named (wnid, readable name) for people.
The result is the evaluation document every renderer (text, JSON, Markdown,
LaTeX, HTML) draws from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from submitkit.benchmark.tracks import TRACKS
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.inputs.files import read_user_text
from submitkit.inputs.source import MemberRef
from submitkit.scoring.bootstrap import (
    HEADLINE,
    SMALL_CLASS_IMAGES,
    BootstrapInfo,
    check_settings,
    class_intervals,
    percentile_interval,
    replicate,
)
from submitkit.scoring.confusions import Confusion, most_mistaken_for, top_confusions
from submitkit.scoring.counts import IntArray, PerImageCounts
from submitkit.scoring.engine import Evaluation
from submitkit.scoring.metrics import Scores
from submitkit.workflows.preview import pair_thumbnail, png_bytes

DEFAULT_CONFUSIONS = 20
"""Confused pairs in the JSON document when ``--confusions`` is not given."""

COUNTS_KIND = "submitkit-evaluation-counts"
MAX_COUNTS_BYTES = 256 * 2**20
"""A counts file is read up to this size (the 919 track's 12,419 images take a few MB)."""


class ClassRef(BaseModel):
    """A class as people read it: id, wnid and name where known."""

    id: int
    wnid: str | None
    name: str | None


class ConfusionRow(BaseModel):
    """Ground-truth pixels of one class predicted as another."""

    truth: ClassRef
    predicted: ClassRef
    pixels: int
    share: float
    """Percent of the ground-truth class's scored pixels."""


class ClassScore(BaseModel):
    """One row of the per-class table."""

    id: int
    wnid: str | None
    name: str | None
    IoU: float
    BIoU: float
    images: int = 0
    """Validation images whose ground truth holds the class."""
    small: bool = False
    """Held by fewer than ``SMALL_CLASS_IMAGES`` images: its IoU says little on its own."""
    interval: list[float] | None = None
    """Bootstrap interval of the IoU, with ``--bootstrap``."""
    mistaken_for: ConfusionRow | None = None
    """The class its pixels are most often predicted as, when any are wrong."""


@dataclass(frozen=True)
class Naming:
    """How ids become wnids and names: the category list and a synset list (may be empty)."""

    categories: list[str]
    names: dict[str, str]

    def ref(self, class_id: int) -> ClassRef:
        complete = len(self.categories) > 0
        wnid = (
            self.categories[class_id - 1]
            if complete and 0 < class_id <= len(self.categories)
            else None
        )
        name = "other" if class_id == 0 else self.names.get(wnid or "")
        return ClassRef(id=class_id, wnid=wnid, name=name)


def class_scores(
    scores: Scores, naming: Naming, counts: PerImageCounts | None = None
) -> list[ClassScore]:
    """Per-class rows, worst IoU first (ties by id)."""
    images = counts.class_images() if counts is not None else None
    mistaken = most_mistaken_for(counts) if counts is not None else {}
    rows = []
    for class_id, (iou, biou) in enumerate(zip(scores.IoUs, scores.BIoUs, strict=True)):
        ref = naming.ref(class_id)
        held = int(images[class_id]) if images is not None else 0
        rows.append(
            ClassScore(
                id=class_id,
                wnid=ref.wnid,
                name=ref.name,
                IoU=iou,
                BIoU=biou,
                images=held,
                small=images is not None and held < SMALL_CLASS_IMAGES,
                mistaken_for=_row(mistaken[class_id], naming) if class_id in mistaken else None,
            )
        )
    return sorted(rows, key=lambda r: (r.IoU, r.id))


def _row(confusion: Confusion, naming: Naming) -> ConfusionRow:
    return ConfusionRow(
        truth=naming.ref(confusion.truth),
        predicted=naming.ref(confusion.predicted),
        pixels=confusion.pixels,
        share=confusion.share,
    )


def confusion_rows(counts: PerImageCounts, naming: Naming, limit: int) -> list[ConfusionRow]:
    """The ``limit`` largest confusions, named."""
    return [_row(c, naming) for c in top_confusions(counts, limit)]


@dataclass(frozen=True)
class BootstrapRequest:
    """Resamples, seed and level of bootstrap intervals; UsageError when they cannot give one.

    Judged on creation, so that a command refuses them before any scoring.
    """

    samples: int
    seed: int = 0
    level: float = 0.95

    def __post_init__(self) -> None:
        try:
            check_settings(self.samples, self.level)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc

    def info(self) -> BootstrapInfo:
        return BootstrapInfo(samples=self.samples, seed=self.seed, level=self.level)


def intervals(
    counts: PerImageCounts, request: BootstrapRequest, rows: list[ClassScore]
) -> dict[str, list[float | None]]:
    """Metric -> [low, high]; sets each class row's interval on the way."""
    reps = replicate(counts, request.samples, request.seed)
    out: dict[str, list[float | None]] = {}
    for metric in HEADLINE:
        low, high = percentile_interval(reps.metrics[metric], request.level)
        out[metric] = [low, high]
    per_class = class_intervals(reps.ious, request.level)
    for row in rows:
        row.interval = [float(per_class[row.id, 0]), float(per_class[row.id, 1])]
    return out


def bias_note(
    scores: Scores, found: dict[str, list[float | None]], rows: list[ClassScore]
) -> str | None:
    """A warning when a metric lies outside its own interval, with the likely reason."""
    outside = [
        m
        for m, (low, high) in found.items()
        if low is not None
        and high is not None
        and (value := getattr(scores, m)) is not None
        and not low <= value <= high
    ]
    if not outside:
        return None
    small = sum(1 for r in rows if r.small and r.id > 0)
    return (
        f"{', '.join(outside)} lie outside their intervals: {small} classes are held by fewer "
        f"than {SMALL_CLASS_IMAGES} images, and a resample that misses a class scores it 0 "
        "(as the official mean does), which pulls the resampled means down; read these "
        "intervals as rough"
    )


# --- saved counts, for `compare` ----------------------------------------------------


def counts_document(counts: PerImageCounts) -> dict[str, Any]:
    """The per-image counts as JSON-ready data (exact integers, one list per column)."""
    return {
        "k": counts.k,
        "names": counts.names,
        "cells": {
            "image": counts.image.tolist(),
            "gt": counts.gt.tolist(),
            "pred": counts.pred.tolist(),
            "flags": counts.flags.tolist(),
            "pixels": counts.pixels.tolist(),
        },
        "accurate": [bool(v) for v in counts.accurate],
        "fmeasure": [float(v) for v in counts.fmeasure],
    }


def counts_from_document(data: Any, where: Path) -> PerImageCounts:
    """Per-image counts back from :func:`counts_document` data (EnvironmentProblem if unusable).

    A counts file is read as untrusted input: every column must be whole
    numbers in its range, or the bootstrap would index out of its tables or
    count negative pixels.
    """
    try:
        cells, k = data["cells"], data["k"]
        names, accurate, fmeasure = data["names"], data["accurate"], data["fmeasure"]
        if k not in TRACKS or type(k) is not int:
            raise ValueError(f"k is {k!r}, not 50, 300 or 919")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ValueError("names are not a list of image names")
        if len(set(names)) != len(names):
            raise ValueError("an image is named twice")
        bounds = {"image": len(names) - 1, "gt": k, "pred": k + 2, "flags": 3, "pixels": None}
        arrays = {key: _whole_numbers(cells[key], key, top) for key, top in bounds.items()}
        if not all(isinstance(v, bool) for v in accurate):
            raise ValueError("accurate is not a list of true/false")
        shares = np.asarray(fmeasure, dtype=np.float64)
        if shares.ndim != 1 or not np.all((shares >= 0) & (shares <= 1)):
            raise ValueError("fmeasure is not a list of fractions")
    except (KeyError, TypeError, ValueError) as exc:
        raise EnvironmentProblem(
            f"{where} holds no usable per-image counts ({exc})",
            "write it with `submitkit evaluate ... --save-counts FILE`",
        ) from exc
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) != 1 or len(accurate) != len(names) or len(shares) != len(names):
        raise EnvironmentProblem(f"{where}: the per-image count columns differ in length")
    return PerImageCounts(
        k=k, names=names, accurate=np.asarray(accurate, dtype=bool), fmeasure=shares, **arrays
    )


def _whole_numbers(values: Any, column: str, top: int | None) -> IntArray:
    """A column of JSON integers in ``0..top`` (``1..`` for pixels) as int64; else ValueError."""
    if not isinstance(values, list) or not all(type(v) is int for v in values):
        raise ValueError(f"cells.{column} is not a list of whole numbers")
    array = np.asarray(values, dtype=np.int64) if values else np.zeros(0, dtype=np.int64)
    if top is None and array.size and array.min() < 1:
        raise ValueError(f"cells.{column} holds a count below 1")
    if top is not None and array.size and (array.min() < 0 or array.max() > top):
        raise ValueError(f"cells.{column} holds numbers outside 0..{top}")
    return array


def read_counts_file(path: Path) -> tuple[dict[str, Any], PerImageCounts]:
    """A file written by ``evaluate --save-counts``: its evaluation document and its counts."""
    text = read_user_text(
        path, MAX_COUNTS_BYTES, "counts file", "give a file written by `evaluate --save-counts`"
    )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EnvironmentProblem(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("kind") != COUNTS_KIND:
        raise EnvironmentProblem(
            f"{path} is not a counts file written by `submitkit evaluate --save-counts`"
        )
    return data, counts_from_document(data.get("counts"), path)


def evaluation_of(evaluation: Evaluation) -> PerImageCounts:
    if evaluation.counts is None:  # pragma: no cover - every evaluate keeps them
        raise UsageError("this evaluation kept no per-image counts")
    return evaluation.counts


# --- the worst images, for the HTML report -------------------------------------------


@dataclass(frozen=True)
class WorstImage:
    """One of the lowest-scoring images: its name, its own mIoU and a PNG thumbnail pair."""

    name: str
    mIoU: float
    png: bytes


def worst_images(
    evaluation: Evaluation,
    ref: Callable[[str], MemberRef],
    gt_dir: Path,
    split_dir: Path | None,
    match: Mapping[int, int] | None = None,
    count: int = 8,
) -> list[WorstImage]:
    """Thumbnails (prediction over the image beside the ground truth) of the ``count`` images
    with the lowest per-image mIoU, ties by name."""
    rows = sorted(evaluation.images, key=lambda r: (r.mIoU, r.name))[: max(0, count)]
    out = []
    for row in rows:
        image = pair_thumbnail(row.name, ref, split_dir, gt_dir, match)
        out.append(WorstImage(name=row.name, mIoU=row.mIoU, png=png_bytes(image)))
    return out
