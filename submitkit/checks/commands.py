"""The commands hints print: ``submitkit ...`` with the options the user gave, ready to paste.

A hint that names a command is copied into a shell, so it must run as printed:
it carries the sources, track, split and protocol of the run that found the
problem (a fix without the ``--manifest`` the check had exits 2), every word is
quoted for a POSIX shell (:func:`shlex.join`: a folder named ``my run`` stays
one word), it holds no placeholder (``SUB``, ``DS``), and an output it names
does not exist yet (fix and pack refuse to write over one).
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePath

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import Split


@dataclass(frozen=True)
class Given:
    """The options of a run that a follow-up command needs, as the user gave them."""

    toolbox: Path | None = None
    dataset: Path | None = None
    manifest: Path | None = None
    track: int | None = None
    split: Split | None = None
    protocol: Protocol | None = None

    def sources(self) -> list[str]:
        """``--toolbox``, ``--dataset`` and ``--manifest``, those given."""
        out: list[str] = []
        for flag, value in (
            ("--toolbox", self.toolbox),
            ("--dataset", self.dataset),
            ("--manifest", self.manifest),
        ):
            if value is not None:
                out += [flag, str(value)]
        return out

    def options(self, *, split: bool = True) -> list[str]:
        """The sources, then ``--track``, ``--split`` and ``--protocol`` where given."""
        out = self.sources()
        if self.track is not None:
            out += ["--track", str(self.track)]
        if split and self.split is not None:
            out += ["--split", self.split.value]
        if self.protocol is not None:
            out += ["--protocol", self.protocol.value]
        return out


def command(*words: str | PurePath) -> str:
    """``submitkit`` and ``words``, each quoted for the shell where it needs it."""
    return shlex.join(["submitkit", *(str(w) for w in words)])


def fresh_path(
    candidate: str, mark: str = "", suffixes: tuple[str, ...] = (".zip", ".json")
) -> str:
    """``candidate``, or ``candidate-2``, ``-3``, ... : the first that does not exist yet.

    ``mark`` goes after the name, before the number and the suffix (``-fixed``); the
    name is shortened, never the mark, where the whole would be too long to create.

    A hint that proposes an output the user already has would be refused as printed.
    """
    path = PurePath(candidate)
    suffix = path.suffix if path.suffix.lower() in suffixes else ""
    stem = path.name[: len(path.name) - len(suffix)]
    for n in range(1, 1000):
        name = _within_name_max(stem, mark + (f"-{n}" if n > 1 else "") + suffix)
        shown = str(path.with_name(name))
        if not _exists(shown):
            return shown
    return str(path)


NAME_MAX = 255
"""The longest file name, in bytes, the usual file systems take (ext4, APFS, NTFS's 255 units)."""


def _within_name_max(stem: str, tail: str) -> str:
    """``stem + tail``, the stem shortened until the name fits :data:`NAME_MAX` bytes.

    ``sub-fixed.zip`` beside a 255-byte ``sub.zip`` could not be created: the
    hint would be refused as printed (and asking whether it exists raises).
    """
    while stem and len(os.fsencode(stem + tail)) > NAME_MAX:
        stem = stem[:-1]
    return stem + tail


def _exists(shown: str) -> bool:
    try:
        return Path(shown).exists()
    except OSError:  # unreadable parent, say: not a name to propose
        return True


def fixed_name(submission: str) -> str:
    """Where the repaired copy of ``submission`` could go: ``sub`` -> ``sub-fixed``, unused."""
    path = PurePath(submission.rstrip("/\\") or "submission")
    if path.suffix.lower() == ".zip":
        return fresh_path(str(path.with_suffix(".zip")), "-fixed")
    return fresh_path(str(path), "-fixed", suffixes=())
