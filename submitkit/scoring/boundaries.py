"""The boundary band of a label map, computed on rows of bits.

The toolbox takes, for each id v, ``mask_v`` minus its erosion by a 3x3
square repeated d times with the image surrounded by zeros. Iterated 3x3
erosion equals one erosion by a (2d+1) square, so a pixel is on the boundary
exactly when its (2d+1) x (2d+1) window leaves the image or holds another id.
The window is non-constant iff it holds a pair of 4-neighbours that differ,
which splits into: a horizontal change within the window's rows, or a vertical
change in the pixel's own column (once every row of the window is constant,
the rows can only differ along that column).

Why bits: after the two comparisons that find the changes, everything is a
running OR over windows of 2d pixels, and d is 19 for a 500x375 image and
above 60 for the large ones. Packed 64 columns to a machine word, each OR pass
touches 1/64 of the elements a boolean pass would, so the band costs about as
much as the comparisons themselves; that is what keeps boundaries, done twice
per image (ground truth and prediction), a small part of an evaluation.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

BOUNDARY_RATIO = 0.03
"""Boundary width as a fraction of the image diagonal (the toolbox's ``dilation_ratio``)."""

BoolArray = npt.NDArray[np.bool_]
Words = npt.NDArray[np.uint64]

_BITS = 64
_WORD = np.dtype("<u8")


def boundary_width(height: int, width: int, ratio: float = BOUNDARY_RATIO) -> int:
    """Number d of 3x3 erosions that define an image's boundary band.

    ``d = max(1, round(ratio * sqrt(H^2 + W^2)))`` with Python's round (half to
    even), as the toolbox computes it.
    """
    return max(1, round(ratio * math.sqrt(height * height + width * width)))


def boundary_mask(ids: npt.NDArray[np.integer], width: int | None = None) -> BoolArray:
    """Pixels on the boundary of their own class, for every class at once (see the module)."""
    arr = np.asarray(ids)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D id array, got shape {arr.shape}")
    h, w = arr.shape
    d = boundary_width(h, w) if width is None else width
    if d < 1:
        raise ValueError("boundary width must be at least 1")
    if h <= 2 * d or w <= 2 * d:
        return np.ones((h, w), dtype=bool)
    pad = -(-2 * d // _BITS) + 1
    changes = np.zeros((h, w), dtype=bool)
    flat = arr.ravel()
    # Between column j and j+1, compared along the flat image (3x faster than row by row);
    # the comparisons of a row's last pixel with the next row's first are then cleared.
    np.not_equal(flat[1:], flat[:-1], out=changes.ravel()[:-1])
    changes[:, -1] = False
    row_varies = _columns_any(_pack(changes, pad), -d, d - 1)
    np.not_equal(arr[1:], arr[:-1], out=changes[:-1])  # between row i and i+1
    changes[-1] = False
    band = _rows_any(row_varies, -d, d)
    band |= _rows_any(_pack(changes, pad), -d, d - 1)
    frame = np.zeros((1, w), dtype=bool)
    frame[0, :d] = frame[0, -d:] = True
    band |= _pack(frame, pad)
    band[:d] = band[-d:] = ~np.uint64(0)
    return _unpack(band, w)


# --- rows of bits --------------------------------------------------------------------
#
# Each row is packed into words, then followed by ``pad`` zero words: with at
# least 2d bits of zeros between rows, the whole array can be shifted as one
# long bit string (one contiguous NumPy pass per shift instead of a pass per
# row), since no window of 2d bits reaches from one row's pixels into the
# next's; the zeros act as the "outside the image" of the window.


def _pack(bits: BoolArray, pad: int) -> Words:
    """Each row as little-endian words (column j is bit ``j % 64`` of word ``j // 64``), padded."""
    h, w = bits.shape
    packed = np.packbits(bits, axis=1, bitorder="little")
    out = np.zeros((h, (-(-w // _BITS) + pad) * 8), dtype=np.uint8)
    out[:, : packed.shape[1]] = packed
    return out.view(_WORD)


def _unpack(words: Words, width: int) -> BoolArray:
    """Back to one boolean per pixel; padding and bits beyond ``width`` are dropped."""
    bits = np.unpackbits(words.view(np.uint8), axis=1, count=width, bitorder="little")
    return bits.view(bool)


def _shifted(x: Words, s: int) -> Words:
    """``y[j] = x[j + s]`` along a flat bit string (``s`` of either sign); zeros come in."""
    n = x.size
    q, r = divmod(abs(s), _BITS)
    y = np.zeros_like(x)
    if q >= n:
        return y
    # Towards lower bits (s > 0) or higher ones: whole words first, then r bits.
    src, dst = (x[q:], y[: n - q]) if s > 0 else (x[: n - q], y[q:])
    if r == 0:
        dst[...] = src
        return y
    near, far = (np.right_shift, np.left_shift) if s > 0 else (np.left_shift, np.right_shift)
    near(src, np.uint64(r), out=dst)
    spill = far(src, np.uint64(_BITS - r))
    if s > 0:
        dst[:-1] |= spill[1:]
    else:
        dst[1:] |= spill[:-1]
    return y


def _columns_any(rows: Words, lo: int, hi: int) -> Words:
    """``out[j] = any(x[j+lo .. j+hi])`` along each padded row of bits, by doubling."""
    x = rows.ravel()
    size = hi - lo + 1
    cur = x.copy()
    span = 1  # invariant: cur[j] = any(x[j .. j+span-1])
    while 2 * span <= size:
        cur |= _shifted(cur, span)
        span *= 2
    if size > span:
        # Two overlapping windows of length `span` cover exactly `size`.
        cur |= _shifted(cur, size - span)
    out = _shifted(cur, lo)
    return out.reshape(rows.shape)


def _rows_any(x: Words, lo: int, hi: int) -> Words:
    """``out[i] = any(x[i+lo .. i+hi])`` down the rows; rows outside count as empty."""
    n = x.shape[0]
    size = hi - lo + 1
    cur = x.copy()
    span = 1
    while 2 * span <= size and span < n:
        cur[: n - span] |= cur[span:]
        span *= 2
    rest = size - span
    if 0 < rest < n and span < n:
        cur[: n - rest] |= cur[rest:]
    out = np.zeros_like(x)
    if lo >= 0:
        if lo < n:
            out[: n - lo] = cur[lo:]
    elif -lo < n:
        out[-lo:] = cur[: n + lo]
    return out
