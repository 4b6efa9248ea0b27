"""`evaluate` and `match` as whole runs: check, score, write what was asked, return the document.

The CLI only wires settings into these and renders what they return, so the
library gives the same answer as the command, and a failed check returns the
same kind of document as a scored run (with ``scores``/``mapping`` left empty).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from submitkit.benchmark.tracks import Split
from submitkit.core.atomic import Inputs, check_target, write_text_atomic
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import RunContext
from submitkit.inputs.match_json import write_match
from submitkit.scoring.engine import per_image_csv
from submitkit.scoring.matching import MatchLevel
from submitkit.workflows.analysis import (
    COUNTS_KIND,
    DEFAULT_CONFUSIONS,
    BootstrapRequest,
    Naming,
    counts_document,
)
from submitkit.workflows.evaluate import (
    TIE_ALIASES,
    EvaluationOutput,
    MatchOutput,
    Scored,
    TieBreak,
    evaluation_document,
    report_images,
    run_evaluate,
    run_match,
    synset_names,
)


@dataclass(frozen=True)
class EvaluateRequest:
    """What `evaluate` writes and adds beyond the score (every field optional)."""

    synsets: Path | None = None
    per_image: Path | None = None
    plot: Path | None = None
    bootstrap: BootstrapRequest | None = None
    confusions: int = DEFAULT_CONFUSIONS
    save_counts: Path | None = None
    html: Path | None = None
    worst: int = 8
    cache: bool = True


def evaluate_submission(
    path: Path,
    context: RunContext,
    *,
    match_file: Path | None = None,
    request: EvaluateRequest | None = None,
    progress: ProgressSink | None = None,
) -> EvaluationOutput:
    """Check, then score ``path``; add intervals and confusions and write the files asked for.

    Validation predictions only: the split is validation whatever ``context`` says.
    """
    asked = request or EvaluateRequest()
    sources = context.sources
    inputs = Inputs.of(path, *sources.paths, match_file, asked.synsets)
    for output in (asked.per_image, asked.plot, asked.html, asked.save_counts):
        if output is not None:
            check_target(output, replace=True, exists_hint="", inputs=inputs)
            inputs = inputs.adding(output)  # two outputs never share a path
    if asked.synsets is not None and sources.dataset is not None:
        synset_names(sources.dataset, asked.synsets)  # a missing list fails before the work
    scored = run_evaluate(
        path,
        context.but(split=Split.validation),
        match_file=match_file,
        progress=progress,
        cache=asked.cache,
    )
    report = scored.check.report.model_copy(deep=True)
    evaluation = scored.evaluation
    if evaluation is not None:
        report.diagnostics = [*report.diagnostics, *evaluation.diagnostics]
    if evaluation is None or evaluation.scores is None:
        return EvaluationOutput(submission=str(path), track=report.track, check=report)
    assert sources.dataset is not None and scored.check.manifest is not None
    naming = Naming(scored.check.manifest.categories, synset_names(sources.dataset, asked.synsets))
    document = evaluation_document(
        path,
        evaluation,
        naming,
        report,
        bootstrap=asked.bootstrap,
        confusions=asked.confusions,
    )
    document.warnings = list(evaluation.warnings)
    _write_outputs(document, scored, sources.dataset, asked)
    return document


def _write_outputs(
    document: EvaluationOutput, scored: Scored, dataset: Path, asked: EvaluateRequest
) -> None:
    evaluation = scored.evaluation
    assert evaluation is not None
    if asked.per_image is not None:
        write_text_atomic(asked.per_image, per_image_csv(evaluation.images))
        document.per_image = str(asked.per_image)
    if asked.plot is not None:
        _plot(document, asked.plot)
        document.plot = str(asked.plot)
    if asked.html is not None:
        # The page is render's to write (render/html_report.py write_report): the workflow
        # hands over its data, the worst images included.
        document._worst_images = report_images(scored, dataset, asked.worst)
        document.html = str(asked.html)
    if asked.save_counts is not None and evaluation.counts is not None:
        document.counts_file = str(asked.save_counts)
        data = {
            "kind": COUNTS_KIND,
            "evaluation": document.to_document(),
            "counts": counts_document(evaluation.counts),
        }
        write_text_atomic(asked.save_counts, json.dumps(data, separators=(",", ":")))


def _plot(document: EvaluationOutput, out: Path) -> None:
    # Pillow is needed only for the chart: imported when one is asked for.
    from submitkit.benchmark.tracks import TRACKS
    from submitkit.workflows.preview import plot_class_iou

    by_id = sorted(document.classes, key=lambda row: row.id)
    labels = [" ".join(filter(None, (str(r.id), r.wnid, r.name))) for r in by_id]
    track = TRACKS[document.track].name if document.track in TRACKS else ""
    name = Path(document.submission).name or document.submission
    title = f"Per-class IoU: {name} ({track} validation)"
    plot_class_iou([r.IoU for r in by_id], labels, out, title=title)


def match_and_write(
    path: Path,
    output: Path,
    context: RunContext,
    *,
    level: MatchLevel = "image",
    clusters: int | None = None,
    ties: TieBreak | Literal["official"] = "munkres3",
    overwrite: bool = False,
    progress: ProgressSink | None = None,
) -> MatchOutput:
    """Check, match and score ``path``; write the chosen matching to ``output``."""
    check_target(
        output,
        replace=overwrite,
        exists_hint="pass --overwrite to replace it",
        inputs=Inputs.of(path, *context.sources.paths),
    )
    matched = run_match(
        path,
        context,
        level=level,
        clusters=clusters,
        ties=TIE_ALIASES.get(ties, ties),  # type: ignore[arg-type]
        progress=progress,
    )
    if matched.chosen is None or matched.mapping is None:
        refused = MatchOutput(submission=str(path), check=matched.check.report)
        refused._statistics = matched.statistics
        return refused
    write_text_atomic(output, write_match(matched.mapping))
    document = MatchOutput(
        submission=str(path),
        output=str(output),
        mapping={str(i): c for i, c in sorted(matched.mapping.items())},
        candidates=matched.candidates,
        notes=matched.notes,
        ties=matched.ties,
        check=matched.check.report,
    )
    document._statistics = matched.statistics
    return document
