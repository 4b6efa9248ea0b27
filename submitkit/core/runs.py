"""Counting the values of a label map by runs instead of by pixels.

Label maps are smooth: a 500-pixel row of a mask, or of the (class, class,
flags) keys scoring builds from two masks, is a few dozen runs of equal
values. One comparison of neighbours and a count over the runs then costs
about a quarter of ``np.bincount`` over every pixel, which converts each value
to a 64-bit index before counting. This is the one histogram of per-pixel
values, for the check's ids as for scoring's keys.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

_DENSE_SHARE = 4
"""Count pixel by pixel when more than one pixel in this many starts a new run."""

IntArray = npt.NDArray[np.int64]


def runs(*planes: npt.NDArray[Any]) -> tuple[IntArray, IntArray] | None:
    """Where each run of equal values starts along the flattened planes, and its length.

    A run ends where any plane changes (the planes are read together, as the
    bands of one value). ``None`` for noise-like maps, where more than one pixel
    in four starts a run and counting pixels is cheaper.
    """
    flat = [p.ravel() for p in planes]
    size = flat[0].size
    if size == 0:
        return None
    change = flat[0][1:] != flat[0][:-1]
    for plane in flat[1:]:
        change |= plane[1:] != plane[:-1]
    if _DENSE_SHARE * np.count_nonzero(change) > size:
        return None
    starts = np.flatnonzero(change)
    starts += 1
    edges = np.concatenate(([0], starts, [size]))
    return edges[:-1], np.diff(edges)


def run_histogram(
    values: npt.NDArray[np.unsignedinteger[Any]], bins: int = 0
) -> npt.NDArray[np.int64]:
    """``np.bincount(values.ravel(), minlength=bins)``, counted by runs where that is cheaper.

    Exact either way: run lengths are summed in float64, exact far beyond any
    image's pixel count.
    """
    flat = values.ravel()
    found = runs(flat)
    if found is None:
        return np.bincount(flat, minlength=bins).astype(np.int64, copy=False)
    starts, lengths = found
    return np.bincount(flat[starts], weights=lengths, minlength=bins).astype(np.int64)
