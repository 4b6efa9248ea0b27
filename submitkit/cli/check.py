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
    setting_flags,
)
from submitkit.cli.runner import run


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
    from submitkit.render.reporting import TextReporter
    from submitkit.workflows.api import check_with

    run(
        output_format,
        lambda settings, progress: check_with(settings, progress=progress),
        lambda out, report: TextReporter(out, examples).render(report),
        flags=setting_flags(locals(), submission=path),
        quiet=quiet,
    )
