from __future__ import annotations

import gc
import io
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from submitkit.core.atomic import atomic_output, write_text_atomic
from submitkit.core.zipwrite import DeterministicZip


def test_written_file_has_ordinary_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "a.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
    assert (tmp_path / "a.json").read_text() == "{}"


def test_interrupted_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.zip"
    with pytest.raises(KeyboardInterrupt), atomic_output(target) as handle:
        handle.write(b"half")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_replaces_existing_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    target.write_text("old")
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


class _StopsMidway(io.RawIOBase):
    """A source that is interrupted after its first block, as Ctrl-C would."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.calls += 1
        if self.calls > 1:
            raise KeyboardInterrupt
        buffer[:4] = b"data"
        return 4


def test_a_zip_interrupted_mid_entry_raises_the_interrupt_and_nothing_else(
    tmp_path: Path,
) -> None:
    # zipfile refuses to close with an entry half written: that refusal must not
    # replace the interrupt, nor come back later from the archive's finaliser.
    unraisable: list[Any] = []
    saved = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        with (
            pytest.raises(KeyboardInterrupt),
            atomic_output(tmp_path / "out.zip") as handle,
            DeterministicZip(handle) as z,
        ):
            z.add_file("a.png", io.BufferedReader(_StopsMidway()))
        gc.collect()
    finally:
        sys.unraisablehook = saved
    assert unraisable == []
    assert list(tmp_path.iterdir()) == []
