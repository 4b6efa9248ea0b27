"""`evaluate` as a workflow: the check, then the official metrics from the one pass.

Validation predictions only (:mod:`submitkit.workflows.validation` runs the
check and the pass); :func:`evaluate_submission` adds intervals and confusions,
writes the data files asked for (per-image CSV, chart, counts) and returns the
document. The HTML page is rendering: ``render/html_report.py`` writes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from pydantic import Field, PrivateAttr

from submitkit.benchmark.class_names import class_names
from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.checks.commands import command, fresh_path
from submitkit.checks.report import Report
from submitkit.checks.staged import CheckRun
from submitkit.core.atomic import Inputs, check_target, write_text_atomic
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.document import Document
from submitkit.core.errors import EnvironmentProblem
from submitkit.core.progress import NoProgress, ProgressSink
from submitkit.inputs.config import RunContext
from submitkit.inputs.manifest import dataset_split_dir
from submitkit.scoring.bootstrap import BootstrapInfo
from submitkit.scoring.counts import PerImageCounts
from submitkit.scoring.engine import Evaluation, evaluation_of, per_image_csv, score_pass, table_for
from submitkit.scoring.metrics import Scores
from submitkit.scoring.truth_cache import TruthCache
from submitkit.workflows.analysis import (
    COUNTS_KIND,
    DEFAULT_CONFUSIONS,
    BootstrapRequest,
    ClassScore,
    ConfusionRow,
    Naming,
    WorstImage,
    bias_note,
    class_scores,
    confusion_rows,
    counts_document,
    intervals,
    worst_images,
)
from submitkit.workflows.validation import (
    finish_pass,
    ground_truth_dir,
    header_stage_passed,
    pass_tasks,
    scorable,
    scoring_context,
    validation_check,
)

SYNSET_FILES = ("LOC_synset_mapping.txt", "synset_words.txt", "synsets.txt")
"""Files of ``wnid name, synonyms`` lines a dataset folder may hold."""


@dataclass(frozen=True)
class EvaluateRequest:
    """What `evaluate` writes and adds beyond the score (every field optional)."""

    synsets: Path | None = None
    per_image: Path | None = None
    plot: Path | None = None
    bootstrap: BootstrapRequest | None = None
    confusions: int = DEFAULT_CONFUSIONS
    save_counts: Path | None = None
    html: Path | None = None
    worst: int = 8
    cache: bool = True


class EvaluationOutput(Document):
    """What `submitkit evaluate` found: the check, then the scores when it passed."""

    kind: ClassVar[str] = "evaluate"
    schema_file: ClassVar[str] = "evaluation.schema.json"

    submission: str
    track: int | None
    """K, when the check could tell it."""
    protocol: str | None = None
    """The protocol given (flag or config), if any."""
    images: int = 0
    """Images scored."""
    matched: bool = False
    """Whether predicted ids were mapped through a match.json."""
    scores: Scores | None = None
    """``None`` when the check found errors that block scoring (see ``check``)."""
    intervals: dict[str, list[float | None]] | None = None
    """With ``--bootstrap``: metric -> [low, high], percentile bootstrap over images."""
    bootstrap: BootstrapInfo | None = None
    """With ``--bootstrap``: resamples, seed and level, enough to reproduce the intervals."""
    classes: list[ClassScore] = Field(default_factory=list)
    """Classes 0..K, worst IoU first."""
    confusions: list[ConfusionRow] = Field(default_factory=list)
    """The largest confusions, ground-truth class -> predicted class, most pixels first."""
    warnings: list[Diagnostic] = Field(default_factory=list)
    """What scoring found that leaves the score valid (E001: the ids look unmatched)."""
    per_image: str | None = None
    """The per-image CSV written, if asked for."""
    plot: str | None = None
    """The per-class IoU chart written, if asked for."""
    html: str | None = None
    """The HTML report written, if asked for (the page is rendered and written by
    ``render/html_report.py``, from this document and its ``worst_images``)."""
    counts_file: str | None = None
    """The per-image counts written for `compare`, if asked for."""
    check: Report
    """The check that ran first, with the scoring pass's own findings."""

    _counts: PerImageCounts | None = PrivateAttr(default=None)
    _truth_from_cache: int = PrivateAttr(default=0)
    _worst_images: list[WorstImage] = PrivateAttr(default_factory=list)

    @property
    def counts(self) -> PerImageCounts | None:
        """The exact per-image counts behind the scores (kept out of the JSON)."""
        return self._counts

    @property
    def truth_from_cache(self) -> int:
        """Ground-truth masks served decoded from the cache (kept out of the JSON: it
        changes from run to run while the scores do not)."""
        return self._truth_from_cache

    @property
    def worst_images(self) -> list[WorstImage]:
        """The worst images' thumbnails for the HTML report (empty unless ``html`` is set)."""
        return self._worst_images

    def is_failure(self) -> bool:
        return self.scores is None


@dataclass
class Scored:
    """The check that ran first, and the evaluation when the check passed."""

    check: CheckRun
    evaluation: Evaluation | None = None


def synset_names(dataset: Path, synsets: Path | None = None) -> dict[str, str]:
    """wnid -> readable name: the shipped WordNet names, then ``--synsets`` or a synset
    list in the dataset folder over them."""
    candidates = [synsets] if synsets is not None else [dataset / n for n in SYNSET_FILES]
    for path in candidates:
        if path.is_file():
            names = dict(class_names())
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                wnid, _, rest = line.strip().partition(" ")
                if wnid:
                    names[wnid] = rest.split(",")[0].strip()
            return names
    if synsets is not None:
        raise EnvironmentProblem(
            f"synset list {synsets} does not exist",
            "give the LOC_synset_mapping.txt of the ImageNet devkit, or leave --synsets out",
        )
    return dict(class_names())


def run_evaluate(
    path: Path,
    context: RunContext,
    *,
    match_file: Path | None = None,
    progress: ProgressSink | None = None,
    ground_truth: Path | None = None,
    cache: bool = True,
    platform_files: frozenset[str] = frozenset(),
    truth_cache: TruthCache | None = None,
) -> Scored:
    """Check ``path`` against ``context``'s split (validation if unset), then score it if
    the check passed.

    A scoring program (`submitkit score`) names its own split and
    ``ground_truth`` folder: the reference data of a competition may hold test
    ground truth, laid out by the bundle rather than as a dataset copy.
    ``cache``: take decoded ground truth from (and add it to) the user's ground-truth cache.
    ``platform_files``: root names the platform added (see ``run_check``).
    ``truth_cache``: a given cache of the ground truth, used instead of the user's.
    """
    sink = progress or NoProgress()
    context = scoring_context(context, matching=False)
    run = validation_check(path, context, sink, match_file, ground_truth, platform_files)
    if not header_stage_passed(run, sink):
        return Scored(check=run)
    assert run.manifest is not None
    k = run.manifest.track
    if ground_truth is None:
        assert context.sources.dataset is not None
        ground_truth = ground_truth_dir(context.sources.dataset, k)
    names = list(run.manifest.images)
    passed = score_pass(
        pass_tasks(run, names),
        ground_truth,
        k,
        table=table_for(run.match, k),
        jobs=context.jobs,
        progress=sink.stage("Checking and scoring masks", len(names)),
        truth_cache=truth_cache or (TruthCache.for_folder(ground_truth) if cache else None),
    )
    finish_pass(run, passed)
    if not scorable(run) or not passed.complete:
        # A mask that could not be read, or an id the evaluator would choke on: no score.
        return Scored(check=run)
    evaluation = evaluation_of(passed, k, matched=run.match is not None)
    evaluation.warnings = [_match_hint(d, run.report) for d in evaluation.warnings]
    return Scored(check=run, evaluation=evaluation)


def _match_hint(diag: Diagnostic, report: Report) -> Diagnostic:
    """E001's hint as the two commands to run, with this run's submission and sources."""
    if diag.code is not Code.IDS_LOOK_UNMATCHED:
        return diag
    out = fresh_path("match.json")
    given = report.given
    track = ["--track", str(given.track)] if given.track is not None else []
    match = command("match", report.submission, *given.sources(), *track, "-o", out)
    evaluate = command("evaluate", report.submission, *given.sources(), *track, "--match", out)
    hint = f"run `{match}`, then `{evaluate}`"
    return diag.model_copy(update={"hint": hint})


def evaluation_document(
    path: Path,
    evaluation: Evaluation,
    naming: Naming,
    check: Report,
    *,
    bootstrap: BootstrapRequest | None = None,
    confusions: int = DEFAULT_CONFUSIONS,
) -> EvaluationOutput:
    """Everything `evaluate` reports about one scored run, named for people; ``check`` is
    the report of the check that ran first (with the scoring pass's findings), whose
    protocol (given, or declared in method.txt) is the run's."""
    assert evaluation.scores is not None, "only a complete evaluation has a document"
    counts = evaluation.counts
    rows = class_scores(evaluation.scores, naming, counts)
    document = EvaluationOutput(
        submission=str(path),
        track=evaluation.k,
        protocol=check.protocol.value if check.protocol is not None else None,
        images=len(evaluation.images),
        matched=evaluation.matched,
        scores=evaluation.scores,
        classes=rows,
        confusions=confusion_rows(counts, naming, confusions) if counts is not None else [],
        check=check,
    )
    document._counts = counts
    document._truth_from_cache = evaluation.truth_from_cache
    if bootstrap is not None and counts is not None:
        document.intervals = intervals(counts, bootstrap, rows)
        document.bootstrap = bootstrap.info()
        document.bootstrap.note = bias_note(evaluation.scores, document.intervals, rows)
    return document


def report_images(scored: Scored, dataset: Path, count: int) -> list[WorstImage]:
    """Thumbnails of the ``count`` worst images of a scored run, for the HTML report."""
    run, evaluation = scored.check, scored.evaluation
    if evaluation is None or run.layout is None or count <= 0:
        return []
    k = evaluation.k
    return worst_images(
        evaluation,
        run.layout.source.ref,
        ground_truth_dir(dataset, k),
        dataset_split_dir(dataset, TRACKS[k], Split.validation),
        run.match if evaluation.matched else None,
        count,
    )


def evaluate_submission(
    path: Path,
    context: RunContext,
    *,
    match_file: Path | None = None,
    request: EvaluateRequest | None = None,
    progress: ProgressSink | None = None,
) -> EvaluationOutput:
    """Check, then score ``path``; add intervals and confusions and write the files asked for.

    Validation predictions only: the split is validation whatever ``context`` says.
    """
    asked = request or EvaluateRequest()
    sources = context.sources
    inputs = Inputs.of(path, *sources.paths, match_file, asked.synsets)
    for output in (asked.per_image, asked.plot, asked.html, asked.save_counts):
        if output is not None:
            check_target(output, replace=True, exists_hint="", inputs=inputs)
            inputs = inputs.adding(output)  # two outputs never share a path
    if asked.synsets is not None and sources.dataset is not None:
        synset_names(sources.dataset, asked.synsets)  # a missing list fails before the work
    scored = run_evaluate(
        path,
        context.but(split=Split.validation),
        match_file=match_file,
        progress=progress,
        cache=asked.cache,
    )
    report = scored.check.report.model_copy(deep=True)
    evaluation = scored.evaluation
    if evaluation is not None:
        report.diagnostics = [*report.diagnostics, *evaluation.diagnostics]
    if evaluation is None or evaluation.scores is None:
        return EvaluationOutput(submission=str(path), track=report.track, check=report)
    assert sources.dataset is not None and scored.check.manifest is not None
    naming = Naming(scored.check.manifest.categories, synset_names(sources.dataset, asked.synsets))
    document = evaluation_document(
        path,
        evaluation,
        naming,
        report,
        bootstrap=asked.bootstrap,
        confusions=asked.confusions,
    )
    document.warnings = list(evaluation.warnings)
    _write_outputs(document, scored, sources.dataset, asked)
    return document


def _write_outputs(
    document: EvaluationOutput, scored: Scored, dataset: Path, asked: EvaluateRequest
) -> None:
    evaluation = scored.evaluation
    assert evaluation is not None
    if asked.per_image is not None:
        write_text_atomic(asked.per_image, per_image_csv(evaluation.images))
        document.per_image = str(asked.per_image)
    if asked.plot is not None:
        _plot(document, asked.plot)
        document.plot = str(asked.plot)
    if asked.html is not None:
        # The page is render's to write (render/html_report.py write_report): the workflow
        # hands over its data, the worst images included.
        document._worst_images = report_images(scored, dataset, asked.worst)
        document.html = str(asked.html)
    if asked.save_counts is not None and evaluation.counts is not None:
        document.counts_file = str(asked.save_counts)
        data = {
            "kind": COUNTS_KIND,
            "evaluation": document.to_document(),
            "counts": counts_document(evaluation.counts),
        }
        write_text_atomic(asked.save_counts, json.dumps(data, separators=(",", ":")))


def _plot(document: EvaluationOutput, out: Path) -> None:
    # Pillow is needed only for the chart: imported when one is asked for.
    from submitkit.benchmark.tracks import TRACKS
    from submitkit.workflows.preview import plot_class_iou

    by_id = sorted(document.classes, key=lambda row: row.id)
    labels = [" ".join(filter(None, (str(r.id), r.wnid, r.name))) for r in by_id]
    track = TRACKS[document.track].name if document.track in TRACKS else ""
    name = Path(document.submission).name or document.submission
    title = f"Per-class IoU: {name} ({track} validation)"
    plot_class_iou([r.IoU for r in by_id], labels, out, title=title)
