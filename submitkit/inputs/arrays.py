"""Id maps handed to the Python API: H x W integer arrays, judged before anything uses them.

A training loop hands over whatever its framework gives (a NumPy array, a CPU
tensor, nested lists); anything ``np.asarray`` turns into a 2-D array of
integers is taken. A float or boolean array is refused rather than rounded:
logits or a probability map passed by mistake would otherwise score as ids.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from submitkit.core.errors import InputError

_X = "\N{MULTIPLICATION SIGN}"


def id_map(value: object, what: str) -> npt.NDArray[np.integer[Any]]:
    """``value`` as a 2-D integer array; :class:`InputError` naming ``what`` when it is not."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise InputError(
            f"{what} is not an array: {exc}", "give an H x W array of integer class ids"
        ) from exc
    if arr.dtype.kind not in "iu":
        raise InputError(
            f"{what} has dtype {arr.dtype}, not integers",
            "give class ids, e.g. logits.argmax(axis=0) (an integer array), not scores or masks",
        )
    if arr.ndim != 2:
        raise InputError(
            f"{what} has shape {arr.shape}, not H x W",
            "give one image at a time as a 2-D array (squeeze batch or channel axes)",
        )
    if arr.size == 0:
        raise InputError(
            f"{what} is empty ({arr.shape[1]}{_X}{arr.shape[0]})",
            "give the id map of a whole image (at least one pixel)",
        )
    return arr


def id_range(arr: npt.NDArray[np.integer[Any]]) -> tuple[int, int]:
    """The smallest and largest id of a non-empty id map."""
    return int(arr.min()), int(arr.max())
