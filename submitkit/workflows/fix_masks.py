"""The repair of one prediction, decided from its label map alone, and what relabelling did.

Pure functions of arrays: a label map (read by the one label-map reader,
``inputs/png.py read_label_map``) goes in; the ids to write and the changes
that made them come out. Re-encoded as RGB when it was stored another way
(grayscale, palette, constant alpha, ``.npy``), mapped through the one id table
(``workflows/relabel.py``), transposed when its axes were swapped, resized
(nearest-neighbour) to its image's size. Nothing here reads or writes a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import numpy.typing as npt

from submitkit.benchmark.imagenet1k import MERGES
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.inputs.layout import MASK_SUFFIX
from submitkit.inputs.manifest import ImageSize
from submitkit.inputs.png import IdArray, LabelMap, PngFault
from submitkit.inputs.source import MemberRef
from submitkit.workflows.fix_read import unconvertible
from submitkit.workflows.fix_result import Change, ChangeKind
from submitkit.workflows.relabel import Relabel, lost_classes

_X = "\N{MULTIPLICATION SIGN}"

_STORED_AS = {
    "grayscale": ChangeKind.grayscale,
    "palette": ChangeKind.palette,
    "alpha": ChangeKind.alpha,
    "npy": ChangeKind.npy,
}
"""The change a label map stored another way (:attr:`png.LabelMap.stored_as`) makes."""


@dataclass(frozen=True)
class MaskJob:
    """One prediction to write: the image it predicts, where it is read from, its size."""

    key: str
    """``wnid/stem`` of the image: the mask is written as ``key.png``."""
    name: str
    """Entry name in the (flattened) source."""
    shown: str
    """Path as the summary shows it (enclosing folder included)."""
    ref: MemberRef
    expected: ImageSize | None
    """The image's (height, width), when the split's list gives it."""

    @property
    def target(self) -> str:
        return self.key + MASK_SUFFIX


@dataclass
class MaskRepair:
    """The ids one prediction is written with, and every change that made them."""

    ids: IdArray
    changes: list[Change]
    rewrite: bool
    """Whether the ids must be encoded anew; else the file's bytes are copied as they are."""
    counts: npt.NDArray[np.int64] | None = None
    """Pixels of each old id, when the relabelling counts them."""


def repair_mask(job: MaskJob, label: LabelMap, relabel: Relabel | None) -> MaskRepair:
    """What ``job``'s prediction becomes, its ids held in ``label``.

    Raises PngFault when it cannot be repaired without guessing (an id the
    table does not map): the prediction is then left out (:func:`left_out`).
    """
    target = job.target
    changes = _renamed(job)
    ids, rewrite, counts = label.ids, label.stored_as is not None, None
    if label.stored_as is not None:
        kind = _STORED_AS[label.stored_as]
        changes.append(Change(kind=kind, path=job.shown, target=target, detail=label.detail))
    if relabel is not None:
        ids, counts, missing = relabel.apply(ids)
        if missing:
            listed = ", ".join(map(str, missing))
            raise unconvertible(relabel.code, f"uses ids {relabel.unmapped} ({listed})")
        rewrite = True
    if job.expected is not None and ids.shape != tuple(job.expected):
        ids, change = _fit_size(ids, job.expected, job.shown, target)
        changes.append(change)
        rewrite = True
    return MaskRepair(ids, changes, rewrite, counts)


def _renamed(job: MaskJob) -> list[Change]:
    """The rename a prediction makes when its file name is not ``<stem>.png``."""
    if PurePosixPath(job.name).name == PurePosixPath(job.target).name:
        return []
    detail = f"{job.name} -> {job.target}"
    return [Change(kind=ChangeKind.renamed, path=job.shown, target=job.target, detail=detail)]


def left_out(job: MaskJob, fault: PngFault) -> Change:
    """A prediction that cannot be repaired without guessing, with the check's code for it."""
    return Change(kind=ChangeKind.left_out, path=job.shown, detail=fault.message, code=fault.code)


def resize_nearest(ids: IdArray, height: int, width: int) -> IdArray:
    """Nearest-neighbour resize: every output pixel copies one input pixel, never a blend."""
    h, w = ids.shape
    rows = np.minimum(((np.arange(height) + 0.5) * h / height).astype(np.int64), h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * w / width).astype(np.int64), w - 1)
    out: IdArray = ids[rows[:, None], cols[None, :]]
    return out


def _fit_size(ids: IdArray, expected: ImageSize, shown: str, target: str) -> tuple[IdArray, Change]:
    h, w = ids.shape
    eh, ew = expected
    got, want = f"{w}{_X}{h}", f"{ew}{_X}{eh}"
    if (h, w) == (ew, eh):
        # Transposing gives exactly the source size, so the content was
        # transposed, not rescaled: resizing would distort it instead.
        detail = f"{got} -> {want} (axes swapped; transposed, no pixel altered)"
        change = Change(kind=ChangeKind.transposed, path=shown, target=target, detail=detail)
        return np.ascontiguousarray(ids.T), change
    sx, sy = ew / w, eh / h
    scale = f"scale {sx:.3f}" if abs(sx - sy) < 0.01 else f"scale {sx:.3f} {_X} {sy:.3f}"
    note = "" if abs(sx - sy) < 0.01 else "; the aspect ratio changes: was it cropped?"
    detail = f"{got} -> {want} ({scale}, nearest-neighbour{note})"
    change = Change(kind=ChangeKind.resized, path=shown, target=target, detail=detail)
    return resize_nearest(ids, eh, ew), change


# --- what the relabelling did over every mask ---------------------------------------


def relabel_changes(
    totals: npt.NDArray[np.int64], relabel: Relabel, k: int, masks: int
) -> list[Change]:
    """The ImageNet-1k conversion in the summary: what merged, what became "other"."""
    changes = [
        Change(
            kind=ChangeKind.imagenet1k,
            path=relabel.source,
            detail=f"{masks:,} masks: ImageNet-1k id i (1..1000, the class order of this file) "
            f"-> its ImageNet-S{k} id, merges applied, 0 stays 0",
        )
    ]
    for lost in lost_classes(totals, relabel):
        if lost.merged:
            kind = ChangeKind.merged
            fate = f"id {lost.new} ({MERGES[lost.wnid]}, the class ImageNet-S merges it into)"
        else:
            kind, fate = ChangeKind.to_other, f"0 (other): not a class of ImageNet-S{k}"
        detail = f"{lost.pixels:,} pixels of ImageNet-1k id {lost.old} -> {fate}"
        changes.append(Change(kind=kind, path=lost.wnid, detail=detail))
    return changes


ALREADY_IN_TRACK_SHARE = 0.99
"""At least this share of the labelled pixels on ids 1..K: the masks held ImageNet-S ids."""


def not_imagenet1k(
    totals: npt.NDArray[np.int64], relabel: Relabel, out: Path, k: int
) -> Diagnostic | None:
    """An error when ``--from imagenet1k`` was given masks that held the track's own ids.

    Real ImageNet-1k predictions spread over the thousand classes, most of
    whose ids lie above K on the 50 and 300 tracks, and some above 919 on
    the 919 track. Masks whose labelled pixels nearly all lie on 1..K
    already held ImageNet-S ids: reading them as ImageNet-1k ids renumbers
    (or wipes out) every label. The copy is written as asked; it fails, saying why.
    """
    labelled = int(totals[1:].sum())
    in_track = int(totals[1 : k + 1].sum())
    if not labelled or in_track < ALREADY_IN_TRACK_SHARE * labelled:
        return None
    to_other = sum(c.pixels for c in lost_classes(totals, relabel) if not c.merged)
    return Code.ID_OUT_OF_RANGE.at(
        str(out),
        f"{100 * in_track / labelled:.1f}% of the labelled pixels held ids 1..{k}, the ids of "
        "this track, not ImageNet-1k ones: --from imagenet1k renumbered them "
        f"({100 * to_other / labelled:.0f}% went to 0, other)",
        "drop --from imagenet1k; if a few masks use ids above K, fix the model's output instead",
    )
