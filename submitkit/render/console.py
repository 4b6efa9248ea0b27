"""Terminal plumbing for the CLI: stdout/stderr consoles and the rich progress bar."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from submitkit.core.progress import Advance


def stdout_console() -> Console:
    # Results must stay plain when piped: no colour codes, no wrapping of JSON.
    # markup=False: strings are printed as they are, so a name like "runs[/v2]" is
    # never read as a closing tag; styles come from Text objects only.
    return Console(soft_wrap=True, highlight=False, markup=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, markup=False)


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
                console=stderr_console(),
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
