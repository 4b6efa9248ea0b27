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
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from submitkit.benchmark.ids import MAX_ENCODABLE
from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import Split
from submitkit.checks.report import Report, Status
from submitkit.checks.staged import resolve_target, run_check
from submitkit.core.atomic import atomic_folder, atomic_output
from submitkit.core.diagnostics import Code, Diagnostic, Severity
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.progress import NoProgress, ProgressSink
from submitkit.core.workers import run_ordered
from submitkit.core.zipwrite import DeterministicZip
from submitkit.inputs import png
from submitkit.inputs.layout import (
    MASK_SUFFIX,
    MATCH_FILE,
    METHOD_FILE,
    Layout,
    folder_findings,
    is_junk,
    read_layout,
)
from submitkit.inputs.manifest import ImageSize, ManifestSources
from submitkit.inputs.match_json import load_match
from submitkit.inputs.png import PngFault, encode_png
from submitkit.inputs.source import MemberRef, Source, open_source

IdArray = npt.NDArray[np.int32]

_X = "\N{MULTIPLICATION SIGN}"
_NPY_MAGIC = b"\x93NUMPY"
_MAX_NPY_BYTES = 256 * 1024 * 1024
"""No id map of an ImageNet image as .npy comes near this (int64 at 8000 x 4000)."""
_PREDICTION_SUFFIXES = (".png", ".jpg", ".jpeg", ".npy", ".bmp", ".tif", ".tiff", ".gif", ".webp")
_KEPT = "; one copy (the one Python's zipfile reads) was kept"


class ChangeKind(str, Enum):
    """The kinds of change ``fix`` makes, in the order the summary lists them."""

    flattened = "flattened"
    dropped = "dropped"
    renamed = "renamed"
    grayscale = "grayscale"
    palette = "palette"
    alpha = "alpha"
    npy = "npy"
    transposed = "transposed"
    resized = "resized"
    match_applied = "match_applied"
    left_out = "left_out"

    @property
    def heading(self) -> str:
        return _TITLES[self]


_TITLES = {
    ChangeKind.flattened: "enclosing folder flattened",
    ChangeKind.dropped: "junk and stray files dropped",
    ChangeKind.renamed: "renamed",
    ChangeKind.grayscale: "grayscale label maps encoded as RGB",
    ChangeKind.palette: "palette PNGs encoded as RGB (palette index = id)",
    ChangeKind.alpha: "constant alpha channel dropped",
    ChangeKind.npy: ".npy arrays written as PNG",
    ChangeKind.transposed: "transposed (axes were swapped)",
    ChangeKind.resized: "resized to the source size (nearest-neighbour)",
    ChangeKind.match_applied: "match.json baked into the masks",
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


class FixResult(BaseModel):
    """What ``fix_submission`` wrote and how the check judged it."""

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

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


# --- one prediction ---------------------------------------------------------------


Unconvertible = PngFault
"""A prediction that cannot be turned into an id map without guessing (code, message)."""


_STORED_AS = {
    "grayscale": ChangeKind.grayscale,
    "palette": ChangeKind.palette,
    "alpha": ChangeKind.alpha,
}


@dataclass(frozen=True)
class LabelMap:
    """The ids of one prediction, however they were stored."""

    ids: IdArray
    """H x W ids."""
    fault: ChangeKind | None
    """How the file departs from the official encoding; None if it does not."""
    detail: str = ""
    """What the file was, for the change summary."""


def read_label_map(data: bytes) -> LabelMap:
    """The ids a prediction file holds; raises ``PngFault`` when they are not recoverable.

    Accepts what :func:`submitkit.inputs.png.read_label_map` accepts (the official
    8-bit RGB PNG, grayscale, palette, constant alpha) and NumPy ``.npy`` arrays
    of integers.
    """
    if data.startswith(_NPY_MAGIC):
        return _read_npy(data)
    label = png.read_label_map(data)
    kind = _STORED_AS[label.stored_as] if label.stored_as is not None else None
    return LabelMap(label.ids, kind, label.detail)


def _fault(code: Code, message: str) -> PngFault:
    return PngFault(code, message, "re-export the prediction as an 8-bit RGB PNG")


def _read_npy(data: bytes) -> LabelMap:
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:
        # A damaged header, a pickled object array, a truncated file: all unreadable.
        raise _fault(Code.NOT_PNG, f"an unreadable .npy array: {exc}") from exc
    if not isinstance(arr, np.ndarray):
        raise _fault(Code.NOT_PNG, "a .npy file that holds no array")
    # (1, H, W) and (H, W, 1) say the same as (H, W); more is a score volume.
    squeezed = arr.reshape([n for n in arr.shape if n != 1]) if arr.ndim > 2 else arr
    if squeezed.ndim != 2:
        raise _fault(
            Code.NOT_PNG,
            f"a .npy array of shape {arr.shape}, not H{_X}W ids (logits need an argmax first)",
        )
    if squeezed.dtype == np.bool_ or np.issubdtype(squeezed.dtype, np.integer):
        ids = squeezed.astype(np.int64)
    elif np.issubdtype(squeezed.dtype, np.floating):
        if not (np.isfinite(squeezed).all() and (squeezed == np.round(squeezed)).all()):
            raise _fault(Code.NOT_PNG, "a .npy array of non-integer floats: scores, not ids")
        ids = squeezed.astype(np.int64)
    else:
        raise _fault(Code.NOT_PNG, f"a .npy array of {squeezed.dtype}, not integer ids")
    h, w = ids.shape
    return LabelMap(png.checked_ids(ids), ChangeKind.npy, f"{squeezed.dtype} array {w}{_X}{h}")


def resize_nearest(ids: IdArray, height: int, width: int) -> IdArray:
    """Nearest-neighbour resize: every output pixel copies one input pixel, never a blend."""
    h, w = ids.shape
    rows = np.minimum(((np.arange(height) + 0.5) * h / height).astype(np.int64), h - 1)
    cols = np.minimum(((np.arange(width) + 0.5) * w / width).astype(np.int64), w - 1)
    out: IdArray = ids[rows[:, None], cols[None, :]]
    return out


def match_lookup(match: Mapping[int, int]) -> IdArray:
    """A table mapping every encodable id through match.json; -1 where it has no key."""
    table = np.full(MAX_ENCODABLE + 1, -1, dtype=np.int32)
    for key, value in match.items():
        if 0 <= key <= MAX_ENCODABLE:
            table[key] = value
    return table


@dataclass(frozen=True)
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


def _repair(job: _Job, table: IdArray | None) -> _Done:
    target = job.key + MASK_SUFFIX
    changes: list[Change] = []
    if job.name != target:
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
        label = read_label_map(data)
        ids = label.ids
        rewrite = label.fault is not None
        if label.fault is not None:
            changes.append(
                Change(kind=label.fault, path=job.shown, target=target, detail=label.detail)
            )
        if table is not None:
            mapped = table[ids]
            if (mapped < 0).any():
                missing = np.unique(ids[mapped < 0])[:8].tolist()
                raise _fault(
                    Code.MATCH_UNMAPPED_ID,
                    f"uses ids match.json has no key for ({', '.join(map(str, missing))})",
                )
            ids, rewrite = mapped, True
        if job.expected is not None and ids.shape != tuple(job.expected):
            ids = _fit_size(ids, job.expected, job.shown, target, changes)
            rewrite = True
    except PngFault as bad:
        left = Change(kind=ChangeKind.left_out, path=job.shown, detail=bad.message, code=bad.code)
        return _Done(job, target, None, [left], False)
    payload = encode_png(ids) if rewrite else data
    return _Done(job, target, payload, changes, not rewrite)


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
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

        yield put


# --- the whole submission ----------------------------------------------------------


def _check_output_path(path: Path, out: Path) -> None:
    if out.exists() or out.is_symlink():
        raise UsageError(
            f"{out} already exists",
            "fix writes a new copy: give an output path that does not exist",
        )
    if path.is_dir():
        src, dst = path.resolve(), out.resolve()
        if dst == src or src in dst.parents:
            raise UsageError(
                f"{out} lies inside the submission {path}",
                "write the repaired copy outside the submission folder",
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
    diag = notes.get(inner) or notes.get(inner.split("/", 1)[0] + "/")
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
    *,
    sources: ManifestSources,
    track: int | None = None,
    split: Split | None = None,
    protocol: Protocol | None = None,
    apply_match: bool = False,
    jobs: int = 0,
    progress: ProgressSink | None = None,
) -> FixResult:
    """Write a repaired copy of the submission at ``path`` to ``out``, then check it.

    ``out`` must not exist; it becomes a folder, or a zip when it ends in
    ``.zip``. Raises ``SubmitkitError`` (nothing written) for unusable options:
    an existing ``out``, an undecidable track, ``apply_match`` without a valid
    match.json. Every fault of the submission itself becomes a ``Change``.
    """
    sink_progress = progress or NoProgress()
    _check_output_path(path, out)
    source = open_source(path)
    if not source.entries:
        why = source.diagnostics[0].message if source.diagnostics else f"{path} holds no file"
        raise EnvironmentProblem(f"nothing to fix: {why}", "give the submission folder or zip")
    layout = read_layout(source)
    keys = [*layout.predictions, *(k for k in layout.misnamed if k not in layout.predictions)]
    target = resolve_target(keys, sources, track, split)
    k = target[0] if target is not None else None
    sizes: dict[str, ImageSize | None] = {}
    notes: dict[str, Diagnostic] = {d.path: d for d in layout.diagnostics}
    if target is not None and sources.any:
        manifest, _ = sources.build(target[0], target[1], sink_progress)
        sizes = manifest.images
        if len(manifest.categories) == manifest.track:
            for diag in folder_findings(layout, set(manifest.categories)):
                notes[diag.path] = diag
    else:
        for diag in folder_findings(layout, None):
            notes[diag.path] = diag
    table = _match_table(layout, k) if apply_match else None

    result = FixResult(
        submission=str(path),
        output=str(out),
        container=source.kind,
        output_container="zip" if out.suffix.lower() == ".zip" else "folder",
    )
    shown = layout.enclosing
    if shown:
        result.changes.append(
            Change(
                kind=ChangeKind.flattened,
                path=shown,
                detail=f"the contents of {shown!r} now sit at the root",
            )
        )

    jobs_list = _plan(layout, sizes)
    try:
        with _output(out) as put:
            _write_all(result, put, source, layout, notes, jobs_list, table, jobs, sink_progress)
    except FileExistsError as exc:
        raise UsageError(f"{out} appeared while fixing; nothing was written over it") from exc
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot write {out}: {exc.strerror or exc}", "check the free space and permissions"
        ) from exc

    final_track = target[0] if target is not None else None
    final_split = target[1] if target is not None else None
    result.report = run_check(
        out,
        sources=sources,
        track=final_track,
        split=final_split,
        protocol=protocol,
        jobs=jobs,
        progress=progress,
    ).report
    return result


def _write_all(
    result: FixResult,
    put: Callable[[str, bytes], None],
    source: Source,
    layout: Layout,
    notes: Mapping[str, Diagnostic],
    jobs_list: list[_Job],
    table: IdArray | None,
    jobs: int,
    progress: ProgressSink,
) -> None:
    """Write every repaired prediction, then method.txt and match.json; note every change."""
    advance = progress.stage("Repairing masks", len(jobs_list))
    # The bounded window keeps memory flat: finished masks wait only briefly to be written.
    for done in run_ordered(
        lambda job: _repair(job, table), jobs_list, jobs=jobs, progress=advance
    ):
        result.changes += done.changes
        if done.payload is None:
            continue
        put(done.target, done.payload)
        result.written += 1
        result.unchanged += done.unchanged
    used = {layout.source.prefix + j.name for j in jobs_list}
    for name, final in ((layout.method, METHOD_FILE), (layout.match, MATCH_FILE)):
        if name is None:
            continue
        used.add(layout.source.prefix + name)
        _write_text_file(result, put, layout, name, final, table is not None)
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


def _write_text_file(
    result: FixResult,
    put: Callable[[str, bytes], None],
    layout: Layout,
    name: str,
    final: str,
    match_applied: bool,
) -> None:
    shown = layout.enclosing
    if final == MATCH_FILE and match_applied:
        result.changes.append(
            Change(
                kind=ChangeKind.match_applied,
                path=shown + name,
                detail=f"the ids of {result.written} masks were mapped through it and "
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


def _match_table(layout: Layout, k: int | None) -> IdArray:
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
            "repair match.json first (`submitkit check` lists its faults)",
        )
    return match_lookup(match)


def _plan(layout: Layout, sizes: Mapping[str, ImageSize | None]) -> list[_Job]:
    """One job per prediction to write, well-named ones first; duplicates are not jobs."""
    chosen = dict(layout.predictions)
    for key, name in layout.misnamed.items():
        # A correctly named copy wins over a misnamed one of the same image.
        chosen.setdefault(key, name)
    return [
        _Job(key, name, layout.enclosing + name, layout.source.ref(name), sizes.get(key))
        for key, name in sorted(chosen.items())
    ]


def summary_lines(result: FixResult, examples: int = 5) -> list[str]:
    """The change summary as plain lines, grouped by kind, ``examples`` shown per kind."""
    lines = [
        f"submitkit fix {result.submission} ({result.container}) -> "
        f"{result.output} ({result.output_container})"
    ]
    grouped = result.by_kind()
    if not grouped:
        lines.append("  nothing to repair: the files were copied as they are")
    for kind, changes in grouped.items():
        lines.append(f"  {kind.heading}: {len(changes)}")
        for change in changes[:examples]:
            code = f"[{change.code.value}] " if kind is ChangeKind.left_out and change.code else ""
            lines.append(f"    {change.path}: {code}{change.detail}")
        if len(changes) > examples:
            lines.append(f"    … and {len(changes) - examples} more")
    lines.append(
        f"  {result.written} files written ({result.unchanged} copied unchanged, "
        f"{result.written - result.unchanged} rewritten)"
    )
    return lines
