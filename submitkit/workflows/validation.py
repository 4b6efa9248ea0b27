"""`evaluate` and `match` as whole runs: check, score, write what was asked, return the document.

The CLI only wires settings into these and renders what they return, so the
library gives the same answer as the command, and a failed check returns the
same kind of document as a scored run (with ``scores``/``mapping`` left empty).
"""

from __future__ import annotations

from pathlib import Path

from submitkit.benchmark.protocols import Protocol
from submitkit.core.atomic import write_text_atomic
from submitkit.core.errors import UsageError
from submitkit.core.progress import ProgressSink
from submitkit.inputs.manifest import ManifestSources
from submitkit.inputs.match_json import write_match
from submitkit.scoring.engine import per_image_csv
from submitkit.scoring.matching import MatchLevel
from submitkit.workflows.score import (
    ClassScore,
    EvaluationOutput,
    MatchOutput,
    TieBreak,
    class_scores,
    run_evaluate,
    run_match,
    synset_names,
)


def evaluate_submission(
    path: Path,
    sources: ManifestSources,
    *,
    track: int | None = None,
    protocol: Protocol | None = None,
    match_file: Path | None = None,
    synsets: Path | None = None,
    per_image: Path | None = None,
    plot: Path | None = None,
    jobs: int = 0,
    progress: ProgressSink | None = None,
) -> EvaluationOutput:
    """Check, then score ``path``; write the per-image CSV and the chart when asked."""
    scored = run_evaluate(
        path,
        sources,
        track=track,
        protocol=protocol,
        match_file=match_file,
        jobs=jobs,
        progress=progress,
    )
    report = scored.check.report.model_copy(deep=True)
    evaluation = scored.evaluation
    if evaluation is not None:
        report.diagnostics = [*report.diagnostics, *evaluation.diagnostics]
    if evaluation is None or evaluation.scores is None:
        return EvaluationOutput(submission=str(path), track=report.track, check=report)
    assert sources.dataset is not None and scored.check.manifest is not None
    rows = class_scores(
        evaluation.scores,
        scored.check.manifest.categories,
        synset_names(sources.dataset, synsets),
    )
    if per_image is not None:
        write_text_atomic(per_image, per_image_csv(evaluation.images))
    if plot is not None:
        _plot(rows, plot)
    return EvaluationOutput(
        submission=str(path),
        track=evaluation.k,
        images=len(evaluation.images),
        matched=evaluation.matched,
        scores=evaluation.scores,
        classes=rows,
        per_image=str(per_image) if per_image is not None else None,
        plot=str(plot) if plot is not None else None,
        check=report,
    )


def _plot(rows: list[ClassScore], out: Path) -> None:
    # Pillow is needed only for the chart: imported when one is asked for.
    from submitkit.workflows.preview import plot_class_iou

    by_id = sorted(rows, key=lambda row: row.id)
    labels = [" ".join(filter(None, (str(r.id), r.wnid, r.name))) for r in by_id]
    plot_class_iou([r.IoU for r in by_id], labels, out)


def match_and_write(
    path: Path,
    output: Path,
    sources: ManifestSources,
    *,
    track: int | None = None,
    protocol: Protocol | None = None,
    level: MatchLevel = "image",
    clusters: int | None = None,
    ties: TieBreak = "official",
    overwrite: bool = False,
    jobs: int = 0,
    progress: ProgressSink | None = None,
) -> MatchOutput:
    """Check, match and score ``path``; write the chosen matching to ``output``."""
    if output.exists() and not overwrite:
        raise UsageError(f"{output} exists", "pass --overwrite to replace it")
    matched = run_match(
        path,
        sources,
        track=track,
        protocol=protocol,
        level=level,
        clusters=clusters,
        ties=ties,
        jobs=jobs,
        progress=progress,
    )
    if matched.chosen is None or matched.mapping is None:
        return MatchOutput(submission=str(path), check=matched.check.report)
    write_text_atomic(output, write_match(matched.mapping))
    return MatchOutput(
        submission=str(path),
        output=str(output),
        mapping={str(i): c for i, c in sorted(matched.mapping.items())},
        candidates=matched.candidates,
        notes=matched.notes,
        ties=matched.ties,
        check=matched.check.report,
    )
