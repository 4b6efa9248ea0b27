"""`submitkit match`: a match.json from validation ground truth."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.evaluate import GroundTruthOpt
from submitkit.cli.options import (
    JobsOpt,
    ManifestOpt,
    OverwriteOpt,
    PlainFormat,
    PlainFormatOpt,
    ProtocolOpt,
    QuietOpt,
    ToolboxOpt,
    TrackOpt,
    fail,
    finish,
    validation_settings,
)
from submitkit.core.errors import SubmitkitError
from submitkit.render.console import RichProgress


class LevelChoice(str, Enum):
    image = "image"
    pixel = "pixel"


class TieChoice(str, Enum):
    official = "official"
    any = "any"


def match(
    path: Annotated[
        Path,
        typer.Argument(
            help="Validation submission (cluster ids) folder or .zip.", show_default=False
        ),
    ],
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="Where to write match.json.", show_default=False),
    ],
    dataset: GroundTruthOpt = None,
    track: TrackOpt = None,
    level: Annotated[
        LevelChoice, typer.Option(help="Agreement counted per image (official) or per pixel.")
    ] = LevelChoice.image,
    clusters: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Number of predicted ids; above K gives a many-to-one matching "
            "(fully unsupervised protocol only).",
            show_default=False,
        ),
    ] = None,
    ties: Annotated[
        TieChoice,
        typer.Option(
            help="Which optimal image-level assignment to write where several tie: the one "
            "evaluation/match.py returns (official), or SciPy's (any).",
        ),
    ] = TieChoice.official,
    toolbox: ToolboxOpt = None,
    manifest: ManifestOpt = None,
    protocol: ProtocolOpt = None,
    overwrite: OverwriteOpt = False,
    jobs: JobsOpt = None,
    output_format: PlainFormatOpt = PlainFormat.text,
    quiet: QuietOpt = False,
) -> None:
    """Match predicted ids to classes on the validation split and write match.json."""
    from submitkit.render.scoreboard import render_match_text
    from submitkit.workflows.api import match_with

    try:
        settings = validation_settings(dataset, toolbox, manifest, track, protocol, jobs)
        with RichProgress(quiet) as progress:
            document = match_with(
                settings,
                path,
                output,
                level=level.value,
                clusters=clusters,
                overwrite=overwrite,
                ties=ties.value,
                progress=progress,
            )
    except SubmitkitError as error:
        fail(error)
    finish(document, output_format, lambda out: render_match_text(out, document))
