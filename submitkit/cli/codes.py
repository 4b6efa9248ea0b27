"""`submitkit codes`: the diagnostic catalogue, or one code's page (as `ruff rule E501`)."""

from __future__ import annotations

from typing import Annotated

import typer

from submitkit.cli.options import PlainFormat, PlainFormatOpt
from submitkit.cli.runner import finish, usage_errors
from submitkit.core.diagnostics import Code
from submitkit.core.errors import UsageError
from submitkit.render.code_pages import (
    GENERATED_NOTE,
    CodesOutput,
    code_page,
    codes_document,
    codes_table,
    one_line,
)
from submitkit.render.console import stdout_console


def codes(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="CODE",
            help="Codes whose page to print (M003, m003); none: list them all.",
            show_default=False,
        ),
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="As the Markdown table of docs/codes/index.md.")
    ] = False,
    output_format: PlainFormatOpt = PlainFormat.text,
) -> None:
    """List every diagnostic code, or print the page of the codes named."""
    with usage_errors():
        chosen = [_code(name) for name in names or []]
    out = stdout_console()
    if markdown and not chosen and output_format is PlainFormat.text:
        out.print(codes_table(), end="", markup=False, highlight=False)
        raise typer.Exit()
    document = codes_document(chosen or list(Code), pages=bool(chosen))
    finish(document, output_format, lambda console: _text(console, document, bool(chosen)))


def _text(console: object, document: CodesOutput, pages: bool) -> None:
    out = stdout_console()
    by_value = {c.value: c for c in Code}
    for entry in document.codes:
        code = by_value[entry.code]
        if pages:
            page = code_page(code, []).removeprefix(GENERATED_NOTE + "\n\n")
            out.print(page, markup=False, highlight=False)
        else:
            out.print(
                f"{code.value}  {code.severity.value:<7}  {code.name}\n    {one_line(code)}",
                markup=False,
                highlight=False,
            )


def _code(name: str) -> Code:
    found = {c.value: c for c in Code}.get(name.strip().upper())
    if found is None:
        raise UsageError(f"no diagnostic code {name!r}", "`submitkit codes` lists every code")
    return found
