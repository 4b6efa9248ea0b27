"""The last line of defence around every command: one line and an exit code, never a traceback.

Commands turn the problems they expect into findings or ``error:`` lines
themselves. What still reaches this guard is either the environment (an
unwritable output, a full disk, a closed pipe, a terminal encoding that cannot
show a file name) or a bug in submitkit; each ends as one line on stderr and
an exit code, and output that can no longer be written is dropped quietly.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TextIO, cast

from submitkit.cli.entry import interrupted, stopping
from submitkit.core.errors import SubmitkitError
from submitkit.core.exits import ExitCode
from submitkit.core.safetext import printable
from submitkit.render.console import OutputClosed

ERROR_HANDLER = "submitkit-escape"
"""Codec error handler of stdout/stderr: unencodable characters become ``\\u`` escapes."""

_replaced: list[str] = []


def _escape_unencodable(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    _replaced.append(exc.encoding if exc.encoding != "charmap" else _stdout_encoding())
    bad = exc.object[exc.start : exc.end]
    return "".join(_escaped(c) for c in bad), exc.end


def _stdout_encoding() -> str:
    return str(getattr(sys.stdout, "encoding", None) or "charmap")


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


codecs.register_error(ERROR_HANDLER, _escape_unencodable)


class OutputFailed(OSError):
    """Writing a result to stdout failed (a full disk, a closed file): not the input's fault."""


class _Output:
    """stdout as the commands see it: a failed write says that it was the output that failed."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    broken = False
    """Set once a write met a closed pipe (rich and typer then exit 1 on their own)."""

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            _Output.broken = True
            raise
        except OSError as exc:
            raise OutputFailed(exc.errno, exc.strerror) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            _Output.broken = True
            raise
        except OSError as exc:
            raise OutputFailed(exc.errno, exc.strerror) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def tolerant_streams() -> None:
    """Let stdout/stderr write any text: what the encoding lacks is escaped, not fatal.

    ``PYTHONIOENCODING=cp1252`` or a legacy console cannot encode a CJK file
    name; the name is written as ``\\u540d`` and one note says so at the end.
    A failed write to stdout raises :class:`OutputFailed`.
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors=ERROR_HANDLER)
    if sys.stdout is not None and not isinstance(sys.stdout, _Output):
        sys.stdout = cast(TextIO, _Output(sys.stdout))


def say(message: str, hint: str = "", label: str = "error") -> None:
    """One ``label: message`` line (and its hint) on stderr; never raises.

    The text is escaped and printed as plain text, never as rich markup: a path
    like ``runs[/v2]`` is a name, not a closing tag.
    """
    from rich.text import Text

    from submitkit.render.console import stderr_console

    try:
        err = stderr_console()
        head = Text.assemble((f"{label}:", "bold red"), " ") if label else Text()
        err.print(head + Text(printable(message)), soft_wrap=True)
        if hint:
            err.print(Text("  " + printable(hint)), soft_wrap=True)
    except Exception:  # stderr itself is unusable: nothing left to tell
        _drop(sys.stderr)


def _drop(stream: object) -> None:
    """Point a broken stream at /dev/null so the exit-time flush stays silent."""
    fileno = getattr(stream, "fileno", None)
    with contextlib.suppress(OSError, ValueError, AttributeError):
        if fileno is not None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fileno())
            os.close(devnull)


def _flush_stdout() -> OSError | None:
    """Flush stdout now, where a failure can still be reported; the failure, if any."""
    try:
        sys.stdout.flush()
    except OSError as exc:
        _drop(sys.stdout)
        return exc
    except ValueError:  # closed by the caller
        return None
    return None


def _exit_code(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def _environment(exc: OSError) -> int:
    """An OSError that reached the top: the output cannot be written, or a file is unusable."""
    if isinstance(exc, BrokenPipeError) or exc.errno == errno.EPIPE:
        # The reader went away (`| head`): nothing is wrong and nothing can be said there.
        _drop(sys.stdout)
        return ExitCode.BROKEN_PIPE
    if isinstance(exc, OutputFailed):
        _drop(sys.stdout)
        say(
            f"cannot write the output: {exc.strerror or exc}",
            "the disk may be full; redirect the output elsewhere",
        )
        return ExitCode.USAGE
    where = f": {exc.filename}" if exc.filename else ""
    say(
        f"{exc.strerror or exc}{where}",
        "check that the file or folder exists, is readable, and that the disk has space",
    )
    return ExitCode.USAGE


def guarded(app: Callable[[], object]) -> NoReturn:
    """Run ``app`` (the typer app) and exit with its code; see the module docstring."""
    tolerant_streams()
    code = 0
    try:
        app()
    except SystemExit as exc:
        code = _exit_code(exc)
        if _Output.broken:
            # rich or typer met a closed pipe (`| head`) and exited 1 quietly: say 141.
            code = ExitCode.BROKEN_PIPE
    except OutputClosed:
        # The reader went away (`| head`): quiet, as a shell reports SIGPIPE.
        _drop(sys.stdout)
        code = ExitCode.BROKEN_PIPE
    except KeyboardInterrupt:
        interrupted()  # one line and exit 130 at once: worker threads die with the process
    except SubmitkitError as exc:
        say(exc.message, exc.hint)
        code = ExitCode.USAGE
    except OSError as exc:
        code = _environment(exc)
    except Exception as exc:
        if stopping():
            interrupted()  # a library wrapped the interrupt in an error of its own
        # A bug in submitkit, not in the submission: one line, not a traceback,
        # unless the user asks for it to report the bug.
        if os.environ.get("SUBMITKIT_DEBUG"):
            raise
        say(
            f"{type(exc).__name__}: {exc}",
            "this is a submitkit bug: please report it with the output of the same "
            "command run with SUBMITKIT_DEBUG=1",
            label="internal error",
        )
        code = ExitCode.USAGE
    failed = _flush_stdout()
    if failed is not None:
        code = _environment(failed)
    if _replaced:
        say(
            f"the output encoding ({_replaced[0]}) cannot show some characters: they are "
            "written as \\u escapes",
            "set PYTHONIOENCODING=utf-8 (or PYTHONUTF8=1) to see them as they are",
            label="note",
        )
    sys.exit(code)
