"""`submitkit compare`: paired bootstrap of two runs on the same validation images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.options import (
    BootstrapOpt,
    JobsOpt,
    LevelOpt,
    ManifestOpt,
    ProtocolOpt,
    QuietOpt,
    ScoreFormat,
    ScoreFormatOpt,
    SeedOpt,
    ToolboxOpt,
    TrackOpt,
    setting_flags,
)
from submitkit.cli.runner import run


def compare(
    a: Annotated[Path, typer.Argument(help="Run A: a submission, or a --save-counts file.")],
    b: Annotated[Path, typer.Argument(help="Run B, compared with A (B - A).")],
    dataset: Annotated[
        Path | None,
        typer.Option(
            help="ImageNet-S copy with the validation ground truth (for submissions).",
            show_default=False,
        ),
    ] = None,
    track: TrackOpt = None,
    toolbox: ToolboxOpt = None,
    manifest: ManifestOpt = None,
    protocol: ProtocolOpt = None,
    synsets: Annotated[
        Path | None,
        typer.Option(
            help="wnid-to-name list over the built-in names (default: in --dataset).",
            show_default=False,
        ),
    ] = None,
    bootstrap: BootstrapOpt = 1000,
    seed: SeedOpt = 0,
    level: LevelOpt = 0.95,
    classes: Annotated[int, typer.Option(help="Classes shown per direction of change.")] = 10,
    jobs: JobsOpt = None,
    output_format: ScoreFormatOpt = ScoreFormat.text,
    quiet: QuietOpt = False,
) -> None:
    """Is B better than A? Paired bootstrap intervals and p-values of B - A per metric and class."""
    from submitkit.render.comparison import comparison_rows, render_comparison
    from submitkit.render.tables import TABLES
    from submitkit.workflows.analysis import BootstrapRequest
    from submitkit.workflows.api import compare_with

    run(
        output_format,
        lambda settings, progress: compare_with(
            settings,
            a,
            b,
            request=BootstrapRequest(bootstrap, seed, level),
            synsets=synsets,
            progress=progress,
        ),
        lambda out, result: render_comparison(out, result, classes),
        flags=setting_flags(locals()),
        quiet=quiet,
        table=lambda result, fmt: TABLES[fmt](comparison_rows(result)),
    )
