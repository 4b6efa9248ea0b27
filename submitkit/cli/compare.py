"""`submitkit compare`: paired bootstrap of two runs on the same validation images."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
from submitkit.core.errors import SubmitkitError
from submitkit.render.comparison import comparison_rows, render_comparison
from submitkit.render.console import RichProgress, stdout_console
from submitkit.render.reporting import REPORTERS
from submitkit.render.tables import TABLES
from submitkit.workflows.analysis import BootstrapRequest, Naming
from submitkit.workflows.compare import Run, compare_runs, load_run
from submitkit.workflows.score import evaluation_document, run_evaluate, synset_names


def compare(
    a: Annotated[Path, typer.Argument(help="Run A: a submission, or a --save-counts file.")],
    b: Annotated[Path, typer.Argument(help="Run B, compared with A (B - A).")],
    dataset: Annotated[
        Path | None,
        typer.Option(
            help="ImageNet-S copy with the validation ground truth (for submissions).",
            show_default=False,
        ),
    ] = None,
    track: TrackOpt = None,
    toolbox: ToolboxOpt = None,
    manifest: ManifestOpt = None,
    protocol: ProtocolOpt = None,
    synsets: Annotated[
        Path | None,
        typer.Option(help="wnid-to-name list (default: in --dataset).", show_default=False),
    ] = None,
    bootstrap: BootstrapOpt = 1000,
    seed: SeedOpt = 0,
    level: LevelOpt = 0.95,
    classes: Annotated[int, typer.Option(help="Classes shown per direction of change.")] = 10,
    jobs: JobsOpt = None,
    output_format: ScoreFormatOpt = ScoreFormat.text,
    quiet: QuietOpt = False,
) -> None:
    """Is B better than A? Paired bootstrap intervals and p-values of B - A per metric and class."""
    try:
        settings, sources = validation_inputs(dataset, toolbox, manifest, track, protocol, jobs)

        def evaluate_path(path: Path) -> Run:
            with RichProgress(quiet) as progress:
                scored = run_evaluate(
                    path,
                    sources,
                    track=settings.track,
                    protocol=settings.protocol,
                    jobs=settings.jobs,
                    progress=progress,
                )
            ev = scored.evaluation
            if ev is None or ev.scores is None or ev.counts is None:
                report = scored.check.report
                if ev is not None:
                    report.diagnostics = [*report.diagnostics, *ev.diagnostics]
                reporter = output_format.value if output_format.value in REPORTERS else "text"
                REPORTERS[reporter](stdout_console()).render(report)
                raise typer.Exit(1)
            assert settings.dataset is not None and scored.check.manifest is not None
            naming = Naming(
                scored.check.manifest.categories, synset_names(settings.dataset, synsets)
            )
            document = evaluation_document(path, ev, naming, protocol=settings.protocol)
            return Run(str(path), document, ev.counts)

        result = compare_runs(
            load_run(a, evaluate_path),
            load_run(b, evaluate_path),
            BootstrapRequest(bootstrap or 1000, seed, level),
        )
    except SubmitkitError as error:
        fail(error)
    out = stdout_console()
    if output_format is ScoreFormat.json:
        out.out(result.model_dump_json(indent=2), highlight=False)
    elif output_format.value in TABLES:
        out.out(TABLES[output_format.value](comparison_rows(result)), highlight=False, end="")
    else:
        render_comparison(out, result, classes)
