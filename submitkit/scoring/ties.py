"""Ties of the image-level matching: when the optimal assignment is not unique, and what it costs.

On small validation sets most ids co-occur with several classes equally
often, so many assignments reach the optimal total; their pixel mIoU differs.
The official number then depends on the tie-break (see
:mod:`submitkit.scoring.tiebreak`), and a researcher deserves to know by how much.

The search is exact, not sampled. Optimal dual potentials of the assignment
problem make every edge's reduced cost non-negative; the optimal assignments
are exactly the perfect matchings on the edges of reduced cost zero (the
*tight* edges). A class can change id between optimal assignments if and only
if it lies on a cycle that alternates between tight edges and the chosen
assignment, that is in a strongly connected component of more than one class.
The validation mIoU is a sum of one term per (id, class) pair of a one-to-one
matching, so its lowest and highest values over all optimal assignments are
two more assignment problems restricted to tight edges.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

SEARCH = (
    "exact: every optimal image-level assignment (perfect matchings on the zero "
    "reduced-cost edges of optimal dual potentials), mIoU optimised over them"
)


class Ties(BaseModel):
    """Where the optimal image-level assignment is not unique."""

    model_config = ConfigDict(frozen=True)

    classes: list[int]
    """Classes whose id differs between optimal assignments."""
    ids: list[int]
    """Predicted ids whose class differs between optimal assignments."""
    mIoU_low: float
    """Lowest validation mIoU (%) over the optimal assignments."""
    mIoU_high: float
    """Highest validation mIoU (%) over the optimal assignments."""
    search: str = SEARCH
    """How the optimal assignments were examined."""


def _duals(agreement: IntArray, col_of: IntArray) -> IntArray:
    """Column potentials ``d`` with ``A[r, c] + d[col_of[r]] - d[c] >= 0`` (Bellman-Ford).

    ``A[r, c] = agreement[r, col_of[r]] - agreement[r, c]`` is the cost of moving
    row ``r`` from its column to ``c``; an optimal assignment has no negative cycle.
    """
    own = agreement[np.arange(len(col_of)), col_of]
    move = own[:, None] - agreement
    d = np.zeros(agreement.shape[1], dtype=np.int64)
    for _ in range(agreement.shape[1] + 1):
        reach = (d[col_of][:, None] + move).min(axis=0)
        new = np.minimum(d, reach)
        if np.array_equal(new, d):
            return d
        d = new
    raise ValueError("the assignment given is not optimal")


def tight_edges(agreement: npt.ArrayLike, col_of: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Edges (row, column) that lie in some optimal assignment's reach: reduced cost zero.

    ``agreement`` is the square K x K matrix to maximise and ``col_of`` one optimal
    assignment (the column of each row).
    """
    a = np.asarray(agreement, dtype=np.int64)
    cols = np.asarray(col_of, dtype=np.int64)
    d = _duals(a, cols)
    own = a[np.arange(len(cols)), cols]
    reduced = own[:, None] - a + d[cols][:, None] - d[None, :]
    return np.asarray(reduced == 0)


def tied_rows(tight: npt.NDArray[np.bool_], col_of: npt.ArrayLike) -> IntArray:
    """Rows on an alternating cycle: those whose column differs between optimal assignments."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    cols = np.asarray(col_of, dtype=np.int64)
    rows, targets = np.nonzero(tight)
    sources = cols[rows]
    keep = sources != targets
    n = tight.shape[1]
    graph = csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.int8), (sources[keep], targets[keep])), shape=(n, n)
    )
    _, label = connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(label, minlength=n)
    moving_cols = sizes[label] > 1
    return np.flatnonzero(moving_cols[cols])


def iou_terms(pixels: npt.ArrayLike) -> FloatArray:
    """``F[i, c]``: the IoU (0..1) class ``c`` gets when id ``i`` alone maps to it.

    As the official evaluator: ``TP / (Pred + GT - TP + 1e-10)`` on scored pixels.
    """
    p = np.asarray(pixels, dtype=np.float64)
    pred = p.sum(axis=1)
    gt = p.sum(axis=0)
    terms: FloatArray = p / (pred[:, None] + gt[None, :] - p + 1e-10)
    return terms


def find_ties(
    images: npt.ArrayLike, pixels: npt.ArrayLike, mapping: Mapping[int, int]
) -> Ties | None:
    """The ties of an optimal one-to-one image-level ``mapping`` (ids 1..K to classes 1..K).

    ``images`` and ``pixels`` are the (K+1) x (K+1) statistics of
    :class:`~submitkit.scoring.matching.MatchStatistics`. Returns None when the
    optimal assignment is unique.
    """
    from scipy.optimize import linear_sum_assignment

    a = np.asarray(images, dtype=np.int64)[1:, 1:]
    k = a.shape[1]
    col_of = np.array([mapping[i + 1] - 1 for i in range(k)], dtype=np.int64)
    tight = tight_edges(a, col_of)
    moving = tied_rows(tight, col_of)
    if len(moving) == 0:
        return None
    terms = iou_terms(pixels)
    base = float(terms[0, 0])
    penalty = float(k + 10)
    extremes = []
    for sign in (1.0, -1.0):
        weights = np.where(tight, sign * terms[1:, 1:], -penalty)
        r, c = linear_sum_assignment(weights, maximize=True)
        extremes.append((base + float(terms[1:, 1:][r, c].sum())) / (k + 1) * 100.0)
    high, low = extremes
    return Ties(
        classes=sorted(int(col_of[r]) + 1 for r in moving),
        ids=sorted(int(r) + 1 for r in moving),
        mIoU_low=low,
        mIoU_high=high,
    )
