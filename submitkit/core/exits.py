"""The one exit-code rule, so every command means the same thing by the same number.

- 0: the command did its job (warnings allowed, unless ``--strict``);
- 1: findings: the check, the pack, the score or the validation failed;
- 2: usage or environment errors: the command could not run as asked;
- 130: interrupted (Ctrl-C), as a shell reports SIGINT; 143 and 129 when
  stopped by SIGTERM (``timeout``, a cancelled CI job) or SIGHUP (a closed
  terminal), which are handled alike: temporary files are removed first;
- 141: stdout was closed early (``| head``), as a shell reports SIGPIPE for
  coreutils: the reader chose to stop, which is not a finding.
"""

from __future__ import annotations

import signal
from enum import IntEnum
from typing import Protocol


class ExitCode(IntEnum):
    OK = 0
    FINDINGS = 1
    USAGE = 2
    HANGUP = 129
    INTERRUPTED = 130
    BROKEN_PIPE = 141
    TERMINATED = 143


STOP_SIGNALS: dict[int, str] = {
    int(getattr(signal, name)): said
    for name, said in (("SIGINT", "interrupted"), ("SIGTERM", "terminated"), ("SIGHUP", "hung up"))
    if hasattr(signal, name)
}
"""The signals that stop a run cleanly (exit 128 + the signal), with the line each prints."""


class _Outcome(Protocol):
    def is_failure(self) -> bool: ...


def exit_code(outcome: _Outcome) -> ExitCode:
    """The exit code of a command that ran to the end and produced ``outcome``."""
    return ExitCode.FINDINGS if outcome.is_failure() else ExitCode.OK
