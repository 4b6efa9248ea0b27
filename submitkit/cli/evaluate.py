"""`submitkit evaluate`: the official metrics on validation ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    setting_flags,
)
from submitkit.cli.runner import run
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import Settings
from submitkit.render.console import stderr_console

if TYPE_CHECKING:
    from submitkit.workflows.evaluate import EvaluationOutput

GroundTruthOpt = Annotated[
    Path | None,
    typer.Option(
        help="ImageNet-S copy with <DIR>/ImageNetS{K}/validation-segmentation.",
        show_default=False,
    ),
]
PathOpt = Annotated[Path | None, typer.Option(show_default=False)]


_PathOpt = Annotated[
    Path, typer.Argument(help="Validation submission folder or .zip.", show_default=False)
]
MatchOpt = Annotated[
    Path | None,
    typer.Option(
        "--match",
        help="A match.json to map predicted ids (replaces the submission's own).",
        show_default=False,
    ),
]
PerImageOpt = Annotated[
    Path | None,
    typer.Option("--per-image", help="Write per-image mIoU/F/Acc as CSV here.", show_default=False),
]
SynsetsOpt = Annotated[
    Path | None,
    typer.Option(
        help="wnid-to-name list over the built-in names (default: LOC_synset_mapping.txt "
        "in --dataset).",
        show_default=False,
    ),
]
ClassesOpt = Annotated[
    int,
    typer.Option(min=0, metavar="N", help="Per-class rows shown, worst first (0 = none)."),
]
PlotOpt = Annotated[
    Path | None,
    typer.Option(help="Draw the per-class IoU, sorted, as a PNG here.", show_default=False),
]
ConfusionsOpt = Annotated[
    int,
    typer.Option(min=0, help="Largest confusions shown (JSON always lists at least 20)."),
]
SaveCountsOpt = Annotated[
    Path | None,
    typer.Option(
        "--save-counts",
        help="Write the evaluation with its exact per-image counts here (for `compare`).",
        show_default=False,
    ),
]
HtmlOpt = Annotated[
    Path | None,
    typer.Option(
        help="Write a self-contained HTML report here (metrics, every class, confusions, "
        "worst images).",
        show_default=False,
    ),
]
NoCacheOpt = Annotated[
    bool,
    typer.Option(
        "--no-cache",
        help="Decode the ground truth again instead of using (and filling) the cache.",
    ),
]


def _with_page(document: EvaluationOutput) -> EvaluationOutput:
    """``--html``: the page is render's to write, from the document (imported only when asked)."""
    if document.html is not None:
        from submitkit.render.html_report import write_report

        write_report(document)
    return document


def evaluate(
    path: _PathOpt,
    dataset: GroundTruthOpt = None,
    track: TrackOpt = None,
    match: MatchOpt = None,
    toolbox: ToolboxOpt = None,
    manifest: ManifestOpt = None,
    protocol: ProtocolOpt = None,
    per_image: PerImageOpt = None,
    synsets: SynsetsOpt = None,
    classes: ClassesOpt = 15,
    plot: PlotOpt = None,
    bootstrap: BootstrapOpt = 0,
    seed: SeedOpt = 0,
    level: LevelOpt = 0.95,
    confusions: ConfusionsOpt = 0,
    save_counts: SaveCountsOpt = None,
    html: HtmlOpt = None,
    worst: Annotated[int, typer.Option(min=0, help="Worst images in the HTML report.")] = 8,
    no_cache: NoCacheOpt = False,
    jobs: JobsOpt = None,
    output_format: ScoreFormatOpt = ScoreFormat.text,
    quiet: QuietOpt = False,
) -> None:
    """The official validation metrics, locally: the check runs first; errors mean no score."""
    from submitkit.render.scoreboard import render_evaluation_text
    from submitkit.render.tables import TABLES, table_row
    from submitkit.workflows.analysis import DEFAULT_CONFUSIONS, BootstrapRequest
    from submitkit.workflows.api import evaluate_with
    from submitkit.workflows.evaluate import EvaluateRequest

    flags = setting_flags(locals())

    def work(settings: Settings, progress: ProgressSink) -> EvaluationOutput:
        request = EvaluateRequest(
            synsets=synsets,
            per_image=per_image,
            plot=plot,
            bootstrap=BootstrapRequest(bootstrap, seed, level) if bootstrap else None,
            confusions=max(confusions, DEFAULT_CONFUSIONS),
            save_counts=save_counts,
            html=html,
            worst=worst,
            cache=not no_cache,
        )
        found = evaluate_with(settings, path, match_file=match, request=request, progress=progress)
        return _with_page(found)

    run(
        output_format,
        work,
        lambda out, doc: render_evaluation_text(out, stderr_console(), doc, classes, confusions),
        flags=flags,
        quiet=quiet,
        table=lambda doc, fmt: TABLES[fmt]([table_row(doc)]),
    )
