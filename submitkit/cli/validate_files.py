"""`submitkit validate-files`: method.txt and match.json alone, for pre-commit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.checks.files import validate_files
from submitkit.cli.options import (
    Format,
    FormatOpt,
    ProtocolOpt,
    TrackOpt,
    fail,
    settings_from,
)
from submitkit.core.diagnostics import Severity
from submitkit.core.errors import SubmitkitError
from submitkit.render.console import stdout_console
from submitkit.render.reporting import github_annotation
from submitkit.render.views import (
    render_findings_json,
    render_findings_text,
)


def validate_files_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="method.txt and match.json files to validate.", show_default=False),
    ],
    protocol: ProtocolOpt = None,
    track: TrackOpt = None,
    strict: Annotated[
        bool | None, typer.Option("--strict", help="Warnings fail too.", show_default=False)
    ] = None,
    output_format: FormatOpt = Format.text,
) -> None:
    """Validate method.txt and match.json files on their own (pre-commit): exit 1 on errors."""
    try:
        settings = settings_from(protocol=protocol, track=track, strict=strict)
        diagnostics = validate_files(files, protocol=settings.protocol, track=settings.track)
    except SubmitkitError as error:
        fail(error)
    failed = any(
        d.severity is Severity.error or (settings.strict and d.severity is Severity.warning)
        for d in diagnostics
    )
    names = [f.as_posix() for f in files]
    if output_format is Format.github:
        for diag in diagnostics:
            stdout_console().out(github_annotation(diag, diag.path), highlight=False)
    else:
        render = render_findings_json if output_format is Format.json else render_findings_text
        render(stdout_console(), names, diagnostics, failed)
    raise typer.Exit(1 if failed else 0)
