"""`submitkit evaluate`: the official metrics on validation ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.options import (
    JobsOpt,
    ManifestOpt,
    PlainFormat,
    PlainFormatOpt,
    ProtocolOpt,
    QuietOpt,
    ToolboxOpt,
    TrackOpt,
    fail,
    finish,
    validation_inputs,
)
from submitkit.core.errors import SubmitkitError
from submitkit.render.console import RichProgress, stderr_console

GroundTruthOpt = Annotated[
    Path | None,
    typer.Option(
        help="ImageNet-S copy with <DIR>/ImageNetS{K}/validation-segmentation.",
        show_default=False,
    ),
]


def evaluate(
    path: Annotated[
        Path, typer.Argument(help="Validation submission folder or .zip.", show_default=False)
    ],
    dataset: GroundTruthOpt = None,
    track: TrackOpt = None,
    match: Annotated[
        Path | None,
        typer.Option(
            "--match",
            help="A match.json to map predicted ids (replaces the submission's own).",
            show_default=False,
        ),
    ] = None,
    toolbox: ToolboxOpt = None,
    manifest: ManifestOpt = None,
    protocol: ProtocolOpt = None,
    per_image: Annotated[
        Path | None,
        typer.Option(
            "--per-image", help="Write per-image mIoU/F/Acc as CSV here.", show_default=False
        ),
    ] = None,
    synsets: Annotated[
        Path | None,
        typer.Option(
            help="wnid-to-name list (default: LOC_synset_mapping.txt in --dataset).",
            show_default=False,
        ),
    ] = None,
    classes: Annotated[
        int,
        typer.Option(min=0, metavar="N", help="Per-class rows shown, worst first (0 = none)."),
    ] = 15,
    plot: Annotated[
        Path | None,
        typer.Option(help="Draw the per-class IoU, sorted, as a PNG here.", show_default=False),
    ] = None,
    jobs: JobsOpt = None,
    output_format: PlainFormatOpt = PlainFormat.text,
    quiet: QuietOpt = False,
) -> None:
    """The official validation metrics, locally: the check runs first; errors mean no score."""
    from submitkit.render.scoreboard import render_evaluation_text
    from submitkit.workflows.validation import evaluate_submission

    try:
        settings, sources = validation_inputs(dataset, toolbox, manifest, track, protocol, jobs)
        with RichProgress(quiet) as progress:
            document = evaluate_submission(
                path,
                sources,
                track=settings.track,
                protocol=settings.protocol,
                match_file=match,
                synsets=synsets,
                per_image=per_image,
                plot=plot,
                jobs=settings.jobs,
                progress=progress,
            )
    except SubmitkitError as error:
        fail(error)
    finish(
        document,
        output_format,
        lambda out: render_evaluation_text(out, stderr_console(), document, classes),
    )
