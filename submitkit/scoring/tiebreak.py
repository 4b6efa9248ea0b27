"""The official matcher's tie-break, reproduced: which optimal assignment it returns.

``evaluation/match.py`` builds a K x K float32 cost ``1 - co / N`` (rows: predicted
ids 1..K, columns: classes 1..K, ``co`` the number of images in which both
appear, ``N`` the number of images) and hands it to ``munkres.Munkres().compute``.
Where several assignments are optimal, which one comes back depends on that
package's algorithm, scan order and float arithmetic. The golden cases
(``tests/fixtures/golden``) were produced with the ``munkres`` package as it
installs today (3.x). Despite the name, its dense solver is not the classic
step-1..6 Munkres of munkres 1.x (which breaks ties differently) but a
shortest-augmenting-path Hungarian method with dual potentials:

1. warm start: each row's potential is its smallest cost; rows in index order
   take the first still-free column (in index order) at that cost;
2. each row left unmatched, in index order, grows shortest paths: columns are
   scanned from the last one down (a reached column is swapped out of the
   scan list for the last one still in it); a column's label drops where
   ``((label + cost) - u_row) - v_col`` is strictly lower; the next column
   reached is the lowest label, on equal labels the last *free* column
   scanned, else the first column scanned; at a free column the potentials
   move and the path is flipped.

This module is our own implementation of those steps on NumPy arrays: each
vector operation performs, element by element, the same float64 operations in
the same order as the package's scalar loop, so the results are the same bits.
submitkit does not depend on the ``munkres`` package; the tests check this
module against the dictionaries the official matcher wrote.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def official_costs(images: npt.ArrayLike, count: int) -> FloatArray:
    """The official cost matrix from image co-occurrence ``images[id, class]``.

    ``images`` is the (K+1) x (K+1) matrix of :class:`MatchStatistics` (row and
    column 0, "other", are left out as the official code does); the values are
    rounded to float32 exactly as the official ``np.zeros(..., float32)`` store.
    """
    co = np.asarray(images, dtype=np.float64)[1:, 1:]
    if count < 1:
        raise ValueError("the official cost needs at least one image")
    cost = (1.0 - 1.0 * co / count).astype(np.float32)
    return cost.astype(np.float64)


def _warm_start(cost: FloatArray, u: FloatArray, row4col: IntArray, col4row: IntArray) -> None:
    """Row reduction, then each row in index order takes the first free column at its minimum."""
    low = cost.min(axis=1)
    u[:] = low
    for i in range(cost.shape[0]):
        hits = np.flatnonzero((cost[i] == low[i]) & (row4col == -1))
        if len(hits):
            row4col[hits[0]] = i
            col4row[i] = hits[0]


def _pick(shortest: FloatArray, free: npt.NDArray[np.bool_]) -> int:
    """Position of the next column in the scan: the lowest label; on equal labels the
    last free column scanned, else the first column scanned."""
    ties = np.flatnonzero(shortest == shortest.min())
    free_ties = ties[free[ties]]
    return int(free_ties[-1] if len(free_ties) else ties[0])


def _augment(
    cost: FloatArray, cur: int, u: FloatArray, v: FloatArray, row4col: IntArray, col4row: IntArray
) -> None:
    """Grow shortest paths from row ``cur`` until a free column; move the potentials; flip."""
    m = cost.shape[1]
    remaining = np.arange(m - 1, -1, -1)  # the scan order: columns from the last one down
    nrem = m
    shortest = np.full(m, np.inf)
    path = np.zeros(m, dtype=np.int64)
    reached: list[int] = []
    minval = 0.0
    i, sink = cur, -1
    while sink < 0:
        rem = remaining[:nrem]
        reduced = ((minval + cost[i, rem]) - u[i]) - v[rem]
        better = reduced < shortest[rem]
        path[rem[better]] = i
        shortest[rem[better]] = reduced[better]
        index = _pick(shortest[rem], row4col[rem] < 0)
        minval = float(shortest[rem[index]])
        j = int(rem[index])
        if row4col[j] < 0:
            sink = j
        else:
            i = int(row4col[j])
            reached.append(j)
            remaining[index] = remaining[nrem - 1]
            nrem -= 1
    u[cur] += minval
    for j in reached:
        step = minval - shortest[j]
        u[row4col[j]] += step
        v[j] -= step
    j = sink
    while True:
        row = int(path[j])
        row4col[j] = row
        j, col4row[row] = int(col4row[row]), j
        if row == cur:
            break


def official_assignment(cost: npt.ArrayLike) -> IntArray:
    """Column of each row in the assignment the official matcher returns (rows <= columns)."""
    c = np.ascontiguousarray(cost, dtype=np.float64)
    n, m = c.shape
    if n > m:
        raise ValueError("the official tie-break is defined here for rows <= columns")
    if not np.isfinite(c).all():
        raise ValueError("the official costs are finite")
    u = np.zeros(n)
    v = np.zeros(m)
    row4col = np.full(m, -1, dtype=np.int64)
    col4row = np.full(n, -1, dtype=np.int64)
    _warm_start(c, u, row4col, col4row)
    for cur in range(n):
        if col4row[cur] < 0:
            _augment(c, cur, u, v, row4col, col4row)
    return col4row


def official_mapping(images: npt.ArrayLike, count: int) -> dict[int, int]:
    """The dictionary ``evaluation/match.py`` writes: predicted id -> class, ``0 -> 0``."""
    cols = official_assignment(official_costs(images, count))
    mapping = {0: 0}
    for row, col in enumerate(cols.tolist()):
        mapping[row + 1] = col + 1
    return mapping
