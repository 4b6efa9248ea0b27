"""Every command's workflow from one `Settings`, for the CLI and for the Python API.

Each command resolves what a run is about (sources, track, split, protocol,
jobs) into one :class:`~submitkit.inputs.config.Settings`, from
``[tool.submitkit]`` in pyproject.toml, then ``SUBMITKIT_*`` variables, then
its flags. The ``*_with`` functions take that object and run the workflow;
the command renders what they return. The public functions (``submitkit.check``,
``evaluate`` and friends, :mod:`submitkit.facade`) resolve their keyword
arguments by the same rule and call the same ``*_with`` function.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from submitkit.checks.report import Report
from submitkit.checks.staged import run_check
from submitkit.core.errors import UsageError
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import (
    RunContext,
    Settings,
    submission_of,
)
from submitkit.scoring.matching import MatchLevel
from submitkit.workflows.analysis import BootstrapRequest
from submitkit.workflows.compare import ComparisonOutput, Run, compare_runs, load_run
from submitkit.workflows.evaluate import EvaluateRequest, EvaluationOutput, evaluate_submission
from submitkit.workflows.fix import FixResult, fix_in_place, fix_submission
from submitkit.workflows.match import MatchOutput, TieBreak, match_and_write
from submitkit.workflows.pack import DEFAULT_MAX_SIZE, PackResult, pack_submission

# --- one workflow per command, from settings -------------------------------------------


def check_with(settings: Settings, *, progress: ProgressSink | None = None) -> Report:
    """`submitkit check`: the staged check of ``settings.submission``."""
    return run_check(submission_of(settings), RunContext.of(settings), progress=progress).report


def evaluate_with(
    settings: Settings,
    path: Path,
    *,
    match_file: Path | None = None,
    request: EvaluateRequest | None = None,
    progress: ProgressSink | None = None,
) -> EvaluationOutput:
    """`submitkit evaluate`: check, then the official metrics on validation ground truth."""
    return evaluate_submission(
        path, RunContext.of(settings), match_file=match_file, request=request, progress=progress
    )


def match_with(
    settings: Settings,
    path: Path,
    output: Path,
    *,
    level: MatchLevel = "image",
    clusters: int | None = None,
    ties: TieBreak | Literal["official"] = "munkres3",
    overwrite: bool = False,
    progress: ProgressSink | None = None,
) -> MatchOutput:
    """`submitkit match`: check, match predicted ids to classes, write match.json."""
    return match_and_write(
        path,
        output,
        RunContext.of(settings),
        level=level,
        clusters=clusters,
        ties=ties,
        overwrite=overwrite,
        progress=progress,
    )


def compare_with(
    settings: Settings,
    a: Path,
    b: Path,
    *,
    request: BootstrapRequest,
    synsets: Path | None = None,
    progress: ProgressSink | None = None,
) -> ComparisonOutput:
    """`submitkit compare`: the paired bootstrap of B - A (each a submission or counts file)."""

    def evaluate_path(path: Path) -> Run:
        document = evaluate_with(
            settings, path, request=EvaluateRequest(synsets=synsets), progress=progress
        )
        return Run(str(path), document, document.counts)

    return compare_runs(load_run(a, evaluate_path), load_run(b, evaluate_path), request)


def pack_with(
    settings: Settings,
    *,
    output: Path | None = None,
    method_file: Path | None = None,
    overwrite: bool = False,
    optimize: bool = False,
    dry_run: bool = False,
    max_size: int = DEFAULT_MAX_SIZE,
    progress: ProgressSink | None = None,
) -> PackResult:
    """`submitkit pack`: check, then the deterministic upload zip."""
    return pack_submission(
        submission_of(settings),
        RunContext.of(settings),
        output=output,
        method_file=method_file,
        method_config=settings.method,
        overwrite=overwrite,
        optimize=optimize,
        dry=dry_run,
        max_size=max_size,
        progress=progress,
    )


def fix_with(
    settings: Settings,
    path: Path,
    output: Path | None,
    *,
    in_place: bool = False,
    apply_match: bool = False,
    drop_extra: bool = False,
    from_labels: Literal["imagenet1k"] | None = None,
    synsets: Path | None = None,
    progress: ProgressSink | None = None,
) -> FixResult:
    """`submitkit fix`: a repaired copy of the submission (or, asked, the submission
    repaired in place), checked. Exactly one of ``output`` and ``in_place``."""
    if in_place and output is not None:
        raise UsageError(
            "--in-place and -o both say where the repair goes", "give only one of them"
        )
    if in_place:
        return fix_in_place(
            path,
            RunContext.of(settings),
            apply_match=apply_match,
            drop_extra=drop_extra,
            from_labels=from_labels,
            synsets=synsets,
            progress=progress,
        )
    if output is None:
        raise UsageError(
            "fix needs -o OUT (a new copy) or --in-place",
            "add -o with a path that does not exist, or --in-place to repair the submission",
        )
    return fix_submission(
        path,
        output,
        RunContext.of(settings),
        apply_match=apply_match,
        drop_extra=drop_extra,
        from_labels=from_labels,
        synsets=synsets,
        progress=progress,
    )
