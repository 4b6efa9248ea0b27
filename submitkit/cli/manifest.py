"""`submitkit manifest`: the expected images and sizes as one file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from submitkit.benchmark.tracks import Split
from submitkit.cli.options import (
    DatasetOpt,
    QuietOpt,
    ToolboxOpt,
    TrackChoice,
    fail,
    settings_from,
)
from submitkit.core.errors import SubmitkitError, UsageError
from submitkit.inputs.manifest import ManifestSources
from submitkit.render.console import RichProgress, stderr_console, stdout_console


def manifest_command(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the manifest JSON.")
    ],
    toolbox: ToolboxOpt = None,
    dataset: DatasetOpt = None,
    track: Annotated[
        TrackChoice, typer.Option(help="Track (number of classes).")
    ] = TrackChoice.t50,
    split: Annotated[Split, typer.Option(help="Split.")] = Split.test,
    quiet: QuietOpt = False,
) -> None:
    """Build the expected-image manifest of a track and split once, to reuse with --manifest."""
    try:
        settings = settings_from(toolbox=toolbox, dataset=dataset)
        sources = ManifestSources(settings.toolbox, settings.dataset)
        if not sources.any:
            raise UsageError("a manifest needs --toolbox, --dataset or both")
        with RichProgress(quiet) as progress:
            built, diags = sources.build(int(track.value), split, progress)
        built.save(output)
    except SubmitkitError as error:
        fail(error)
    err = stderr_console()
    for diag in diags:
        err.print(Text.assemble((f"{diag.code.value} warning:", "yellow"), " ", diag.message))
    sized = sum(1 for size in built.images.values() if size is not None)
    stdout_console().print(
        f"wrote {output}: {built.track_info.name} {built.split.value}, "
        f"{len(built.images)} images ({sized} with sizes), {len(built.categories)} categories"
    )
