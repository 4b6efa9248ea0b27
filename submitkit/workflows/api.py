"""The Python API: every command's workflow from one `Settings`, for the CLI and for scripts.

Each command resolves what a run is about (sources, track, split, protocol,
jobs) into one :class:`~submitkit.inputs.config.Settings`, from
``[tool.submitkit]`` in pyproject.toml, then ``SUBMITKIT_*`` variables, then
its flags. The ``*_with`` functions take that object and run the workflow;
the command renders what they return. The public functions (``submitkit.check``,
``evaluate``, ``match``, ``compare``, ``pack``, ``fix``) resolve their keyword
arguments by the same rule and call the same ``*_with`` function, so a script
gets the very document the command prints with ``--format json``
(``model_dump(mode="json")``, or ``to_document()`` with the envelope), and a
failure raises the :class:`~submitkit.core.errors.SubmitkitError` whose
message the command prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import Split
from submitkit.checks.report import Report
from submitkit.checks.staged import run_check
from submitkit.core.errors import UsageError
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import (
    PATH_KEYS,
    RunContext,
    Settings,
    load_settings,
    submission_of,
)
from submitkit.scoring.matching import MatchLevel
from submitkit.workflows.analysis import DEFAULT_CONFUSIONS, BootstrapRequest
from submitkit.workflows.compare import ComparisonOutput, Run, compare_runs, load_run
from submitkit.workflows.fix import FixResult, fix_in_place, fix_submission
from submitkit.workflows.pack import DEFAULT_MAX_SIZE, PackResult, pack_submission
from submitkit.workflows.score import EvaluationOutput, MatchOutput, TieBreak
from submitkit.workflows.validation import EvaluateRequest, evaluate_submission, match_and_write

PathLike = str | Path
Track = Literal[50, 300, 919]


def settings_for(**keywords: Any) -> Settings:
    """Keyword arguments over the configuration, as a command's flags are (``None``: unset)."""
    return load_settings(keywords, named=lambda key: f"the argument {key}=")


def _path(value: PathLike | None) -> Path | None:
    return None if value is None else Path(value)


SETTING_ARGUMENTS = frozenset(Settings.model_fields) - {"submission", "method"}
"""Keyword arguments named as the settings they set (pack's ``method`` is a file)."""


def _settings_of(given: Mapping[str, Any], **renamed: Any) -> Settings:
    """A public function's arguments that are settings, picked by name from ``locals()``,
    so the list of settings is written once (on ``Settings``), not once a function."""
    picked = {key: value for key, value in given.items() if key in SETTING_ARGUMENTS}
    for key in PATH_KEYS:
        if key in picked:
            picked[key] = _path(picked[key])
    return settings_for(**picked | renamed)


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


# --- the public functions --------------------------------------------------------------


def check(
    path: PathLike | None = None,
    *,
    toolbox: PathLike | None = None,
    dataset: PathLike | None = None,
    manifest: PathLike | None = None,
    track: Track | None = None,
    split: Split | str | None = None,
    protocol: Protocol | str | None = None,
    quick: bool | None = None,
    strict: bool | None = None,
    jobs: int | None = None,
    progress: ProgressSink | None = None,
) -> Report:
    """Check a submission folder or zip, as `submitkit check` does; returns its report.

    Arguments left ``None`` come from ``SUBMITKIT_*`` variables and
    ``[tool.submitkit]`` in pyproject.toml, as the command's flags do.
    """
    settings = _settings_of(locals(), submission=_path(path))
    return check_with(settings, progress=progress)


def evaluate(
    path: PathLike,
    *,
    dataset: PathLike | None = None,
    track: Track | None = None,
    match: PathLike | None = None,
    toolbox: PathLike | None = None,
    manifest: PathLike | None = None,
    protocol: Protocol | str | None = None,
    synsets: PathLike | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    level: float = 0.95,
    confusions: int = DEFAULT_CONFUSIONS,
    per_image: PathLike | None = None,
    plot: PathLike | None = None,
    html: PathLike | None = None,
    worst: int = 8,
    save_counts: PathLike | None = None,
    cache: bool = True,
    jobs: int | None = None,
    progress: ProgressSink | None = None,
) -> EvaluationOutput:
    """The official validation metrics of a submission, as `submitkit evaluate` reports them.

    The check runs first: when it finds errors that block scoring, ``scores`` is
    ``None`` and ``check`` says why. ``bootstrap`` resamples give ``intervals``;
    ``per_image``, ``plot``, ``html`` and ``save_counts`` write those files.
    """
    settings = _settings_of(locals())
    request = EvaluateRequest(
        synsets=_path(synsets),
        per_image=_path(per_image),
        plot=_path(plot),
        bootstrap=BootstrapRequest(bootstrap, seed, level) if bootstrap else None,
        confusions=confusions,
        save_counts=_path(save_counts),
        html=_path(html),
        worst=worst,
        cache=cache,
    )
    return evaluate_with(
        settings, Path(path), match_file=_path(match), request=request, progress=progress
    )


def match(
    path: PathLike,
    *,
    output: PathLike,
    dataset: PathLike | None = None,
    track: Track | None = None,
    level: MatchLevel = "image",
    clusters: int | None = None,
    ties: TieBreak | Literal["official"] = "munkres3",
    toolbox: PathLike | None = None,
    manifest: PathLike | None = None,
    protocol: Protocol | str | None = None,
    overwrite: bool = False,
    jobs: int | None = None,
    progress: ProgressSink | None = None,
) -> MatchOutput:
    """Match predicted ids to classes on validation ground truth and write ``output``
    (match.json), as `submitkit match` does."""
    settings = _settings_of(locals())
    return match_with(
        settings,
        Path(path),
        Path(output),
        level=level,
        clusters=clusters,
        ties=ties,
        overwrite=overwrite,
        progress=progress,
    )


def compare(
    a: PathLike,
    b: PathLike,
    *,
    dataset: PathLike | None = None,
    track: Track | None = None,
    toolbox: PathLike | None = None,
    manifest: PathLike | None = None,
    protocol: Protocol | str | None = None,
    synsets: PathLike | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    jobs: int | None = None,
    progress: ProgressSink | None = None,
) -> ComparisonOutput:
    """Is B better than A? Each is a submission or a ``save_counts`` file, as in `compare`."""
    request = BootstrapRequest(bootstrap, seed, level)
    settings = _settings_of(locals())
    return compare_with(
        settings, Path(a), Path(b), request=request, synsets=_path(synsets), progress=progress
    )


def pack(
    path: PathLike | None = None,
    *,
    protocol: Protocol | str | None = None,
    output: PathLike | None = None,
    method: PathLike | None = None,
    overwrite: bool = False,
    optimize: bool = False,
    dry_run: bool = False,
    max_size: int = DEFAULT_MAX_SIZE,
    toolbox: PathLike | None = None,
    dataset: PathLike | None = None,
    manifest: PathLike | None = None,
    track: Track | None = None,
    split: Split | str | None = None,
    strict: bool | None = None,
    jobs: int | None = None,
    progress: ProgressSink | None = None,
) -> PackResult:
    """Check, then write the upload zip, as `submitkit pack` does (``max_size`` in bytes)."""
    settings = _settings_of(locals(), submission=_path(path))
    return pack_with(
        settings,
        output=_path(output),
        method_file=_path(method),
        overwrite=overwrite,
        optimize=optimize,
        dry_run=dry_run,
        max_size=max_size,
        progress=progress,
    )


def fix(
    path: PathLike,
    *,
    output: PathLike,
    toolbox: PathLike | None = None,
    dataset: PathLike | None = None,
    manifest: PathLike | None = None,
    track: Track | None = None,
    split: Split | str | None = None,
    protocol: Protocol | str | None = None,
    apply_match: bool = False,
    drop_extra: bool = False,
    from_labels: Literal["imagenet1k"] | None = None,
    synsets: PathLike | None = None,
    jobs: int | None = None,
    progress: ProgressSink | None = None,
) -> FixResult:
    """Write a repaired copy of a submission to ``output`` and check it, as `submitkit fix`."""
    settings = _settings_of(locals())
    return fix_with(
        settings,
        Path(path),
        Path(output),
        apply_match=apply_match,
        drop_extra=drop_extra,
        from_labels=from_labels,
        synsets=_path(synsets),
        progress=progress,
    )
