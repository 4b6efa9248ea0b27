"""`submitkit evaluate`: the official metrics on validation ground truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from submitkit.benchmark.tracks import TRACKS
from submitkit.cli.options import (
    BootstrapOpt,
    JobsOpt,
    LevelOpt,
    ManifestOpt,
    ProtocolOpt,
    QuietOpt,
    ScoreFormat,
    ScoreFormatOpt,
    SeedOpt,
    ToolboxOpt,
    TrackOpt,
    fail,
    validation_inputs,
)
from submitkit.core.atomic import write_text_atomic
from submitkit.core.errors import SubmitkitError
from submitkit.render.console import RichProgress, stderr_console, stdout_console
from submitkit.render.html_report import report_html
from submitkit.render.reporting import REPORTERS
from submitkit.render.scoreboard import render_confusions, render_scores
from submitkit.render.tables import TABLES, table_row
from submitkit.scoring.engine import per_image_csv
from submitkit.workflows.analysis import (
    COUNTS_KIND,
    DEFAULT_CONFUSIONS,
    BootstrapRequest,
    Naming,
    counts_document,
)
from submitkit.workflows.preview import plot_class_iou
from submitkit.workflows.score import (
    EvaluationOutput,
    evaluation_document,
    report_images,
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
    bootstrap: BootstrapOpt = 0,
    seed: SeedOpt = 0,
    level: LevelOpt = 0.95,
    confusions: Annotated[
        int,
        typer.Option(
            help=f"Largest confusions shown in the text (JSON always lists "
            f"{DEFAULT_CONFUSIONS}, or this many if more).",
        ),
    ] = 0,
    save_counts: Annotated[
        Path | None,
        typer.Option(
            "--save-counts",
            help="Write the evaluation with its exact per-image counts here (for `compare`).",
            show_default=False,
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            help="Write a self-contained HTML report here (metrics, every class, confusions, "
            "worst images).",
            show_default=False,
        ),
    ] = None,
    worst: Annotated[int, typer.Option(help="Worst images shown in the HTML report.")] = 8,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Decode the ground truth again instead of using (and filling) the cache.",
        ),
    ] = False,
    jobs: JobsOpt = None,
    output_format: ScoreFormatOpt = ScoreFormat.text,
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
                cache=not no_cache,
            )
        evaluation = scored.evaluation
        if evaluation is None or evaluation.scores is None:
            report = scored.check.report
            if evaluation is not None:
                report.diagnostics = [*report.diagnostics, *evaluation.diagnostics]
            reporter = output_format.value if output_format.value in REPORTERS else "text"
            REPORTERS[reporter](stdout_console()).render(report)
            raise typer.Exit(1)
        assert settings.dataset is not None and scored.check.manifest is not None
        naming = Naming(scored.check.manifest.categories, synset_names(settings.dataset, synsets))
        document = evaluation_document(
            path,
            evaluation,
            naming,
            protocol=settings.protocol,
            bootstrap=BootstrapRequest(bootstrap, seed, level) if bootstrap else None,
            confusions=max(confusions, DEFAULT_CONFUSIONS),
        )
        if per_image is not None:
            write_text_atomic(per_image, per_image_csv(evaluation.images))
        if plot is not None:
            _plot(document, plot, path)
        if html is not None:
            page = report_html(document, report_images(scored, settings.dataset, worst))
            write_text_atomic(html, page)
        if save_counts is not None and evaluation.counts is not None:
            data = {
                "kind": COUNTS_KIND,
                "evaluation": document.model_dump(mode="json"),
                "counts": counts_document(evaluation.counts),
            }
            write_text_atomic(save_counts, json.dumps(data, separators=(",", ":")))
    except SubmitkitError as error:
        fail(error)
    _show(document, output_format, classes, confusions, path)
    for diag in scored.check.report.diagnostics:
        stderr_console().print(
            f"{diag.code.value} {diag.severity.value}: {diag.message}", highlight=False
        )
    out = stdout_console() if output_format is ScoreFormat.text else stderr_console()
    for flag, written, what in (
        (per_image, per_image, "per-image figures"),
        (plot, plot, "per-class IoU plot"),
        (save_counts, save_counts, "per-image counts (for `submitkit compare`)"),
        (html, html, "HTML report"),
    ):
        if flag is not None and output_format is ScoreFormat.text:
            out.print(f"{what} written to {written}", highlight=False)


def _plot(document: EvaluationOutput, plot: Path, path: Path) -> None:
    by_id = sorted(document.classes, key=lambda row: row.id)
    labels = [" ".join(filter(None, (str(r.id), r.wnid, r.name))) for r in by_id]
    title = f"Per-class IoU: {path.name or path} ({TRACKS[document.track].name} validation)"
    plot_class_iou([r.IoU for r in by_id], labels, plot, title=title)


def _show(
    document: EvaluationOutput, fmt: ScoreFormat, classes: int, confusions: int, path: Path
) -> None:
    out = stdout_console()
    if fmt is ScoreFormat.json:
        out.out(document.model_dump_json(indent=2), highlight=False)
        return
    if fmt.value in TABLES:
        out.out(TABLES[fmt.value]([table_row(document)]), highlight=False, end="")
        return
    mapped = ", ids mapped through match.json" if document.matched else ""
    title = f"{path}: {TRACKS[document.track].name} validation, {document.images} images{mapped}"
    render_scores(out, title, document, classes)
    if confusions > 0:
        out.print()
        render_confusions(out, document.confusions[:confusions])
