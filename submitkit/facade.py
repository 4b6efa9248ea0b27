"""The Python API: ``submitkit.check``, ``evaluate``, ``match``, ``compare``, ``pack``, ``fix``.

Each resolves its keyword arguments into one
:class:`~submitkit.inputs.config.Settings` by the rule a command's flags
follow (``[tool.submitkit]`` in pyproject.toml, then ``SUBMITKIT_*``
variables, then the arguments; ``None``: unset), calls the command's own
``*_with`` workflow (:mod:`submitkit.workflows.api`), and writes what the
command's renderer writes (``evaluate(html=...)``: the page, by
:mod:`submitkit.render.html_report`). A script gets the very document the
command prints with ``--format json`` (``model_dump(mode="json")``, or
``to_document()`` with the envelope), and a failure raises the
:class:`~submitkit.core.errors.SubmitkitError` whose message the command prints.
It sits above ``render``, beside ``cli``: the two front doors of one engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import Split
from submitkit.checks.report import Report
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import PATH_KEYS, Settings, load_settings
from submitkit.scoring.matching import MatchLevel
from submitkit.workflows.analysis import DEFAULT_CONFUSIONS, BootstrapRequest
from submitkit.workflows.api import (
    check_with,
    compare_with,
    evaluate_with,
    fix_with,
    match_with,
    pack_with,
)
from submitkit.workflows.compare import ComparisonOutput
from submitkit.workflows.evaluate import EvaluateRequest, EvaluationOutput
from submitkit.workflows.fix import FixResult
from submitkit.workflows.match import MatchOutput, TieBreak
from submitkit.workflows.pack import DEFAULT_MAX_SIZE, PackResult

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
    document = evaluate_with(
        settings, Path(path), match_file=_path(match), request=request, progress=progress
    )
    if html is not None:  # the page is render's to write, as for `evaluate --html`
        from submitkit.render.html_report import write_report

        write_report(document)
    return document


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
