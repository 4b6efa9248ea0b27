"""The ImageNet-S label-id encoding shared by ground truth and predictions.

Every mask is an 8-bit RGB PNG holding ``id = R + 256 * G`` with ``B = 0``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

OTHER = 0
"""Background: not one of the K classes."""

IGNORE = 1000
"""Ground-truth pixels that are never scored."""

MAX_ENCODABLE = 255 + 256 * 255


def encode(ids: npt.NDArray[np.integer]) -> npt.NDArray[np.uint8]:
    """Turn an H x W array of ids into the H x W x 3 uint8 RGB encoding."""
    arr = np.asarray(ids)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D id array, got shape {arr.shape}")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) > MAX_ENCODABLE):
        raise ValueError(f"ids must lie in 0..{MAX_ENCODABLE}")
    wide = arr.astype(np.uint32, copy=False)
    rgb = np.zeros((*arr.shape, 3), dtype=np.uint8)
    rgb[..., 0] = wide & 0xFF
    rgb[..., 1] = wide >> 8
    return rgb


def decode(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.int32]:
    """Turn an H x W x 3 RGB array back into ids (the blue channel is ignored).

    The widening to int32 comes *before* the multiplication: the official
    loader multiplies the uint8 channel by 256, which overflows on NumPy 2.
    """
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] < 2:
        raise ValueError(f"expected an H x W x 3 array, got shape {arr.shape}")
    return arr[..., 0].astype(np.int32) + (arr[..., 1].astype(np.int32) << 8)
