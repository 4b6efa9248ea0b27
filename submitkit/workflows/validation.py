"""What `evaluate` and `match` share: the check against validation ground truth, then the one pass.

The check's header, name and method stages run first; its pixel stage runs
inside the scoring pass (:func:`submitkit.scoring.engine.score_pass`), so each
prediction and each ground-truth mask is decoded once: the pass reads the
check's own prediction records (:func:`pass_tasks`) and hands each result back
under its key (:func:`finish_pass`). The server would crash on (or silently
mis-score) a submission the check rejects, or one with a mask that cannot be
read, so no score is computed for one; the check's report is returned instead.
"""

from __future__ import annotations

from pathlib import Path

from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.checks.commands import Given, command
from submitkit.checks.masks import inspect_masks
from submitkit.checks.names import best_other_list
from submitkit.checks.staged import CheckRun, run_check
from submitkit.core.diagnostics import Diagnostic, Severity
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import RunContext
from submitkit.inputs.layout import Prediction, read_layout
from submitkit.inputs.manifest import TRUTH_FOLDER, ManifestSources, dataset_truth_dir
from submitkit.inputs.source import open_source
from submitkit.scoring.engine import ScorePass


def blocks_scoring(diag: Diagnostic) -> bool:
    """Whether an error would crash the official evaluator or corrupt its score."""
    return diag.severity is Severity.error and diag.code.policy.blocks_scoring


def scorable(run: CheckRun) -> bool:
    return not any(blocks_scoring(d) for d in run.report.diagnostics)


def ground_truth_dir(dataset: Path, k: int) -> Path:
    """``<dataset>/ImageNetS{K}/validation-segmentation`` (the track folder is accepted)."""
    found = dataset_truth_dir(dataset, TRACKS[k])
    if found is None:
        raise EnvironmentProblem(
            f"{dataset} has no {TRACKS[k].folder}/{TRUTH_FOLDER} folder",
            "point --dataset at the ImageNet-S copy that holds the validation ground truth",
        )
    return found


def scoring_context(context: RunContext, *, matching: bool) -> RunContext:
    """The context a scoring run's check runs under: the validation split (for `evaluate`,
    the split a scoring program named, the reference's); never strict (a warning never
    withholds a score); quick when matching (cluster ids may exceed K before they are
    matched, so the pixel-range checks cannot apply)."""
    split = Split.validation if matching else context.split or Split.validation
    return context.but(split=split, quick=matching, strict=False)


def validation_check(
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


def header_stage_passed(run: CheckRun, progress: ProgressSink) -> bool:
    """Whether scoring may start; if not, the check is completed here for its report."""
    if scorable(run) and run.manifest is not None and run.layout is not None:
        return True
    run.run_pixels(run.context.jobs, progress.stage("Checking masks", len(run.tasks)))
    return False


def pass_tasks(run: CheckRun, names: list[str]) -> list[Prediction]:
    """The check's own records for the images to score (one the layout lacks reads as
    missing)."""
    layout = run.layout
    assert layout is not None
    return [run.tasks.get(key) or layout.prediction(key, None) for key in names]


def finish_pass(run: CheckRun, passed: ScorePass) -> None:
    """Hand the pass's pixel stage to the check, in the check's order; predictions
    outside the list are decoded here."""
    results = dict(passed.masks)
    others = [task for key, task in run.tasks.items() if key not in results]
    inspected = inspect_masks(others, jobs=run.context.jobs)
    results.update(zip([t.key for t in others], inspected, strict=True))
    ordered = [results.pop(key) for key in run.tasks]
    ordered += results.values()  # listed images without a prediction, in list order
    run.finish_pixels(ordered, passed.diagnostics)
