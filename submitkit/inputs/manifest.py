"""What a submission must contain: the expected images of one track and split.

A manifest lists the category wnids (sorted; class id = 1-based position) and
every expected image as ``wnid/stem`` with, where known, its (height, width).
It is built from the official lists of a toolbox clone, from a local dataset
copy (sizes from JPEG headers), or loaded from a JSON file written earlier.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from submitkit.benchmark.tracks import TRACKS, Split, Track
from submitkit.core.atomic import write_text_atomic
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.progress import NoProgress, ProgressSink
from submitkit.core.workers import run_ordered
from submitkit.inputs.files import read_user_text
from submitkit.inputs.imagesize import jpeg_size

ImageSize = tuple[int, int]
SOURCE_SUFFIXES = (".jpeg", ".jpg")
TRUTH_FOLDER = "validation-segmentation"
"""The folder of a track's validation ground truth, beside ``validation/``."""
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
"""A manifest or official list file is read up to this size (the largest is about 3 MB)."""


class Manifest(BaseModel):
    """The expected images of one ImageNet-S track and split."""

    model_config = ConfigDict(title="submitkit manifest")

    schema_version: Literal[1] = 1
    track: Literal[50, 300, 919]
    split: Split
    categories: list[str] = Field(
        description="Category wnids, sorted; class id i is the i-th entry (1-based). "
        "Empty when unknown: a dataset copy without all K category folders cannot tell "
        "which class id each folder is."
    )
    images: dict[str, ImageSize | None] = Field(
        description='Expected images as "wnid/stem" -> [height, width], null when unknown.'
    )
    sources: list[str] = Field(default_factory=list, description="Where the lists came from.")

    @property
    def track_info(self) -> Track:
        return TRACKS[self.track]

    @property
    def has_sizes(self) -> bool:
        return any(size is not None for size in self.images.values())

    def save(self, path: Path) -> None:
        write_text_atomic(path, self.model_dump_json(indent=1) + "\n")


def load_manifest(path: Path) -> Manifest:
    """Read a manifest JSON written by ``submitkit manifest``."""
    text = read_user_text(
        path,
        MAX_MANIFEST_BYTES,
        "manifest",
        "write one with manifest (`submitkit manifest --help`)",
    )
    try:
        return Manifest.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        raise EnvironmentProblem(
            f"{path} is not a submitkit manifest ({detail})",
            "rebuild it with manifest (`submitkit manifest --help`)",
        ) from exc


# --- the official toolbox lists ---------------------------------------------------


def toolbox_data_dir(toolbox: Path) -> Path:
    """The ``data/`` folder of a toolbox clone (the folder itself is accepted too)."""
    for candidate in (toolbox / "data", toolbox):
        if (candidate / "categories").is_dir() and (candidate / "names").is_dir():
            return candidate
    raise EnvironmentProblem(
        f"{toolbox} has no data/categories and data/names folders",
        "point --toolbox at a clone of the official ImageNet-S toolbox (LUSSeg/ImageNet-S)",
    )


def _read_lines(path: Path) -> list[str]:
    text = read_user_text(
        path,
        MAX_MANIFEST_BYTES,
        "official list",
        "the toolbox clone looks incomplete or damaged; clone it again",
    )
    return [line.strip() for line in text.splitlines() if line.strip()]


def _stem_key(image_path: str) -> str:
    """``wnid/stem.JPEG`` -> ``wnid/stem``."""
    return image_path.rsplit(".", 1)[0]


def official_categories(data: Path, track: Track) -> list[str]:
    return _read_lines(data / track.categories_file)


def official_names(data: Path, track: Track, split: Split) -> list[str]:
    """The expected ``wnid/stem`` names of a split, in the official lists' order."""
    if split is Split.validation:
        lines = _read_lines(data / track.validation_names_file)
        return [_stem_key(line.split()[0]) for line in lines]
    lines = _read_lines(data / track.test_mapping_file)
    return [_stem_key(line.split()[-1]) for line in lines]


# --- a local dataset copy -------------------------------------------------------


def dataset_split_dir(dataset: Path, track: Track, split: Split) -> Path | None:
    """``<root>/ImageNetS{K}/<split>``; the track folder itself is accepted as root."""
    for candidate in (dataset / track.folder / split.value, dataset / split.value):
        if candidate.is_dir() and (
            candidate != dataset / split.value or _is_track_dir(dataset, track)
        ):
            return candidate
    return None


def dataset_truth_dir(dataset: Path, track: Track) -> Path | None:
    """``<root>/ImageNetS{K}/validation-segmentation``; the track folder itself is accepted."""
    for candidate in (dataset / track.folder / TRUTH_FOLDER, dataset / TRUTH_FOLDER):
        if candidate.is_dir():
            return candidate
    return None


def _is_track_dir(folder: Path, track: Track) -> bool:
    # A bare <split>/ folder belongs to a track only if the folder says which.
    return folder.name == track.folder


def list_dataset(split_dir: Path, suffixes: tuple[str, ...] = SOURCE_SUFFIXES) -> dict[str, Path]:
    """Every source image (or file ending in one of ``suffixes``) below ``split_dir``.

    Keyed ``wnid/stem``.
    """
    found: dict[str, Path] = {}
    for wnid_dir in sorted(os.scandir(split_dir), key=lambda d: d.name):
        if not wnid_dir.is_dir():
            continue
        for item in os.scandir(wnid_dir.path):
            name = item.name
            stem, dot, ext = name.rpartition(".")
            if dot and ("." + ext.lower()) in suffixes and item.is_file():
                found[f"{wnid_dir.name}/{stem}"] = Path(item.path)
    return found


def read_sizes(
    paths: dict[str, Path],
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, ImageSize | None], list[str]]:
    """JPEG header sizes for every image, and the names whose header was unreadable."""
    keys = list(paths)
    sizes: dict[str, ImageSize | None] = {}
    unreadable: list[str] = []
    # Header reads wait on the disk: many in flight is what makes them fast.
    found = run_ordered(jpeg_size, [paths[k] for k in keys], io_bound=True, progress=progress)
    for key, size in zip(keys, found, strict=True):
        sizes[key] = size
        if size is None:
            unreadable.append(key)
    return sizes, unreadable


# --- putting the sources together ---------------------------------------------------


@dataclass
class ManifestSources:
    """The lists a run may consult, each optional; they combine as the README says."""

    toolbox: Path | None = None
    dataset: Path | None = None
    manifest: Path | None = None
    _loaded: Manifest | None = field(default=None, init=False, repr=False)
    _names: dict[tuple[int, Split], list[str]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.toolbox is not None:
            self.toolbox = toolbox_data_dir(self.toolbox)
        if self.dataset is not None and not self.dataset.is_dir():
            raise EnvironmentProblem(
                f"dataset folder {self.dataset} does not exist",
                "point --dataset at the folder holding ImageNetS50/ImageNetS300/ImageNetS919",
            )
        if self.manifest is not None:
            self._loaded = load_manifest(self.manifest)

    @property
    def loaded(self) -> Manifest | None:
        """The manifest file given, if any."""
        return self._loaded

    @property
    def paths(self) -> tuple[Path | None, ...]:
        """What these sources read, for the output rule (an output is never one of them)."""
        return (self.toolbox, self.dataset, self.manifest)

    @property
    def any(self) -> bool:
        return self.toolbox is not None or self.dataset is not None or self._loaded is not None

    def candidates(self) -> list[tuple[int, Split]]:
        """Track and split pairs these sources can name images for."""
        if self._loaded is not None:
            return [(self._loaded.track, self._loaded.split)]
        pairs = []
        for k, info in TRACKS.items():
            for split in Split:
                if self.toolbox is not None or (
                    self.dataset is not None and dataset_split_dir(self.dataset, info, split)
                ):
                    pairs.append((k, split))
        return pairs

    def names(self, k: int, split: Split) -> list[str]:
        """The expected names for a pair, from the most authoritative source."""
        key = (k, split)
        if key not in self._names:
            if self._loaded is not None:
                self._names[key] = list(self._loaded.images)
            elif self.toolbox is not None:
                self._names[key] = official_names(self.toolbox, TRACKS[k], split)
            elif self.dataset is not None:
                split_dir = dataset_split_dir(self.dataset, TRACKS[k], split)
                self._names[key] = sorted(list_dataset(split_dir)) if split_dir else []
            else:
                self._names[key] = []
        return self._names[key]

    def build(
        self,
        k: int,
        split: Split,
        progress: ProgressSink | None = None,
    ) -> tuple[Manifest, list[Diagnostic]]:
        """The manifest for one track and split, with warnings about its sources."""
        info = TRACKS[k]
        diags: list[Diagnostic] = []
        if self._loaded is not None:
            if (self._loaded.track, self._loaded.split) != (k, split):
                raise UsageError(
                    f"manifest {self.manifest} is for track {self._loaded.track} "
                    f"{self._loaded.split.value}, not {k} {split.value}",
                    "drop --track/--split or give the matching manifest",
                )
            return self._loaded, _partial_copy_findings(self._loaded, self.manifest)
        sources: list[str] = []
        categories: list[str] = []
        names: list[str] = []
        if self.toolbox is not None:
            categories = official_categories(self.toolbox, info)
            names = official_names(self.toolbox, info, split)
            sources.append(f"toolbox:{self.toolbox}")
        sizes: dict[str, ImageSize | None] = {}
        if self.dataset is not None:
            split_dir = dataset_split_dir(self.dataset, info, split)
            truth = dataset_truth_dir(self.dataset, info) if split is Split.validation else None
            if split_dir is None and truth is None:
                raise EnvironmentProblem(
                    f"{self.dataset} has no {info.folder}/{split.value} folder",
                    "point --dataset at the folder holding the ImageNetS* track folders",
                )
            listing = list_dataset(split_dir) if split_dir is not None else {}
            sources.append(f"dataset:{split_dir or truth}")
            if not names:
                shown = split_dir or truth
                assert shown is not None
                names, categories, note = _names_of_copy(listing, truth, info, split, shown)
                diags.append(note)
            sizes, size_diags = _sizes_of_copy(
                names, listing, split_dir or self.dataset, progress or NoProgress()
            )
            diags += size_diags
        manifest = Manifest(
            track=k,
            split=split,
            categories=categories,
            images={n: sizes.get(n) for n in names},
            sources=sources,
        )
        return manifest, diags


def _names_of_copy(
    listing: Mapping[str, Path], truth: Path | None, info: Track, split: Split, shown: Path
) -> tuple[list[str], list[str], Diagnostic]:
    """Expected names and categories read off a dataset copy alone, and D003 saying so."""
    # The ground truth names images too: a lost JPEG is the copy's gap.
    truth_names = list_dataset(truth, (".png",)) if truth is not None else {}
    names = sorted(listing.keys() | truth_names.keys())
    folders = sorted({n.split("/", 1)[0] for n in names})
    # Class i is the i-th wnid of the official (sorted) list: folders
    # stand for it only when all K are there; a gap would renumber the rest.
    categories = folders if len(folders) == info.k else []
    official = info.count(split)
    if len(names) == official:
        count = (
            f"its {len(names)} images are as many as the official {split.value} "
            "list holds, but their names are not checked against it"
        )
    else:
        count = f"it holds {len(names)} images where the official {split.value} list has {official}"
    note = Code.NAMES_FROM_DATASET.at(
        "",
        f"expected names come from the local copy {shown} alone: {count}",
        "add --toolbox <clone of LUSSeg/ImageNet-S> to check against the official list",
    )
    return names, categories, note


def _sizes_of_copy(
    names: list[str], listing: Mapping[str, Path], shown: Path | None, progress: ProgressSink
) -> tuple[dict[str, ImageSize | None], list[Diagnostic]]:
    """Each expected image's size from its JPEG header; findings for those lacking or unread."""
    diags: list[Diagnostic] = []
    wanted = {n: listing[n] for n in names if n in listing}
    sizes, unreadable = read_sizes(wanted, progress.stage("Reading image sizes", len(wanted)))
    lacking = [n for n in names if n not in listing]
    if lacking:
        diags.append(
            Code.DATASET_INCOMPLETE.at(
                "",
                f"the local copy {shown} lacks {len(lacking)} of the "
                f"{len(names)} expected images (e.g. {', '.join(lacking[:3])}); "
                "their mask sizes are not verified",
                "complete the dataset copy (see the toolbox's datapreparation)",
            )
        )
    for name in unreadable:
        diags.append(
            Code.DATASET_UNREADABLE_IMAGE.at(
                str(listing[name]),
                f"no size could be read from the JPEG header of {name}",
                "re-download this image; its prediction's size is not verified",
            )
        )
    return sizes, diags


def _partial_copy_findings(manifest: Manifest, path: Path | None) -> list[Diagnostic]:
    """D001 for a manifest written from a dataset copy alone that lacks official images."""
    official = manifest.track_info.count(manifest.split)
    from_copy = bool(manifest.sources) and all(s.startswith("dataset:") for s in manifest.sources)
    if not from_copy or len(manifest.images) == official:
        return []
    return [
        Code.NAMES_FROM_DATASET.at(
            "",
            f"the manifest {path} was written from a dataset copy alone: it lists "
            f"{len(manifest.images)} images where the official {manifest.split.value} list "
            f"has {official}",
            "write it again with --toolbox <clone of LUSSeg/ImageNet-S>, or give --toolbox",
        )
    ]


def manifest_from_names(
    k: int,
    split: Split,
    names: Iterable[str],
    sizes: dict[str, ImageSize] | None = None,
    categories: Sequence[str] | None = None,
    source: str = "",
) -> Manifest:
    """A manifest from explicit lists (tests, benchmarks, the golden cases)."""
    names = list(names)
    return Manifest(
        track=k,
        split=split,
        categories=list(categories)
        if categories is not None
        else sorted({n.split("/", 1)[0] for n in names}),
        images={n: (sizes or {}).get(n) for n in names},
        sources=[source] if source else [],
    )
