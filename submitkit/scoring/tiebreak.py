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
    """The dictionary ``evaluation/match.py`` writes under munkres 3.x: id -> class, ``0 -> 0``."""
    return _mapping(official_assignment(official_costs(images, count)))


def _mapping(cols: IntArray) -> dict[int, int]:
    mapping = {0: 0}
    for row, col in enumerate(cols.tolist()):
        mapping[row + 1] = col + 1
    return mapping


# --- munkres 1.x: the classic step-1..6 method ----------------------------------------
#
# munkres 1.1.4 (current 2021 to 2026-10; what researchers and the old leaderboards ran
# `evaluation/match.py` with) implements the textbook Munkres method on a Python list
# of lists: (1) subtract each row's minimum; (2) star, row by row, the first zero whose
# column holds no star; (3) cover the starred columns, done when all are; (4) prime an
# uncovered zero: the search starts at the row and column where the last one left off
# (the column of the star that row holds), takes the first row (in wrap-around order)
# holding an uncovered zero and, in it, the *last* uncovered zero of a wrap-around scan
# of the columns; a primed zero whose row holds a star covers that row and uncovers
# the star's column; one whose row holds none ends the search; (5) flip the path of
# primes and stars (first star of a column, first prime of a row); (6) add the smallest
# uncovered value to covered rows, then subtract it from uncovered columns (two float
# operations, in that order, on a cell of a covered row and an uncovered column).
# The functions below do the same steps on NumPy arrays, cell by cell the same float64
# operations, so they pick the same optimal assignment.

_STAR, _PRIME = 1, 2


def _first_zero(
    zero: npt.NDArray[np.bool_],
    free: npt.NDArray[np.bool_],
    col_cov: npt.NDArray[np.bool_],
    row0: int,
    col0: int,
) -> tuple[int, int]:
    """munkres 1.x's search: first row from ``row0`` (wrapping) with an uncovered zero, and
    in it the last uncovered zero of the columns scanned from ``col0`` (wrapping).

    ``free`` marks the uncovered rows that hold a zero in an uncovered column.
    """
    rows = np.flatnonzero(free)
    if not len(rows):
        return -1, -1
    later = rows[rows >= row0]
    row = int(later[0] if len(later) else rows[0])
    cols = np.flatnonzero(zero[row] & ~col_cov)
    before = cols[cols < col0]
    return row, int(before[-1] if len(before) else cols[-1])


def _flip_path(marked: npt.NDArray[np.int8], row: int, col: int) -> None:
    """Step 5: stars of the path become plain, its primes stars; every prime erased."""
    path = [(row, col)]
    while True:
        stars = np.flatnonzero(marked[:, col] == _STAR)
        if not len(stars):
            break
        row = int(stars[0])
        path.append((row, col))
        col = int(np.flatnonzero(marked[row] == _PRIME)[0])
        path.append((row, col))
    for r, c in path:
        marked[r, c] = 0 if marked[r, c] == _STAR else _STAR
    marked[marked == _PRIME] = 0


def _initial_stars(c: FloatArray) -> npt.NDArray[np.int8]:
    """Step 2: row by row, star the first zero whose column holds no star yet."""
    n = c.shape[0]
    marked = np.zeros((n, n), dtype=np.int8)
    taken = np.zeros(n, dtype=bool)
    for i in range(n):
        free = np.flatnonzero((c[i] == 0) & ~taken)
        if len(free):
            marked[i, free[0]] = _STAR
            taken[free[0]] = True
    return marked


def _prime_until_free(
    c: FloatArray, marked: npt.NDArray[np.int8], col_cov: npt.NDArray[np.bool_]
) -> tuple[int, int]:
    """Steps 4 and 6 until a primed zero has no star in its row; that zero's position.

    ``hits[i]`` counts the zeros of row ``i`` in uncovered columns, kept up to date as
    columns are uncovered, so a search costs a row, not the matrix.
    """
    n = c.shape[0]
    row_cov = np.zeros(n, dtype=bool)
    zero = c == 0
    hits = zero[:, ~col_cov].sum(axis=1)
    row, col = 0, 0
    while True:
        row, col = _first_zero(zero, (hits > 0) & ~row_cov, col_cov, row, col)
        if row < 0:  # step 6, then the search starts again from the top
            low = c[~row_cov][:, ~col_cov].min()
            c[row_cov] += low
            c[:, ~col_cov] -= low
            zero = c == 0
            hits = zero[:, ~col_cov].sum(axis=1)
            row, col = 0, 0
            continue
        marked[row, col] = _PRIME
        stars = np.flatnonzero(marked[row] == _STAR)
        if not len(stars):
            return row, col
        col = int(stars[0])
        row_cov[row] = True
        col_cov[col] = False
        hits += zero[:, col]


def munkres1_assignment(cost: npt.ArrayLike) -> IntArray:
    """Column of each row in the assignment munkres 1.x's ``Munkres().compute`` returns."""
    c = np.array(cost, dtype=np.float64)
    n, m = c.shape
    if n != m:
        raise ValueError("the munkres 1.x tie-break is reproduced here for square costs")
    if not np.isfinite(c).all():
        raise ValueError("the costs must be finite")
    c -= c.min(axis=1)[:, None]
    marked = _initial_stars(c)
    while True:
        col_cov = (marked == _STAR).any(axis=0)
        if col_cov.sum() >= n:
            cols: IntArray = np.argmax(marked == _STAR, axis=1).astype(np.int64)
            return cols
        _flip_path(marked, *_prime_until_free(c, marked, col_cov))


def munkres1_mapping(images: npt.ArrayLike, count: int) -> dict[int, int]:
    """The dictionary ``evaluation/match.py`` writes under munkres 1.x (1.1.4)."""
    return _mapping(munkres1_assignment(official_costs(images, count)))


def pass_costs(images: npt.ArrayLike) -> FloatArray:
    """PASS's cost (``src/utils.py``, ``hungarian``): ``-co``, whole numbers, no division."""
    return -np.asarray(images, dtype=np.float64)[1:, 1:]


def pass_mapping(images: npt.ArrayLike) -> dict[int, int]:
    """The match.json PASS's ``inference.py --mode validation`` writes (munkres 1.1.4)."""
    return _mapping(munkres1_assignment(pass_costs(images)))
