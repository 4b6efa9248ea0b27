"""`submitkit check`: every fault of a submission."""

from __future__ import annotations

from typing import Annotated

import typer

from submitkit.checks.staged import run_check
from submitkit.cli.options import (
    DatasetOpt,
    ExamplesOpt,
    Format,
    FormatOpt,
    JobsOpt,
    ManifestOpt,
    ProtocolOpt,
    QuietOpt,
    SplitOpt,
    SubmissionArg,
    ToolboxOpt,
    TrackOpt,
    fail,
    settings_from,
    sources_of,
    submission_of,
)
from submitkit.core.errors import SubmitkitError
from submitkit.render.console import RichProgress, stdout_console
from submitkit.render.reporting import REPORTERS


def check(
    path: SubmissionArg = None,
    toolbox: ToolboxOpt = None,
    dataset: DatasetOpt = None,
    manifest: ManifestOpt = None,
    track: TrackOpt = None,
    split: SplitOpt = None,
    protocol: ProtocolOpt = None,
    quick: Annotated[
        bool | None,
        typer.Option(
            "--quick", help="Read PNG headers only (size, mode); for hooks.", show_default=False
        ),
    ] = None,
    strict: Annotated[
        bool | None,
        typer.Option("--strict", help="Warnings fail the check too.", show_default=False),
    ] = None,
    jobs: JobsOpt = None,
    output_format: FormatOpt = Format.text,
    examples: ExamplesOpt = 5,
    quiet: QuietOpt = False,
) -> None:
    """Find every fault of a submission: exit 0 passed, 1 findings, 2 usage error."""
    try:
        settings = settings_from(
            submission=path,
            toolbox=toolbox,
            dataset=dataset,
            manifest=manifest,
            track=track,
            split=split,
            protocol=protocol,
            quick=quick,
            strict=strict,
            jobs=jobs,
        )
        submission = submission_of(settings)
        with RichProgress(quiet) as progress:
            run = run_check(
                submission,
                sources=sources_of(settings),
                track=settings.track,
                split=settings.split,
                protocol=settings.protocol,
                quick=settings.quick,
                jobs=settings.jobs,
                strict=settings.strict,
                progress=progress,
            )
    except SubmitkitError as error:
        fail(error)
    REPORTERS[output_format.value](stdout_console(), examples=examples).render(run.report)
    raise typer.Exit(run.report.exit_code)
