"""Image sizes from file headers alone, for tens of thousands of source images.

A prediction must have exactly the size of its source JPEG. Decoding 27k JPEGs
to learn their sizes would take minutes; the size sits in the first few hundred
bytes (the JPEG SOFn segment, the PNG IHDR chunk), so we read only those.

Sizes are the *stored* ones, (height, width), as ``PIL.Image.open(p).size``
reports them (reversed): the official pipeline ignores EXIF orientation, so
must we.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from submitkit.core.workers import run_all

Size = tuple[int, int]
"""(height, width) in pixels."""

JPEG_SIGNATURE = b"\xff\xd8\xff"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Most JPEGs reach their SOF within the first few hundred bytes; one read of
# this size usually answers with a single system call. A large APP segment
# (EXIF thumbnail, ICC profile) is skipped by seeking, never read.
_FIRST_READ = 2048
_LATER_READ = 512

# SOF0..SOF15 without DHT (C4), JPG (C8) and DAC (CC). DHP (DE) also declares
# the frame size of a hierarchical JPEG, and PIL takes its size from it too.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC} | {0xDE}
# Markers without a length field. PIL also treats JPG (C8) and JPGn (F0..FD)
# this way; agreeing with PIL matters more here than the letter of the spec.
_STANDALONE = frozenset(range(0xD0, 0xDA)) | {0x01, 0xC8} | frozenset(range(0xF0, 0xFE))
_SOS = 0xDA


class _Window:
    """A sliding view on a file: bytes are fetched only around where parsing is."""

    def __init__(self, f: BinaryIO, first: bytes) -> None:
        self._f = f
        self._buf = first
        self._base = 0  # file offset of self._buf[0]
        self.pos = 0  # file offset of the parser

    def get(self, n: int) -> bytes | None:
        """The n bytes at the parser's position (not consumed), or None at end of file."""
        start = self.pos - self._base
        if start < 0 or start + n > len(self._buf):
            self._f.seek(self.pos)
            self._buf = self._f.read(max(n, _LATER_READ))
            self._base = self.pos
            start = 0
        chunk = self._buf[start : start + n]
        return chunk if len(chunk) == n else None


def _jpeg_size(win: _Window) -> Size | None:
    head = win.get(3)
    if head != JPEG_SIGNATURE:
        return None
    win.pos = 2
    while True:
        byte = win.get(1)
        if byte is None:
            return None
        if byte[0] != 0xFF:
            # PIL skips junk between segments; so do we, to agree with it.
            win.pos += 1
            continue
        marker = win.get(2)
        if marker is None:
            return None
        code = marker[1]
        if code == 0xFF or code == 0x00:
            # Fill byte before a marker, or an escaped 0xFF in junk.
            win.pos += 1
            continue
        win.pos += 2
        if code in _STANDALONE:
            continue
        if code == _SOS:
            return None  # image data began without any frame header
        if code in _SOF_MARKERS:
            # length(2) precision(1) height(2) width(2)
            seg = win.get(7)
            if seg is None:
                return None
            height, width = struct.unpack(">HH", seg[3:7])
            return (height, width) if height and width else None
        if code < 0xC0 and code != 0x01:
            return None  # reserved marker: PIL refuses the file
        length = win.get(2)
        if length is None:
            return None
        seg_len = struct.unpack(">H", length)[0]
        if seg_len < 2:
            return None
        win.pos += seg_len


def _png_size(head: bytes) -> Size | None:
    # signature(8) length(4) "IHDR"(4) width(4) height(4)
    if len(head) < 24 or not head.startswith(PNG_SIGNATURE) or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return (height, width) if height and width else None


def _read_size(path: Path, *, jpeg: bool, png: bool) -> Size | None:
    try:
        with open(path, "rb", buffering=0) as f:
            first = f.read(_FIRST_READ)
            if png and first.startswith(PNG_SIGNATURE):
                return _png_size(first)
            if jpeg and first.startswith(JPEG_SIGNATURE):
                return _jpeg_size(_Window(f, first))
    except OSError:
        return None
    return None


def jpeg_size(path: Path) -> Size | None:
    """(height, width) of a source image (a ``.JPEG``), or None if its header is unreadable.

    The size comes from the JPEG's SOF segment. PIL opens by content, not by
    name, so a PNG stored under a ``.JPEG`` name (a few ImageNet files are) is a
    valid source image to the official pipeline: its IHDR size is returned.
    """
    return _read_size(path, jpeg=True, png=True)


def png_size(path: Path) -> Size | None:
    """(height, width) of a PNG from its IHDR chunk, or None if unreadable or not a PNG."""
    return _read_size(path, jpeg=False, png=True)


def jpeg_sizes(
    paths: Sequence[Path],
    *,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[Size | None]:
    """``jpeg_size`` of many source images, in the order given.

    Threads of the one runner, several per CPU: the work is a few system calls
    per file, and on a cold disk cache many requests in flight are what makes it
    fast. ``jobs=1`` stays on the calling thread. ``progress(n)`` is called from
    the calling thread each time n more files are done.
    """
    return run_all(jpeg_size, paths, jobs=jobs, progress=progress, io_bound=True, max_chunk=256)
