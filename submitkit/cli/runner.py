"""The one command runner: settings, then the workflow, then a renderer, then the exit code.

Every command module holds its options and one call to :func:`run`; what the
commands share (settings resolution, the progress bar, a usage error as one
line and exit 2, the output format chosen from :data:`RENDERERS`, the exit
rule) is written here once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from submitkit.cli.guard import say
from submitkit.core.document import Document
from submitkit.core.errors import SubmitkitError
from submitkit.core.exits import ExitCode, exit_code
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import Settings, load_settings, unknown_variables
from submitkit.render.console import RichProgress, print_document, stdout_console

D = TypeVar("D", bound=Document)
Text = Callable[[Console], None]
"""A command's text view of its document, printed on stdout."""
Table = Callable[[str], str]
"""A scored document as a paper table; its argument is the format (markdown or latex)."""


def fail(error: SubmitkitError) -> NoReturn:
    """A usage or environment error: one message (and hint) on stderr, exit 2."""
    say(error.message, error.hint)
    raise typer.Exit(ExitCode.USAGE)


@contextlib.contextmanager
def usage_errors() -> Iterator[None]:
    """For the commands that write files rather than a document (schemas, docs, codes):
    a :class:`SubmitkitError` inside is one ``error:`` line and exit 2, as in :func:`run`."""
    try:
        yield
    except SubmitkitError as error:
        fail(error)


def settings_from(**flags: Any) -> Settings:
    """A command's flags over the configuration (``None``: unset); unknown variables named."""
    if isinstance(flags.get("track"), Enum):  # the --track choice: "50", "300" or "919"
        flags["track"] = int(flags["track"].value)
    for variable, hint in unknown_variables():
        say(f"{variable} is not a submitkit setting: ignored", hint, label="warning")
    return load_settings(flags)


def _json(document: Document, text: Text, table: Table | None) -> None:
    print_document(document)


def _github(document: Document, text: Text, table: Table | None) -> None:
    from submitkit.render.github import render_github

    render_github(document, stdout_console())


def _text(document: Document, text: Text, table: Table | None) -> None:
    text(stdout_console())


def _table(fmt: str) -> Callable[[Document, Text, Table | None], None]:
    def render(document: Document, text: Text, table: Table | None) -> None:
        # A failed run has no scores to tabulate: it is shown as text, whatever was asked.
        if table is None or document.is_failure():
            text(stdout_console())
        else:
            stdout_console().out(table(fmt), highlight=False, end="")

    return render


RENDERERS: dict[str, Callable[[Document, Text, Table | None], None]] = {
    "text": _text,
    "json": _json,
    "github": _github,
    "markdown": _table("markdown"),
    "latex": _table("latex"),
}
"""Each output format's renderer; a new format is one entry here (and its Format choice)."""


def finish(
    document: Document,
    output_format: Enum,
    text: Text,
    table: Table | None = None,
) -> NoReturn:
    """Render a command's document in the chosen format, then exit by the one rule."""
    RENDERERS[str(output_format.value)](document, text, table)
    raise typer.Exit(exit_code(document))


def run(
    output_format: Enum,
    work: Callable[[Settings, ProgressSink], D],
    text: Callable[[Console, D], None],
    *,
    flags: dict[str, Any] | None = None,
    quiet: bool = False,
    table: Callable[[D, str], str] | None = None,
) -> NoReturn:
    """Run one command: settings from ``flags``, ``work`` under a progress bar, then render.

    ``flags`` are the command's settings options (``None``: the command takes no
    settings, and no configuration is read). A :class:`SubmitkitError` from
    resolving the settings or from the workflow is one ``error:`` line and exit 2.
    """
    with usage_errors():
        settings = settings_from(**flags) if flags is not None else Settings()
        with RichProgress(quiet) as progress:
            document = work(settings, progress)
    shown = document
    finish(
        shown,
        output_format,
        lambda out: text(out, shown),
        (lambda fmt: table(shown, fmt)) if table is not None else None,
    )
