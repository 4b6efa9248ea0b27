"""`evaluate` and `match` as workflows: check the submission first, then score it.

The server would crash on (or silently mis-score) a submission the check
rejects, so no score is computed for one; the check's report is returned
instead. Scoring itself lives in metrics.py, matching.py and evaluate.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from submitkit.benchmark.protocols import MANY_TO_ONE_PROTOCOLS, Protocol
from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.checks.staged import CheckRun, run_check
from submitkit.core.diagnostics import Diagnostic, Severity
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.progress import NoProgress, ProgressSink
from submitkit.inputs.manifest import ManifestSources
from submitkit.scoring.engine import Evaluation, evaluate, match_submission
from submitkit.scoring.matching import Matching, MatchLevel, solve
from submitkit.scoring.metrics import Scores

SYNSET_FILES = ("LOC_synset_mapping.txt", "synset_words.txt", "synsets.txt")
"""Files of ``wnid name, synonyms`` lines a dataset folder may hold."""


class ClassScore(BaseModel):
    """One row of the per-class table."""

    id: int
    wnid: str | None
    name: str | None
    IoU: float
    BIoU: float


class EvaluationOutput(BaseModel):
    """What `submitkit evaluate --format json` prints."""

    schema_version: int = 1
    submission: str
    track: int
    images: int
    matched: bool
    scores: Scores
    classes: list[ClassScore]
    """Classes 0..K, worst IoU first."""


class MatchCandidate(BaseModel):
    """One way of matching, and the validation score it yields."""

    level: MatchLevel
    many_to_one: bool
    agreement: int
    mIoU: float
    chosen: bool


def blocks_scoring(diag: Diagnostic) -> bool:
    """Whether an error would crash the official evaluator or corrupt its score."""
    return diag.severity is Severity.error and diag.code.policy.blocks_scoring


def scorable(run: CheckRun) -> bool:
    return not any(blocks_scoring(d) for d in run.report.diagnostics)


class MatchOutput(BaseModel):
    """What `submitkit match --format json` prints."""

    schema_version: int = 1
    output: str
    """The match.json written."""
    mapping: dict[str, int]
    """Its content: predicted id (decimal string) -> class."""
    candidates: list[MatchCandidate]


@dataclass
class Scored:
    """The check that ran first, and the evaluation when the check passed."""

    check: CheckRun
    evaluation: Evaluation | None = None


def ground_truth_dir(dataset: Path, k: int) -> Path:
    """``<dataset>/ImageNetS{K}/validation-segmentation`` (the track folder is accepted)."""
    folder = TRACKS[k].folder
    for candidate in (
        dataset / folder / "validation-segmentation",
        dataset / "validation-segmentation",
    ):
        if candidate.is_dir():
            return candidate
    raise EnvironmentProblem(
        f"{dataset} has no {folder}/validation-segmentation folder",
        "point --dataset at the ImageNet-S copy that holds the validation ground truth",
    )


def synset_names(dataset: Path, synsets: Path | None = None) -> dict[str, str]:
    """wnid -> readable name, from ``--synsets`` or a synset list in the dataset folder."""
    candidates = [synsets] if synsets is not None else [dataset / n for n in SYNSET_FILES]
    for path in candidates:
        if path.is_file():
            names = {}
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                wnid, _, rest = line.strip().partition(" ")
                if wnid:
                    names[wnid] = rest.split(",")[0].strip()
            return names
    if synsets is not None:
        raise EnvironmentProblem(f"synset list {synsets} does not exist")
    return {}


def _validation_check(
    path: Path,
    sources: ManifestSources,
    track: int | None,
    protocol: Protocol | None,
    jobs: int,
    quick: bool,
    progress: ProgressSink,
    match_file: Path | None = None,
    split: Split = Split.validation,
    ground_truth: Path | None = None,
) -> CheckRun:
    if sources.dataset is None and ground_truth is None:
        raise UsageError("scoring needs the ground truth", "give --dataset DIR")
    return run_check(
        path,
        sources=sources,
        track=track,
        split=split,
        protocol=protocol,
        quick=quick,
        jobs=jobs,
        progress=progress,
        match_file=match_file,
    )


def run_evaluate(
    path: Path,
    sources: ManifestSources,
    *,
    track: int | None = None,
    protocol: Protocol | None = None,
    match_file: Path | None = None,
    jobs: int = 0,
    progress: ProgressSink | None = None,
    split: Split = Split.validation,
    ground_truth: Path | None = None,
) -> Scored:
    """Check ``path`` against the validation split, then score it if the check passed.

    A scoring program (`submitkit score`) names its own ``split`` and
    ``ground_truth`` folder: the reference data of a competition may hold test
    ground truth, laid out by the bundle rather than as a dataset copy.
    """
    sink = progress or NoProgress()
    run = _validation_check(
        path, sources, track, protocol, jobs, False, sink, match_file, split, ground_truth
    )
    if not scorable(run) or run.manifest is None or run.layout is None:
        return Scored(check=run)
    k = run.manifest.track
    if ground_truth is None:
        assert sources.dataset is not None
        ground_truth = ground_truth_dir(sources.dataset, k)
    names = list(run.manifest.images)
    evaluation = evaluate(
        run.layout.source,
        ground_truth,
        names,
        k,
        match=run.match,
        jobs=jobs,
        progress=sink.stage("Scoring", len(names)),
    )
    return Scored(check=run, evaluation=evaluation)


def class_scores(scores: Scores, categories: list[str], names: dict[str, str]) -> list[ClassScore]:
    """Per-class rows, worst IoU first; wnids only when the category list is complete."""
    k = len(scores.IoUs) - 1
    complete = len(categories) == k
    rows = []
    for class_id, (iou, biou) in enumerate(zip(scores.IoUs, scores.BIoUs, strict=True)):
        wnid = categories[class_id - 1] if complete and class_id > 0 else None
        name = "other" if class_id == 0 else names.get(wnid or "")
        rows.append(ClassScore(id=class_id, wnid=wnid, name=name, IoU=iou, BIoU=biou))
    return sorted(rows, key=lambda r: (r.IoU, r.id))


@dataclass
class Matched:
    """The check that ran first, and the matchings when it passed."""

    check: CheckRun
    candidates: list[MatchCandidate]
    chosen: Matching | None = None
    mapping: dict[int, int] | None = None
    """The chosen matching over every id 0..clusters: what was scored and is written."""


def run_match(
    path: Path,
    sources: ManifestSources,
    *,
    track: int | None = None,
    protocol: Protocol | None = None,
    level: MatchLevel = "image",
    clusters: int | None = None,
    jobs: int = 0,
    progress: ProgressSink | None = None,
) -> Matched:
    """Match predicted ids to classes on the validation split and score each matching.

    The official image-level Hungarian matching and a pixel-level one are both
    scored; with ``clusters`` above K a many-to-one matching is added (and
    chosen), which only the fully unsupervised protocol admits.
    """
    sink = progress or NoProgress()
    # Cluster ids may exceed K before matching, so the pixel-range checks cannot apply.
    run = _validation_check(path, sources, track, protocol, jobs, True, sink)
    if not scorable(run) or run.manifest is None or run.layout is None:
        return Matched(check=run, candidates=[])
    k = run.manifest.track
    many = clusters is not None and clusters > k
    if many and protocol is not None and protocol not in MANY_TO_ONE_PROTOCOLS:
        raise UsageError(
            f"--clusters {clusters} needs a many-to-one matching, which the "
            f"{protocol.label} protocol does not admit",
            "use --clusters at most K, or submit to the fully unsupervised protocol",
        )
    assert sources.dataset is not None
    gt = ground_truth_dir(sources.dataset, k)
    names = list(run.manifest.images)
    stats = match_submission(
        run.layout.source,
        gt,
        names,
        k,
        clusters=clusters,
        jobs=jobs,
        progress=sink.stage("Gathering agreement", len(names)),
    ).statistics
    options: list[tuple[MatchLevel, bool]] = [("image", False), ("pixel", False)]
    if many:
        options.append((level, True))
    chosen_option = (level, many)
    candidates: list[MatchCandidate] = []
    chosen: Matching | None = None
    chosen_mapping: dict[int, int] | None = None
    for option_level, option_many in options:
        matching = solve(stats, level=option_level, many=option_many)
        total = _total(matching.mapping, clusters or k)
        scored = evaluate(
            run.layout.source,
            gt,
            names,
            k,
            match=total,
            jobs=jobs,
            progress=sink.stage(f"Scoring the {option_level}-level matching", len(names)),
        )
        is_chosen = (option_level, option_many) == chosen_option
        if is_chosen:
            chosen, chosen_mapping = matching, total
        candidates.append(
            MatchCandidate(
                level=option_level,
                many_to_one=option_many,
                agreement=matching.agreement,
                mIoU=scored.scores.mIoU if scored.scores is not None else float("nan"),
                chosen=is_chosen,
            )
        )
    return Matched(check=run, candidates=candidates, chosen=chosen, mapping=chosen_mapping)


def _total(mapping: dict[int, int], top: int) -> dict[int, int]:
    """Every id 0..top mapped: ids the matching left free go to "other" (0)."""
    return {i: mapping.get(i, 0) for i in range(top + 1)}
