"""`submitkit schemas`: the published JSON Schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.render.console import stderr_console, stdout_console
from submitkit.render.schemas import drifted, write_schemas


def schemas(
    out: Annotated[Path, typer.Option(help="Folder of the committed schemas.")] = Path("schemas"),
    check_only: Annotated[
        bool, typer.Option("--check", help="Only report drift from the models (exit 1).")
    ] = False,
) -> None:
    """Write the JSON Schemas generated from the pydantic models (or check them)."""
    if check_only:
        stale = drifted(out)
        for name in stale:
            stderr_console().print(f"{out / name} differs from its model", highlight=False)
        raise typer.Exit(1 if stale else 0)
    for path in write_schemas(out):
        stdout_console().print(f"wrote {path}")
