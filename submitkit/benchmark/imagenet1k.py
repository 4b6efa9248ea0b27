"""ImageNet-1k class ids and how they become ImageNet-S ids.

Methods trained with ImageNet-1k labels (free and semi-supervised protocols)
often predict ImageNet-1k classes: id = class index + 1 in the sorted-wnid order
of ``LOC_synset_mapping.txt`` (the order torchvision's ``ImageFolder`` and most
training code use), 0 for background. ImageNet-S keeps 919 of the 1,000
classes, five of them merged into others, and its 50 and 300 tracks far fewer;
submitted unconverted, such masks score near zero without any error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from submitkit.benchmark.ids import OTHER

CLASSES = 1000
"""ImageNet-1k classes; their ids are 1..1000, 0 is background."""

MERGES: dict[str, str] = {
    "n04356056": "n04355933",
    "n04493381": "n02808440",
    "n03642806": "n03832673",
    "n04008634": "n03773504",
    "n03887697": "n15075141",
}
"""ImageNet-1k classes ImageNet-S folds into another class (source -> kept class)."""


def imagenet_s_table(synsets: Sequence[str], categories: Sequence[str]) -> npt.NDArray[np.int32]:
    """A lookup from ImageNet-1k id (0..1000) to ImageNet-S id for one track.

    ``synsets`` are the 1,000 wnids in ImageNet-1k index order; ``categories``
    the track's sorted wnids (class id = 1-based position). A merged class
    takes the id of the class it merges into; a class outside the track
    becomes 0 (other), as does background.
    """
    position = {wnid: i + 1 for i, wnid in enumerate(categories)}
    table = np.full(len(synsets) + 1, OTHER, dtype=np.int32)
    for index, wnid in enumerate(synsets):
        table[index + 1] = position.get(MERGES.get(wnid, wnid), OTHER)
    return table
