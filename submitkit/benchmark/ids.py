"""The ImageNet-S label ids shared by ground truth and predictions.

How ids are stored in a PNG is :mod:`submitkit.inputs.png`'s business alone.
"""

from __future__ import annotations

OTHER = 0
"""Background: not one of the K classes."""

IGNORE = 1000
"""Ground-truth pixels that are never scored."""

MAX_ENCODABLE = 0xFFFF
"""The largest id a mask can hold."""
