"""Progress reporting as a small interface, so library code never prints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Advance = Callable[[int], None]


class ProgressSink(Protocol):
    """Something that shows long work: a stage with a total, advanced in steps."""

    def stage(self, description: str, total: int) -> Advance: ...


class NoProgress:
    """The default: progress goes nowhere."""

    def stage(self, description: str, total: int) -> Advance:
        return _ignore


def _ignore(_: int) -> None:
    return None
