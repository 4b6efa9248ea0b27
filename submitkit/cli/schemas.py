"""`submitkit schemas`: the published JSON Schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from submitkit.cli.options import PlainFormat, PlainFormatOpt
from submitkit.cli.runner import usage_errors
from submitkit.core.exits import ExitCode, exit_code
from submitkit.render.console import print_document, printable, stderr_console, stdout_console


def schemas(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder of the committed schemas.")
    ] = Path("schemas"),
    check_only: Annotated[
        bool, typer.Option("--check", help="Only report drift from the models (exit 1).")
    ] = False,
    output_format: PlainFormatOpt = PlainFormat.text,
) -> None:
    """Write the JSON Schemas generated from the pydantic models (or check them)."""
    from submitkit.render.schemas import drifted, write_schemas

    if output_format is PlainFormat.json:
        from submitkit.render.generated import SchemasRun

        with usage_errors():
            if check_only:
                done = SchemasRun(checked=True, stale=[str(output / n) for n in drifted(output)])
            else:
                done = SchemasRun(checked=False, written=[str(p) for p in write_schemas(output)])
        print_document(done)
        raise typer.Exit(exit_code(done))
    if check_only:
        stale = drifted(output)
        for name in stale:
            shown = printable(str(output / name))
            state = "differs from its model" if (output / name).is_file() else "is missing"
            stderr_console().print(Text(f"{shown} {state}; run `submitkit schemas`"))
        raise typer.Exit(ExitCode.FINDINGS if stale else ExitCode.OK)
    with usage_errors():
        written = write_schemas(output)
    for path in written:
        stdout_console().print(Text(f"wrote {printable(str(path))}"))
