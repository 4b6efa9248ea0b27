"""What ``fix`` reads before it repairs: the submission, its target and list, the id tables.

Reading only: the submission's layout (the same one the check reads), the
track and split its predictions say, the split's list when the sources allow,
the layout's findings per file, a prediction's bytes (bounded), and the id
table the options name (match.json, or the ImageNet-1k class order). What to
repair is decided in ``fix_plan``; ``fix_write`` carries it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from submitkit.benchmark.tracks import Split
from submitkit.checks.staged import resolve_target
from submitkit.core.diagnostics import Code, Diagnostic, Severity
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.progress import ProgressSink
from submitkit.inputs import png
from submitkit.inputs.config import RunContext
from submitkit.inputs.layout import (
    Layout,
    folder_findings,
    is_junk,
    looks_like_prediction,
    prediction_stem,
    read_layout,
)
from submitkit.inputs.manifest import Manifest
from submitkit.inputs.match_json import load_match
from submitkit.inputs.png import PngFault
from submitkit.inputs.source import MemberRef, Source, open_source
from submitkit.inputs.synsets import find_synsets
from submitkit.workflows.relabel import Relabel, imagenet1k_relabel, match_relabel

_MAX_NPY_BYTES = 256 * 1024 * 1024
"""No id map of an ImageNet image as .npy comes near this (int64 at 8000 x 4000)."""


@dataclass(frozen=True)
class FixOptions:
    """The repairs asked for beyond the ones ``fix`` always makes (the command's flags)."""

    apply_match: bool = False
    """``--apply-match``: map the masks' ids through match.json and drop it."""
    drop_extra: bool = False
    """``--drop-extra``: leave out predictions of images that are not in the split."""
    from_labels: Literal["imagenet1k"] | None = None
    """``--from imagenet1k``: the masks hold ImageNet-1k class ids."""
    synsets: Path | None = None
    """The ImageNet-1k class order for ``from_labels`` (found in the dataset when None)."""


def unconvertible(code: Code, message: str) -> PngFault:
    """A prediction that cannot be turned into an id map without guessing: it is left out."""
    return PngFault(code, message, "re-export the prediction as an 8-bit RGB PNG")


def read_prediction(ref: MemberRef) -> bytes:
    """A prediction's bytes, read the bounded way: PNGs as their header allows.

    Raises PngFault for a file refused from its first bytes or unreadable.
    """
    try:
        with ref.open() as handle:
            head = handle.read(png.HEAD_BYTES)
            if not head.startswith(png.PNG_SIGNATURE):
                rest = handle.read(_MAX_NPY_BYTES + 1 - len(head))
                if len(head) + len(rest) > _MAX_NPY_BYTES:
                    raise unconvertible(Code.MASK_TOO_LARGE, "far larger than any id map; not read")
                return head + rest
    except PngFault:
        raise
    except Exception as exc:
        # A damaged zip member or an unreadable file is a finding about it.
        raise png.read_fault(exc) from exc
    return png.read_png(ref.open)[1]


@dataclass
class FixInput:
    """What fix learns before writing: the layout, the target, its list, the notes per file."""

    path: Path
    source: Source
    layout: Layout
    target: tuple[int, Split, str] | None
    manifest: Manifest | None
    notes: dict[str, Diagnostic]
    """The layout's findings by the path they name (why a file has no place in the copy)."""
    context: RunContext
    """The run's context, its track and split those of ``target`` (both None without one)."""

    @property
    def k(self) -> int | None:
        return self.target[0] if self.target is not None else None


def read_submission(path: Path, context: RunContext, sink: ProgressSink) -> FixInput:
    """The submission opened, its track and split told, their list built when sources allow."""
    source = open_source(path)
    if not source.entries:
        why = source.diagnostics[0].message if source.diagnostics else f"{path} holds no file"
        raise EnvironmentProblem(f"nothing to fix: {why}", "give the submission folder or zip")
    layout = read_layout(source)
    sources = context.sources
    target = resolve_target(_prediction_keys(layout), sources, context.track, context.split)
    manifest: Manifest | None = None
    notes: dict[str, Diagnostic] = {d.path: d for d in layout.diagnostics}
    categories = None
    if target is not None and sources.any:
        manifest, _ = sources.build(target[0], target[1], sink)
        if len(manifest.categories) == manifest.track:
            categories = set(manifest.categories)
    notes.update({d.path: d for d in folder_findings(layout, categories)})
    track, split = target[:2] if target is not None else (None, None)
    aimed = context.but(track=track, split=split)
    return FixInput(path, source, layout, target, manifest, notes, aimed)


def _prediction_keys(layout: Layout) -> list[str]:
    """``folder/stem`` of every prediction-like file, wherever it sits (to choose the track)."""
    keys = {*layout.predictions, *layout.misnamed}
    for entry in layout.source.entries:
        parts = entry.name.split("/")
        if looks_like_prediction(parts[-1]) and not is_junk(entry.name):
            folder = parts[-2] if len(parts) > 1 else ""
            keys.add(f"{folder}/{prediction_stem(parts[-1])}")
    return sorted(keys)


def read_entry(layout: Layout, name: str) -> bytes | None:
    """The bytes of one entry of the layout; None when it cannot be read."""
    try:
        return layout.source.read(name)
    except Exception:
        # BadZipFile (a CRC error), zlib.error, OSError: all mean "unreadable" here.
        return None


def read_relabel(read: FixInput, options: FixOptions) -> Relabel | None:
    """The one id table the options name: match.json's, ImageNet-1k's, or none."""
    relabel = _match_table(read.layout, read.k) if options.apply_match else None
    if options.from_labels and read.manifest is not None:
        synset_file = options.synsets or find_synsets(read.context.sources.dataset)
        relabel = imagenet1k_relabel(read.manifest, synset_file)
    return relabel


def _match_table(layout: Layout, k: int | None) -> Relabel:
    if layout.match is None:
        raise UsageError("--apply-match: the submission has no match.json", "drop --apply-match")
    shown = layout.enclosing + layout.match
    data = read_entry(layout, layout.match)
    if data is None:
        raise UsageError(f"--apply-match: {shown} cannot be read", "repair the zip first")
    match, diags = load_match(data, shown, k)
    errors = [d for d in diags if d.severity is Severity.error]
    if match is None or errors:
        first = errors[0].message if errors else "it cannot be read"
        raise UsageError(
            f"--apply-match: {shown} cannot be applied: {first}",
            "repair match.json first (check lists its faults)",
        )
    return match_relabel(match)
