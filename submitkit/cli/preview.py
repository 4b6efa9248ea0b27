"""`submitkit preview`: a contact sheet of predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.options import (
    DatasetOpt,
    ManifestOpt,
    PlainFormat,
    PlainFormatOpt,
    SplitOpt,
    ToolboxOpt,
    TrackOpt,
    setting_flags,
)
from submitkit.cli.runner import run
from submitkit.inputs.config import RunContext


def preview_command(
    path: Annotated[Path, typer.Argument(help="Submission folder or .zip.", show_default=False)],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="The contact sheet to write (.png).", show_default=False
        ),
    ],
    dataset: DatasetOpt = None,
    toolbox: ToolboxOpt = None,
    manifest: ManifestOpt = None,
    track: TrackOpt = None,
    split: SplitOpt = None,
    count: Annotated[int, typer.Option(min=1, help="Images to sample.")] = 12,
    seed: Annotated[
        int, typer.Option(help="Seed of the sample: the same seed, the same images.")
    ] = 0,
    match: Annotated[
        Path | None,
        typer.Option(
            "--match",
            help="Label ids through this match.json (default: the submission's own).",
            show_default=False,
        ),
    ] = None,
    output_format: PlainFormatOpt = PlainFormat.text,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing on success (text format).")
    ] = False,
) -> None:
    """Draw sampled predictions over their source images (and ground truth) into a PNG."""
    from submitkit.render.views import render_preview_text
    from submitkit.workflows.preview import preview_sheet

    # The sheet is quick to draw: --quiet leaves out the summary line instead of a progress bar.
    run(
        output_format,
        lambda settings, _: preview_sheet(
            path, output, RunContext.of(settings), count=count, seed=seed, match_file=match
        ),
        lambda out, result: None if quiet else render_preview_text(out, result),
        flags=setting_flags(locals()),
        quiet=True,
    )
