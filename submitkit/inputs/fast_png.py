"""A faster decoder for the 8-bit RGB PNGs Pillow would read alike, and the gate that says which.

Pillow is the reference: the official evaluator reads masks with it, so what
it refuses is a fault and what it decodes is the ids. Through Pillow a mask
costs about 1.5 ms; libspng (the ``pyspng`` wheel) decodes the same bytes in
about 0.6 ms, straight into four bytes a pixel, the words
:mod:`~submitkit.inputs.pixel_memory` describes. But libspng, as ``pyspng``
sets it up, checks neither chunk checksums nor the zlib checksum, and it skips
ancillary chunks Pillow refuses when damaged: a file it decodes is not always
a file Pillow decodes. So it is used only on a file of the plain layout
every mask writer produces, checked here first:

* the chunks, after IHDR, are a few well-formed ancillary chunks Pillow
  reads without fail (``gAMA``, ``sRGB``, ``pHYs``, ``cHRM`` of their exact
  lengths, short ``tEXt``), then consecutive ``IDAT`` chunks, then an empty
  ``IEND`` that ends the file, every chunk's CRC correct;
* the ``IDAT`` data is one complete zlib stream, its checksum correct (checked
  by inflating it with zlib-ng, about a fifth of the decode), holding exactly
  the scanlines the header declares, and nothing after it.

On such a file Pillow succeeds, and both decoders give the same pixels
(PNG decoding is exact). Anything else, or any failure or surprise of either
library, answers None: the caller decodes with Pillow, which names the fault.
Both libraries are optional (wheels for the platforms the project's
``pyproject.toml`` lists); without either, every file goes to Pillow.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

Words = npt.NDArray[np.uint32]

_ANCILLARY = {b"gAMA": 4, b"sRGB": 1, b"pHYs": 9, b"cHRM": 32}
"""Chunks Pillow parses without fail at these exact lengths, allowed before the pixels."""
_TEXT_LIMIT = 1 << 16
"""``tEXt`` bytes allowed in all (Pillow refuses text beyond its own memory limits)."""
_INFLATE_STEP = 1 << 22
"""Bytes of scanlines inflated at a time while checking the stream."""
_HEADER_END = 33
"""Signature (8) and IHDR chunk (25)."""

_Decoders = tuple[Callable[[bytes, str], Any], Callable[[], Any]]
_loaded: list[_Decoders | None] = []


def _decoders() -> _Decoders | None:
    """``pyspng.load`` and ``zlib_ng.decompressobj``, imported once; None if either is absent."""
    if not _loaded:
        try:
            import pyspng
            from zlib_ng import zlib_ng
        except Exception:
            # Not installed for this platform (or broken): Pillow does all the work.
            _loaded.append(None)
        else:
            _loaded.append((pyspng.load, zlib_ng.decompressobj))
    return _loaded[0]


def available() -> bool:
    """Whether the fast decoder is installed and importable here."""
    return _decoders() is not None


def idat_data(data: bytes) -> bytes | None:
    """The joined IDAT data of a file of the plain layout (see the module), else None."""
    at, end = _HEADER_END, len(data)
    parts: list[bytes] = []
    text = 0
    while at + 12 <= end:
        length, kind = struct.unpack_from(">I4s", data, at)
        stop = at + 12 + length
        if length > 0x7FFFFFFF or stop > end:
            return None
        body = data[at + 8 : stop - 4]
        if zlib.crc32(kind + body) != struct.unpack_from(">I", data, stop - 4)[0]:
            return None
        if kind == b"IDAT":
            parts.append(body)
        elif kind == b"IEND":
            return b"".join(parts) if parts and length == 0 and stop == end else None
        elif parts:
            return None  # only IEND may follow the pixels
        elif kind == b"tEXt" and text + length <= _TEXT_LIMIT:
            text += length
        elif _ANCILLARY.get(kind) != length:
            return None
        at = stop
    return None


def _stream_is_whole(decompressobj: Callable[[], Any], idat: bytes, expected: int) -> bool:
    """Whether ``idat`` is one zlib stream of exactly ``expected`` bytes, checksum correct."""
    try:
        inflater = decompressobj()
        total, rest = 0, idat
        while rest and total <= expected:
            # A few MB at a time: a large mask's scanlines are counted, never held whole.
            total += len(inflater.decompress(rest, _INFLATE_STEP))
            rest = inflater.unconsumed_tail
        if total > expected:
            return False  # more scanlines than the header declares (or a bomb): not inflated on
        total += len(inflater.flush())
        return bool(total == expected and inflater.eof and not inflater.unused_data)
    except Exception:
        # zlib's error for a damaged stream, or anything else: not for the fast path.
        return False


def rgb_words(data: bytes, width: int, height: int) -> Words | None:
    """The pixels of a non-interlaced 8-bit RGB PNG as ``<u4`` words, where the gate allows.

    ``data`` is a whole file whose header was judged already (8-bit RGB,
    ``width`` x ``height``, not interlaced). The pad byte of each word (alpha)
    is not promised, as in :mod:`~submitkit.inputs.pixel_memory`.
    """
    found = _decoders()
    if found is None:
        return None
    load, decompressobj = found
    idat = idat_data(data)
    if idat is None or not _stream_is_whole(decompressobj, idat, height * (1 + 3 * width)):
        return None
    try:
        rgba = load(data, "RGBA")
    except Exception:
        # libspng refuses it (a bad filter byte, say): Pillow will say why.
        return None
    if (
        not isinstance(rgba, np.ndarray)
        or rgba.shape != (height, width, 4)
        or rgba.dtype != np.uint8
        or not rgba.flags.c_contiguous
    ):
        return None
    words: Words = rgba.view(np.dtype("<u4")).reshape(-1)
    words.flags.writeable = False
    return words
