"""Scoring a submission against a local validation set, as the official evaluator would.

Plain functions for the CLI (nothing here prints):

* :func:`evaluate` reads every ``<name>.png`` of the predictions and the ground
  truth and returns the official metrics (:class:`~submitkit.scoring.metrics.Scores`),
  one row per image and the diagnostics of predictions that could not be
  scored;
* :func:`match_submission` gathers the statistics the matchings of
  :mod:`submitkit.scoring.matching` need.

Both fan out over processes in chunks of images. Each chunk folds its images
into one accumulator of fixed size, so memory does not grow with the number
of images. Masks are read through a :class:`MaskReader`, a picklable object
with ``read(name) -> bytes``: a folder here, a zip (``submitkit.inputs.source.Source``
has that method) without any change to this module.
"""

from __future__ import annotations

import csv
import io
import math
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, ConfigDict, Field

from submitkit.benchmark.ids import IGNORE, decode
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.workers import pool_context, start_worker
from submitkit.scoring.counts import PerImageCounts
from submitkit.scoring.matching import MatchStatistics
from submitkit.scoring.metrics import (
    Accumulator,
    ImageCounts,
    Scores,
    boundary_mask,
    count_image,
    match_table,
)
from submitkit.scoring.truth_cache import Entry as TruthEntry
from submitkit.scoring.truth_cache import TruthCache, digest
from submitkit.scoring.truth_cache import decode as decode_truth
from submitkit.scoring.truth_cache import encode as encode_truth

Progress = Callable[[int], None]
"""Called with the number of images just finished."""

MAX_CHUNK = 32
"""Images per task at most: big enough to hide task overhead, small enough for progress."""

MAX_UNMAPPED_LISTED = 10

MAX_CACHED_ID = 1 << 15
"""Ground truth with an id at or above this is not cached (the cache stores 2 * id + 1 in 16 bits;
official ids stop at 1000)."""


# --- reading masks ---------------------------------------------------------------


@runtime_checkable
class MaskReader(Protocol):
    """Where masks come from. Must pickle: worker processes get a copy.

    ``read`` takes a POSIX path relative to the root (``wnid/stem.png``) and
    raises ``FileNotFoundError`` or ``KeyError`` when there is no such file.
    """

    def read(self, name: str) -> bytes: ...


@dataclass(frozen=True)
class FolderReader:
    """Masks in a folder tree."""

    root: Path

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()


class MaskFault(Exception):
    """A mask that cannot be scored; becomes a diagnostic (or a fatal dataset problem)."""

    def __init__(self, code: Code, message: str, hint: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


def _mode_fault(mode: str) -> MaskFault:
    hint = "write masks as 8-bit RGB with id = R + 256*G and B = 0"
    if mode in ("P", "PA"):
        return MaskFault(Code.MODE_PALETTE, f"palette PNG (mode {mode})", hint)
    if "A" in mode:
        return MaskFault(Code.MODE_ALPHA, f"PNG with an alpha channel (mode {mode})", hint)
    return MaskFault(Code.MODE_GRAYSCALE, f"single-channel or non-RGB PNG (mode {mode})", hint)


def read_ids(data: bytes, shape: tuple[int, int] | None = None) -> npt.NDArray[np.int32]:
    """Decode PNG bytes into an H x W array of ids (``R + 256*G``).

    ``shape`` (H, W), when given, is checked from the header before any pixel
    is decoded. Raises ``MaskFault`` for anything the official reader would choke
    on or misread: not a PNG, not RGB, damaged, wrong size.
    """
    try:
        with warnings.catch_warnings():
            # A decompression-bomb warning is not ours to show: size is checked below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise MaskFault(
            Code.NOT_PNG, f"not an image PIL can read ({exc})", "save masks as PNG"
        ) from exc
    with im:
        if im.format != "PNG":
            raise MaskFault(
                Code.NOT_PNG,
                f"a {im.format} file, not a PNG",
                "save masks as PNG; JPEG compression corrupts ids",
            )
        if im.mode != "RGB":
            raise _mode_fault(im.mode)
        if shape is not None and (im.height, im.width) != shape:
            raise MaskFault(
                Code.SIZE_MISMATCH,
                f"mask is {im.width}x{im.height}, ground truth is {shape[1]}x{shape[0]} (WxH)",
                "resize the prediction back to the source image size (nearest neighbour)",
            )
        try:
            im.load()
            rgb = np.asarray(im)
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise MaskFault(Code.CORRUPT_PNG, f"damaged PNG ({exc})", "re-write the mask") from exc
    return decode(rgb)


def _reader(where: Path | MaskReader, what: str) -> MaskReader:
    if isinstance(where, Path):
        if not where.is_dir():
            raise EnvironmentProblem(f"{what} folder {where} does not exist or is not a folder")
        return FolderReader(where)
    return where


def _stem_name(name: str) -> str:
    """``wnid/stem`` from a name that may carry the list's ``.JPEG`` or ``.png``."""
    for suffix in (".png", ".JPEG"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _file_name(name: str) -> str:
    return _stem_name(name) + ".png"


# --- results ---------------------------------------------------------------------


class ImageRow(BaseModel):
    """One image's own figures, for a per-image table."""

    model_config = ConfigDict(frozen=True)

    name: str
    height: int
    width: int
    mIoU: float
    """Mean IoU (%) over the classes present in this image's ground truth or prediction."""
    FMeasure: float
    """The toolbox's foreground F-measure (%) of this image."""
    Acc: bool
    """Whether the image-level label (class with most predicted pixels) is right."""
    predicted_label: int
    """That image-level label: the class with most predicted pixels (not the ground truth's)."""


class Evaluation(BaseModel):
    """What :func:`evaluate` found."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    k: int
    matched: bool
    """A match (predicted id -> class) was applied."""
    scores: Scores | None
    """``None`` when some image could not be scored: a partial score is not what the
    server would report (it would crash instead)."""
    images: list[ImageRow]
    """Rows of the images scored, in the order of ``names``."""
    diagnostics: list[Diagnostic]
    counts: PerImageCounts | None = Field(default=None, exclude=True)
    """The exact per-image counts of the images scored (for intervals, compare, confusions)."""
    truth_from_cache: int = 0
    """Ground-truth masks served decoded from the cache instead of decoded again."""


def per_image_csv(rows: Iterable[ImageRow]) -> str:
    """The rows as CSV text (header ``name,height,width,mIoU,FMeasure,Acc,predicted_label``)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "height", "width", "mIoU", "FMeasure", "Acc", "predicted_label"])
    for r in rows:
        writer.writerow(
            [
                r.name,
                r.height,
                r.width,
                f"{r.mIoU:.4f}",
                f"{r.FMeasure:.4f}",
                int(r.Acc),
                r.predicted_label,
            ]
        )
    return out.getvalue()


@dataclass
class MatchRun:
    """What :func:`match_submission` found: statistics, and masks it had to skip."""

    statistics: MatchStatistics
    diagnostics: list[Diagnostic]


# --- the per-chunk work ----------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    task: Literal["evaluate", "match"]
    predictions: MaskReader
    ground_truth: MaskReader
    k: int
    table: npt.NDArray[np.int32] | None = None
    clusters: int = 0
    truth: TruthCache | None = None


@dataclass
class _ChunkResult:
    rows: list[ImageRow] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    accumulator: Accumulator | None = None
    statistics: MatchStatistics | None = None
    fatal: tuple[str, str] | None = None
    counts: PerImageCounts | None = None
    truth_hits: int = 0
    new_truth: dict[str, TruthEntry] = field(default_factory=dict)


def _read_truth(
    ctx: _Context, name: str, file: str, out: _ChunkResult
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.bool_] | None] | None:
    """One ground truth's ids (and boundary, when cached), or None with a fatal noted."""
    try:
        data = ctx.ground_truth.read(file)
        if ctx.truth is None:
            return read_ids(data), None
        key = digest(data)
        entry = ctx.truth.lookup(file, key)
        if entry is not None:
            out.truth_hits += 1
            return decode_truth(entry.runs, entry.height, entry.width)
        gt = read_ids(data)
        edge = boundary_mask(gt)
        if gt.size and int(gt.max()) < MAX_CACHED_ID:
            out.new_truth[file] = TruthEntry(key, gt.shape[0], gt.shape[1], encode_truth(gt, edge))
        return gt, edge
    except (FileNotFoundError, KeyError):
        out.fatal = (
            f"ground truth {file} is missing",
            "point at <dataset>/ImageNetS{K}/validation-segmentation of the right track",
        )
    except OSError as exc:
        out.fatal = (f"cannot read ground truth {file}: {exc}", "")
    except MaskFault as fault:
        out.fatal = (f"ground truth {file}: {fault.message}", "the dataset copy is damaged")
    return None


def _read_pair(
    ctx: _Context, name: str, out: _ChunkResult
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.bool_] | None] | None:
    """Ground truth, prediction and (if cached) the ground-truth boundary of one image,
    or None with a diagnostic/fatal noted."""
    file = _file_name(name)
    truth = _read_truth(ctx, name, file, out)
    if truth is None:
        return None
    gt, edge = truth
    try:
        pred = read_ids(ctx.predictions.read(file), gt.shape)
    except (FileNotFoundError, KeyError):
        out.diagnostics.append(
            Code.MISSING_PREDICTION.at(file, f"no prediction for {name}", "predict every image")
        )
        return None
    except OSError as exc:
        out.fatal = (f"cannot read prediction {file}: {exc}", "")
        return None
    except MaskFault as fault:
        out.diagnostics.append(fault.code.at(file, fault.message, fault.hint))
        return None
    return gt, pred, edge


def _unmapped_diagnostic(
    file: str,
    gt: npt.NDArray[np.int32],
    pred: npt.NDArray[np.int32],
    table: npt.NDArray[np.int32],
    k: int,
) -> Diagnostic:
    mapped = np.take(table, pred, mode="clip")
    ids = np.unique(pred[(mapped == k + 2) & (gt != IGNORE)]).tolist()
    shown = ", ".join(str(i) for i in ids[:MAX_UNMAPPED_LISTED])
    more = f" and {len(ids) - MAX_UNMAPPED_LISTED} more" if len(ids) > MAX_UNMAPPED_LISTED else ""
    return Code.MATCH_UNMAPPED_ID.at(
        file,
        f"ids {shown}{more} have no key in the match",
        "give every predicted id a key in match.json",
    )


def _run_chunk(ctx: _Context, names: Sequence[str]) -> _ChunkResult:
    out = _ChunkResult()
    if ctx.task == "evaluate":
        out.accumulator = Accumulator(ctx.k)
    else:
        out.statistics = MatchStatistics(ctx.k, ctx.clusters)
    counted: list[ImageCounts] = []
    for name in names:
        pair = _read_pair(ctx, name, out)
        if out.fatal is not None:
            break
        if pair is None:
            continue
        gt, pred, gt_edge = pair
        if out.statistics is not None:
            out.statistics.add(gt, pred)
            continue
        assert out.accumulator is not None
        counts = count_image(gt, pred, ctx.k, ctx.table, gt_edge)
        if ctx.table is not None and counts.unmapped_pixels:
            out.diagnostics.append(
                _unmapped_diagnostic(_file_name(name), gt, pred, ctx.table, ctx.k)
            )
            continue
        out.accumulator.add(counts)
        counted.append(counts)
        out.rows.append(
            ImageRow(
                name=_stem_name(name),
                height=counts.height,
                width=counts.width,
                mIoU=counts.miou(),
                FMeasure=counts.fmeasure() * 100,
                Acc=counts.accurate(),
                predicted_label=counts.image_label(),
            )
        )
    if out.accumulator is not None:
        out.counts = PerImageCounts.from_images(ctx.k, [r.name for r in out.rows], counted)
    return out


_WORKER_CONTEXT: _Context | None = None


def _init_worker(ctx: _Context) -> None:
    global _WORKER_CONTEXT
    start_worker()
    _WORKER_CONTEXT = ctx


def _worker_chunk(names: list[str]) -> _ChunkResult:
    assert _WORKER_CONTEXT is not None, "worker started without its context"
    return _run_chunk(_WORKER_CONTEXT, names)


def _workers(jobs: int) -> int:
    if jobs < 0:
        raise UsageError(f"jobs must be 0 (all cores) or a positive number, not {jobs}")
    return (os.cpu_count() or 1) if jobs == 0 else jobs


def _run(
    ctx: _Context, names: Sequence[str], jobs: int, progress: Progress | None
) -> list[_ChunkResult]:
    """Run all chunks, in processes unless one worker; results in chunk order."""
    workers = _workers(jobs)
    size = max(1, min(MAX_CHUNK, math.ceil(len(names) / (workers * 4))))
    chunks = [list(names[i : i + size]) for i in range(0, len(names), size)]
    results: list[_ChunkResult | None] = [None] * len(chunks)

    def finished(i: int, res: _ChunkResult) -> None:
        if res.fatal is not None:
            raise EnvironmentProblem(*res.fatal)
        results[i] = res
        if progress is not None:
            progress(len(chunks[i]))

    if workers == 1 or len(chunks) == 1:
        for i, chunk in enumerate(chunks):
            finished(i, _run_chunk(ctx, chunk))
    else:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(chunks)),
            mp_context=pool_context(),
            initializer=_init_worker,
            initargs=(ctx,),
        ) as pool:
            pending: dict[Future[_ChunkResult], int] = {
                pool.submit(_worker_chunk, chunk): i for i, chunk in enumerate(chunks)
            }
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        finished(pending.pop(fut), fut.result())
            except BaseException:
                # Stop feeding workers: the run is over (dataset problem or Ctrl-C).
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return [r for r in results if r is not None]


def _check_args(names: Sequence[str], k: int) -> None:
    if k < 1:
        raise UsageError(f"K must be a positive number of classes, not {k}")
    if not names:
        raise UsageError("there are no images to evaluate", "check the list of names")


# --- public entry points ---------------------------------------------------------


def evaluate(
    predictions: Path | MaskReader,
    ground_truth: Path | MaskReader,
    names: Sequence[str],
    k: int,
    match: Mapping[int, int] | None = None,
    jobs: int = 0,
    progress: Progress | None = None,
    truth_cache: TruthCache | None = None,
) -> Evaluation:
    """Score ``predictions`` against ``ground_truth`` with the official metrics.

    ``predictions`` holds ``<wnid>/<stem>.png`` for each of ``names`` (``wnid/stem``);
    ``ground_truth`` is ``<dataset>/ImageNetS{K}/validation-segmentation``. ``match``
    maps predicted ids to classes 0..K (match.json). ``jobs``: processes, 0 for one
    per core, 1 to stay in this process. Faults of a prediction (missing, not an
    RGB PNG, wrong size, an id the match lacks) come back as diagnostics and leave
    ``scores`` None; a missing or damaged ground truth raises EnvironmentProblem.
    ``truth_cache`` serves decoded ground truth whose bytes it has seen, and learns the rest.
    """
    _check_args(names, k)
    table = None
    if match is not None:
        try:
            table = match_table(match, k)
        except ValueError as exc:
            raise UsageError(f"unusable match: {exc}", "see `submitkit check`") from exc
    ctx = _Context(
        task="evaluate",
        predictions=_reader(predictions, "predictions"),
        ground_truth=_reader(ground_truth, "ground-truth"),
        k=k,
        table=table,
        truth=truth_cache,
    )
    total = Accumulator(k)
    rows: list[ImageRow] = []
    diagnostics: list[Diagnostic] = []
    parts: list[PerImageCounts] = []
    learned: dict[str, TruthEntry] = {}
    hits = 0
    for res in _run(ctx, names, jobs, progress):
        assert res.accumulator is not None and res.counts is not None
        total.merge(res.accumulator)
        rows.extend(res.rows)
        diagnostics.extend(res.diagnostics)
        parts.append(res.counts)
        learned.update(res.new_truth)
        hits += res.truth_hits
    if truth_cache is not None:
        truth_cache.update(learned)
    scores = total.scores() if not diagnostics else None
    return Evaluation(
        k=k,
        matched=match is not None,
        scores=scores,
        images=rows,
        diagnostics=diagnostics,
        counts=PerImageCounts.concat(k, parts),
        truth_from_cache=hits,
    )


def match_submission(
    predictions: Path | MaskReader,
    ground_truth: Path | MaskReader,
    names: Sequence[str],
    k: int,
    clusters: int | None = None,
    jobs: int = 0,
    progress: Progress | None = None,
) -> MatchRun:
    """Gather image- and pixel-level agreement between predicted ids and classes.

    ``clusters`` is the largest predicted id to consider (default K, as the
    official matching; ids above it are left out). Masks that cannot be read are
    skipped with a diagnostic; feed ``run.statistics`` to
    :func:`submitkit.scoring.matching.solve` (or :func:`~submitkit.scoring.matching.hungarian`).
    """
    _check_args(names, k)
    n = k if clusters is None else clusters
    if n < 1:
        raise UsageError(f"clusters must be positive, not {n}")
    ctx = _Context(
        task="match",
        predictions=_reader(predictions, "predictions"),
        ground_truth=_reader(ground_truth, "ground-truth"),
        k=k,
        clusters=n,
    )
    stats = MatchStatistics(k, n)
    diagnostics: list[Diagnostic] = []
    for res in _run(ctx, names, jobs, progress):
        assert res.statistics is not None
        stats.merge(res.statistics)
        diagnostics.extend(res.diagnostics)
    return MatchRun(statistics=stats, diagnostics=diagnostics)
