"""A fix plan carried out: the repaired copy written atomically, every change noted.

The copy is a folder (``core/atomic.py atomic_folder``) or a zip (the one
atomic writer around the one deterministic zip writer), there only once
complete: an error or Ctrl-C leaves nothing. Masks are read, repaired
(``fix_masks``) and encoded in the parallel runner's bounded window, written
in order; a file the output cannot hold (a name too long) is left out, saying
why, and the rest are written.
"""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from submitkit.core.atomic import Inputs, atomic_folder, atomic_output, check_target
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.progress import ProgressSink
from submitkit.core.workers import run_ordered
from submitkit.core.zipwrite import DeterministicZip
from submitkit.inputs.png import PngFault, encode_png, read_label_map
from submitkit.workflows.fix_masks import (
    MaskJob,
    left_out,
    not_imagenet1k,
    relabel_changes,
    repair_mask,
)
from submitkit.workflows.fix_plan import FixPlan, TextCopy, match_applied
from submitkit.workflows.fix_read import FixInput, read_entry, read_prediction
from submitkit.workflows.fix_result import Change, ChangeKind, FixResult
from submitkit.workflows.relabel import Relabel

Put = Callable[[str, bytes], None]
"""Writes one named file into the copy."""


def check_output_path(path: Path, out: Path, inputs: Inputs) -> None:
    """A usage error, before anything is read, for an output that may not be written."""
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


class _Unwritable(Exception):
    """One file the output cannot hold (the others can): it is left out, saying why."""


@contextlib.contextmanager
def _output(out: Path) -> Iterator[Put]:
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


def write_copy(
    read: FixInput, plan: FixPlan, out: Path, relabel: Relabel | None, sink: ProgressSink
) -> tuple[FixResult, Diagnostic | None]:
    """The repaired copy written at ``out`` (atomically), every change it makes, and a doubt
    about ``--from imagenet1k`` (masks that held ImageNet-S ids already), if any."""
    result = FixResult(
        submission=str(read.path),
        output=str(out),
        container=read.source.kind,
        output_container="zip" if out.suffix.lower() == ".zip" else "folder",
    )
    result.changes += plan.first
    try:
        with _output(out) as put:
            totals, relabelled = _write_all(result, put, read, plan, relabel, sink)
    except FileExistsError as exc:
        raise UsageError(f"{out} appeared while fixing; nothing was written over it") from exc
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot write {out}: {exc.strerror or exc}", "check the free space and permissions"
        ) from exc
    k, doubt = read.k, None
    if totals is not None and relabel is not None and k is not None:
        result.changes += relabel_changes(totals, relabel, k, relabelled)
        doubt = not_imagenet1k(totals, relabel, out, k)
    return result, doubt


def _write_all(
    result: FixResult,
    put: Put,
    read: FixInput,
    plan: FixPlan,
    relabel: Relabel | None,
    progress: ProgressSink,
) -> tuple[npt.NDArray[np.int64] | None, int]:
    """Write every repaired prediction, then method.txt and match.json; note every change.

    Returns the pixels per old id over the relabelled masks, and their number.
    """
    totals, relabelled, masks = _write_masks(result, put, read, plan, relabel, progress)
    for text in plan.texts:
        _write_text_file(result, put, read, text)
    result.changes += match_applied(plan, masks)
    result.changes += plan.last
    return totals, relabelled


@dataclass
class _Done:
    job: MaskJob
    payload: bytes | None
    """The bytes to write; None when the prediction is left out."""
    changes: list[Change]
    unchanged: bool
    counts: npt.NDArray[np.int64] | None = None
    """Pixels of each old id, when the relabelling counts them."""


def _repair(job: MaskJob, relabel: Relabel | None) -> _Done:
    """One prediction read, repaired and encoded (in a worker)."""
    try:
        data = read_prediction(job.ref)
        fixed = repair_mask(job, read_label_map(data, npy=True), relabel)
    except PngFault as bad:
        return _Done(job, None, [left_out(job, bad)], False)
    payload = encode_png(fixed.ids) if fixed.rewrite else data
    return _Done(job, payload, fixed.changes, not fixed.rewrite, fixed.counts)


def _write_masks(
    result: FixResult,
    put: Put,
    read: FixInput,
    plan: FixPlan,
    relabel: Relabel | None,
    progress: ProgressSink,
) -> tuple[npt.NDArray[np.int64] | None, int, int]:
    """Every planned mask repaired and written; the relabelled pixel totals, how many
    masks were relabelled and how many written."""
    totals: npt.NDArray[np.int64] | None = None
    relabelled = masks = 0
    advance = progress.stage("Repairing masks", len(plan.masks))
    # The runner's bounded window keeps memory flat: finished masks wait briefly, in order.
    # In worker processes: decoding and encoding masks hold the GIL, threads would take turns.
    work = run_ordered(
        lambda job: _repair(job, relabel),
        plan.masks,
        jobs=read.context.jobs,
        progress=advance,
        processes=True,
    )
    for done in work:
        result.changes += done.changes
        if done.counts is not None:
            totals = done.counts if totals is None else totals + done.counts
            relabelled += 1
        if done.payload is None:
            continue
        try:
            put(done.job.target, done.payload)
        except _Unwritable as why:
            change = Change(kind=ChangeKind.left_out, path=done.job.target, detail=str(why))
            result.changes.append(change)
            continue
        result.written += 1
        masks += 1
        result.unchanged += done.unchanged
    return totals, relabelled, masks


def _write_text_file(result: FixResult, put: Put, read: FixInput, text: TextCopy) -> None:
    """method.txt or match.json into the copy, under its official name."""
    name, final, shown = text.name, text.final, text.shown
    if name != final:
        detail = f"{name} -> {final}"
        change = Change(kind=ChangeKind.renamed, path=shown, target=final, detail=detail)
        result.changes.append(change)
    data = read_entry(read.layout, name)
    if data is None:
        result.changes.append(
            Change(
                kind=ChangeKind.left_out,
                path=shown,
                detail="the file cannot be read (a damaged zip member?)",
                code=Code.ZIP_CORRUPT,
            )
        )
        return
    put(final, data)
    result.written += 1
    result.unchanged += 1
