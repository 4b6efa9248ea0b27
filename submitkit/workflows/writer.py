"""`SubmissionWriter`: a submission written from id arrays that cannot come out wrong.

Each mask is judged as it is written, by the check's own rules and with the
check's own codes (N002 an image the split does not have, N003 one written
twice, M007 a wrong size, M009/M010/J002 ids the track or the match cannot
take, E002 ids above the declared cluster count), and refused with a
:class:`WriteRefused` carrying that diagnostic. Masks go where the split's list
files their image, found by the stem (the test split files thousands of images
under another wnid than their ImageNet label). Everything is written into a
temporary folder that becomes the submission only when the writer closes
without an error, and never over an existing folder.
"""

from __future__ import annotations

import contextlib
import shutil
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.checks.masks import MaskResult, id_findings, size_finding
from submitkit.core.atomic import atomic_folder, check_target
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.errors import SubmitkitError, UsageError
from submitkit.inputs import png
from submitkit.inputs.arrays import id_map, id_range
from submitkit.inputs.layout import MASK_SUFFIX
from submitkit.inputs.manifest import Manifest, ManifestSources
from submitkit.inputs.match_json import write_match
from submitkit.workflows.method_writer import render_method

PathLike = str | Path


class WriteRefused(SubmitkitError):
    """A mask the check would reject: ``diagnostic`` is the finding, with its code."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(f"{diagnostic.code.value}: {diagnostic.message}", diagnostic.hint)
        self.diagnostic = diagnostic


class WrittenSubmission(BaseModel):
    """What :meth:`SubmissionWriter.close` reports."""

    folder: str
    track: int
    split: str
    written: int
    expected: int
    missing: list[str] = Field(default_factory=list)
    """``wnid/stem`` of every expected image without a mask (the check's N001)."""
    method: bool = False
    """Whether method.txt was written."""
    match: bool = False
    """Whether match.json was written."""

    @property
    def complete(self) -> bool:
        return not self.missing


class SubmissionWriter:
    """Write ``folder`` mask by mask; use it as a context manager (or call ``close``).

    ``toolbox`` (a clone of the official toolbox) or ``manifest`` (from
    `submitkit manifest`) names the split's images; ``dataset`` adds their sizes.
    ``method`` holds the six method.txt fields (with ``protocol``); ``match``
    maps cluster ids to classes and is written as match.json; ``clusters``
    bounds cluster ids when match.json is to come later.
    """

    def __init__(
        self,
        folder: PathLike,
        *,
        track: Literal[50, 300, 919],
        split: Split | str,
        toolbox: PathLike | None = None,
        manifest: PathLike | None = None,
        dataset: PathLike | None = None,
        method: Mapping[str, str] | None = None,
        protocol: Protocol | str | None = None,
        match: Mapping[int, int] | None = None,
        clusters: int | None = None,
        optimize: bool = False,
    ) -> None:
        if track not in TRACKS:
            raise UsageError(f"{track!r} is not a track", "tracks are 50, 300 and 919")
        self.folder = Path(folder)
        self.track, self.split = int(track), Split(split)
        self._optimize = optimize
        self._extras = _extra_files(self.track, method, protocol, match, clusters)
        self._match_keys = frozenset(int(i) for i in match) if match is not None else None
        self._clusters = clusters
        self.manifest = _manifest(self.track, self.split, toolbox, manifest, dataset)
        self._by_stem = {key.rsplit("/", 1)[-1]: key for key in self.manifest.images}
        self._written: set[str] = set()
        check_target(self.folder, replace=False, exists_hint="write a new folder")
        self._stack = contextlib.ExitStack()
        self._tmp = self._stack.enter_context(atomic_folder(self.folder))
        # A writer dropped without close() (a crashed notebook cell) leaves no temporary folder.
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._tmp, True)
        self._closed: WrittenSubmission | None = None

    def __enter__(self) -> SubmissionWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
        else:
            self.abort(exc)

    def write(self, image: str, ids: npt.ArrayLike) -> str:
        """Encode ``ids`` (H x W class or cluster ids) as the mask of ``image``.

        ``image`` is a stem (``ILSVRC2012_val_00000001``) or a path from the
        official lists (``n01443537/ILSVRC2012_val_00000001.JPEG``); returns the
        ``wnid/stem.png`` written.
        """
        if self._closed is not None:
            raise UsageError("the writer is closed", "open a new SubmissionWriter")
        key = self._key(image)
        name = key + MASK_SUFFIX
        arr = id_map(ids, f"the mask of {image}")
        self._judge(name, key, arr)
        target = self._tmp / name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(png.encode_png(arr, optimize=self._optimize))
        self._written.add(key)
        return name

    def close(self) -> WrittenSubmission:
        """Write method.txt and match.json, then put the folder in place; say what is missing."""
        if self._closed is not None:
            return self._closed
        for file, text in self._extras.items():
            (self._tmp / file).write_text(text, encoding="utf-8")
        self._stack.close()
        self._finalizer.detach()
        missing = [k for k in self.manifest.images if k not in self._written]
        self._closed = WrittenSubmission(
            folder=str(self.folder),
            track=self.track,
            split=self.split.value,
            written=len(self._written),
            expected=len(self.manifest.images),
            missing=missing,
            method="method.txt" in self._extras,
            match="match.json" in self._extras,
        )
        return self._closed

    def abort(self, exc: BaseException | None = None) -> None:
        """Leave nothing behind: the temporary folder is removed, ``folder`` never appears."""
        if self._closed is None:
            error = exc or KeyboardInterrupt()
            with contextlib.suppress(BaseException):
                self._stack.__exit__(type(error), error, error.__traceback__)
            self._closed = WrittenSubmission(
                folder=str(self.folder),
                track=self.track,
                split=self.split.value,
                written=0,
                expected=len(self.manifest.images),
                missing=list(self.manifest.images),
            )

    def _key(self, image: str) -> str:
        stem = image.replace("\\", "/").rsplit("/", 1)[-1]
        for suffix in (".JPEG", ".jpeg", ".jpg", ".png"):
            stem = stem.removesuffix(suffix)
        key = self._by_stem.get(stem)
        if key is None:
            raise WriteRefused(
                Code.EXTRA_PREDICTION.at(
                    image,
                    f"{stem} is not an image of the {TRACKS[self.track].name} "
                    f"{self.split.value} list",
                    "write only the split's images (check track and split)",
                )
            )
        if key in self._written:
            raise WriteRefused(
                Code.DUPLICATE_STEM.at(
                    key + MASK_SUFFIX,
                    f"{stem} was written already",
                    "write each image once",
                )
            )
        return key

    def _judge(self, name: str, key: str, arr: np.ndarray[Any, Any]) -> None:
        low, high = id_range(arr)
        try:
            png.checked_ids(np.array([low, high], dtype=np.int64))
        except png.PngFault as fault:
            raise WriteRefused(fault.at(name)) from fault
        size = self.manifest.images.get(key)
        found = size_finding(name, arr.shape, (size[0], size[1])) if size else None
        if found is not None:
            raise WriteRefused(found)
        for diagnostic in self._id_findings(name, arr, high):
            raise WriteRefused(diagnostic)

    def _id_findings(self, name: str, arr: np.ndarray[Any, Any], high: int) -> list[Diagnostic]:
        if self._clusters is not None and self._match_keys is None:
            if high <= self._clusters:
                return []
            return [
                Code.IDS_ABOVE_CLUSTERS.at(
                    name,
                    f"the mask uses id {high}, above the {self._clusters} clusters declared",
                    "write cluster ids 0..clusters, or declare more clusters",
                )
            ]
        if high <= self.track and self._match_keys is None:
            return []
        ids = tuple(int(i) for i in np.unique(arr))
        result = MaskResult(path=name, ids=ids)
        return id_findings([result], k=self.track, match_keys=self._match_keys)


def _manifest(
    k: int,
    split: Split,
    toolbox: PathLike | None,
    manifest: PathLike | None,
    dataset: PathLike | None,
) -> Manifest:
    if toolbox is None and manifest is None:
        raise UsageError(
            "SubmissionWriter needs the split's list of images",
            "give toolbox= (a clone of LUSSeg/ImageNet-S) or manifest= (`submitkit manifest`)",
        )
    sources = ManifestSources(
        Path(toolbox) if toolbox is not None else None,
        Path(dataset) if dataset is not None else None,
        Path(manifest) if manifest is not None else None,
    )
    built, _ = sources.build(k, split)
    return built


def _extra_files(
    k: int,
    method: Mapping[str, str] | None,
    protocol: Protocol | str | None,
    match: Mapping[int, int] | None,
    clusters: int | None,
) -> dict[str, str]:
    """method.txt and match.json as text, judged before any mask is written."""
    out: dict[str, str] = {}
    if method is not None:
        if protocol is None:
            raise UsageError(
                "method.txt needs the protocol it declares",
                "give protocol= (unsupervised, distance, semi or free)",
            )
        out["method.txt"] = render_method(method, Protocol(protocol), k)
    if match is not None:
        try:
            mapping = {int(i): int(c) for i, c in match.items()}
        except (TypeError, ValueError) as exc:
            raise UsageError("match is not a mapping of id to class", "give {id: class}") from exc
        if any(not 0 <= c <= k for c in mapping.values()):
            raise UsageError(f"match maps ids outside 0..{k}", f"classes are 0..{k}")
        try:
            out["match.json"] = write_match(mapping)
        except ValueError as exc:
            raise UsageError(f"match: {exc}", "map 0 to 0 and cluster ids to classes") from exc
    if clusters is not None and clusters < 1:
        raise UsageError(f"clusters={clusters}: at least 1 cluster", "give the number of clusters")
    return out
