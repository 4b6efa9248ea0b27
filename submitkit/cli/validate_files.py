"""`submitkit validate-files`: method.txt and match.json alone, for pre-commit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.options import (
    Format,
    FormatOpt,
    ProtocolOpt,
    StrictOpt,
    TrackOpt,
    setting_flags,
)
from submitkit.cli.runner import run


def validate_files_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="method.txt and match.json files to validate.", show_default=False),
    ],
    protocol: ProtocolOpt = None,
    track: TrackOpt = None,
    strict: StrictOpt = None,
    skip_submission: Annotated[
        bool,
        typer.Option(
            "--skip-submission",
            help="Skip files inside the configured submission when the repository's "
            "pre-commit config runs submitkit-check (it reports them).",
        ),
    ] = False,
    output_format: FormatOpt = Format.text,
) -> None:
    """Validate method.txt and match.json files on their own (pre-commit): exit 1 on errors."""
    from submitkit.checks.files import check_hook_runs, files_report, inside_submission
    from submitkit.inputs.config import RunContext
    from submitkit.render.reporting import render_findings_text

    run(
        output_format,
        lambda settings, _: files_report(
            files,
            RunContext.of(settings),
            skip=inside_submission(files, settings.submission)
            if skip_submission and check_hook_runs()
            else (),
        ),
        render_findings_text,
        flags=setting_flags(locals()),
        quiet=True,
    )
