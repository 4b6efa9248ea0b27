"""Scoring a submission against a local validation set, as the official evaluator would.

One pass over the data: every prediction and every ground-truth mask is read
and decoded once (:func:`score_pass`). The prediction's decode *is* the check's
pixel stage (:func:`submitkit.checks.masks.decode_mask`), so the findings the
check makes about pixels (damaged files, blue channel, ids) come out of the
same pass that counts the histograms. Plain functions for the one evaluate
and match path, ``submitkit.workflows`` (nothing here prints):

* with a match table or none, the pass counts each image's exact cells, and
  :func:`evaluation_of` turns them into the official metrics
  (:class:`~submitkit.scoring.metrics.Scores`), one row per image and the
  diagnostics of predictions that could not be scored;
* with ``clusters`` it gathers the statistics the matchings of
  :mod:`submitkit.scoring.matching` need, from which every candidate matching
  is scored without decoding again.

The pass runs on the one parallel runner (:mod:`submitkit.core.workers`) in
chunks of images. Each image leaves only its few dozen non-zero histogram
cells (:class:`~submitkit.scoring.counts.PerImageCounts`), from which the
official sums are taken at once at the end, so memory stays small (a few MB
for the 12,419 images of the 919 track). Masks are read
through a :class:`MaskReader` (``read(name) -> bytes``, optionally
``open(name)`` for bounded reads): a folder here, a zip
(``submitkit.inputs.source.Source``) without any change to this module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from submitkit.benchmark.ids import IGNORE
from submitkit.checks.masks import MaskResult, decode_mask, size_finding
from submitkit.core.diagnostics import Code, Diagnostic, Severity
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.workers import chunked, resolve_workers, run_ordered
from submitkit.inputs import png
from submitkit.inputs.layout import Prediction
from submitkit.inputs.png import IdArray, PngFault
from submitkit.scoring.counts import PerImageCounts
from submitkit.scoring.matching import AgreementPairs, MatchStatistics, matched_gain
from submitkit.scoring.metrics import (
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

MAX_UNMAPPED_LISTED = 10

MAX_CACHED_ID = 1 << 15
"""Ground truth with an id at or above this is not cached (the cache stores 2 * id + 1 in 16 bits;
official ids stop at 1000)."""


# --- reading masks ---------------------------------------------------------------


@runtime_checkable
class MaskReader(Protocol):
    """Where masks come from. Worker threads share it: reads must be thread-safe.

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

    def open(self, name: str) -> IO[bytes]:
        return open(self.root / name, "rb")


@dataclass(frozen=True)
class _ReaderRef:
    """One file of a reader, opened the bounded way when the reader allows it."""

    reader: MaskReader
    name: str

    def open(self) -> IO[bytes]:
        opener = getattr(self.reader, "open", None)
        if callable(opener):
            handle: IO[bytes] = opener(self.name)
            return handle
        return io.BytesIO(self.reader.read(self.name))


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


def image_tasks(predictions: Path | MaskReader, names: Sequence[str]) -> list[Prediction]:
    """Records for ``names`` read from a folder or reader outside any submission layout
    (paths shown as ``wnid/stem.png``): for benchmarks and the pass's own tests."""
    reader = _reader(predictions, "predictions")
    records = []
    for name in names:
        key = _stem_name(name)
        file = key + ".png"
        records.append(Prediction(_ReaderRef(reader, file), file, None, key))
    return records


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
    """What a scoring pass found, as scores (:func:`evaluation_of`)."""

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
    warnings: list[Diagnostic] = []
    """Findings of the scoring that leave the score valid (E001: ids look unmatched)."""


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
class ScorePass:
    """What one pass over the images found."""

    masks: list[tuple[str, MaskResult]] = field(default_factory=list)
    """The pixel stage of every prediction (the check's findings) under its record's key,
    in task order."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Findings of scoring itself: sizes against the ground truth, unmapped ids."""
    rows: list[ImageRow] = field(default_factory=list)
    statistics: MatchStatistics | None = None
    counts: list[PerImageCounts] = field(default_factory=list)
    """Exact per-image counts of the rows, one block per chunk, in task order."""
    truth_hits: int = 0
    """Ground-truth masks served from the cache."""
    cache_problem: str = ""
    """What made the ground-truth cache untrustworthy (the file ignored, rebuilt), if anything."""
    pairs: AgreementPairs | None = None
    """Image-level agreement of ids and classes, kept when no match is applied (for E001)."""

    @property
    def findings(self) -> list[Diagnostic]:
        """Every finding of the pass: the pixel stage's, then scoring's."""
        return [d for _, m in self.masks for d in m.diagnostics] + self.diagnostics

    @property
    def complete(self) -> bool:
        """Every image was read and scored: a result may be produced from it."""
        return not any(d.severity is Severity.error for d in self.findings)


# --- the pass --------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    ground_truth: MaskReader
    k: int
    table: npt.NDArray[np.int32] | None = None
    clusters: int | None = None
    """Set for a match pass: keep raw histograms and statistics over ids 0..clusters."""
    truth: TruthCache | None = None
    """Decoded ground truth (and its boundaries) served by the bytes' digest."""


@dataclass
class _Chunk:
    masks: list[tuple[str, MaskResult]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    rows: list[ImageRow] = field(default_factory=list)
    pairs: AgreementPairs | None = None
    """Agreement of ids and classes: for E001 when scoring unmatched, the statistics of a
    match pass."""
    fatal: tuple[str, str] | None = None
    counted: list[ImageCounts] = field(default_factory=list)
    counts: PerImageCounts | None = None
    """The chunk's rows as exact per-image counts, once the chunk is done."""
    truth_hits: int = 0
    new_truth: dict[str, TruthEntry] = field(default_factory=dict)


_X = "\N{MULTIPLICATION SIGN}"


class _Fatal(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


BoolArray = npt.NDArray[np.bool_]


def _ground_truth(ctx: _Context, file: str, out: _Chunk) -> tuple[IdArray, BoolArray | None]:
    """One ground truth's ids, and its boundary when the cache is in use."""
    try:
        if ctx.truth is None:
            return png.read_official(_ReaderRef(ctx.ground_truth, file).open), None
        data = ctx.ground_truth.read(file)
        key = digest(data)
        entry = ctx.truth.lookup(file, key)
        if entry is not None:
            out.truth_hits += 1
            return decode_truth(entry.runs, entry.height, entry.width)
        gt, edge, learned = learn_truth(data, key)
        if learned is not None:
            out.new_truth[file] = learned
        return gt, edge
    except (FileNotFoundError, KeyError) as exc:
        raise _Fatal(
            f"ground truth {file} is missing",
            "point at <dataset>/ImageNetS{K}/validation-segmentation of the right track",
        ) from exc
    except PngFault as fault:
        raise _Fatal(
            f"ground truth {file}: {fault.message}", "the dataset copy is damaged"
        ) from fault


def learn_truth(data: bytes, key: str) -> tuple[IdArray, BoolArray, TruthEntry | None]:
    """A ground truth's ids and boundary from its PNG bytes, and its cache entry if cacheable.

    Raises PngFault. `bundle` calls it too, to ship the competition's cache.
    """
    gt = png.read_official(lambda: io.BytesIO(data))
    edge = boundary_mask(gt)
    entry = None
    if gt.size and int(gt.max()) < MAX_CACHED_ID:
        entry = TruthEntry(key, gt.shape[0], gt.shape[1], encode_truth(gt, edge))
    return gt, edge, entry


def _prediction(task: Prediction, gt: IdArray, out: _Chunk) -> IdArray | None:
    """The prediction's ids after its pixel stage, or None (its findings recorded)."""
    result, pred = decode_mask(task, _ids)
    if result.missing:
        result.diagnostics = [
            Code.MISSING_PREDICTION.at(
                task.path, f"no prediction for {task.key}", "predict every image"
            )
        ]
    out.masks.append((task.key, result))
    if pred is None:
        return None
    if pred.shape != gt.shape:
        if pred.shape == task.expected_size:
            # The prediction has its image's size: the ground truth is what is wrong.
            (gh, gw), (h, w) = gt.shape, pred.shape
            raise _Fatal(
                f"ground truth of {task.key} is {gw}{_X}{gh} but its image is {w}{_X}{h}: "
                "the dataset copy is damaged",
                "restore this ground-truth PNG (or the image) from the ImageNet-S release",
            )
        if not any(d.code is Code.SIZE_MISMATCH for d in result.diagnostics):
            found = size_finding(task.path, pred.shape, gt.shape)
            assert found is not None
            result.diagnostics.append(found)
        return None
    return pred


def _ids(pixels: png.Pixels, _data: bytes) -> IdArray:
    return pixels.ids


def _unmapped_diagnostic(
    file: str, gt: IdArray, pred: IdArray, table: npt.NDArray[np.int32], k: int
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


def _score_image(ctx: _Context, task: Prediction, out: _Chunk) -> None:
    gt, gt_edge = _ground_truth(ctx, task.truth, out)
    pred = _prediction(task, gt, out)
    if pred is None:
        return
    if ctx.clusters is not None:
        assert out.pairs is not None
        out.pairs.add(gt, pred)
        return
    counts = count_image(gt, pred, ctx.k, ctx.table, gt_edge)
    if ctx.table is not None and counts.unmapped_pixels:
        out.diagnostics.append(_unmapped_diagnostic(task.path, gt, pred, ctx.table, ctx.k))
        return
    out.counted.append(counts)
    if out.pairs is not None:
        out.pairs.add_region(*counts.region())
    out.rows.append(
        ImageRow(
            name=task.key,
            height=counts.height,
            width=counts.width,
            mIoU=counts.miou(),
            FMeasure=counts.fmeasure() * 100,
            Acc=counts.accurate(),
            predicted_label=counts.image_label(),
        )
    )


def _run_chunk(ctx: _Context, tasks: Sequence[Prediction]) -> _Chunk:
    out = _Chunk()
    if ctx.clusters is not None:
        # Sparse agreement travels back, not two dense (clusters+1) x (K+1) matrices.
        out.pairs = AgreementPairs(ctx.k, ctx.clusters)
    elif ctx.table is None:
        out.pairs = AgreementPairs(ctx.k)
    for task in tasks:
        try:
            _score_image(ctx, task, out)
        except _Fatal as fatal:
            out.fatal = (fatal.message, fatal.hint)
            break
    if ctx.clusters is None:
        # Only the non-zero cells travel back: a 919-track histogram is ~100 KB, its cells ~1 KB.
        names = [r.name for r in out.rows]
        out.counts = PerImageCounts.from_images(ctx.k, names, out.counted)
        out.counted = []
    return out


def score_pass(
    tasks: Sequence[Prediction],
    ground_truth: Path | MaskReader,
    k: int,
    *,
    table: npt.NDArray[np.int32] | None = None,
    clusters: int | None = None,
    jobs: int = 0,
    progress: Progress | None = None,
    truth_cache: TruthCache | None = None,
) -> ScorePass:
    """Read, judge and score every image once; results in task order, each under its key.

    With ``clusters`` the pass gathers matching statistics and raw histograms
    instead of scores. A missing or damaged ground truth raises
    EnvironmentProblem; faults of predictions are findings of the result.
    ``truth_cache`` serves decoded ground truth whose bytes it has seen, and learns the rest.
    UsageError for no images, or a K or a number of clusters below 1.
    """
    _check_args(tasks, k, clusters)
    ctx = _Context(_reader(ground_truth, "ground-truth"), k, table, clusters, truth_cache)
    workers = resolve_workers(jobs)
    parts = chunked(tasks, workers)
    result = ScorePass()
    chunks = run_ordered(
        lambda part: _run_chunk(ctx, part), parts, jobs=jobs, max_chunk=1, processes=True
    )
    learned: dict[str, TruthEntry] = {}
    for part, chunk in zip(parts, chunks, strict=True):
        if chunk.fatal is not None:
            raise EnvironmentProblem(*chunk.fatal)
        _fold(result, chunk, k)
        learned.update(chunk.new_truth)
        if progress is not None:
            progress(len(part))
    if truth_cache is not None:
        truth_cache.update(learned)
        if truth_cache.problem is not None:
            result.cache_problem = f"{truth_cache.path} {truth_cache.problem}"
    if clusters is not None:
        pairs = result.pairs or AgreementPairs(k, clusters)
        result.statistics = pairs.statistics()
        result.pairs = None
    return result


def _fold(result: ScorePass, chunk: _Chunk, k: int) -> None:
    result.masks += chunk.masks
    result.truth_hits += chunk.truth_hits
    if chunk.counts is not None:
        result.counts.append(chunk.counts)
    if chunk.pairs is not None:
        if result.pairs is None:
            result.pairs = AgreementPairs(k, chunk.pairs.clusters)
        result.pairs.merge(chunk.pairs)
    result.diagnostics += chunk.diagnostics
    result.rows += chunk.rows


def _check_args(tasks: Sequence[Prediction], k: int, clusters: int | None) -> None:
    if k < 1:
        raise UsageError(f"K must be a positive number of classes, not {k}")
    if clusters is not None and clusters < 1:
        raise UsageError(f"clusters must be positive, not {clusters}")
    if not tasks:
        raise UsageError("there are no images to evaluate", "check the list of names")


def table_for(match: Mapping[int, int] | None, k: int) -> npt.NDArray[np.int32] | None:
    """The lookup table of a match, or None; UsageError for a match out of range."""
    if match is None:
        return None
    try:
        return match_table(match, k)
    except ValueError as exc:
        raise UsageError(
            f"unusable match: {exc}", "check lists what is wrong with it (`submitkit check --help`)"
        ) from exc


# --- what a pass found ------------------------------------------------------------


def evaluation_of(passed: ScorePass, k: int, *, matched: bool) -> Evaluation:
    """The :class:`Evaluation` of a pass: scores only if every image was read and scored."""
    findings = passed.findings
    counts = PerImageCounts.concat(k, passed.counts)
    scores = counts.accumulator().scores() if passed.complete and passed.rows else None
    warnings: list[Diagnostic] = []
    if scores is not None and not matched and passed.pairs is not None:
        warnings = _unmatched(passed.pairs, scores.mIoU)
    if passed.cache_problem:
        damaged = Code.TRUTH_CACHE_DAMAGED.at(
            "",
            f"the ground-truth cache {passed.cache_problem}: ignored and rebuilt",
            "nothing to do; --no-cache skips the cache",
        )
        warnings = [damaged, *warnings]
    return Evaluation(
        k=k,
        matched=matched,
        scores=scores,
        images=passed.rows,
        diagnostics=findings,
        counts=counts,
        truth_from_cache=passed.truth_hits,
        warnings=warnings,
    )


def _unmatched(pairs: AgreementPairs, scored: float) -> list[Diagnostic]:
    """E001 when the ids look like cluster ids (see docs/matching.md for the rule)."""
    matched = matched_gain(pairs.statistics(), scored)
    if matched is None:
        return []
    return [
        Code.IDS_LOOK_UNMATCHED.at(
            "",
            f"scored as given, mIoU {scored:.2f}; an image-level matching of the ids on this "
            f"validation ground truth gives {matched:.2f}: the ids look like cluster ids",
            "match the ids to classes with the match command, then evaluate with its "
            "match.json (--match)",
        )
    ]
