"""The one exception family of submitkit.

Library functions raise these for problems that stop the work altogether (a
missing path, an unreadable toolbox, an ambiguous track); faults *in* a
submission are never exceptions but diagnostics in a report. Only the CLI
catches them, and turns them into exit code 2.
"""

from __future__ import annotations

from submitkit.core.safetext import printable


class SubmitkitError(Exception):
    """Base class: a usage or environment problem, reported with exit code 2."""

    def __init__(self, message: str, hint: str = "") -> None:
        # Messages name paths the user or a submission chose: never print them raw.
        message, hint = printable(message), printable(hint)
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(SubmitkitError):
    """The command line (or configuration) asks for something impossible."""


class EnvironmentProblem(SubmitkitError):
    """A file or folder the run depends on is missing or unreadable."""


class InputError(UsageError):
    """Data handed to the Python API (an id array, a mapping) that cannot be what it claims."""
