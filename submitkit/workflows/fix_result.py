"""What ``fix`` did: each change to each file, and how the check judged the copy.

The plan (``fix_plan``) and the writer (``fix_write``) speak in ``Change``
records; ``FixResult`` is the document the command renders and the Python API
returns.
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from submitkit.checks.report import Report, Status
from submitkit.core.diagnostics import Code
from submitkit.core.document import Document
from submitkit.core.exits import exit_code


class ChangeKind(str, Enum):
    """The kinds of change ``fix`` makes, in the order the summary lists them."""

    flattened = "flattened"
    dropped = "dropped"
    extra_dropped = "extra_dropped"
    moved_wnid = "moved_wnid"
    moved_flat = "moved_flat"
    moved_nested = "moved_nested"
    renamed = "renamed"
    grayscale = "grayscale"
    palette = "palette"
    alpha = "alpha"
    npy = "npy"
    transposed = "transposed"
    resized = "resized"
    match_applied = "match_applied"
    imagenet1k = "imagenet1k"
    merged = "merged"
    to_other = "to_other"
    left_out = "left_out"

    @property
    def heading(self) -> str:
        return _TITLES[self]


_TITLES = {
    ChangeKind.flattened: "enclosing folder flattened",
    ChangeKind.dropped: "junk, stray files and second copies dropped",
    ChangeKind.extra_dropped: "left out (--drop-extra): not images of this split",
    ChangeKind.moved_wnid: "moved from another wnid folder to the one the split's list names",
    ChangeKind.moved_flat: "moved from the root (flat layout) into its wnid folder",
    ChangeKind.moved_nested: "moved out of nested or unknown folders into its wnid folder",
    ChangeKind.renamed: "renamed",
    ChangeKind.grayscale: "grayscale label maps encoded as RGB",
    ChangeKind.palette: "palette PNGs encoded as RGB (palette index = id)",
    ChangeKind.alpha: "constant alpha channel dropped",
    ChangeKind.npy: ".npy arrays written as PNG",
    ChangeKind.transposed: "transposed (axes were swapped)",
    ChangeKind.resized: "resized to the source size (nearest-neighbour)",
    ChangeKind.match_applied: "match.json baked into the masks",
    ChangeKind.imagenet1k: "ImageNet-1k ids converted to ImageNet-S ids",
    ChangeKind.merged: "ImageNet-1k classes merged into another ImageNet-S class (pixels)",
    ChangeKind.to_other: "ImageNet-1k classes outside the track set to 0, other (pixels)",
    ChangeKind.left_out: "LEFT OUT: cannot be repaired without guessing",
}


class Change(BaseModel):
    """One thing ``fix`` did (or refused to do) to one file."""

    kind: ChangeKind
    path: str
    """The file in the input, relative to the input's root (enclosing folder included)."""
    detail: str
    target: str | None = None
    """Where it went in the output; None when it was not written."""
    code: Code | None = None
    """For left-out files: the check's code for the fault."""


class FixResult(Document):
    """What ``fix_submission`` wrote and how the check judged it."""

    kind: ClassVar[str] = "fix"
    schema_file: ClassVar[str] = "fix.schema.json"

    submission: str
    output: str
    container: Literal["folder", "zip"]
    output_container: Literal["folder", "zip"]
    changes: list[Change] = Field(default_factory=list)
    written: int = 0
    """Files written to the output."""
    unchanged: int = 0
    """Of those, files copied byte for byte."""
    report: Report | None = None
    """The check of the output."""
    in_place: bool = False
    """``fix --in-place``: the output is the submission itself."""
    replaced: bool = False
    """In place: the submission was changed (a hook that changed files exits 1)."""

    def by_kind(self) -> dict[ChangeKind, list[Change]]:
        """Changes grouped by kind, in ``ChangeKind`` order, empty kinds omitted."""
        grouped: dict[ChangeKind, list[Change]] = {}
        for kind in ChangeKind:
            found = [c for c in self.changes if c.kind is kind]
            if found:
                grouped[kind] = found
        return grouped

    @property
    def passed(self) -> bool:
        return self.report is not None and self.report.status is not Status.failed

    def is_failure(self) -> bool:
        # In place, a change is reported as pre-commit fixers report one: exit 1.
        return not self.passed or self.replaced

    @property
    def exit_code(self) -> int:
        return int(exit_code(self))
