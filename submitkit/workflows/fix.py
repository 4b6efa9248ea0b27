"""Repair what can be repaired without guessing, into a new copy, then check the copy.

``fix_submission`` never touches its input. It reads a submission folder or
zip, converts every prediction it can to the official encoding (8-bit RGB,
``id = R + 256 G``, ``B = 0``) with the ids unchanged, and writes the result
atomically: into a temporary folder or file beside the output, renamed into
place only once complete. Then it runs the full check on the output.

What counts as "without guessing": a grayscale or palette PNG holds the ids
directly (the palette colours are only for viewing); a constant alpha channel
carries no information; a ``.npy`` array of integers is an id map. A coloured
visualisation (blue channel in use), a JPEG, a varying alpha or a 16-bit RGB
file no longer hold the ids losslessly: those are left out and reported, so
the check on the output still says they are missing.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import ClassVar, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from submitkit.benchmark.imagenet1k import MERGES
from submitkit.benchmark.tracks import Split
from submitkit.checks.report import Report, Status
from submitkit.checks.staged import resolve_target, run_check
from submitkit.core.atomic import (
    Inputs,
    atomic_folder,
    atomic_output,
    atomic_swap,
    check_target,
)
from submitkit.core.diagnostics import Code, Diagnostic, Severity
from submitkit.core.document import Document
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.exits import exit_code
from submitkit.core.progress import NoProgress, ProgressSink
from submitkit.core.safetext import printable
from submitkit.core.workers import run_ordered
from submitkit.core.zipwrite import DeterministicZip
from submitkit.inputs import png
from submitkit.inputs.config import RunContext
from submitkit.inputs.layout import (
    MASK_SUFFIX,
    MATCH_FILE,
    METHOD_FILE,
    Layout,
    folder_findings,
    is_junk,
    looks_like_prediction,
    prediction_stem,
    read_layout,
)
from submitkit.inputs.manifest import ImageSize, Manifest
from submitkit.inputs.match_json import load_match
from submitkit.inputs.png import PngFault, encode_png, read_label_map
from submitkit.inputs.source import MemberRef, Source, open_source
from submitkit.inputs.synsets import find_synsets
from submitkit.workflows.relabel import (
    Relabel,
    imagenet1k_relabel,
    lost_classes,
    match_relabel,
)
from submitkit.workflows.relocate import Setaside, Where, Why, place

IdArray = png.IdArray

_X = "\N{MULTIPLICATION SIGN}"
_MAX_NPY_BYTES = 256 * 1024 * 1024
"""No id map of an ImageNet image as .npy comes near this (int64 at 8000 x 4000)."""
_PREDICTION_SUFFIXES = (".png", ".jpg", ".jpeg", ".npy", ".bmp", ".tif", ".tiff", ".gif", ".webp")
_KEPT = "; one copy (the one Python's zipfile reads) was kept"


class ChangeKind(str, Enum):
    """The kinds of change ``fix`` makes, in the order the summary lists them."""

    flattened = "flattened"
    dropped = "dropped"
    extra_dropped = "extra_dropped"
    moved_wnid = "moved_wnid"
    moved_flat = "moved_flat"
    moved_nested = "moved_nested"
    renamed = "renamed"
    grayscale = "grayscale"
    palette = "palette"
    alpha = "alpha"
    npy = "npy"
    transposed = "transposed"
    resized = "resized"
    match_applied = "match_applied"
    imagenet1k = "imagenet1k"
    merged = "merged"
    to_other = "to_other"
    left_out = "left_out"

    @property
    def heading(self) -> str:
        return _TITLES[self]


_TITLES = {
    ChangeKind.flattened: "enclosing folder flattened",
    ChangeKind.dropped: "junk, stray files and second copies dropped",
    ChangeKind.extra_dropped: "left out (--drop-extra): not images of this split",
    ChangeKind.moved_wnid: "moved from another wnid folder to the one the split's list names",
    ChangeKind.moved_flat: "moved from the root (flat layout) into its wnid folder",
    ChangeKind.moved_nested: "moved out of nested or unknown folders into its wnid folder",
    ChangeKind.renamed: "renamed",
    ChangeKind.grayscale: "grayscale label maps encoded as RGB",
    ChangeKind.palette: "palette PNGs encoded as RGB (palette index = id)",
    ChangeKind.alpha: "constant alpha channel dropped",
    ChangeKind.npy: ".npy arrays written as PNG",
    ChangeKind.transposed: "transposed (axes were swapped)",
    ChangeKind.resized: "resized to the source size (nearest-neighbour)",
    ChangeKind.match_applied: "match.json baked into the masks",
    ChangeKind.imagenet1k: "ImageNet-1k ids converted to ImageNet-S ids",
    ChangeKind.merged: "ImageNet-1k classes merged into another ImageNet-S class (pixels)",
    ChangeKind.to_other: "ImageNet-1k classes outside the track set to 0, other (pixels)",
    ChangeKind.left_out: "LEFT OUT: cannot be repaired without guessing",
}


class Change(BaseModel):
    """One thing ``fix`` did (or refused to do) to one file."""

    kind: ChangeKind
    path: str
    """The file in the input, relative to the input's root (enclosing folder included)."""
    detail: str
    target: str | None = None
    """Where it went in the output; None when it was not written."""
    code: Code | None = None
    """For left-out files: the check's code for the fault."""


class FixResult(Document):
    """What ``fix_submission`` wrote and how the check judged it."""

    kind: ClassVar[str] = "fix"
    schema_file: ClassVar[str] = "fix.schema.json"

    submission: str
    output: str
    container: Literal["folder", "zip"]
    output_container: Literal["folder", "zip"]
    changes: list[Change] = Field(default_factory=list)
    written: int = 0
    """Files written to the output."""
    unchanged: int = 0
    """Of those, files copied byte for byte."""
    report: Report | None = None
    """The check of the output."""
    in_place: bool = False
    """``fix --in-place``: the output is the submission itself."""
    replaced: bool = False
    """In place: the submission was changed (a hook that changed files exits 1)."""

    def by_kind(self) -> dict[ChangeKind, list[Change]]:
        """Changes grouped by kind, in ``ChangeKind`` order, empty kinds omitted."""
        grouped: dict[ChangeKind, list[Change]] = {}
        for kind in ChangeKind:
            found = [c for c in self.changes if c.kind is kind]
            if found:
                grouped[kind] = found
        return grouped

    @property
    def passed(self) -> bool:
        return self.report is not None and self.report.status is not Status.failed

    def is_failure(self) -> bool:
        # In place, a change is reported as pre-commit fixers report one: exit 1.
        return not self.passed or self.replaced

    @property
    def exit_code(self) -> int:
        return int(exit_code(self))


# --- one prediction ---------------------------------------------------------------


Unconvertible = PngFault
"""A prediction that cannot be turned into an id map without guessing (code, message)."""


_STORED_AS = {
    "grayscale": ChangeKind.grayscale,
    "palette": ChangeKind.palette,
    "alpha": ChangeKind.alpha,
    "npy": ChangeKind.npy,
}
"""The change a label map stored another way (:attr:`png.LabelMap.stored_as`) makes."""


def _fault(code: Code, message: str) -> PngFault:
    return PngFault(code, message, "re-export the prediction as an 8-bit RGB PNG")


def resize_nearest(ids: IdArray, height: int, width: int) -> IdArray:
    """Nearest-neighbour resize: every output pixel copies one input pixel, never a blend."""
    h, w = ids.shape
    rows = np.minimum(((np.arange(height) + 0.5) * h / height).astype(np.int64), h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * w / width).astype(np.int64), w - 1)
    out: IdArray = ids[rows[:, None], cols[None, :]]
    return out


@dataclass
class _Job:
    key: str
    name: str
    """Entry name in the (flattened) source."""
    shown: str
    """Path as the summary shows it (enclosing folder included)."""
    ref: MemberRef
    expected: ImageSize | None


def read_prediction(ref: MemberRef) -> bytes:
    """A prediction's bytes, read the bounded way: PNGs as their header allows.

    Raises PngFault for a file refused from its first bytes or unreadable.
    """
    try:
        with ref.open() as handle:
            head = handle.read(png.HEAD_BYTES)
            if not head.startswith(png.PNG_SIGNATURE):
                rest = handle.read(_MAX_NPY_BYTES + 1 - len(head))
                if len(head) + len(rest) > _MAX_NPY_BYTES:
                    raise _fault(Code.MASK_TOO_LARGE, "far larger than any id map; not read")
                return head + rest
    except PngFault:
        raise
    except Exception as exc:
        # A damaged zip member or an unreadable file is a finding about it.
        raise png.read_fault(exc) from exc
    return png.read_png(ref.open)[1]


@dataclass
class _Done:
    job: _Job
    target: str
    payload: bytes | None
    changes: list[Change]
    unchanged: bool
    counts: npt.NDArray[np.int64] | None = None
    """Pixels of each old id, when the relabelling counts them."""


def _repair(job: _Job, relabel: Relabel | None) -> _Done:
    target = job.key + MASK_SUFFIX
    changes: list[Change] = []
    counts = None
    if PurePosixPath(job.name).name != PurePosixPath(target).name:
        changes.append(
            Change(
                kind=ChangeKind.renamed,
                path=job.shown,
                target=target,
                detail=f"{job.name} -> {target}",
            )
        )
    try:
        data = read_prediction(job.ref)
        label = read_label_map(data, npy=True)
        ids = label.ids
        rewrite = label.stored_as is not None
        if label.stored_as is not None:
            kind = _STORED_AS[label.stored_as]
            changes.append(Change(kind=kind, path=job.shown, target=target, detail=label.detail))
        if relabel is not None:
            ids, counts, missing = relabel.apply(ids)
            if missing:
                raise _fault(
                    relabel.code, f"uses ids {relabel.unmapped} ({', '.join(map(str, missing))})"
                )
            rewrite = True
        if job.expected is not None and ids.shape != tuple(job.expected):
            ids = _fit_size(ids, job.expected, job.shown, target, changes)
            rewrite = True
    except PngFault as bad:
        left = Change(kind=ChangeKind.left_out, path=job.shown, detail=bad.message, code=bad.code)
        return _Done(job, target, None, [left], False)
    payload = encode_png(ids) if rewrite else data
    return _Done(job, target, payload, changes, not rewrite, counts)


def _fit_size(
    ids: IdArray, expected: ImageSize, shown: str, target: str, changes: list[Change]
) -> IdArray:
    h, w = ids.shape
    eh, ew = expected
    got, want = f"{w}{_X}{h}", f"{ew}{_X}{eh}"
    if (h, w) == (ew, eh):
        # Transposing gives exactly the source size, so the content was
        # transposed, not rescaled: resizing would distort it instead.
        changes.append(
            Change(
                kind=ChangeKind.transposed,
                path=shown,
                target=target,
                detail=f"{got} -> {want} (axes swapped; transposed, no pixel altered)",
            )
        )
        return np.ascontiguousarray(ids.T)
    sx, sy = ew / w, eh / h
    scale = f"scale {sx:.3f}" if abs(sx - sy) < 0.01 else f"scale {sx:.3f} {_X} {sy:.3f}"
    note = "" if abs(sx - sy) < 0.01 else "; the aspect ratio changes: was it cropped?"
    changes.append(
        Change(
            kind=ChangeKind.resized,
            path=shown,
            target=target,
            detail=f"{got} -> {want} ({scale}, nearest-neighbour{note})",
        )
    )
    return resize_nearest(ids, eh, ew)


# --- writing the output ------------------------------------------------------------


class _Unwritable(Exception):
    """One file the output cannot hold (the others can): it is left out, saying why."""


@contextlib.contextmanager
def _output(out: Path) -> Iterator[Callable[[str, bytes], None]]:
    """A writer of named files into ``out``: a zip or a folder, there only once complete."""
    if out.suffix.lower() == ".zip":
        with atomic_output(out, overwrite=False) as handle, DeterministicZip(handle) as archive:
            yield archive.add
        return
    with atomic_folder(out) as folder:

        def put(name: str, data: bytes) -> None:
            path = folder / name
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            except OSError as exc:
                if exc.errno != errno.ENAMETOOLONG:
                    raise
                raise _Unwritable("its name is too long for this file system") from exc

        yield put


# --- the whole submission ----------------------------------------------------------


def _check_output_path(path: Path, out: Path, inputs: Inputs) -> None:
    if path.is_dir():
        src, dst = path.resolve(), out.resolve()
        if dst == src or src in dst.parents:
            raise UsageError(
                f"{out} lies inside the submission {path}",
                "write the repaired copy outside the submission folder",
            )
    check_target(
        out,
        replace=False,
        exists_hint="fix writes a new copy: give an output path that does not exist",
        inputs=inputs.adding(path),
    )


def _unshipped(name: str, layout: Layout, notes: Mapping[str, Diagnostic]) -> Change:
    """Why an input file has no place in the output."""
    if is_junk(name):
        return Change(
            kind=ChangeKind.dropped,
            path=name,
            detail="operating-system or editor junk",
            code=Code.JUNK_FILE,
        )
    prefix = layout.source.prefix
    inner = name[len(prefix) :] if name.startswith(prefix) else name
    # Layout findings name the file as the user sees it; folder findings, inside the layout.
    diag = notes.get(name) or notes.get(inner) or notes.get(inner.split("/", 1)[0] + "/")
    kept = next((layout.predictions.get(k) for k, n in layout.misnamed.items() if n == inner), None)
    if kept is not None:
        return Change(
            kind=ChangeKind.dropped,
            path=name,
            detail=f"a second copy of {kept}, which was kept",
            code=Code.BAD_EXTENSION,
        )
    if inner.lower().endswith(_PREDICTION_SUFFIXES):
        detail = diag.message if diag else "a prediction outside <wnid>/<stem>.png"
        return Change(
            kind=ChangeKind.left_out, path=name, detail=detail, code=diag.code if diag else None
        )
    return Change(
        kind=ChangeKind.dropped,
        path=name,
        detail=diag.message if diag else "not part of a submission",
        code=diag.code if diag else None,
    )


def fix_submission(
    path: Path,
    out: Path,
    context: RunContext,
    *,
    apply_match: bool = False,
    drop_extra: bool = False,
    from_labels: Literal["imagenet1k"] | None = None,
    synsets: Path | None = None,
    progress: ProgressSink | None = None,
) -> FixResult:
    """Write a repaired copy of the submission at ``path`` to ``out``, then check it.

    ``out`` must not exist; it becomes a folder, or a zip when it ends in
    ``.zip``. Raises ``SubmitkitError`` (nothing written) for unusable options:
    an existing ``out``, an undecidable track, ``apply_match`` without a valid
    match.json, ``drop_extra`` or ``from_labels`` without the lists they need.
    Every fault of the submission itself becomes a ``Change``.

    With a list of the split's images (``sources``), every prediction is written
    to the folder the list names for its stem, wherever it was found;
    ``drop_extra`` leaves out predictions of images not in the list.
    ``from_labels="imagenet1k"`` reads the ids as ImageNet-1k classes and writes
    the track's ImageNet-S ids (``synsets``: the ImageNet-1k class order).
    """
    result, checked = _repaired(
        path, out, context, apply_match, drop_extra, from_labels, synsets, progress
    )
    _check_copy(result, out, checked, progress)
    return result


def fix_in_place(
    path: Path,
    context: RunContext,
    *,
    apply_match: bool = False,
    drop_extra: bool = False,
    from_labels: Literal["imagenet1k"] | None = None,
    synsets: Path | None = None,
    progress: ProgressSink | None = None,
) -> FixResult:
    """Repair the submission at ``path`` in place (``fix --in-place``), then check it.

    The repaired copy is written beside ``path`` exactly as :func:`fix_submission`
    writes one, then swapped in atomically (:func:`atomic_swap`): on a refusal,
    an error or Ctrl-C the original stays byte for byte and no temporary is
    left. A submission with nothing to repair is left untouched (not rewritten).
    """
    with atomic_swap(path) as swap:
        result, checked = _repaired(
            path, swap.new, context, apply_match, drop_extra, from_labels, synsets, progress
        )
        if not result.changes:
            swap.cancel()
    result.output, result.output_container = str(path), result.container
    result.in_place, result.replaced = True, swap.done
    _check_copy(result, path, checked, progress)
    return result


def _check_copy(
    result: FixResult,
    out: Path,
    checked: tuple[RunContext, Diagnostic | None],
    progress: ProgressSink | None,
) -> None:
    """The full check of the written copy, with the doubt about --from imagenet1k, if any."""
    context, doubt = checked
    result.report = run_check(out, context, progress=progress).report
    if doubt is not None:
        result.report.diagnostics.append(doubt)


def _repaired(
    path: Path,
    out: Path,
    context: RunContext,
    apply_match: bool,
    drop_extra: bool,
    from_labels: Literal["imagenet1k"] | None,
    synsets: Path | None,
    progress: ProgressSink | None,
) -> tuple[FixResult, tuple[RunContext, Diagnostic | None]]:
    """The repaired copy written at ``out``; the context to check it in and a doubt, if any."""
    sink = progress or NoProgress()
    _check_output_path(path, out, Inputs.of(*context.sources.paths, synsets))
    read = _read_stage(path, context, sink)
    if (drop_extra or from_labels) and read.manifest is None:
        flag = "--drop-extra" if drop_extra else f"--from {from_labels}"
        raise UsageError(
            f"{flag} needs the split's list of images",
            "give --toolbox DIR (the official toolbox), --manifest FILE or --dataset DIR",
        )
    if apply_match and from_labels:
        raise UsageError(
            f"--apply-match and --from {from_labels} both relabel the masks",
            "give only one of them",
        )
    relabel = _match_table(read.layout, read.k) if apply_match else None
    if from_labels and read.manifest is not None:
        synset_file = synsets or find_synsets(context.sources.dataset)
        relabel = imagenet1k_relabel(read.manifest, synset_file)
    result, doubt = _write_stage(read, out, relabel, apply_match, drop_extra, context.jobs, sink)
    # The copy is checked in full against the target the repair used.
    track, split = read.target[:2] if read.target is not None else (None, None)
    checked = context.but(track=track, split=split, quick=False, strict=False)
    return result, (checked, doubt)


@dataclass
class _Read:
    """What fix learns before writing: the layout, the target, its list, the notes per file."""

    path: Path
    source: Source
    layout: Layout
    target: tuple[int, Split, str] | None
    manifest: Manifest | None
    notes: dict[str, Diagnostic]

    @property
    def k(self) -> int | None:
        return self.target[0] if self.target is not None else None


def _read_stage(path: Path, context: RunContext, sink: ProgressSink) -> _Read:
    """The submission opened, its track and split told, their list built when sources allow."""
    source = open_source(path)
    if not source.entries:
        why = source.diagnostics[0].message if source.diagnostics else f"{path} holds no file"
        raise EnvironmentProblem(f"nothing to fix: {why}", "give the submission folder or zip")
    layout = read_layout(source)
    sources = context.sources
    target = resolve_target(_prediction_keys(layout), sources, context.track, context.split)
    manifest: Manifest | None = None
    notes: dict[str, Diagnostic] = {d.path: d for d in layout.diagnostics}
    categories = None
    if target is not None and sources.any:
        manifest, _ = sources.build(target[0], target[1], sink)
        if len(manifest.categories) == manifest.track:
            categories = set(manifest.categories)
    notes.update({d.path: d for d in folder_findings(layout, categories)})
    return _Read(path, source, layout, target, manifest, notes)


def _write_stage(
    read: _Read,
    out: Path,
    relabel: Relabel | None,
    apply_match: bool,
    drop_extra: bool,
    jobs: int,
    sink: ProgressSink,
) -> tuple[FixResult, Diagnostic | None]:
    """The repaired copy written at ``out`` (atomically), every change it makes, and a doubt
    about ``--from imagenet1k`` (masks that held ImageNet-S ids already), if any."""
    layout = read.layout
    result = FixResult(
        submission=str(read.path),
        output=str(out),
        container=read.source.kind,
        output_container="zip" if out.suffix.lower() == ".zip" else "folder",
    )
    if layout.enclosing:
        result.changes.append(
            Change(
                kind=ChangeKind.flattened,
                path=layout.enclosing,
                detail=f"the contents of {layout.enclosing!r} now sit at the root",
            )
        )
    expected = read.manifest.images if read.manifest is not None else None
    jobs_list, planned, consumed = _plan(layout, expected, drop_extra)
    result.changes += planned
    used = {layout.source.prefix + name for name in consumed}
    try:
        with _output(out) as put:
            args = (read.source, layout, read.notes, jobs_list, used, relabel, apply_match)
            totals, relabelled = _write_all(result, put, *args, jobs, sink)
    except FileExistsError as exc:
        raise UsageError(f"{out} appeared while fixing; nothing was written over it") from exc
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot write {out}: {exc.strerror or exc}", "check the free space and permissions"
        ) from exc
    k, doubt = read.k, None
    if totals is not None and relabel is not None and k is not None:
        result.changes += _relabel_changes(totals, relabel, k, relabelled)
        doubt = _not_imagenet1k(totals, relabel, out, k)
    return result, doubt


ALREADY_IN_TRACK_SHARE = 0.99
"""At least this share of the labelled pixels on ids 1..K: the masks held ImageNet-S ids."""


def _not_imagenet1k(
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


def _write_all(
    result: FixResult,
    put: Callable[[str, bytes], None],
    source: Source,
    layout: Layout,
    notes: Mapping[str, Diagnostic],
    jobs_list: list[_Job],
    used: set[str],
    relabel: Relabel | None,
    apply_match: bool,
    jobs: int,
    progress: ProgressSink,
) -> tuple[npt.NDArray[np.int64] | None, int]:
    """Write every repaired prediction, then method.txt and match.json; note every change.

    Returns the pixels per old id over the relabelled masks, and their number.
    """
    totals: npt.NDArray[np.int64] | None = None
    relabelled = masks = 0
    advance = progress.stage("Repairing masks", len(jobs_list))
    # The runner's bounded window keeps memory flat: finished masks wait briefly, in order.
    for done in run_ordered(
        lambda job: _repair(job, relabel), jobs_list, jobs=jobs, progress=advance
    ):
        result.changes += done.changes
        if done.counts is not None:
            totals = done.counts if totals is None else totals + done.counts
            relabelled += 1
        if done.payload is None:
            continue
        try:
            put(done.target, done.payload)
        except _Unwritable as why:
            change = Change(kind=ChangeKind.left_out, path=done.target, detail=str(why))
            result.changes.append(change)
            continue
        result.written += 1
        masks += 1
        result.unchanged += done.unchanged
    for name, final in ((layout.method, METHOD_FILE), (layout.match, MATCH_FILE)):
        if name is None:
            continue
        used.add(layout.source.prefix + name)
        _write_text_file(result, put, layout, name, final, masks if apply_match else None)
    result.changes += [
        _unshipped(entry.name, layout, notes) for entry in source.entries if entry.name not in used
    ]
    # Unsafe or duplicated zip members never reached the listing; say what became of them.
    result.changes += [
        Change(
            kind=ChangeKind.dropped,
            path=diag.path,
            detail=diag.message + (_KEPT if diag.code is Code.ZIP_DUPLICATE_ENTRY else ""),
            code=diag.code,
        )
        for diag in source.diagnostics
    ]
    return totals, relabelled


def _write_text_file(
    result: FixResult,
    put: Callable[[str, bytes], None],
    layout: Layout,
    name: str,
    final: str,
    mapped_masks: int | None,
) -> None:
    """method.txt or match.json into the copy; match.json is dropped once applied
    (``mapped_masks``: how many masks it relabelled, None when it was not applied)."""
    shown = layout.enclosing
    if final == MATCH_FILE and mapped_masks is not None:
        result.changes.append(
            Change(
                kind=ChangeKind.match_applied,
                path=shown + name,
                detail=f"the ids of {mapped_masks} masks were mapped through it and "
                "it was dropped; boundary scores (mBIoU) now use the mapped ids",
            )
        )
        return
    if name != final:
        result.changes.append(
            Change(
                kind=ChangeKind.renamed,
                path=shown + name,
                target=final,
                detail=f"{name} -> {final}",
            )
        )
    data = _read_entry(layout, name)
    if data is None:
        result.changes.append(
            Change(
                kind=ChangeKind.left_out,
                path=shown + name,
                detail="the file cannot be read (a damaged zip member?)",
                code=Code.ZIP_CORRUPT,
            )
        )
        return
    put(final, data)
    result.written += 1
    result.unchanged += 1


def _read_entry(layout: Layout, name: str) -> bytes | None:
    try:
        return layout.source.read(name)
    except Exception:
        # BadZipFile (a CRC error), zlib.error, OSError: all mean "unreadable" here.
        return None


def _match_table(layout: Layout, k: int | None) -> Relabel:
    if layout.match is None:
        raise UsageError("--apply-match: the submission has no match.json", "drop --apply-match")
    shown = layout.enclosing + layout.match
    data = _read_entry(layout, layout.match)
    if data is None:
        raise UsageError(f"--apply-match: {shown} cannot be read", "repair the zip first")
    match, diags = load_match(data, shown, k)
    errors = [d for d in diags if d.severity is Severity.error]
    if match is None or errors:
        first = errors[0].message if errors else "it cannot be read"
        raise UsageError(
            f"--apply-match: {shown} cannot be applied: {first}",
            "repair match.json first (check lists its faults)",
        )
    return match_relabel(match)


def _prediction_keys(layout: Layout) -> list[str]:
    """``folder/stem`` of every prediction-like file, wherever it sits (to choose the track)."""
    keys = {*layout.predictions, *layout.misnamed}
    for entry in layout.source.entries:
        parts = entry.name.split("/")
        if looks_like_prediction(parts[-1]) and not is_junk(entry.name):
            folder = parts[-2] if len(parts) > 1 else ""
            keys.add(f"{folder}/{prediction_stem(parts[-1])}")
    return sorted(keys)


_MOVED = {
    Where.other_wnid: ChangeKind.moved_wnid,
    Where.flat: ChangeKind.moved_flat,
    Where.nested: ChangeKind.moved_nested,
}


def _plan(
    layout: Layout, expected: Mapping[str, ImageSize | None] | None, drop_extra: bool
) -> tuple[list[_Job], list[Change], set[str]]:
    """The masks to write, the moves and set-asides, and every entry accounted for.

    Without a list of the split's images, each well-named prediction stays where
    it is (a correctly named copy wins over a misnamed one of the same image).
    With one, each goes where the list puts its stem (see ``relocate``).
    """
    shown = layout.enclosing
    if expected is None:
        chosen = dict(layout.predictions)
        for key, name in layout.misnamed.items():
            chosen.setdefault(key, name)
        jobs = [
            _Job(k, n, shown + n, layout.source.ref(n), None) for k, n in sorted(chosen.items())
        ]
        return jobs, [], set(chosen.values())
    placement = place(layout, expected, drop_extra=drop_extra)
    jobs, changes = [], []
    for move in placement.moves:
        target = move.key + MASK_SUFFIX
        if move.where in _MOVED:
            detail = f"-> {target}"
            changes.append(
                Change(
                    kind=_MOVED[move.where], path=shown + move.name, target=target, detail=detail
                )
            )
        jobs.append(
            _Job(
                move.key,
                move.name,
                shown + move.name,
                layout.source.ref(move.name),
                expected.get(move.key),
            )
        )
    for aside in placement.setaside:
        changes.append(_setaside_change(aside, shown))
    return jobs, changes, placement.consumed


def _setaside_change(aside: Setaside, shown: str) -> Change:
    if aside.why is Why.extra:
        kind, code = ChangeKind.extra_dropped, Code.EXTRA_PREDICTION
    elif aside.why is Why.copy:
        kind, code = ChangeKind.dropped, Code.DUPLICATE_STEM
    else:
        kind, code = ChangeKind.left_out, Code.DUPLICATE_STEM
    return Change(kind=kind, path=shown + aside.name, detail=aside.detail, code=code)


def _relabel_changes(
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


def summary_lines(result: FixResult, examples: int = 5) -> list[str]:
    """The change summary as plain lines, grouped by kind, ``examples`` shown per kind."""
    # Each line is one line: the paths in it through the one escape (line breaks too).
    lines = [
        f"submitkit fix {printable(result.submission)} ({result.container}) -> "
        f"{printable(str(result.output))} ({result.output_container})"
    ]
    if result.in_place:
        done = "repaired in place" if result.replaced else "nothing to repair: left untouched"
        lines = [f"submitkit fix --in-place {printable(result.submission)}: {done}"]
        if not result.replaced:
            return lines
    grouped = result.by_kind()
    if not grouped:
        lines.append("  nothing to repair: the files were copied as they are")
    for kind, changes in grouped.items():
        lines.append(f"  {kind.heading}: {len(changes)}")
        for change in changes[:examples]:
            code = f"[{change.code.value}] " if kind is ChangeKind.left_out and change.code else ""
            lines.append(f"    {printable(change.path)}: {code}{printable(change.detail)}")
        if len(changes) > examples:
            lines.append(f"    … and {len(changes) - examples} more")
    lines.append(
        f"  {result.written} files written ({result.unchanged} copied unchanged, "
        f"{result.written - result.unchanged} rewritten)"
    )
    return lines
