"""The one way text reaches the terminal: safe consoles, JSON documents and the progress bar.

Everything a command prints goes through the consoles made here, which

- never interpret markup or emoji codes in data (``[tool.submitkit]`` stays as
  written; styles come only from ``Text`` spans the renderers set);
- show control characters in names escaped (``\\x1b``), so a hostile file name
  cannot move the cursor or recolour the terminal;
- wrap text to the terminal's width at spaces only, with a hanging indent, so
  a path is never broken; and do not wrap at all when the output is piped.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from types import TracebackType
from typing import IO, TYPE_CHECKING, cast

from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderHook, RenderResult
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.segment import Segment
from rich.text import Text

from submitkit.core.progress import Advance
from submitkit.core.safetext import printable as _printable

if TYPE_CHECKING:
    from submitkit.core.document import Document


def printable(text: str) -> str:
    """``text`` with control characters (bar newline and tab) shown as escapes.

    The one escape of ``core.safetext``; a console keeps its own line breaks.
    """
    return _printable(text, keep="\n\t")


def name(text: object) -> str:
    """A path or name as one line: the one escape with nothing kept, line breaks included.

    A folder named ``sub\nPASSED`` must not print a second line that looks like
    a verdict: every path a renderer quotes, the submission root too, goes here.
    """
    return _printable(str(text))


def wrap_points(plain: str, width: int) -> list[int]:
    """Offsets where a line of ``plain`` continues on the next line.

    Breaks fall only after spaces; a word longer than the line (a path) stays
    whole on a line of its own rather than being cut.
    """
    indent = len(plain) - len(plain.lstrip(" "))
    room = max(width, indent + 10)
    points: list[int] = []
    start, column = 0, 0
    for match in re.finditer(r"\S+ *", plain[indent:]):
        begin = match.start() + indent
        word = len(match.group().rstrip(" "))
        line_start = indent if not points else indent + 2
        if column and column + word > room:
            points.append(begin)
            start, column = begin, line_start
        column += len(match.group()) if column else line_start + len(match.group())
    del start
    return points


class _Safe:
    """A renderable drawn escaped and, on a terminal, word-wrapped."""

    def __init__(self, inner: ConsoleRenderable) -> None:
        self.inner = inner

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        inner = self.inner
        if not isinstance(inner, Text):
            for segment in console.render(inner, options):
                yield _escaped(segment)
            return
        text = Text(end=inner.end)
        for segment in inner.render(console, end=""):
            text.append(printable(segment.text), segment.style)
        for index, line in enumerate(text.split("\n", allow_blank=True)):
            if index:
                yield Segment.line()
            yield from _wrapped(console, line, options.max_width)
        yield Segment(text.end)


def _escaped(segment: Segment) -> Segment:
    if segment.control:
        return segment
    return Segment(printable(segment.text), segment.style)


def _wrapped(console: Console, line: Text, width: int) -> Iterable[Segment]:
    if not console.is_terminal or len(line) <= width:
        yield from line.render(console, end="")
        return
    indent = " " * (len(line.plain) - len(line.plain.lstrip(" ")) + 2)
    for index, part in enumerate(line.divide(wrap_points(line.plain, width))):
        if index:
            yield Segment.line()
            yield Segment(indent)
            part = part.copy()
            part.plain = part.plain.lstrip(" ") if part.plain.strip() else part.plain
        part.rstrip()
        yield from part.render(console, end="")


class _SafeHook(RenderHook):
    def process_renderables(self, renderables: list[ConsoleRenderable]) -> list[ConsoleRenderable]:
        return [_Safe(r) for r in renderables]


def make_console(
    file: IO[str] | None = None,
    *,
    stderr: bool = False,
    terminal: bool | None = None,
    width: int | None = None,
) -> Console:
    """A console that prints data as written (see the module docstring)."""
    console = Console(
        file=file,
        stderr=stderr,
        force_terminal=terminal,
        width=width,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=True,
    )
    console.push_render_hook(_SafeHook())
    return console


class OutputClosed(Exception):
    """The reader of stdout went away (``| head``): not an ``OSError``, so that no layer
    in between mistakes it for a failure of its own; ``cli.app.main`` ends the run."""


class _PipeGuard:
    """stdout as a file, turning a closed pipe into ``OutputClosed``."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError as exc:
            raise OutputClosed from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError as exc:
            raise OutputClosed from exc

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def stdout_file() -> IO[str]:
    """The current ``sys.stdout``, guarded against a closed pipe."""
    return cast(IO[str], _PipeGuard(sys.stdout))


def stdout_console() -> Console:
    return make_console(stdout_file())


def stderr_console() -> Console:
    return make_console(stderr=True)


def print_document(document: Document, file: IO[str] | None = None) -> None:
    """Print a ``--format json`` document: its envelope, then its fields, on stdout."""
    text = document.to_json()
    # json.dumps escapes C0 controls; C1 controls and DEL are escaped here too.
    text = re.sub("[\x7f-\x9f\u2028\u2029]", lambda m: f"\\u{ord(m.group()):04x}", text)
    out = file if file is not None else stdout_file()
    out.write(text + "\n")
    out.flush()


class RichProgress:
    """A progress bar on stderr, shown only on a terminal and without --quiet."""

    def __init__(self, quiet: bool = False) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self._progress: Progress | None = None

    def __enter__(self) -> RichProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def stage(self, description: str, total: int) -> Advance:
        progress = self._progress
        if progress is None or total <= 0:
            return _ignore
        task = progress.add_task(description, total=total)

        def advance(n: int) -> None:
            progress.advance(task, n)

        return advance


def _ignore(_: int) -> None:
    return None
