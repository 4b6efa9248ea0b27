"""The check: every stage run over one submission, findings collected into a Report."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.checks.masks import MaskResult, MaskTask, id_findings, inspect_masks
from submitkit.checks.names import count_findings, duplicate_findings, name_findings
from submitkit.checks.report import Counts, Report, Unverified
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.progress import NoProgress, ProgressSink
from submitkit.inputs.layout import Layout, folder_findings, read_layout, stray_predictions
from submitkit.inputs.manifest import Manifest, ManifestSources
from submitkit.inputs.match_json import load_match, match_usage_findings
from submitkit.inputs.method_txt import MethodInfo, parse_method, protocol_findings
from submitkit.inputs.source import open_source

COUNT_TOLERANCE = 0.1
"""How far a prediction count may stray from a split's size and still identify it."""


@dataclass
class CheckRun:
    """A finished check with the parsed pieces later commands (pack) reuse."""

    report: Report
    layout: Layout | None = None
    manifest: Manifest | None = None
    match: dict[int, int] | None = None
    method: MethodInfo | None = None
    masks: list[MaskResult] = field(default_factory=list)


def check(
    path: Path | str,
    *,
    toolbox: Path | str | None = None,
    dataset: Path | str | None = None,
    manifest: Path | str | None = None,
    track: int | None = None,
    split: Split | str | None = None,
    protocol: Protocol | str | None = None,
    quick: bool = False,
    jobs: int = 0,
    strict: bool = False,
    progress: ProgressSink | None = None,
) -> Report:
    """Check a submission folder or zip; the public entry point of the library."""
    return run_check(
        Path(path),
        sources=ManifestSources(_path(toolbox), _path(dataset), _path(manifest)),
        track=track,
        split=Split(split) if split is not None else None,
        protocol=Protocol(protocol) if protocol is not None else None,
        quick=quick,
        jobs=jobs,
        strict=strict,
        progress=progress,
    ).report


def _path(value: Path | str | None) -> Path | None:
    return None if value is None else Path(value)


def run_check(
    path: Path,
    *,
    sources: ManifestSources,
    track: int | None = None,
    split: Split | None = None,
    protocol: Protocol | None = None,
    quick: bool = False,
    jobs: int = 0,
    strict: bool = False,
    progress: ProgressSink | None = None,
    match_file: Path | None = None,
) -> CheckRun:
    """Run every stage; raises SubmitkitError only for unusable options or inputs.

    ``match_file`` is a match.json outside the submission (``evaluate --match``);
    it replaces the submission's own.
    """
    sink = progress or NoProgress()
    source = open_source(path)
    report = Report(
        submission=str(path),
        container=source.kind,
        protocol=protocol,
        mode="quick" if quick else "full",
        strict=strict,
        counts=Counts(files=len(source.entries)),
    )
    diags: list[Diagnostic] = list(source.diagnostics)
    run = CheckRun(report=report)
    layout = read_layout(source)
    run.layout = layout
    diags += layout.diagnostics

    target = resolve_target(layout.predictions, sources, track, split)
    k: int | None = None
    if target is not None:
        k, chosen_split, how = target
        report.track, report.split, report.target = k, chosen_split, how
        report.counts.expected = TRACKS[k].count(chosen_split)
        if sources.any:
            run.manifest, manifest_diags = sources.build(k, chosen_split, sink)
            diags += manifest_diags
            report.counts.expected = len(run.manifest.images)
    _describe_sources(report, run.manifest, sources)

    categories = _official_categories(run.manifest)
    diags += folder_findings(layout, categories)
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
        diags += name_findings(
            layout.predictions,
            layout.misnamed.keys(),
            run.manifest.images,
            strays,
        )
    else:
        diags += duplicate_findings(layout.predictions)
        if target is not None:
            diags += count_findings(len(layout.predictions), target[0], target[1])

    shown = layout.enclosing
    if layout.method is None:
        diags.append(
            Code.METHOD_MISSING.at(
                "method.txt",
                "the submission has no method.txt",
                "add method.txt with the six official fields (see `submitkit pack --method`)",
            )
        )
    else:
        run.method, method_diags = parse_method(
            source_read(layout, layout.method), shown + layout.method
        )
        diags += method_diags
        if run.method is not None:
            diags += protocol_findings(run.method, protocol, k, shown + layout.method)
            if protocol is None and run.method.protocol is not None:
                # Later stages hold the submission to the protocol it declares.
                protocol = report.protocol = run.method.protocol

    match_shown: str | None = None
    if match_file is not None:
        match_shown = str(match_file)
        try:
            match_bytes = match_file.read_bytes()
        except OSError as exc:
            raise EnvironmentProblem(f"cannot read {match_file}: {exc.strerror}") from exc
    elif layout.match is not None:
        match_shown = shown + layout.match
        match_bytes = source_read(layout, layout.match)
    if match_shown is not None:
        run.match, match_diags = load_match(match_bytes, match_shown, k)
        diags += match_diags

    sizes = run.manifest.images if run.manifest is not None else {}
    tasks = [
        MaskTask(layout.source.ref(name), shown + name, sizes.get(key))
        for key, name in layout.predictions.items()
    ]
    label = "Reading PNG headers" if quick else "Checking masks"
    run.masks = inspect_masks(tasks, quick=quick, jobs=jobs, progress=sink.stage(label, len(tasks)))
    report.counts.masks_inspected = len(run.masks)
    for result in run.masks:
        diags += result.diagnostics
    if not quick and k is not None:
        # A missing "0" key is J003 already; id 0 in every mask need not repeat it.
        keys = frozenset(run.match) | {0} if run.match is not None else None
        diags += id_findings(run.masks, k=k, match_keys=keys)
    if run.match is not None and match_shown is not None:
        used: set[int] = set()
        for result in run.masks:
            used.update(result.ids or ())
        usage = match_usage_findings(run.match, used, match_shown, protocol)
        if quick:
            # Without pixels, which keys are used is unknown: keep the protocol finding only.
            usage = [d for d in usage if d.code is Code.MATCH_OUTSIDE_UNSUPERVISED]
        diags += usage

    if report.protocol is None:
        report.unverified.append(
            Unverified(
                what="the protocol's rules", flag="--protocol unsupervised|distance|semi|free"
            )
        )
    report.diagnostics = diags
    return run


def source_read(layout: Layout, name: str) -> bytes:
    return layout.source.read(name)


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
    folders = {key.split("/", 1)[0] for key in predictions}
    n = len(predictions)
    close = [
        (k, s)
        for k, s in pairs
        if abs(n - TRACKS[k].count(s)) <= COUNT_TOLERANCE * TRACKS[k].count(s) and len(folders) <= k
    ]
    if len(close) == 1:
        return (*close[0], "count")
    if not predictions:
        return None
    raise UsageError(
        f"cannot tell which track and split {n} predictions in {len(folders)} folders are for",
        "give --track 50|300|919 and --split validation|test",
    )
