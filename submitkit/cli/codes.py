"""`submitkit codes`: the diagnostic catalogue."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from submitkit.core.diagnostics import Code
from submitkit.render.console import stdout_console


def codes(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="As a Markdown table (for docs).")
    ] = False,
) -> None:
    """List every diagnostic code with its severity and meaning."""
    out = stdout_console()
    if markdown:
        out.print("| code | name | severity | meaning |\n|---|---|---|---|")
    for code in Code:
        doc = " ".join((code.__doc__ or "").split())
        if markdown:
            out.print(f"| `{code.value}` | `{code.name}` | {code.severity.value} | {doc} |")
        else:
            out.print(Text(f"{code.value}  {code.severity.value:<7}  {code.name}"))
            out.print(Text(f"    {doc}"))
