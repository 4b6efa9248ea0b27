"""`submitkit check`: every fault of a submission."""

from __future__ import annotations

from typing import Annotated

import typer

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
    StrictOpt,
    SubmissionArg,
    ToolboxOpt,
    TrackOpt,
    fail,
    finish,
    settings_from,
    sources_of,
    submission_of,
)
from submitkit.core.errors import SubmitkitError
from submitkit.render.console import RichProgress


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
    strict: StrictOpt = None,
    jobs: JobsOpt = None,
    output_format: FormatOpt = Format.text,
    examples: ExamplesOpt = 5,
    quiet: QuietOpt = False,
) -> None:
    """Find every fault of a submission: exit 0 passed, 1 findings, 2 usage error."""
    from submitkit.checks.staged import run_check
    from submitkit.render.reporting import TextReporter

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
        with RichProgress(quiet) as progress:
            report = run_check(
                submission_of(settings),
                sources=sources_of(settings),
                track=settings.track,
                split=settings.split,
                protocol=settings.protocol,
                quick=settings.quick,
                jobs=settings.jobs,
                strict=settings.strict,
                progress=progress,
            ).report
    except SubmitkitError as error:
        fail(error)
    finish(report, output_format, lambda out: TextReporter(out, examples).render(report))
