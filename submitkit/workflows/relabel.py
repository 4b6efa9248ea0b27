"""One id table applied to every mask: match.json's, or ImageNet-1k's to ImageNet-S's.

``fix --apply-match`` bakes a match.json into the masks; ``fix --from
imagenet1k`` turns ImageNet-1k class ids into the track's ImageNet-S ids. Both
are a lookup table over every encodable id, with -1 where an id has no
mapping (such a mask is left out, never guessed). The ImageNet-1k conversion
also counts the pixels of each class, so the summary can say how many pixels
were merged into another class or went to "other".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from submitkit.benchmark.ids import MAX_ENCODABLE, OTHER
from submitkit.benchmark.imagenet1k import MERGES, imagenet_s_table
from submitkit.core.diagnostics import Code
from submitkit.core.errors import UsageError
from submitkit.inputs.manifest import Manifest
from submitkit.inputs.png import IdArray
from submitkit.inputs.synsets import read_synsets

Counts = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Relabel:
    """An id lookup applied to every mask."""

    table: IdArray
    """New id for every encodable old id; -1 where the old id has no mapping."""
    code: Code
    """The finding a mask with an unmapped id is left out under."""
    unmapped: str
    """What an unmapped id is, for the left-out message."""
    count: bool = False
    """Count the pixels of each old id, for the summary."""
    source: str = ""
    """Where the mapping came from (a file), for the summary."""
    names: tuple[str, ...] = ()
    """The class (wnid) of each old id from 1, when the old ids are classes."""

    def apply(self, ids: IdArray) -> tuple[IdArray, Counts | None, list[int]]:
        """The new ids, the old ids' pixel counts (if counted), and up to 8 unmapped ids."""
        mapped = self.table[ids]
        if (mapped < 0).any():
            return mapped, None, np.unique(ids[mapped < 0])[:8].tolist()
        counts = np.bincount(ids.ravel(), minlength=len(self.names) + 1) if self.count else None
        return mapped, counts, []


def match_lookup(match: Mapping[int, int]) -> IdArray:
    """A table mapping every encodable id through match.json; -1 where it has no key."""
    table = np.full(MAX_ENCODABLE + 1, -1, dtype=np.int32)
    for key, value in match.items():
        if 0 <= key <= MAX_ENCODABLE:
            table[key] = value
    return table


def match_relabel(match: Mapping[int, int]) -> Relabel:
    return Relabel(match_lookup(match), Code.MATCH_UNMAPPED_ID, "match.json has no key for")


def imagenet1k_relabel(manifest: Manifest, synsets: Path | None) -> Relabel:
    """ImageNet-1k ids (1..1000, the order of ``synsets``) to the manifest's track."""
    if len(manifest.categories) != manifest.track:
        raise UsageError(
            f"--from imagenet1k needs the {manifest.track} categories of the track; "
            f"the lists given name {len(manifest.categories)}",
            "give --toolbox DIR (a clone of the official toolbox)",
        )
    order = read_synsets(synsets, manifest.categories)
    table = np.full(MAX_ENCODABLE + 1, -1, dtype=np.int32)
    converted = imagenet_s_table(order, manifest.categories)
    table[: len(converted)] = converted
    return Relabel(
        table,
        Code.ID_OUT_OF_RANGE,
        "above 1000, not ImageNet-1k class ids",
        count=True,
        source=str(synsets),
        names=tuple(order),
    )


@dataclass(frozen=True)
class ClassPixels:
    """Where the pixels of one ImageNet-1k class went, when not to a class of its own."""

    wnid: str
    old: int
    new: int
    """The ImageNet-S id: the class merged into, or 0 (other)."""
    pixels: int

    @property
    def merged(self) -> bool:
        return self.new != OTHER


def lost_classes(totals: Counts, relabel: Relabel) -> list[ClassPixels]:
    """Merged classes and classes sent to "other" that had pixels, most pixels first."""
    found = []
    for index, wnid in enumerate(relabel.names):
        old, pixels = index + 1, int(totals[index + 1])
        new = int(relabel.table[old])
        if pixels and (new == OTHER or wnid in MERGES):
            found.append(ClassPixels(wnid, old, new, pixels))
    return sorted(found, key=lambda c: (-c.pixels, c.old))
