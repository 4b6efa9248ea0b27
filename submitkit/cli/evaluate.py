"""`submitkit evaluate`: the official metrics on validation ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.benchmark.tracks import TRACKS
from submitkit.cli.options import (
    Format,
    FormatOpt,
    JobsOpt,
    ManifestOpt,
    ProtocolOpt,
    QuietOpt,
    ToolboxOpt,
    TrackOpt,
    fail,
    validation_inputs,
)
from submitkit.core.atomic import write_text_atomic
from submitkit.core.errors import SubmitkitError
from submitkit.render.console import RichProgress, stderr_console, stdout_console
from submitkit.render.reporting import REPORTERS
from submitkit.render.scoreboard import render_scores
from submitkit.scoring.engine import per_image_csv
from submitkit.workflows.preview import plot_class_iou
from submitkit.workflows.score import (
    EvaluationOutput,
    class_scores,
    run_evaluate,
    synset_names,
)


def evaluate(
    path: Annotated[Path, typer.Argument(help="Validation submission folder or .zip.")],
    dataset: Annotated[
        Path | None,
        typer.Option(
            help="ImageNet-S copy with <DIR>/ImageNetS{K}/validation-segmentation.",
            show_default=False,
        ),
    ] = None,
    track: TrackOpt = None,
    match: Annotated[
        Path | None,
        typer.Option(
            "--match",
            help="A match.json to map predicted ids (replaces the submission's own).",
            show_default=False,
        ),
    ] = None,
    toolbox: ToolboxOpt = None,
    manifest: ManifestOpt = None,
    protocol: ProtocolOpt = None,
    per_image: Annotated[
        Path | None,
        typer.Option(
            "--per-image", help="Write per-image mIoU/F/Acc as CSV here.", show_default=False
        ),
    ] = None,
    synsets: Annotated[
        Path | None,
        typer.Option(
            help="wnid-to-name list (default: LOC_synset_mapping.txt in --dataset).",
            show_default=False,
        ),
    ] = None,
    classes: Annotated[int, typer.Option(help="Per-class rows shown (0 = all).")] = 15,
    plot: Annotated[
        Path | None,
        typer.Option(help="Draw the per-class IoU, sorted, as a PNG here.", show_default=False),
    ] = None,
    jobs: JobsOpt = None,
    output_format: FormatOpt = Format.text,
    quiet: QuietOpt = False,
) -> None:
    """The official validation metrics, locally: the check runs first; errors mean no score."""
    try:
        settings, sources = validation_inputs(dataset, toolbox, manifest, track, protocol, jobs)
        with RichProgress(quiet) as progress:
            scored = run_evaluate(
                path,
                sources,
                track=settings.track,
                protocol=settings.protocol,
                match_file=match,
                jobs=settings.jobs,
                progress=progress,
            )
        evaluation = scored.evaluation
        if evaluation is None or evaluation.scores is None:
            report = scored.check.report
            if evaluation is not None:
                report.diagnostics = [*report.diagnostics, *evaluation.diagnostics]
            REPORTERS[output_format.value](stdout_console()).render(report)
            raise typer.Exit(1)
        assert settings.dataset is not None and scored.check.manifest is not None
        rows = class_scores(
            evaluation.scores,
            scored.check.manifest.categories,
            synset_names(settings.dataset, synsets),
        )
        if per_image is not None:
            write_text_atomic(per_image, per_image_csv(evaluation.images))
        if plot is not None:
            by_id = sorted(rows, key=lambda row: row.id)
            labels = [" ".join(filter(None, (str(r.id), r.wnid, r.name))) for r in by_id]
            plot_class_iou([r.IoU for r in by_id], labels, plot)
    except SubmitkitError as error:
        fail(error)
    out = stdout_console()
    if output_format is Format.json:
        document = EvaluationOutput(
            submission=str(path),
            track=evaluation.k,
            images=len(evaluation.images),
            matched=evaluation.matched,
            scores=evaluation.scores,
            classes=rows,
            warnings=evaluation.warnings,
        )
        out.out(document.model_dump_json(indent=2), highlight=False)
        return
    mapped = ", ids mapped through match.json" if evaluation.matched else ""
    title = (
        f"{path}: {TRACKS[evaluation.k].name} validation, {len(evaluation.images)} images{mapped}"
    )
    render_scores(out, title, evaluation.scores, rows, classes)
    for diag in scored.check.report.diagnostics:
        stderr_console().print(
            f"{diag.code.value} {diag.severity.value}: {diag.message}", highlight=False
        )
    for diag in evaluation.warnings:
        stderr_console().print(
            f"{diag.code.value} {diag.severity.value}: {diag.message}\n  fix: {diag.hint}",
            highlight=False,
        )
    if per_image is not None:
        out.print(f"per-image figures written to {per_image}")
    if plot is not None:
        out.print(f"per-class IoU plot written to {plot}")
