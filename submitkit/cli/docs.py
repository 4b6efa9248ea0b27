"""`submitkit docs`: regenerate the generated parts of docs/ (or check them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from submitkit.cli.options import PlainFormat, PlainFormatOpt
from submitkit.cli.runner import usage_errors
from submitkit.inputs.config import Settings
from submitkit.render.console import stderr_console, stdout_console
from submitkit.render.docs import REGENERATE, SettingFlags, stale_pages, write_docs


def setting_flags(group: TyperGroup) -> SettingFlags:
    """For each setting, the commands that take it and how each spells it."""
    found: dict[str, list[tuple[str, str]]] = {}
    for name, command in sorted(group.commands.items()):
        for param in command.params:
            if isinstance(param, TyperOption) and param.name in Settings.model_fields:
                spelling = ", ".join(sorted(param.opts, key=len))
                found.setdefault(param.name, []).append((name, spelling))
            elif isinstance(param, TyperArgument) and param.name == "path" and not param.required:
                # An optional PATH argument falls back to the `submission` setting.
                found.setdefault("submission", []).append((name, "PATH argument"))
    return found


def docs(
    ctx: typer.Context,
    root: Annotated[
        Path, typer.Option(help="Repository root holding docs/ (and examples/).")
    ] = Path("."),
    check_only: Annotated[
        bool, typer.Option("--check", help="Only report drift (exit 1), write nothing.")
    ] = False,
    output_format: PlainFormatOpt = PlainFormat.text,
) -> None:
    """Write the generated docs pages: one per diagnostic code, the rules and settings tables."""
    group = ctx.find_root().command
    assert isinstance(group, TyperGroup)
    flags = setting_flags(group)
    if output_format is PlainFormat.json:
        _document(root, flags, check_only)
    with usage_errors():
        _run(root, flags, check_only)


def _document(root: Path, flags: SettingFlags, check_only: bool) -> None:
    from submitkit.core.exits import exit_code
    from submitkit.render.console import print_document
    from submitkit.render.generated import DocsRun

    with usage_errors():
        if check_only:
            done = DocsRun(checked=True, stale=[str(p) for p in stale_pages(root, flags)])
        else:
            done = DocsRun(checked=False, written=[str(p) for p in write_docs(root, flags)])
    print_document(done)
    raise typer.Exit(exit_code(done))


def _run(root: Path, flags: SettingFlags, check_only: bool) -> None:
    if check_only:
        stale = stale_pages(root, flags)
        for path in stale:
            stderr_console().print(
                f"{path} is out of date", highlight=False, markup=False, soft_wrap=True
            )
        if stale:
            stderr_console().print(REGENERATE, highlight=False, markup=False)
        raise typer.Exit(1 if stale else 0)
    for path in write_docs(root, flags):
        stdout_console().print(f"wrote {path}", highlight=False, markup=False)
