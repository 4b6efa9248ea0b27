"""A short look at what a submission predicts, shown after packing.

A submission can pass every format check and still be worthless: a model that
collapsed to one class, a pipeline that wrote the same mask for every image,
a 919-class run that only ever predicts a handful of classes. None of that is
a fault of the file format, so it is not a diagnostic; it is a preview with
warnings, for the researcher to look at before spending an upload on it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from submitkit.benchmark.ids import OTHER

TOP_CLASSES = 10
"""Classes listed in each ranking of the preview."""
MAX_EXAMPLES = 5
"""Image names quoted per finding."""

ONE_CLASS_SHARE = 0.8
"""A class present in at least this share of the images is "everywhere"."""
ALL_OTHER_SHARE = 0.5
"""At least this share of images predicting nothing but "other" is suspicious."""
FEW_CLASSES_SHARE = 0.25
"""With at least K images, predicting fewer than this share of the K classes is suspicious."""
MIN_IMAGES = 10
"""Below this many images a distribution says nothing."""
DUPLICATE_SHARE = 0.01
DUPLICATE_MIN = 3
"""Identical masks worth a warning: ImageNet has near-duplicate images, so a pair can be honest."""


class ClassStat(BaseModel):
    """One predicted class (after match.json) in the preview."""

    id: int
    wnid: str | None = None
    """The category's wnid, when the category list is known."""
    images: int
    """Images whose prediction contains the class."""
    pixels: int | None = None
    """Pixels predicted as the class; ``None`` when pixels were not counted (dry run)."""
    pixel_share: float | None = None
    """``pixels`` as a share (0..1) of all predicted pixels."""


class DuplicateGroup(BaseModel):
    """Predictions that are pixel-for-pixel the same mask."""

    count: int
    examples: list[str]


class Preview(BaseModel):
    """What the predictions of a submission look like, and what looks wrong."""

    images: int
    k: int | None = None
    mapped: bool = False
    """Ids were mapped through match.json, as the evaluator does."""
    classes_predicted: int
    """Distinct non-"other" classes over all images."""
    pixels: int | None = None
    """Pixels over all masks; ``None`` when pixels were not counted."""
    other_share: float | None = None
    """Share (0..1) of all pixels predicted as "other" (id 0)."""
    top_by_pixels: list[ClassStat] = Field(default_factory=list)
    top_by_images: list[ClassStat] = Field(default_factory=list)
    all_other_images: int = 0
    """Images predicted entirely as "other"."""
    all_other_examples: list[str] = Field(default_factory=list)
    duplicate_masks: int = 0
    """Masks (with more than one id) identical to another mask of the submission."""
    duplicate_groups: list[DuplicateGroup] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


@dataclass
class ImageStats:
    """What is known about one prediction: its ids, and while packing its pixels."""

    name: str
    ids: Sequence[int] | None
    """Distinct ids, from the check; ``None`` when the mask was not decoded."""
    counts: Mapping[int, int] | None = None
    """Pixels per id, counted while packing."""
    digest: str | None = None
    """Hash of the decoded pixels (and shape), counted while packing."""


@dataclass
class _Tally:
    """Per-class image and pixel counts, all-"other" images and masks by pixel digest."""

    images: Counter[int] = field(default_factory=Counter)
    pixels: Counter[int] = field(default_factory=Counter)
    all_other: list[str] = field(default_factory=list)
    by_digest: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _tally(images: Sequence[ImageStats], match: Mapping[int, int] | None) -> _Tally:
    """One pass over the images' statistics, ids mapped through ``match`` when given."""

    def to_class(i: int) -> int:
        return match.get(i, i) if match is not None else i

    tally = _Tally()
    for stat in images:
        if stat.counts is not None:
            classes = {to_class(i) for i, n in stat.counts.items() if n}
            for i, n in stat.counts.items():
                tally.pixels[to_class(i)] += n
        elif stat.ids is not None:
            classes = {to_class(i) for i in stat.ids}
        else:
            continue
        tally.images.update(c for c in classes if c != OTHER)
        if classes <= {OTHER}:
            tally.all_other.append(stat.name)
        elif len(classes) > 1 and stat.digest is not None:
            # Masks of a single class are often identical by chance (same size,
            # whole image one class); repeats of a real layout are not.
            tally.by_digest[stat.digest].append(stat.name)
    return tally


def build_preview(
    images: Sequence[ImageStats],
    *,
    k: int | None,
    categories: Sequence[str] | None = None,
    match: Mapping[int, int] | None = None,
    top: int = TOP_CLASSES,
) -> Preview:
    """Summarise the predictions: class shares, all-"other" images, duplicates, warnings."""
    mapped = match is not None
    wnids = list(categories) if categories is not None and len(categories) == k else None
    counted = bool(images) and all(s.counts is not None for s in images)
    tally = _tally(images, match)
    per_class_images, per_class_pixels = tally.images, tally.pixels
    all_other, by_digest = tally.all_other, tally.by_digest
    total = sum(per_class_pixels.values()) if counted else None

    def class_stat(c: int) -> ClassStat:
        pixels = per_class_pixels[c] if counted else None
        return ClassStat(
            id=c,
            wnid=wnids[c - 1] if wnids is not None and 1 <= c <= len(wnids) else None,
            images=per_class_images[c],
            pixels=pixels,
            pixel_share=(pixels / total) if pixels is not None and total else None,
        )

    predicted = sorted(per_class_images)
    by_pixels = (
        sorted((c for c in per_class_pixels if c != OTHER), key=lambda c: (-per_class_pixels[c], c))
        if counted
        else []
    )
    by_images = sorted(predicted, key=lambda c: (-per_class_images[c], c))
    groups = sorted(
        (sorted(names) for names in by_digest.values() if len(names) > 1),
        key=lambda names: (-len(names), names[0]),
    )
    n = sum(1 for s in images if s.counts is not None or s.ids is not None)
    preview = Preview(
        images=n,
        k=k,
        mapped=mapped,
        classes_predicted=len(predicted),
        pixels=total,
        other_share=(per_class_pixels[OTHER] / total) if total else None,
        top_by_pixels=[class_stat(c) for c in by_pixels[:top]],
        top_by_images=[class_stat(c) for c in by_images[:top]],
        all_other_images=len(all_other),
        all_other_examples=sorted(all_other)[:MAX_EXAMPLES],
        duplicate_masks=sum(len(g) for g in groups),
        duplicate_groups=[
            DuplicateGroup(count=len(g), examples=g[:MAX_EXAMPLES]) for g in groups[:MAX_EXAMPLES]
        ],
    )
    preview.warnings = _warnings(preview, per_class_images)
    return preview


def _warnings(preview: Preview, per_class_images: Counter[int]) -> list[str]:
    out: list[str] = []
    n, k = preview.images, preview.k
    if n < MIN_IMAGES:
        return out
    if per_class_images and (k is None or k > 1):
        cls, count = min(per_class_images.items(), key=lambda item: (-item[1], item[0]))
        if count >= ONE_CLASS_SHARE * n:
            out.append(
                f"class {cls} appears in {count} of {n} images: one class everywhere usually "
                "means a collapsed model or a constant written in place of the prediction"
            )
    if preview.all_other_images >= ALL_OTHER_SHARE * n:
        out.append(
            f'{preview.all_other_images} of {n} images predict nothing but "other" (id 0): '
            "check that the ids were written, not a blank or thresholded-away mask"
        )
    if k is not None and n >= k and preview.classes_predicted < FEW_CLASSES_SHARE * k:
        out.append(
            f"only {preview.classes_predicted} of the track's {k} classes are predicted "
            f"over {n} images: check the class ids (a wrong track, or cluster ids without "
            "match.json)"
        )
    if preview.duplicate_masks >= max(DUPLICATE_MIN, DUPLICATE_SHARE * n):
        example = preview.duplicate_groups[0].examples
        out.append(
            f"{preview.duplicate_masks} masks are pixel-identical to another mask "
            f"(e.g. {', '.join(example[:3])}): a pipeline that wrote one result for "
            "several images"
        )
    return out
