"""`submitkit pack`: the upload zip."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.options import (
    DatasetOpt,
    ExamplesOpt,
    Format,
    FormatOpt,
    JobsOpt,
    ManifestOpt,
    OverwriteOpt,
    ProtocolOpt,
    QuietOpt,
    SplitOpt,
    StrictOpt,
    SubmissionArg,
    ToolboxOpt,
    TrackOpt,
    setting_flags,
)
from submitkit.cli.runner import run

MB = 1000 * 1000


OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o",
        "--output",
        help="The zip to write (default: <name>-<protocol>.zip beside the input).",
        show_default=False,
    ),
]
MethodOpt = Annotated[
    Path | None,
    typer.Option(
        help="TOML/YAML/JSON file with the six method.txt fields (replaces the submission's).",
        show_default=False,
    ),
]
OptimizeOpt = Annotated[
    bool,
    typer.Option(
        "--optimize", help="Re-encode masks at maximum lossless PNG compression (ids verified)."
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Show what would be written; write nothing.")
]
MaxSizeOpt = Annotated[
    float,
    typer.Option(min=0, max=1e9, help="Upload limit in MB; a larger zip is warned about."),
]


def pack(
    path: SubmissionArg = None,
    protocol: ProtocolOpt = None,
    output: OutputOpt = None,
    method: MethodOpt = None,
    overwrite: OverwriteOpt = False,
    optimize: OptimizeOpt = False,
    dry_run: DryRunOpt = False,
    max_size: MaxSizeOpt = 300.0,
    toolbox: ToolboxOpt = None,
    dataset: DatasetOpt = None,
    manifest: ManifestOpt = None,
    track: TrackOpt = None,
    split: SplitOpt = None,
    strict: StrictOpt = None,
    jobs: JobsOpt = None,
    output_format: FormatOpt = Format.text,
    examples: ExamplesOpt = 5,
    quiet: QuietOpt = False,
) -> None:
    """Check, then write the upload zip: exit 0 written, 1 check failed (nothing written), 2 usage.

    The zip has the official layout and is byte-identical for the same submission.
    """
    from submitkit.render.views import render_pack_text
    from submitkit.workflows.api import pack_with

    run(
        output_format,
        lambda settings, progress: pack_with(
            settings,
            output=output,
            method_file=method,
            overwrite=overwrite,
            optimize=optimize,
            dry_run=dry_run,
            max_size=round(max_size * MB),
            progress=progress,
        ),
        lambda out, result: render_pack_text(out, result, examples),
        flags=setting_flags(locals(), submission=path),
        quiet=quiet,
    )
