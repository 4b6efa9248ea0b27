"""Everything about one prediction PNG, and running that over thousands of them.

Two depths. Quick mode reads the first 64 bytes of each file and judges the PNG
signature and IHDR chunk (format, mode, bit depth, size). Full mode also
decodes the pixels as the official evaluator does and collects the ids each
mask uses, so that ``id_findings`` can compare them with K or with match.json.
Reading, decoding and naming the faults is :mod:`submitkit.inputs.png`'s job;
this module turns its answers into the check's findings.

Nothing here prints or raises on a bad file: every problem is a diagnostic in
the file's ``MaskResult``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from submitkit.benchmark.ids import IGNORE
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.workers import run_all
from submitkit.inputs import png
from submitkit.inputs.layout import Prediction
from submitkit.inputs.png import PngFault, PngHeader

T = TypeVar("T")

LARGE_SOURCE_PIXELS = 1000 * 1000
"""Inference pipelines shrink source images with more pixels than this."""

_MAX_LISTED = 8
_X = "\N{MULTIPLICATION SIGN}"


@dataclass
class MaskResult:
    """What inspecting one prediction found."""

    path: str
    width: int | None = None
    height: int | None = None
    mode: str | None = None
    """PIL mode derived from the IHDR chunk; None if the file is not a readable PNG."""
    ids: tuple[int, ...] | None = None
    """Sorted distinct ids (R + 256 G); None in quick mode or when not decodable as RGB."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    missing: bool = False
    """The file was not there to read (its finding says it cannot be read)."""

    @property
    def decoded(self) -> bool:
        """Whether the pixels were read (the ids are known)."""
        return self.ids is not None


# --- the size -------------------------------------------------------------------------


def size_finding(path: str, size: tuple[int, int], expected: tuple[int, int]) -> Diagnostic | None:
    """SIZE_MISMATCH when a mask's (height, width) is not its source image's, else None."""
    h, w = size
    eh, ew = expected
    if (h, w) == (eh, ew):
        return None
    got, want = f"{w}{_X}{h}", f"{ew}{_X}{eh}"
    nearest = f"Image.fromarray(rgb).resize(({ew}, {eh}), Image.NEAREST)"
    uniform = abs(w * eh - h * ew) <= max(eh, ew) and (w - ew) * (h - eh) > 0
    if (h, w) == (ew, eh):
        why = "axes are swapped"
        hint = (
            f"if the content is transposed, rgb.transpose(1, 0, 2) fixes it; if it was resized "
            f"to the swapped size, resize to width {ew}, height {eh} instead (PIL and OpenCV "
            "take (width, height), NumPy shapes are (height, width))"
        )
    elif uniform and w < ew and eh * ew > LARGE_SOURCE_PIXELS:
        why = (
            f"looks like a downscaled large image (scale {w / ew:.3f}): pipelines shrink images "
            f"above 1000{_X}1000 pixels and must scale the prediction back"
        )
        hint = (
            f"upscale the prediction to {want}: resize the logits before the argmax, or the id "
            f"map with nearest-neighbour only ({nearest}); never interpolate ids"
        )
    elif uniform:
        direction = "downscaled" if w < ew else "upscaled"
        why = f"looks like a uniformly {direction} prediction (scale {w / ew:.3f})"
        hint = (
            f"resize the prediction to {want}: resize the logits before the argmax, or the id "
            f"map with nearest-neighbour only ({nearest}); never interpolate ids"
        )
    else:
        why = "looks like a crop/resize"
        hint = (
            f"predict on the whole image and bring the result back to {want}; undo any "
            f"test-time crop or padding, and resize ids with nearest-neighbour only ({nearest})"
        )
    return Code.SIZE_MISMATCH.at(
        path, f"mask is {got} (W{_X}H) but its source image is {want}: {why}", hint
    )


# --- one mask -------------------------------------------------------------------------


def _judged(task: Prediction, result: MaskResult, header: PngHeader) -> PngFault | None:
    """Record what the header says; the mode fault, if any, is returned for the caller."""
    result.width, result.height, result.mode = header.width, header.height, header.mode
    if task.expected_size is not None:
        mismatch = size_finding(task.path, (header.height, header.width), task.expected_size)
        if mismatch is not None:
            result.diagnostics.append(mismatch)
    return png.mode_fault(header)


def inspect_header(task: Prediction) -> MaskResult:
    """The quick inspection: the first 64 bytes, judged; never raises for a bad file."""
    result = MaskResult(task.path)
    try:
        header = png.read_head(task.ref.open)
    except PngFault as fault:
        result.diagnostics.append(fault.at(task.path))
        return result
    except Exception as exc:
        # A missing or unreadable file is a finding about it, not a reason to stop.
        result.diagnostics.append(png.read_fault(exc).at(task.path))
        return result
    problem = _judged(task, result, header) or png.too_many_pixels(header)
    if problem is not None:
        result.diagnostics.append(problem.at(task.path))
    return result


def decode_mask(
    task: Prediction, visit: Callable[[png.Pixels, bytes], T] | None = None
) -> tuple[MaskResult, T | None]:
    """The full inspection of one prediction, and what ``visit`` makes of its pixels.

    This is the pixel stage of the check wherever it runs: in ``check`` alone,
    or inside the scoring pass of ``evaluate`` and ``match`` and the writing pass
    of ``pack``, which get the decoded mask's :class:`~png.Pixels` (and the file's bytes)
    through ``visit``, so that each mask is decoded once. Never raises for a bad
    file; ``visit`` is called only for a mask that decodes.
    """
    result = MaskResult(task.path)
    try:
        header, data = png.read_png(task.ref.open)
    except PngFault as fault:
        _header_of_refused(task, result)
        result.diagnostics.append(fault.at(task.path))
        return result, None
    except Exception as exc:
        # Missing, unreadable: a finding about this file.
        result.missing = isinstance(exc, (FileNotFoundError, KeyError))
        result.diagnostics.append(png.read_fault(exc).at(task.path))
        return result, None
    problem = _judged(task, result, header)
    if problem is not None:
        diag = problem.at(task.path)
        if header.colour_type in (4, 6):
            diag = diag.model_copy(update={"message": diag.message + png.alpha_detail(data)})
        result.diagnostics.append(diag)
        result.ids = _ids_of_other_mode(data)
        return result, None
    try:
        pixels = png.decode_pixels(header, data)
        # The visit and the palette share the words and runs read from the image.
        seen = visit(pixels, data) if visit is not None else None
        colours = pixels.palette()
    except PngFault as bad:
        result.diagnostics.append(bad.at(task.path))
        return result, None
    result.ids = colours.ids
    blue = png.blue_fault(colours.blue, header.pixels, colours.colours)
    if blue is not None:
        result.diagnostics.append(blue.at(task.path))
    return result, seen


def _ids_of_other_mode(data: bytes) -> tuple[int, ...] | None:
    """The ids a grayscale, palette or constant-alpha mask holds, as ``fix`` would read them.

    Such a mask is already an error, but its ids are judged too (above K,
    unmapped, ignore), so that the first check lists everything ``fix`` cannot
    repair, not only the mode. None where the ids cannot be told.
    """
    try:
        label = png.read_label_map(data)
    except Exception:
        # Varying alpha, 16-bit colour, a broken file: the mode finding says it all.
        return None
    return tuple(int(i) for i in np.unique(label.ids))


def _header_of_refused(task: Prediction, result: MaskResult) -> None:
    # A file refused as a whole (a bomb, too many bytes) still has a header worth
    # judging: its size and mode findings come first, as in quick mode.
    try:
        header = png.read_head(task.ref.open)
    except Exception:
        # The refusal itself is the finding; nothing more to say.
        return
    fault = _judged(task, result, header)
    if fault is not None:
        result.diagnostics.append(fault.at(task.path))


def inspect_mask(task: Prediction, quick: bool) -> MaskResult:
    """Inspect one prediction: header and size, and in full mode its pixels and ids.

    Never raises for a bad file; every problem is a diagnostic of the result.
    """
    return inspect_header(task) if quick else decode_mask(task)[0]


# --- many masks -----------------------------------------------------------------------


def inspect_masks(
    tasks: Sequence[Prediction],
    *,
    quick: bool = False,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[MaskResult]:
    """``inspect_mask`` over many predictions; results in task order.

    ``jobs=0`` uses every CPU this process may use; ``jobs=1`` stays on this
    thread. Quick mode reads 64 bytes a file: on one thread that is ~10-30 us a
    mask, which more threads only slowed down in measurements, so it stays here.
    ``progress(n)`` is called each time n more tasks are done.
    """
    if quick:
        return run_all(inspect_header, tasks, jobs=1, progress=progress, max_chunk=64)
    return run_all(lambda t: decode_mask(t)[0], tasks, jobs=jobs, progress=progress, processes=True)


# --- ids against K or match.json ------------------------------------------------------


def id_findings(
    results: Iterable[MaskResult], *, k: int, match_keys: frozenset[int] | None
) -> list[Diagnostic]:
    """Findings about the ids each decoded mask uses, at most one per file and code.

    Without match.json, ids above ``k`` are ID_OUT_OF_RANGE; with it, ids that
    are not among ``match_keys`` are MATCH_UNMAPPED_ID. Id 1000, the ground
    truth's ignore label, is ID_IGNORE unless match.json maps it: with a
    thousand clusters or more it is an ordinary cluster id, which the
    evaluator maps like any other.
    """
    out: list[Diagnostic] = []
    for result in results:
        if result.ids is None:
            continue
        if IGNORE in result.ids and (match_keys is None or IGNORE not in match_keys):
            out.append(
                Code.ID_IGNORE.at(
                    result.path,
                    f"the mask uses id {IGNORE}, the ground truth's ignore label",
                    "a prediction must say 0 (other) or a class for every pixel; ignored "
                    "ground-truth regions are skipped by the evaluator anyway",
                )
            )
        if match_keys is None:
            bad = [i for i in result.ids if i > k and i != IGNORE]
            if bad:
                out.append(
                    Code.ID_OUT_OF_RANGE.at(
                        result.path,
                        f"the mask uses ids above K={k}: {_list_ids(bad)}",
                        _out_of_range_hint(k, max(bad)),
                    )
                )
        else:
            bad = [i for i in result.ids if i not in match_keys and i != IGNORE]
            if bad:
                out.append(
                    Code.MATCH_UNMAPPED_ID.at(
                        result.path,
                        f"the mask uses ids that match.json has no key for: {_list_ids(bad)}",
                        "add a key for every predicted id to match.json (the evaluator "
                        "crashes on a missing one), or check the masks were written with the "
                        "ids the matching used",
                    )
                )
    return out


def _list_ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:_MAX_LISTED])
    more = len(ids) - _MAX_LISTED
    return f"{shown} (and {more} more)" if more > 0 else shown


def _out_of_range_hint(k: int, highest: int) -> str:
    hint = f"ids must be 0 (other) or 1..{k}"
    bigger = [t for t in (300, 919) if t > k and highest <= t]
    if bigger:
        hint += f"; ids up to {highest} fit the {bigger[0]}-class track: check model and track"
    return hint + "; cluster ids of an unsupervised method need a match.json mapping them"


def used_ids(results: Iterable[MaskResult]) -> set[int]:
    """Every id any decoded mask uses (for the match.json unused-key check)."""
    used: set[int] = set()
    for result in results:
        used.update(result.ids or ())
    return used
