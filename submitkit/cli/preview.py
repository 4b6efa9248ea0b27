"""`submitkit preview`: a contact sheet of predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.options import (
    DatasetOpt,
    ManifestOpt,
    SplitOpt,
    ToolboxOpt,
    TrackOpt,
    fail,
    settings_from,
    sources_of,
)
from submitkit.core.errors import SubmitkitError
from submitkit.render.console import stdout_console
from submitkit.workflows.preview import preview_sheet


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
    count: Annotated[int, typer.Option(help="Images to sample.")] = 12,
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
) -> None:
    """Draw sampled predictions over their source images (and ground truth) into a PNG."""
    try:
        settings = settings_from(
            toolbox=toolbox, dataset=dataset, manifest=manifest, track=track, split=split
        )
        result = preview_sheet(
            path,
            output,
            sources=sources_of(settings),
            track=settings.track,
            split=settings.split,
            count=count,
            seed=seed,
            match_file=match,
        )
    except SubmitkitError as error:
        fail(error)
    stdout_console().out(
        f"wrote {result.output}: {len(result.shown)} of {result.total} predictions, "
        f"{result.with_sources} over their source image, "
        f"{result.with_ground_truth} beside their ground truth",
        highlight=False,
    )
