"""`evaluate` and `match` as workflows: the staged check and the scoring, in one pass.

The check's header, name and method stages run first; its pixel stage runs
inside the scoring pass (:func:`submitkit.scoring.engine.score_pass`), so each
prediction and each ground-truth mask is decoded once. The server would crash
on (or silently mis-score) a submission the check rejects, or one with a mask
that cannot be read, so no score is computed for one; the check's report is
returned instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr

from submitkit.benchmark.class_names import class_names
from submitkit.benchmark.protocols import MANY_TO_ONE_PROTOCOLS
from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.checks.commands import Given, command, fresh_path
from submitkit.checks.masks import inspect_masks
from submitkit.checks.names import best_other_list
from submitkit.checks.report import Report
from submitkit.checks.staged import CheckRun, run_check
from submitkit.core.diagnostics import Code, Diagnostic, Severity
from submitkit.core.document import Document
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.progress import NoProgress, ProgressSink
from submitkit.inputs.config import RunContext
from submitkit.inputs.layout import Prediction, read_layout
from submitkit.inputs.manifest import (
    TRUTH_FOLDER,
    ManifestSources,
    dataset_split_dir,
    dataset_truth_dir,
)
from submitkit.inputs.source import open_source
from submitkit.scoring.bootstrap import BootstrapInfo
from submitkit.scoring.counts import PerImageCounts
from submitkit.scoring.engine import (
    Evaluation,
    ScorePass,
    evaluation_of,
    score_pass,
    table_for,
)
from submitkit.scoring.matching import (
    Matching,
    MatchLevel,
    MatchStatistics,
    hungarian,
    many_to_one,
    mapped_miou,
)
from submitkit.scoring.metrics import Scores
from submitkit.scoring.tiebreak import munkres1_mapping, official_mapping, pass_mapping
from submitkit.scoring.ties import Ties, find_ties
from submitkit.scoring.truth_cache import TruthCache
from submitkit.workflows.analysis import (
    DEFAULT_CONFUSIONS,
    BootstrapRequest,
    ClassScore,
    ConfusionRow,
    Naming,
    WorstImage,
    bias_note,
    class_scores,
    confusion_rows,
    intervals,
    worst_images,
)

TieBreak = Literal["munkres3", "munkres1", "pass", "any"]
"""Which optimal image-level assignment is written where several tie, named for the code
it reproduces: evaluation/match.py under munkres 3.x (what `pip install munkres` gives
since 2026-10) or 1.x (1.1.4: the old leaderboards and most published dictionaries),
PASS's ``inference.py`` (integer costs), or ``any`` (SciPy's optimum)."""

TIE_ALIASES: dict[str, TieBreak] = {"official": "munkres3"}
"""Earlier names: ``official`` was the munkres 3.x tie-break before 1.x was reproduced."""

_TIE_MAPPINGS = {
    "munkres3": lambda square, count: official_mapping(square, count),
    "munkres1": lambda square, count: munkres1_mapping(square, count),
    "pass": lambda square, count: pass_mapping(square),
}

SYNSET_FILES = ("LOC_synset_mapping.txt", "synset_words.txt", "synsets.txt")
"""Files of ``wnid name, synonyms`` lines a dataset folder may hold."""


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


class MatchCandidate(BaseModel):
    """One way of matching, and the validation score it yields."""

    level: MatchLevel
    many_to_one: bool
    agreement: int
    mIoU: float
    chosen: bool
    tie_break: TieBreak | None = None
    """For the one-to-one image-level matching: which optimal assignment was taken."""


def blocks_scoring(diag: Diagnostic) -> bool:
    """Whether an error would crash the official evaluator or corrupt its score."""
    return diag.severity is Severity.error and diag.code.policy.blocks_scoring


def scorable(run: CheckRun) -> bool:
    return not any(blocks_scoring(d) for d in run.report.diagnostics)


class MatchOutput(Document):
    """What `submitkit match` found: the check, then the matchings when it passed."""

    kind: ClassVar[str] = "match"
    schema_file: ClassVar[str] = "match-run.schema.json"

    submission: str
    output: str | None = None
    """The match.json written; ``None`` when the check blocked matching."""
    mapping: dict[str, int] | None = None
    """Its content: predicted id (decimal string) -> class."""
    candidates: list[MatchCandidate] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    """Why the matching written is the one written, where another scores higher."""
    ties: Ties | None = None
    """Set when the optimal image-level assignment is not unique (null: unique, or not
    examined because --clusters exceeds K)."""
    check: Report
    """The check that ran first."""

    _statistics: MatchStatistics | None = PrivateAttr(default=None)

    @property
    def statistics(self) -> MatchStatistics | None:
        """The agreement statistics every candidate was scored from (kept out of the JSON);
        ``None`` when the check or an unreadable mask stopped the pass."""
        return self._statistics

    def is_failure(self) -> bool:
        return self.mapping is None


@dataclass
class Scored:
    """The check that ran first, and the evaluation when the check passed."""

    check: CheckRun
    evaluation: Evaluation | None = None


def ground_truth_dir(dataset: Path, k: int) -> Path:
    """``<dataset>/ImageNetS{K}/validation-segmentation`` (the track folder is accepted)."""
    found = dataset_truth_dir(dataset, TRACKS[k])
    if found is None:
        raise EnvironmentProblem(
            f"{dataset} has no {TRACKS[k].folder}/{TRUTH_FOLDER} folder",
            "point --dataset at the ImageNet-S copy that holds the validation ground truth",
        )
    return found


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


def _validation_check(
    path: Path,
    context: RunContext,
    progress: ProgressSink,
    match_file: Path | None = None,
    ground_truth: Path | None = None,
    platform_files: frozenset[str] = frozenset(),
) -> CheckRun:
    sources = context.sources
    if sources.dataset is None and ground_truth is None:
        raise UsageError("scoring needs the ground truth", "give --dataset DIR")
    if ground_truth is None and context.track is None:
        _refuse_test_predictions(path, sources)
    return run_check(
        path,
        context,
        progress=progress,
        match_file=match_file,
        defer_pixels=True,
        platform_files=platform_files,
    )


def _refuse_test_predictions(path: Path, sources: ManifestSources) -> None:
    """UsageError when the predictions are a test split's: there is no ground truth to score.

    Their names (with --toolbox) or their count name the test list; guessing a
    validation list instead (the 919 track's holds many test images of the 50 and
    300 tracks) would only fail later on a ground-truth folder the copy lacks.
    """
    predictions = list(read_layout(open_source(path)).predictions)
    stems = {key.split("/", 1)[-1] for key in predictions}
    found = best_other_list(stems, sources, None, whole=True) if stems else None
    if found is not None:
        pair: tuple[int, Split] | None = found[0]
    else:
        n = len(predictions)
        sizes = [(k, s) for k in TRACKS for s in Split if TRACKS[k].count(s) == n]
        pair = sizes[0] if len(sizes) == 1 else None
    if pair is None or pair[1] is not Split.test:
        return
    k = pair[0]
    check = command("check", path, *_sources_of(sources), "--track", str(k), "--split", "test")
    raise UsageError(
        f"these {len(predictions)} predictions are {TRACKS[k].name}'s test images: evaluate "
        "scores validation predictions against their ground truth, which the test split "
        "does not publish (the leaderboard scores test predictions)",
        f"check them for the upload: `{check}`",
    )


def _sources_of(sources: ManifestSources) -> list[str]:
    # Only the official lists: a validation manifest or a copy without the test
    # folder would stop the check as printed.
    return Given(toolbox=sources.toolbox).sources()


def _header_stage_passed(run: CheckRun, progress: ProgressSink) -> bool:
    """Whether scoring may start; if not, the check is completed here for its report."""
    if scorable(run) and run.manifest is not None and run.layout is not None:
        return True
    run.run_pixels(run.context.jobs, progress.stage("Checking masks", len(run.tasks)))
    return False


def _pass_tasks(run: CheckRun, names: list[str]) -> list[Prediction]:
    """The check's own records for the images to score (one the layout lacks reads as
    missing)."""
    layout = run.layout
    assert layout is not None
    return [run.tasks.get(key) or layout.prediction(key, None) for key in names]


def _finish(run: CheckRun, passed: ScorePass) -> None:
    """Hand the pass's pixel stage to the check, in the check's order; predictions
    outside the list are decoded here."""
    results = dict(passed.masks)
    others = [task for key, task in run.tasks.items() if key not in results]
    inspected = inspect_masks(others, jobs=run.context.jobs)
    results.update(zip([t.key for t in others], inspected, strict=True))
    ordered = [results.pop(key) for key in run.tasks]
    ordered += results.values()  # listed images without a prediction, in list order
    run.finish_pixels(ordered, passed.diagnostics)


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
    context = context.but(split=context.split or Split.validation, quick=False, strict=False)
    run = _validation_check(path, context, sink, match_file, ground_truth, platform_files)
    if not _header_stage_passed(run, sink):
        return Scored(check=run)
    assert run.manifest is not None
    k = run.manifest.track
    if ground_truth is None:
        assert context.sources.dataset is not None
        ground_truth = ground_truth_dir(context.sources.dataset, k)
    names = list(run.manifest.images)
    passed = score_pass(
        _pass_tasks(run, names),
        ground_truth,
        k,
        table=table_for(run.match, k),
        jobs=context.jobs,
        progress=sink.stage("Checking and scoring masks", len(names)),
        truth_cache=truth_cache or (TruthCache.for_folder(ground_truth) if cache else None),
    )
    _finish(run, passed)
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


@dataclass
class Matched:
    """The check that ran first, and the matchings when it passed."""

    check: CheckRun
    candidates: list[MatchCandidate]
    chosen: Matching | None = None
    mapping: dict[int, int] | None = None
    """The chosen matching over every id 0..clusters: what was scored and is written."""
    notes: list[str] = field(default_factory=list)
    ties: Ties | None = None
    statistics: MatchStatistics | None = None
    """The agreement statistics of the pass, when it read every mask."""


def run_match(
    path: Path,
    context: RunContext,
    *,
    level: MatchLevel = "image",
    clusters: int | None = None,
    ties: TieBreak = "munkres3",
    progress: ProgressSink | None = None,
) -> Matched:
    """Match predicted ids to classes on the validation split and score each matching.

    One pass over the masks gathers the agreement statistics; every candidate is
    scored from them (:func:`mapped_miou`). The image-level Hungarian matching
    (with the tie-break ``ties`` names) and a pixel-level one are scored;
    with ``clusters`` above K both many-to-one matchings are added and the one at
    ``level`` is chosen, which only the fully unsupervised protocol admits.
    """
    sink = progress or NoProgress()
    # Cluster ids may exceed K before matching, so the pixel-range checks cannot apply.
    context = context.but(split=Split.validation, quick=True, strict=False)
    run = _validation_check(path, context, sink)
    if not _header_stage_passed(run, sink):
        return Matched(check=run, candidates=[])
    assert run.manifest is not None
    k = run.manifest.track
    many = clusters is not None and clusters > k
    # The protocol the check settled on: given, or else the one method.txt declares.
    protocol = run.context.protocol
    if many and protocol is not None and protocol not in MANY_TO_ONE_PROTOCOLS:
        raise UsageError(
            f"--clusters {clusters} needs a many-to-one matching, which the "
            f"{protocol.label} protocol does not admit",
            "use --clusters at most K, or submit to the fully unsupervised protocol",
        )
    assert context.sources.dataset is not None
    names = list(run.manifest.images)
    passed = score_pass(
        _pass_tasks(run, names),
        ground_truth_dir(context.sources.dataset, k),
        k,
        clusters=clusters or k,
        jobs=context.jobs,
        progress=sink.stage("Checking masks and gathering agreement", len(names)),
    )
    _finish(run, passed)
    if not scorable(run) or not passed.complete:
        # Statistics without the masks that could not be read would write a wrong match.json.
        return Matched(check=run, candidates=[])
    stats = passed.statistics
    assert stats is not None
    if stats.above:
        run.report.diagnostics = [*run.report.diagnostics, _above_finding(stats, clusters)]
        return Matched(check=run, candidates=[], statistics=stats)
    return _choose(run, stats, level, many, ties)


def _above_finding(stats: MatchStatistics, clusters: int | None) -> Diagnostic:
    """E002: ids the matching would leave out, and the flags that would take them in."""
    top = stats.max_id
    limit = f"K = {stats.k}" if clusters is None else f"--clusters {clusters}"
    return Code.IDS_ABOVE_CLUSTERS.at(
        "",
        f"ids up to {top} found, {limit}: over-clustered predictions need "
        f"`--clusters {top} --protocol unsupervised`",
        f"pass --clusters {top} --protocol unsupervised (many-to-one matching); "
        "nothing was written",
    )


def _image_hungarian(stats: MatchStatistics, ties: TieBreak) -> tuple[Matching, TieBreak | None]:
    """The official image-level matching: on the K x K ids 1..K, with the official tie-break.

    With more ids than classes it is no longer the official matching (which looks at ids
    1..K only): the best K ids are matched and no tie-break is claimed.
    """
    if ties != "any" and stats.clusters <= stats.k:
        square = np.zeros((stats.k + 1, stats.k + 1), dtype=np.int64)
        square[: stats.clusters + 1] = stats.images
        mapping = _TIE_MAPPINGS[ties](square, stats.count)
        mapping = {i: c for i, c in mapping.items() if i <= stats.clusters}
        agreement = int(sum(square[i, c] for i, c in mapping.items() if i > 0))
        matching = Matching(mapping=mapping, level="image", many_to_one=False, agreement=agreement)
        return matching, ties
    return hungarian(stats.images, level="image"), ("any" if stats.clusters <= stats.k else None)


def _choose(
    run: CheckRun, stats: MatchStatistics, level: MatchLevel, many: bool, ties: TieBreak
) -> Matched:
    top = stats.clusters
    image, tie_break = _image_hungarian(stats, ties)
    options: list[tuple[Matching, TieBreak | None]] = [
        (image, tie_break),
        (hungarian(stats.pixels, level="pixel"), None),
    ]
    if many:
        options += [(many_to_one(stats.images, level="image", tie_break=stats.pixels), None)]
        options += [(many_to_one(stats.pixels, level="pixel"), None)]
    candidates: list[MatchCandidate] = []
    chosen: Matching | None = None
    for matching, tb in options:
        is_chosen = (matching.level, matching.many_to_one) == (level, many)
        if is_chosen:
            chosen = matching
        candidates.append(
            MatchCandidate(
                level=matching.level,
                many_to_one=matching.many_to_one,
                agreement=matching.agreement,
                mIoU=mapped_miou(stats.pixels, _total(matching.mapping, top)),
                chosen=is_chosen,
                tie_break=tb,
            )
        )
    assert chosen is not None
    found = None
    if stats.clusters == stats.k:
        found = find_ties(stats.images, stats.pixels, image.mapping)
    background = background_finding(stats, _total(chosen.mapping, top))
    if background is not None:
        run.report.diagnostics = [*run.report.diagnostics, background]
    return Matched(
        check=run,
        candidates=candidates,
        chosen=chosen,
        mapping=_total(chosen.mapping, top),
        notes=_notes(candidates),
        ties=found,
        statistics=stats,
    )


def _label(c: MatchCandidate) -> str:
    return f"{c.level}-level {'many-to-one' if c.many_to_one else 'Hungarian'}"


def _notes(candidates: list[MatchCandidate]) -> list[str]:
    """Why the matching written is written although another scores higher on validation:
    the best candidate, and the official one (image-level Hungarian) where it is neither."""
    written = next(c for c in candidates if c.chosen)
    best = max(candidates, key=lambda c: c.mIoU)
    if best.mIoU <= written.mIoU + 1e-9:
        return []
    official = next(c for c in candidates if c.level == "image" and not c.many_to_one)
    if best.many_to_one == written.many_to_one:
        how = f"pass --level {best.level} to write it"
    else:
        how = "a one-to-one matching maps only K of the ids; write it with --clusters K"
    why = (
        "it is the official matching (evaluation/match.py)"
        if written is official
        else f"it is the {written.level}-level matching asked for (--level {written.level})"
    )
    note = (
        f"written: the {_label(written)} ({written.mIoU:.2f}), because {why}; the best on "
        f"validation is the {_label(best)} ({best.mIoU:.2f}): {how}"
    )
    if official is not written and official is not best:
        note += (
            f"; the official {_label(official)} (evaluation/match.py) scores {official.mIoU:.2f}"
        )
    return [note]


BACKGROUND_SHARE = 0.5
"""A predicted id is the background cluster when at least this share of its pixels are
ground-truth background ("other") and it holds more of them than any other id, 0 included."""


def background_finding(stats: MatchStatistics, mapping: dict[int, int]) -> Diagnostic | None:
    """E003: the id that predicts the background is mapped to a class (every background
    pixel it covers then counts against that class)."""
    pixels = stats.pixels[1:]
    if not pixels.size or stats.pixels[:, 0].sum() == 0:
        return None
    cluster = int(np.argmax(pixels[:, 0])) + 1
    own = int(stats.pixels[cluster].sum())
    on_background = int(stats.pixels[cluster, 0])
    target = mapping.get(cluster, 0)
    if target == 0 or own == 0 or on_background < BACKGROUND_SHARE * own:
        return None
    if on_background <= int(stats.pixels[0, 0]):
        return None  # id 0 predicts more of the background: the model's background is 0
    share = on_background / int(stats.pixels[:, 0].sum())
    return Code.BACKGROUND_MAPPED.at(
        "",
        f"id {cluster} is the background cluster ({on_background / own:.0%} of its pixels are "
        f"background, {share:.0%} of all background pixels) and the matching maps it to class "
        f"{target}: its background pixels count against class {target}",
        f"write 0 (other) for id {cluster} in the masks: the matching leaves id 0 as "
        "background and maps ids 1..K to classes",
    )


def _total(mapping: dict[int, int], top: int) -> dict[int, int]:
    """Every id 0..top mapped: ids the matching left free go to "other" (0)."""
    return {i: mapping.get(i, 0) for i in range(top + 1)}


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
