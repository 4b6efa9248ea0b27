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

One run in four steps, each in its own module: read (``fix_read``: the
layout, the target, its list, the id table), plan (``fix_plan``: where each
file goes; ``fix_masks``: what each mask becomes), write (``fix_write``),
then the check of the copy (``checks/staged.py run_check``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from submitkit.checks.staged import run_check
from submitkit.core.atomic import Inputs, atomic_swap
from submitkit.core.diagnostics import Diagnostic
from submitkit.core.progress import NoProgress, ProgressSink
from submitkit.inputs.config import RunContext
from submitkit.workflows import fix_write
from submitkit.workflows.fix_masks import resize_nearest
from submitkit.workflows.fix_plan import plan_fix, refuse_options
from submitkit.workflows.fix_read import FixOptions, read_relabel, read_submission
from submitkit.workflows.fix_result import Change, ChangeKind, FixResult

__all__ = ["Change", "ChangeKind", "FixResult", "fix_in_place", "fix_submission", "resize_nearest"]
"""The workflow, its document and the mask resize: what callers of fix import."""


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
    options = FixOptions(apply_match, drop_extra, from_labels, synsets)
    result, checked = _repaired(path, out, context, options, progress)
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
    options = FixOptions(apply_match, drop_extra, from_labels, synsets)
    with atomic_swap(path) as swap:
        result, checked = _repaired(path, swap.new, context, options, progress)
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
    options: FixOptions,
    progress: ProgressSink | None,
) -> tuple[FixResult, tuple[RunContext, Diagnostic | None]]:
    """The repaired copy written at ``out``; the context to check it in and a doubt, if any."""
    sink = progress or NoProgress()
    fix_write.check_output_path(path, out, Inputs.of(*context.sources.paths, options.synsets))
    read = read_submission(path, context, sink)
    refuse_options(options, has_list=read.manifest is not None)
    relabel = read_relabel(read, options)
    plan = plan_fix(read, options)
    result, doubt = fix_write.write_copy(read, plan, out, relabel, sink)
    # The copy is checked in full (never quick, never strict) against the target
    # the repair used: the one an upload of it would be judged against.
    return result, (read.context.but(quick=False, strict=False), doubt)
