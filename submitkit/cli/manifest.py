"""`submitkit manifest`: the expected images and sizes as one file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.benchmark.tracks import Split
from submitkit.cli.options import (
    DatasetOpt,
    PlainFormat,
    PlainFormatOpt,
    QuietOpt,
    ToolboxOpt,
    TrackChoice,
)
from submitkit.cli.runner import run
from submitkit.inputs.config import RunContext
from submitkit.inputs.manifest import ManifestSources
from submitkit.render.console import stderr_console


def manifest_command(
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="Where to write the manifest JSON.", show_default=False
        ),
    ],
    track: Annotated[
        TrackChoice, typer.Option(help="Track (number of classes).", show_default=False)
    ],
    split: Annotated[Split, typer.Option(help="Split.", show_default=False)],
    toolbox: ToolboxOpt = None,
    dataset: DatasetOpt = None,
    output_format: PlainFormatOpt = PlainFormat.text,
    quiet: QuietOpt = False,
) -> None:
    """Build the expected-image manifest of a track and split once, to reuse with --manifest."""
    from submitkit.render.views import render_manifest_text
    from submitkit.workflows.manifest import write_manifest

    run(
        output_format,
        lambda settings, progress: write_manifest(
            RunContext(
                sources=ManifestSources(settings.toolbox, settings.dataset),
                track=int(track.value),
                split=split,
            ),
            output,
            progress,
        ),
        lambda out, result: render_manifest_text(out, result, stderr_console()),
        flags={"toolbox": toolbox, "dataset": dataset},
        quiet=quiet,
    )
