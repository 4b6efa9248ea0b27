"""The ImageNet-S benchmark as data: tracks, splits and their sizes."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict


class Split(str, Enum):
    """The splits a submission can be made for."""

    validation = "validation"
    test = "test"


class Track(BaseModel):
    """One of the three ImageNet-S tracks."""

    model_config = ConfigDict(frozen=True)

    k: int
    """Number of classes; ids 1..k are classes, 0 is "other"."""
    folder: str
    """Folder name of the track in a dataset copy, e.g. ``ImageNetS50``."""
    train: int
    validation: int
    test: int

    @property
    def name(self) -> str:
        return "ImageNet-S" if self.k == 919 else f"ImageNet-S{self.k}"

    def count(self, split: Split) -> int:
        """How many images (and so predictions) the split has."""
        return self.validation if split is Split.validation else self.test

    @property
    def categories_file(self) -> str:
        return f"categories/ImageNetS_categories_im{self.k}.txt"

    @property
    def validation_names_file(self) -> str:
        return f"names/ImageNetS_im{self.k}_validation.txt"

    @property
    def test_mapping_file(self) -> str:
        return f"mapping/ImageNetS_im{self.k}_mapping_test.txt"


TRACKS: dict[int, Track] = {
    50: Track(k=50, folder="ImageNetS50", train=64431, validation=752, test=1682),
    300: Track(k=300, folder="ImageNetS300", train=384862, validation=4097, test=9088),
    919: Track(k=919, folder="ImageNetS919", train=1183322, validation=12419, test=27423),
}

MERGED_919_CLASSES: dict[str, str] = {
    "n04356056": "n04355933",
    "n04493381": "n02808440",
    "n03642806": "n03832673",
    "n04008634": "n03773504",
    "n03887697": "n15075141",
}
"""ImageNet classes the 919 track folds into another class (source -> target)."""


def track(k: int) -> Track:
    """The track with ``k`` classes; raises ``KeyError`` for an unknown one."""
    return TRACKS[k]
