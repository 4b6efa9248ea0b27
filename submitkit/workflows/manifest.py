"""`manifest` as a run: build the expected images of one track and split, save them, say what."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.core.atomic import Inputs, check_target
from submitkit.core.diagnostics import Diagnostic
from submitkit.core.document import Document
from submitkit.core.errors import UsageError
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import RunContext


class ManifestWritten(Document):
    """What `submitkit manifest` wrote (the manifest itself follows manifest.schema.json)."""

    kind: ClassVar[str] = "manifest"
    schema_file: ClassVar[str] = "manifest-run.schema.json"

    output: str
    track: int
    split: Split
    images: int
    """Expected images listed."""
    sized: int
    """Of those, images whose size is known (from a dataset copy)."""
    categories: int
    sources: list[str]
    diagnostics: list[Diagnostic]
    """Warnings about the sources (a partial dataset copy, lists that disagree)."""

    @property
    def track_name(self) -> str:
        return TRACKS[self.track].name


def write_manifest(
    context: RunContext, output: Path, progress: ProgressSink | None = None
) -> ManifestWritten:
    """Build the manifest of the context's track and split from its toolbox lists and/or
    dataset copy, and save it atomically."""
    sources = context.sources
    if not sources.any:
        raise UsageError("a manifest needs --toolbox, --dataset or both")
    if context.track is None or context.split is None:
        raise UsageError("a manifest needs --track and --split")
    check_target(output, replace=True, exists_hint="", inputs=Inputs.of(*sources.paths))
    built, diags = sources.build(context.track, context.split, progress)
    built.save(output)
    return ManifestWritten(
        output=str(output),
        track=built.track,
        split=built.split,
        images=len(built.images),
        sized=sum(1 for size in built.images.values() if size is not None),
        categories=len(built.categories),
        sources=built.sources,
        diagnostics=diags,
    )
