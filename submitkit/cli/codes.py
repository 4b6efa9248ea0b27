"""`submitkit codes`: the diagnostic catalogue."""

from __future__ import annotations

from typing import Annotated

import typer

from submitkit.core.diagnostics import Code
from submitkit.render.code_pages import codes_table, one_line
from submitkit.render.console import stdout_console


def codes(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="As the Markdown table of docs/codes/index.md.")
    ] = False,
) -> None:
    """List every diagnostic code with its severity and meaning."""
    out = stdout_console()
    if markdown:
        out.print(codes_table(), end="", markup=False, highlight=False)
        return
    for code in Code:
        out.print(
            f"{code.value}  {code.severity.value:<7}  {code.name}\n    {one_line(code)}",
            markup=False,
            highlight=False,
        )
