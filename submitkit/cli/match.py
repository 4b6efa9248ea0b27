"""`submitkit match`: a match.json from validation ground truth."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.options import (
    Format,
    FormatOpt,
    JobsOpt,
    ManifestOpt,
    ProtocolOpt,
    QuietOpt,
    ToolboxOpt,
    TrackOpt,
    fail,
    validation_inputs,
)
from submitkit.core.atomic import write_text_atomic
from submitkit.core.errors import SubmitkitError, UsageError
from submitkit.inputs.match_json import write_match
from submitkit.render.console import RichProgress, stdout_console
from submitkit.render.reporting import REPORTERS
from submitkit.render.scoreboard import render_candidates
from submitkit.workflows.score import (
    MatchOutput,
    run_match,
)


class LevelChoice(str, Enum):
    image = "image"
    pixel = "pixel"


class TieChoice(str, Enum):
    official = "official"
    any = "any"


def match(
    path: Annotated[
        Path, typer.Argument(help="Validation submission (cluster ids) folder or .zip.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write match.json.")],
    dataset: Annotated[
        Path | None,
        typer.Option(
            help="ImageNet-S copy with <DIR>/ImageNetS{K}/validation-segmentation.",
            show_default=False,
        ),
    ] = None,
    track: TrackOpt = None,
    level: Annotated[
        LevelChoice, typer.Option(help="Agreement counted per image (official) or per pixel.")
    ] = LevelChoice.image,
    clusters: Annotated[
        int | None,
        typer.Option(
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
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
    jobs: JobsOpt = None,
    output_format: FormatOpt = Format.text,
    quiet: QuietOpt = False,
) -> None:
    """Match predicted ids to classes on the validation split and write match.json."""
    try:
        if output.exists() and not overwrite:
            raise UsageError(f"{output} exists", "pass --overwrite to replace it")
        settings, sources = validation_inputs(dataset, toolbox, manifest, track, protocol, jobs)
        with RichProgress(quiet) as progress:
            matched = run_match(
                path,
                sources,
                track=settings.track,
                protocol=settings.protocol,
                level=level.value,
                clusters=clusters,
                ties=ties.value,
                jobs=settings.jobs,
                progress=progress,
            )
        if matched.chosen is None or matched.mapping is None:
            REPORTERS[output_format.value](stdout_console()).render(matched.check.report)
            raise typer.Exit(1)
        write_text_atomic(output, write_match(matched.mapping))
    except SubmitkitError as error:
        fail(error)
    out = stdout_console()
    if output_format is Format.json:
        document = MatchOutput(
            output=str(output),
            mapping={str(i): c for i, c in sorted(matched.mapping.items())},
            candidates=matched.candidates,
            notes=matched.notes,
            ties=matched.ties,
        )
        out.out(document.model_dump_json(indent=2), highlight=False)
        return
    render_candidates(out, matched.candidates, matched.notes, matched.ties)
    if matched.chosen.many_to_one:
        out.print("many-to-one matching: admitted only under the fully unsupervised protocol")
    out.print(f"wrote {output} ({len(matched.mapping)} ids)")
