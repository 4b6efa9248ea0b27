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
    setting_flags,
)
from submitkit.cli.runner import run


class LevelChoice(str, Enum):
    image = "image"
    pixel = "pixel"


class TieChoice(str, Enum):
    munkres3 = "munkres3"
    munkres1 = "munkres1"
    pass_ = "pass"
    any = "any"
    official = "official"


PathOpt = Annotated[
    Path,
    typer.Argument(help="Validation submission (cluster ids) folder or .zip.", show_default=False),
]
OutputOpt = Annotated[
    Path,
    typer.Option("-o", "--output", help="Where to write match.json.", show_default=False),
]
LevelOpt = Annotated[
    LevelChoice, typer.Option(help="Agreement counted per image (official) or per pixel.")
]
ClustersOpt = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Number of predicted ids; above K gives a many-to-one matching "
        "(fully unsupervised protocol only).",
        show_default=False,
    ),
]
TiesOpt = Annotated[
    TieChoice,
    typer.Option(
        help="Where optimal image-level assignments tie, the one written, named for the "
        "code it reproduces: evaluation/match.py under munkres 3.x (default: what "
        "`pip install munkres` gives today, and what the golden cases hold) or 1.x "
        "(1.1.4: the old leaderboards and most published match.json files), PASS's "
        "inference.py (pass), or SciPy's (any); official is munkres3.",
    ),
]


def match(
    path: PathOpt,
    output: OutputOpt,
    dataset: GroundTruthOpt = None,
    track: TrackOpt = None,
    level: LevelOpt = LevelChoice.image,
    clusters: ClustersOpt = None,
    ties: TiesOpt = TieChoice.munkres3,
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

    run(
        output_format,
        lambda settings, progress: match_with(
            settings,
            path,
            output,
            level=level.value,
            clusters=clusters,
            overwrite=overwrite,
            ties=ties.value,
            progress=progress,
        ),
        render_match_text,
        flags=setting_flags(locals()),
        quiet=quiet,
    )
