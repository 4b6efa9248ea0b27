"""The check: every stage run over one submission, findings collected into a Report."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.checks.commands import Given
from submitkit.checks.masks import MaskResult, id_findings, inspect_masks
from submitkit.checks.names import (
    COUNT_TOLERANCE,
    best_other_list,
    count_findings,
    duplicate_findings,
    name_findings,
    other_split_finding,
)
from submitkit.checks.protocol import protocol_findings
from submitkit.checks.report import Counts, Report, Unverified
from submitkit.core.diagnostics import Code, Diagnostic, judged_on
from submitkit.core.errors import UsageError
from submitkit.core.progress import NoProgress, ProgressSink
from submitkit.core.safetext import quoted
from submitkit.inputs.config import RunContext
from submitkit.inputs.files import read_user_file
from submitkit.inputs.layout import (
    Layout,
    Prediction,
    folder_findings,
    read_layout,
    stray_predictions,
    under,
)
from submitkit.inputs.manifest import Manifest, ManifestSources
from submitkit.inputs.match_json import MAX_MATCH_BYTES, load_match, match_usage_findings
from submitkit.inputs.method_txt import (
    MAX_METHOD_BYTES,
    MethodInfo,
    parse_method,
)
from submitkit.inputs.source import open_source


@dataclass
class CheckRun:
    """A check, with the parsed pieces every later command (evaluate, match, pack) reuses.

    With ``defer_pixels`` the check stops after the header stage and leaves the
    pixel stage ``pending``: the command's own pass over the masks (scoring,
    packing) runs :func:`submitkit.checks.masks.decode_mask` on ``tasks`` and
    hands the results to :meth:`finish_pixels`, so each mask is decoded once.
    """

    report: Report
    layout: Layout | None = None
    manifest: Manifest | None = None
    match: dict[int, int] | None = None
    method: MethodInfo | None = None
    masks: list[MaskResult] = field(default_factory=list)
    tasks: dict[str, Prediction] = field(default_factory=dict)
    """The pixel stage's work: the layout's record of each prediction, by ``wnid/stem``."""
    pending: bool = False
    """The pixel stage has not run yet (see :meth:`finish_pixels`)."""
    base: list[Diagnostic] = field(default_factory=list)
    """Every finding but the masks' own and those about their ids."""
    context: RunContext = field(default_factory=RunContext)
    """What the run is about; completed by the check (track, split, protocol settled)."""
    match_shown: str | None = None
    judge_ids: bool = True
    """Whether ids are held against K (not for ``match``, whose cluster ids may exceed it)."""

    @property
    def k(self) -> int | None:
        """The track the check settled on (``None`` when it could not tell)."""
        return self.context.track

    @property
    def protocol(self) -> Protocol | None:
        """The protocol the run is held to: given, else declared in method.txt."""
        return self.context.protocol

    def finish_pixels(
        self, results: Sequence[MaskResult], extra: Sequence[Diagnostic] = ()
    ) -> None:
        """Complete the check with pixel-stage results from another pass over the masks.

        ``extra`` are that pass's own findings (sizes against the ground truth),
        added unless the check already says the same about the same file.
        """
        self.masks = list(results)
        self.pending = False
        self.compose(extra)

    def run_pixels(self, jobs: int = 0, progress: Callable[[int], None] | None = None) -> None:
        """Run a pending pixel stage here (when no other pass will decode the masks)."""
        if self.pending:
            self.finish_pixels(
                inspect_masks(list(self.tasks.values()), jobs=jobs, progress=progress)
            )

    def compose(self, extra: Sequence[Diagnostic] = ()) -> None:
        """The report's findings from the stages run so far."""
        diags = list(self.base)
        for result in self.masks:
            diags += result.diagnostics
        said = {(d.code, d.path) for d in diags}
        diags += [d for d in extra if (d.code, d.path) not in said]
        decoded = not self.pending and self.judge_ids
        if decoded and self.k is not None:
            # A missing "0" key is J003 already; id 0 in every mask need not repeat it.
            keys = frozenset(self.match) | {0} if self.match is not None else None
            found = id_findings(self.masks, k=self.k, match_keys=keys)
            diags += [d for d in found if (d.code, d.path) not in said]
        if self.match is not None and self.match_shown is not None:
            used: set[int] = set()
            for result in self.masks:
                used.update(result.ids or ())
            usage = match_usage_findings(self.match, used, self.match_shown, self.protocol)
            if not decoded:
                # Without pixels, which keys are used is unknown; what match.json maps where
                # (J006, J008) is judged from the file alone, so --quick reports it the same.
                usage = [d for d in usage if d.code is not Code.MATCH_UNUSED_KEY]
            diags += usage
        ids = [max(r.ids) for r in self.masks if r.ids]
        self.report.largest_id = max(ids) if ids and decoded else None
        split = self.report.split.value if self.report.split is not None else None
        self.report.diagnostics = [judged_on(d, split) for d in diags]
        self.report.counts.masks_inspected = len(self.masks)


def run_check(
    path: Path,
    context: RunContext,
    *,
    progress: ProgressSink | None = None,
    match_file: Path | None = None,
    defer_pixels: bool = False,
    platform_files: frozenset[str] = frozenset(),
) -> CheckRun:
    """Run every stage; raises SubmitkitError only for unusable options or inputs.

    ``context`` is what the user gave; the returned run's ``context`` is the one
    the check completed (detected track and split, declared protocol), which
    every later stage reads. ``match_file`` is a match.json outside the
    submission (``evaluate --match``); it replaces the submission's own.
    ``defer_pixels`` leaves the pixel stage to the caller's own pass over the
    masks (see :class:`CheckRun`); ``quick`` then still means the ids are not
    held against K. ``platform_files``: names at the root that a platform put
    there, not the participant (Codabench's ``metadata``): not part of the submission.
    """
    sink = progress or NoProgress()
    run = _open_stage(path, context, platform_files)
    _target_stage(run, context, sink)
    _names_stage(run, context.sources)
    protocol = _method_stage(run, context.protocol)
    _match_stage(run, match_file)
    run.context = context.completed(run.report.track, run.report.split, protocol)
    _pixel_stage(run, sink, defer_pixels)
    if run.report.protocol is None:
        run.report.unverified.append(
            Unverified(
                what="the protocol's rules", flag="--protocol unsupervised|distance|semi|free"
            )
        )
    return run


def _open_stage(path: Path, context: RunContext, platform_files: frozenset[str]) -> CheckRun:
    """The submission opened and laid out; the report started with what the user gave."""
    source = open_source(path)
    if platform_files:
        source.entries = [e for e in source.entries if e.name not in platform_files]
    sources = context.sources
    report = Report(
        submission=str(path),
        container=source.kind,
        protocol=context.protocol,
        mode="quick" if context.quick else "full",
        strict=context.strict,
        counts=Counts(files=len(source.entries)),
    )
    report.given = Given(
        sources.toolbox,
        sources.dataset,
        sources.manifest,
        context.track,
        context.split,
        context.protocol,
    )
    run = CheckRun(report=report, context=context)
    run.layout = read_layout(source)
    run.base = [*source.diagnostics, *run.layout.diagnostics]
    return run


def _target_stage(run: CheckRun, context: RunContext, sink: ProgressSink) -> None:
    """The track and split (given or detected), and the list of expected images if any."""
    assert run.layout is not None
    report, sources = run.report, context.sources
    target = resolve_target(run.layout.predictions, sources, context.track, context.split)
    if target is not None:
        k, chosen_split, how = target
        report.track, report.split, report.target = k, chosen_split, how
        report.counts.expected = TRACKS[k].count(chosen_split)
        if sources.any:
            run.manifest, manifest_diags = sources.build(k, chosen_split, sink)
            run.base += manifest_diags
            report.counts.expected = len(run.manifest.images)
    _describe_sources(report, run.manifest, sources)


def _names_stage(run: CheckRun, sources: ManifestSources) -> None:
    """Folders, then expected against present predictions (or only their count, without a list)."""
    layout, report = run.layout, run.report
    assert layout is not None
    diags = under(layout.enclosing, folder_findings(layout, _official_categories(run.manifest)))
    report.counts.predictions = len(layout.predictions)
    # Predictions outside the wnid folders count only where a list says where they belong.
    strays = stray_predictions(layout) if run.manifest is not None else {}
    if not layout.predictions and not layout.misnamed and not strays:
        diags.append(
            Code.EMPTY_SUBMISSION.at(
                "", "no prediction found", "put <wnid>/<stem>.png masks at the root of the zip"
            )
        )
    elif run.manifest is not None:
        assert report.track is not None and report.split is not None
        wrong = other_split_finding(
            [*layout.predictions, *strays],
            run.manifest.images,
            (report.track, report.split),
            sources,
        )
        if wrong is not None:
            diags.append(wrong)
        else:
            found = name_findings(
                layout.predictions, layout.misnamed.keys(), run.manifest.images, strays
            )
            diags += under(layout.enclosing, found)
    else:
        diags += under(layout.enclosing, duplicate_findings(layout.predictions))
        if report.track is not None and report.split is not None:
            diags += count_findings(len(layout.predictions), report.track, report.split)
    run.base += diags


def _method_stage(run: CheckRun, given: Protocol | None) -> Protocol | None:
    """method.txt read and held to the protocol; returns the protocol the run is held to.

    With no protocol given, the one method.txt declares rules every later stage.
    """
    layout = run.layout
    assert layout is not None
    if layout.method is None:
        run.base.append(_method_missing(run.report.split))
        return given
    shown = layout.enclosing + layout.method
    data = read_small_file(layout, layout.method, MAX_METHOD_BYTES)
    if isinstance(data, Diagnostic):
        run.base.append(data)
        return given
    run.method, method_diags = parse_method(data, shown)
    run.base += method_diags
    if run.method is None:
        return given
    run.base += protocol_findings(run.method, given, run.report.track, shown)
    if given is None and run.method.protocol is not None:
        run.report.protocol = run.method.protocol
        return run.method.protocol
    return given


def _match_stage(run: CheckRun, match_file: Path | None) -> None:
    """match.json (the one given, else the submission's own) read and judged alone."""
    layout = run.layout
    assert layout is not None
    match_bytes: bytes | Diagnostic = b""
    if match_file is not None:
        run.match_shown = str(match_file)
        match_bytes = read_user_file(
            match_file, MAX_MATCH_BYTES, "match.json", "give a match.json file", oversize_ok=True
        )
    elif layout.match is not None:
        run.match_shown = layout.enclosing + layout.match
        match_bytes = read_small_file(layout, layout.match, MAX_MATCH_BYTES)
    if isinstance(match_bytes, Diagnostic):
        run.base.append(match_bytes)
    elif run.match_shown is not None:
        run.match, match_diags = load_match(match_bytes, run.match_shown, run.report.track)
        run.base += match_diags


def _pixel_stage(run: CheckRun, sink: ProgressSink, defer_pixels: bool) -> None:
    """Every mask's header, and its pixels unless deferred to the caller's pass or quick."""
    layout = run.layout
    assert layout is not None
    sizes = run.manifest.images if run.manifest is not None else {}
    run.tasks = {key: layout.prediction(key, sizes.get(key)) for key in layout.predictions}
    quick = run.context.quick
    run.judge_ids = not quick
    headers_only = quick or defer_pixels
    label = "Reading PNG headers" if headers_only else "Checking masks"
    tasks = list(run.tasks.values())
    advance = sink.stage(label, len(tasks))
    run.masks = inspect_masks(tasks, quick=headers_only, jobs=run.context.jobs, progress=advance)
    run.pending = defer_pixels
    run.compose()


def _method_missing(split: Split | None) -> Diagnostic:
    """T001, worded for the split: validation predictions are scored, not uploaded."""
    if split is Split.validation:
        return Code.METHOD_MISSING.at(
            "method.txt",
            "no method.txt: the official evaluator reads none for validation predictions, "
            "but a test upload needs one",
            "nothing to do for a validation score; for the test upload, write method.txt "
            "with the six official fields (docs/method-txt.md), or let pack write it from "
            "its --method option",
        )
    return Code.METHOD_MISSING.at(
        "method.txt",
        "the submission has no method.txt",
        "add method.txt with the six official fields (docs/method-txt.md), or let pack "
        "write it into the zip from its --method option",
    )


def read_small_file(layout: Layout, name: str, limit: int) -> bytes | Diagnostic:
    """method.txt or match.json, at most ``limit + 1`` bytes (the parser judges the excess).

    A member that cannot be read (a CRC error, a file removed or replaced by a
    link since the listing) is a finding, not a crash.
    """
    shown = layout.enclosing + name
    try:
        return layout.source.ref(name).read_head(limit + 1)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, KeyError) as exc:
        if layout.source.kind == "zip":
            return Code.ZIP_CORRUPT.at(
                shown,
                f"{quoted(shown)} cannot be read from the zip: {exc}",
                "re-create the zip from the submission folder (`submitkit pack --help`)",
            )
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return Code.UNREADABLE_ENTRY.at(
            shown, f"{quoted(shown)} cannot be read: {reason}", "check the file's permissions"
        )


def _official_categories(manifest: Manifest | None) -> set[str] | None:
    # A category list read off a partial dataset copy cannot prove a folder wrong.
    if manifest is None or len(manifest.categories) != manifest.track:
        return None
    return set(manifest.categories)


def _describe_sources(report: Report, manifest: Manifest | None, sources: ManifestSources) -> None:
    if report.track is None:
        report.unverified.append(
            Unverified(what="track and split", flag="--track 50|300|919 --split validation|test")
        )
    if manifest is None:
        report.unverified.append(
            Unverified(
                what="which images are missing or extra (only their count was checked)",
                flag="--toolbox DIR or --manifest FILE",
            )
        )
        report.unverified.append(Unverified(what="mask sizes", flag="--dataset DIR"))
    else:
        origin = ", ".join(manifest.sources) or (str(sources.manifest) if sources.manifest else "")
        report.verified.append(f"names against {len(manifest.images)} expected images ({origin})")
        if manifest.has_sizes:
            report.verified.append("mask sizes against the source images")
        else:
            report.unverified.append(Unverified(what="mask sizes", flag="--dataset DIR"))
    if report.mode == "quick":
        report.unverified.append(
            Unverified(
                what="pixel content (blue channel, ids, match.json use)", flag="drop --quick"
            )
        )
    else:
        report.verified.append("pixel content of every mask")


def resolve_target(
    predictions: Collection[str],
    sources: ManifestSources,
    track: int | None,
    split: Split | None,
) -> tuple[int, Split, str] | None:
    """Choose the track and split: flags, else the manifest, else names, else the count."""
    loaded = sources.loaded
    if loaded is not None:
        return _manifest_target(loaded, track, split)
    if track is not None and split is not None:
        return track, split, "flags"
    pairs = [
        (k, s)
        for k in TRACKS
        for s in Split
        if (track is None or k == track) and (split is None or s is split)
    ]
    stems = {key.split("/", 1)[-1] for key in predictions}
    listed = [p for p in pairs if p in sources.candidates()]
    if listed and stems:
        scores = {p: len(stems & {n.split("/", 1)[-1] for n in sources.names(*p)}) for p in listed}
        best = max(scores.values())
        winners = [p for p, score in scores.items() if score == best]
        if best > 0 and len(winners) == 1:
            return (*winners[0], "names")
        if best == 0 and (track is not None or split is not None):
            # The names belong to a list the flags rule out: check the flags' target,
            # where N006 will name the list they belong to.
            other = best_other_list(stems, sources, None)
            if other is not None:
                (k, s), _ = other
                return (track or k, split or s, "flags")
    folders = {key.split("/", 1)[0] for key in predictions}
    n = len(predictions)
    close = [
        (k, s)
        for k, s in pairs
        if abs(n - TRACKS[k].count(s)) <= COUNT_TOLERANCE * TRACKS[k].count(s) and len(folders) <= k
    ]
    if len(close) == 1:
        nameable = sources.candidates()
        if sources.any and close[0] not in nameable:
            # The sources cannot list the split the count points at (a test-only copy):
            # check the track's split they can list; N006 says the count is another's.
            same_track = [p for p in nameable if p[0] == close[0][0]]
            if len(same_track) == 1:
                return (*same_track[0], "count")
        return (*close[0], "count")
    if not predictions:
        return None
    wanted = [("--track 50|300|919", track is None), ("--split validation|test", split is None)]
    raise UsageError(
        f"cannot tell which track and split {n} predictions in {len(folders)} folders are for",
        "give " + (" and ".join(flag for flag, unset in wanted if unset) or "the lists: --toolbox"),
    )


def _manifest_target(
    loaded: Manifest, track: int | None, split: Split | None
) -> tuple[int, Split, str]:
    """The manifest's track and split; a usage error where the flags say otherwise."""
    if track is not None and track != loaded.track:
        raise UsageError(
            f"--track {track} contradicts the manifest (track {loaded.track})",
            "drop --track or give the manifest of that track",
        )
    if split is not None and split is not loaded.split:
        raise UsageError(
            f"--split {split.value} contradicts the manifest ({loaded.split.value})",
            "drop --split or give the manifest of that split",
        )
    return loaded.track, loaded.split, "manifest"
