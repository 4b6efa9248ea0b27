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


def run_histogram(
    values: npt.NDArray[np.unsignedinteger[Any]], bins: int = 0
) -> npt.NDArray[np.int64]:
    """``np.bincount(values.ravel(), minlength=bins)``, counted by runs where that is cheaper.

    Noise-like maps (many short runs) are counted pixel by pixel. Exact either
    way: run lengths are summed in float64, exact far beyond any image's pixel count.
    """
    flat = values.ravel()
    change = flat[1:] != flat[:-1]
    if flat.size == 0 or _DENSE_SHARE * np.count_nonzero(change) > flat.size:
        return np.bincount(flat, minlength=bins).astype(np.int64, copy=False)
    edges = np.concatenate(([0], np.flatnonzero(change) + 1, [flat.size]))
    runs = np.bincount(flat[edges[:-1]], weights=np.diff(edges), minlength=bins)
    return runs.astype(np.int64)
