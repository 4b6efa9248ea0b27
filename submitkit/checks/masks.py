"""Everything about one prediction PNG, and running that over thousands of them.

Two depths. Quick mode reads the first 64 bytes of each file and judges the PNG
signature and IHDR chunk (format, mode, bit depth, size) without PIL. Full
mode also decodes the pixels as the official evaluator does
(``np.array(Image.open(p))``) and collects the ids each mask uses, so that
``id_findings`` can compare them with K or with match.json.

Nothing here prints or raises on a bad file: every problem becomes a
diagnostic in the file's ``MaskResult``.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import numpy.typing as npt
from PIL import Image

from submitkit.benchmark.ids import IGNORE
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.errors import EnvironmentProblem
from submitkit.core.workers import pool_context, start_worker
from submitkit.inputs.source import MemberRef

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEAD_BYTES = 64
"""What quick mode reads of each file: signature (8) + IHDR chunk (25), with room."""

LARGE_SOURCE_PIXELS = 1000 * 1000
"""Inference pipelines shrink source images with more pixels than this."""

MAX_DECODE_PIXELS = 64 * 1000 * 1000
"""No ImageNet image comes near this; a larger IHDR is not decoded (a PNG bomb)."""

_ENCODE = "R = id % 256, G = id // 256, B = 0"
_MAX_LISTED = 8
_X = "\N{MULTIPLICATION SIGN}"

# (bit depth, colour type) -> the PIL mode Image.open gives, as in PIL's own table.
_PIL_MODES = {
    (1, 0): "1",
    (2, 0): "L",
    (4, 0): "L",
    (8, 0): "L",
    (16, 0): "I;16",
    (8, 2): "RGB",
    (16, 2): "RGB",
    (1, 3): "P",
    (2, 3): "P",
    (4, 3): "P",
    (8, 3): "P",
    (8, 4): "LA",
    (16, 4): "RGBA",
    (8, 6): "RGBA",
    (16, 6): "RGBA",
}
_COLOUR_NAMES = {0: "grayscale", 2: "RGB", 3: "palette", 4: "grayscale+alpha", 6: "RGBA"}


@dataclass(frozen=True)
class PngHeader:
    """The IHDR chunk of a PNG."""

    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlace: int

    @property
    def mode(self) -> str:
        """The mode PIL opens this PNG in (``RGB`` even for 16-bit RGB, which PIL truncates)."""
        return _PIL_MODES[(self.bit_depth, self.colour_type)]

    @property
    def kind(self) -> str:
        """A human description such as ``grayscale (mode L, 8-bit)``."""
        colour = _COLOUR_NAMES[self.colour_type]
        return f"{colour} (mode {self.mode}, {self.bit_depth}-bit)"


@dataclass(frozen=True)
class MaskTask:
    """One prediction to inspect; picklable, so worker processes can take it."""

    ref: MemberRef
    path: str
    """Display path, relative to the submission root."""
    expected_size: tuple[int, int] | None
    """(height, width) of the source image; None if unknown."""


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


# --- the header -----------------------------------------------------------------------


def describe_format(head: bytes) -> str:
    """What a file that is not a PNG is, judged from its first bytes."""
    if not head:
        return "an empty file (0 bytes)"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "a WebP image"
    if head.startswith(b"version https://git-lfs"):
        return "a Git LFS pointer (text), not the image it stands for"
    if _looks_like_text(head):
        lowered = head.lstrip().lower()
        if lowered.startswith((b"<!doctype html", b"<html")):
            return "an HTML page (a failed download?)"
        return f"text, starting {head[:32].decode('utf-8', 'replace')!r}"
    shown = " ".join(f"{b:02X}" for b in head[:8])
    return f"unknown binary data (first bytes {shown})"


_MAGIC = (
    (b"\xff\xd8\xff", "a JPEG image (starts FF D8 FF)"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
)


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the head is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\t\r\n" for c in text)


def parse_png_header(head: bytes) -> PngHeader | str:
    """The IHDR of a PNG from its first bytes, or why it cannot be read.

    Returns a reason (str) when the bytes start like a PNG but the header is
    truncated or damaged; callers first check the signature with
    ``head.startswith(PNG_SIGNATURE)``.
    """
    if len(head) < 33:
        return f"truncated: the file ends after {len(head)} bytes, inside the PNG header"
    length, ctype = struct.unpack(">I4s", head[8:16])
    if ctype != b"IHDR" or length != 13:
        return f"the first chunk is {ctype!r} of {length} bytes, not a 13-byte IHDR"
    body = head[16:29]
    (crc,) = struct.unpack(">I", head[29:33])
    # PIL refuses a header with a bad checksum, so the evaluator would too.
    if zlib.crc32(head[12:29]) != crc:
        return "the IHDR checksum is wrong (the header is damaged)"
    width, height, depth, ctype_n, _compression, _filter, interlace = struct.unpack(
        ">IIBBBBB", body
    )
    if width == 0 or height == 0:
        return f"the header declares an empty image ({width}{_X}{height})"
    if (depth, ctype_n) not in _PIL_MODES:
        return f"the header declares an invalid colour type {ctype_n} with bit depth {depth}"
    if interlace > 1:
        return f"the header declares an unknown interlace method {interlace}"
    return PngHeader(width, height, depth, ctype_n, interlace)


def _not_png(path: str, head: bytes) -> Diagnostic:
    what = describe_format(head)
    if head.startswith(b"\xff\xd8\xff"):
        hint = (
            "JPEG compression has already altered the ids: re-export the id map from your "
            f"predictions as a lossless 8-bit RGB PNG ({_ENCODE})"
        )
    elif head.startswith(b"\x93NUMPY"):
        hint = (
            "encode the array as an 8-bit RGB PNG: "
            "Image.fromarray(submitkit.benchmark.ids.encode(np.load(f))).save(p)"
        )
    elif head.startswith(b"version https://git-lfs"):
        hint = "fetch the real files (`git lfs pull`) before packing the submission"
    else:
        hint = f"save each prediction as an 8-bit RGB PNG with {_ENCODE}"
    return Code.NOT_PNG.at(path, f"not a PNG: the file is {what}", hint)


def _header_findings(path: str, header: PngHeader) -> list[Diagnostic]:
    """Mode and bit-depth problems, judged from IHDR alone."""
    ct, depth = header.colour_type, header.bit_depth
    bad_mode = f"{header.kind} PNG"
    if ct == 0:
        if depth == 16:
            how = (
                "the ids need both bytes: a = np.array(Image.open(p)).astype(np.int64); "
                "Image.fromarray(np.stack([a % 256, a // 256, a * 0], -1).astype(np.uint8))"
                ".save(p)"
            )
        else:
            how = (
                "ids < 256 go to R: a = np.array(Image.open(p)); "
                "Image.fromarray(np.stack([a, a * 0, a * 0], -1).astype(np.uint8)).save(p)"
            )
        return [
            Code.MODE_GRAYSCALE.at(
                path,
                f"{bad_mode}: the evaluator reads channel 1 of an RGB array and crashes",
                f"encode the ids as RGB ({_ENCODE}); {how}",
            )
        ]
    if ct == 3:
        return [
            Code.MODE_PALETTE.at(
                path,
                f"{bad_mode}: the evaluator would see a 2-D array of palette indices and crash",
                "if the palette was attached only for viewing, the indices are the ids: "
                "a = np.array(Image.open(p)).astype(np.int64); "
                "Image.fromarray(np.stack([a % 256, a // 256, a * 0], -1).astype(np.uint8))"
                ".save(p); if instead the colours encode the ids, use "
                "Image.open(p).convert('RGB')",
            )
        ]
    if ct in (4, 6):
        if ct == 4:
            how = (
                "keep the gray channel as R: a = np.array(Image.open(p))[..., 0]; "
                "Image.fromarray(np.stack([a, a * 0, a * 0], -1).astype(np.uint8)).save(p)"
            )
        else:
            how = "Image.open(p).convert('RGB').save(p)"
        return [
            Code.MODE_ALPHA.at(
                path,
                f"{bad_mode}: masks must be plain 8-bit RGB, without alpha",
                f"if alpha is constant, drop it: {how}; if alpha varies, the file is likely a "
                f"blended visualisation: re-export the id map ({_ENCODE})",
            )
        ]
    if depth == 16:
        return [
            Code.BIT_DEPTH_16.at(
                path,
                f"{bad_mode}: PIL keeps only the high byte of each 16-bit channel, "
                "so the evaluator would read wrong ids",
                "write a uint8 array: Image.fromarray(rgb.astype(np.uint8)) with "
                f"{_ENCODE}; re-export rather than convert this file with PIL",
            )
        ]
    return []


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


def _read_problem(path: str, exc: Exception) -> Diagnostic:
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError)):
        return Code.ZIP_CORRUPT.at(
            path,
            f"the zip member cannot be read: {exc}",
            "re-create the zip from the submission folder (see `submitkit pack`)",
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return Code.CORRUPT_PNG.at(
        path, f"the file cannot be read: {reason}", "check the file's permissions and disk"
    )


def inspect_mask(task: MaskTask, quick: bool) -> MaskResult:
    """Inspect one prediction: header and size, and in full mode its pixels and ids.

    Never raises for a bad file; every problem is a diagnostic of the result.
    """
    result = MaskResult(task.path)
    data: bytes | None = None
    try:
        if quick:
            head = task.ref.read_head(HEAD_BYTES)
        else:
            data = task.ref.read_bytes()
            head = data[:HEAD_BYTES]
    except Exception as exc:
        # Unreadable bytes are a finding about this file, not a reason to stop the run.
        result.diagnostics.append(_read_problem(task.path, exc))
        return result

    if not head.startswith(PNG_SIGNATURE):
        if head.startswith(b"\x89PNG"):
            result.diagnostics.append(
                Code.CORRUPT_PNG.at(
                    task.path,
                    "the PNG signature is damaged (line endings converted by a text-mode "
                    "transfer, e.g. FTP ASCII mode or git autocrlf)",
                    "copy the files in binary mode, or regenerate them",
                )
            )
        else:
            result.diagnostics.append(_not_png(task.path, head))
        return result
    header = parse_png_header(head)
    if isinstance(header, str):
        result.diagnostics.append(
            Code.CORRUPT_PNG.at(task.path, f"damaged PNG: {header}", "regenerate the file")
        )
        return result

    result.width, result.height, result.mode = header.width, header.height, header.mode
    if task.expected_size is not None:
        mismatch = size_finding(task.path, (header.height, header.width), task.expected_size)
        if mismatch is not None:
            result.diagnostics.append(mismatch)
    header_problems = _header_findings(task.path, header)
    if quick:
        result.diagnostics += header_problems
        return result
    if header.width * header.height > MAX_DECODE_PIXELS:
        result.diagnostics += header_problems
        result.diagnostics.append(
            Code.CORRUPT_PNG.at(
                task.path,
                f"the header declares {header.width}{_X}{header.height} pixels, far more than any "
                "ImageNet image; not decoded",
                "regenerate the file at the size of its source image",
            )
        )
        return result
    if header_problems:
        if header.colour_type in (4, 6):
            header_problems = [_with_alpha_detail(header_problems[0], data)]
        result.diagnostics += header_problems
        return result
    assert data is not None
    _decode_into(result, data)
    return result


def _with_alpha_detail(diag: Diagnostic, data: bytes | None) -> Diagnostic:
    # Whether alpha is constant decides if dropping it is safe; say which.
    try:
        with Image.open(io.BytesIO(data or b""), formats=("PNG",)) as im:
            alpha = im.getextrema()[-1]
    except Exception:
        # Any decoder failure just leaves the header finding as it is.
        return diag
    if not isinstance(alpha, tuple):
        return diag
    lo, hi = alpha
    if lo == hi:
        detail = f"; alpha is {lo} everywhere, so dropping it loses nothing"
    else:
        detail = f"; alpha varies ({lo}..{hi}), so it is probably a blended visualisation"
    return diag.model_copy(update={"message": diag.message + detail})


def _decode_into(result: MaskResult, data: bytes) -> None:
    path = result.path
    try:
        with Image.open(io.BytesIO(data), formats=("PNG",)) as im:
            im.load()
            if im.mode != "RGB":
                # The header said 8-bit RGB; a decoder that disagrees is a broken file.
                result.diagnostics.append(
                    Code.CORRUPT_PNG.at(
                        path, f"PIL decodes the file as mode {im.mode}, not RGB", "regenerate it"
                    )
                )
                return
            # getcolors runs in C and, for the few-region maps predictions are,
            # is several times faster than any NumPy pass over the pixels.
            colours = cast("list[tuple[int, tuple[int, int, int]]] | None", im.getcolors(1 << 16))
            if colours is not None:
                ids = sorted({r + (g << 8) for _, (r, g, _b) in colours})
                blue = sum(n for n, (_r, _g, b) in colours if b)
                distinct: int | None = len(colours)
            else:
                ids, blue, distinct = _ids_numpy(np.asarray(im, dtype=np.uint8))
    except Exception as exc:
        # PIL raises many types (SyntaxError, OSError, ValueError, zlib.error,
        # DecompressionBombError...): every one of them is a finding, never a traceback.
        reason = str(exc) or type(exc).__name__
        result.diagnostics.append(
            Code.CORRUPT_PNG.at(path, f"PIL cannot decode the PNG: {reason}", "regenerate the file")
        )
        return
    result.ids = tuple(ids)
    if blue:
        total = (result.width or 0) * (result.height or 0)
        share = f" ({100 * blue / total:.1f}%)" if total else ""
        colours_text = f"{distinct:,}" if distinct is not None else f"over {1 << 16:,}"
        result.diagnostics.append(
            Code.BLUE_NONZERO.at(
                path,
                f"{blue:,} pixels{share} have a non-zero blue channel ({colours_text} distinct "
                "colours): this looks like a colour visualisation, not an id map",
                f"save the raw ids instead of a coloured rendering: {_ENCODE}",
            )
        )


def _ids_numpy(rgb: npt.NDArray[np.uint8]) -> tuple[list[int], int, None]:
    """Distinct ids and blue pixel count of an H x W x 3 uint8 array (colours: not counted)."""
    # Widen before shifting: G << 8 overflows uint8 (the official loader's bug).
    ids = rgb[..., 0].astype(np.int32) | (rgb[..., 1].astype(np.int32) << 8)
    # bincount over the 16-bit id space avoids the sort inside np.unique.
    present = np.flatnonzero(np.bincount(ids.ravel(), minlength=1 << 16))
    blue = int(np.count_nonzero(rgb[..., 2]))
    # Only reached beyond 65536 colours, where the exact count adds nothing.
    return [int(i) for i in present], blue, None


# --- many masks -----------------------------------------------------------------------

_MIN_PARALLEL = 64
_MAX_CHUNK = 256
_PROGRESS_STEP = 64


def inspect_masks(
    tasks: Sequence[MaskTask],
    *,
    quick: bool = False,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[MaskResult]:
    """``inspect_mask`` over many predictions; results in task order.

    ``jobs=0`` uses every CPU this process may use; ``jobs=1`` stays in this
    process. Full mode decodes in worker processes, a chunk of tasks per
    message so that the inter-process traffic stays small; quick mode only reads
    file heads and always stays in this process. ``progress(n)`` is called each
    time n more tasks are done. Raises EnvironmentProblem only if a worker
    process dies.
    """
    workers = jobs if jobs > 0 else _usable_cpus()
    # Quick mode reads 64 bytes a file: in one process that is ~10-30 us per
    # mask, which threads only slowed down in measurements (GIL hand-offs).
    if quick or workers == 1 or len(tasks) < _MIN_PARALLEL:
        return _run_chunk_reporting(list(tasks), quick, progress)
    chunk = max(1, min(_MAX_CHUNK, -(-len(tasks) // (workers * 4))))
    chunks = [list(tasks[i : i + chunk]) for i in range(0, len(tasks), chunk)]
    try:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=pool_context(), initializer=start_worker
        ) as pool:
            return _gather(pool, chunks, quick, progress)
    except BrokenProcessPool as exc:
        raise EnvironmentProblem(
            "a worker process died while checking masks (out of memory?)",
            "rerun with --jobs 1 to check them in a single process; a script that calls "
            "submitkit must do so under `if __name__ == '__main__':` (workers re-import it)",
        ) from exc


def _usable_cpus() -> int:
    # In a container or under taskset, the CPUs this process may use, not the machine's.
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def _run_chunk_reporting(
    tasks: list[MaskTask], quick: bool, progress: Callable[[int], None] | None
) -> list[MaskResult]:
    out: list[MaskResult] = []
    for start in range(0, len(tasks), _PROGRESS_STEP):
        part = _run_chunk(tasks[start : start + _PROGRESS_STEP], quick)
        out += part
        if progress is not None:
            progress(len(part))
    return out


def _run_chunk(tasks: list[MaskTask], quick: bool) -> list[MaskResult]:
    return [inspect_mask(t, quick) for t in tasks]


def _gather(
    pool: ProcessPoolExecutor,
    chunks: list[list[MaskTask]],
    quick: bool,
    progress: Callable[[int], None] | None,
) -> list[MaskResult]:
    futures: dict[Future[list[MaskResult]], int] = {
        pool.submit(_run_chunk, part, quick): i for i, part in enumerate(chunks)
    }
    done: list[list[MaskResult]] = [[] for _ in chunks]
    try:
        for fut in as_completed(futures):
            part = fut.result()
            done[futures[fut]] = part
            if progress is not None:
                progress(len(part))
    except BaseException:
        # Ctrl-C or a dead worker: do not wait for the queued chunks.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    return [r for part in done for r in part]


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
