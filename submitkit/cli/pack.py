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
    ProtocolOpt,
    QuietOpt,
    SplitOpt,
    SubmissionArg,
    ToolboxOpt,
    TrackOpt,
    fail,
    settings_from,
    sources_of,
    submission_of,
)
from submitkit.core.errors import SubmitkitError, UsageError
from submitkit.render.console import RichProgress, stdout_console
from submitkit.render.reporting import REPORTERS
from submitkit.render.views import (
    render_pack_json,
    render_pack_text,
)
from submitkit.workflows.pack import (
    MB,
    default_output,
    ensure_writable,
    plan_pack,
    refused,
    write_pack,
)
from submitkit.workflows.pack import dry_run as pack_dry_run


def pack(
    path: SubmissionArg = None,
    protocol: ProtocolOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="The zip to write (default: <name>-<protocol>.zip beside the input).",
            show_default=False,
        ),
    ] = None,
    method: Annotated[
        Path | None,
        typer.Option(
            help="TOML/YAML/JSON file with the six method.txt fields (replaces the submission's).",
            show_default=False,
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing output file.")
    ] = False,
    optimize: Annotated[
        bool,
        typer.Option(
            "--optimize", help="Re-encode masks at maximum lossless PNG compression (ids verified)."
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be written; write nothing.")
    ] = False,
    max_size: Annotated[
        float, typer.Option(help="Upload limit in MB; a larger zip is warned about.")
    ] = 300.0,
    toolbox: ToolboxOpt = None,
    dataset: DatasetOpt = None,
    manifest: ManifestOpt = None,
    track: TrackOpt = None,
    split: SplitOpt = None,
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict", help="Warnings of the check refuse packing too.", show_default=False
        ),
    ] = None,
    jobs: JobsOpt = None,
    output_format: FormatOpt = Format.text,
    examples: ExamplesOpt = 5,
    quiet: QuietOpt = False,
) -> None:
    """Check, then write the upload zip: exit 0 written, 1 check failed (nothing written), 2 usage.

    The zip has the official layout and is byte-identical for the same submission.
    """
    try:
        settings = settings_from(
            submission=path,
            toolbox=toolbox,
            dataset=dataset,
            manifest=manifest,
            track=track,
            split=split,
            protocol=protocol,
            strict=strict,
            jobs=jobs,
        )
        submission = submission_of(settings)
        if settings.protocol is None:
            raise UsageError(
                "pack needs the leaderboard the zip is for",
                "give --protocol unsupervised|distance|semi|free, "
                "or set `protocol` in [tool.submitkit]",
            )
        out = output if output is not None else default_output(submission, settings.protocol)
        if not dry_run:
            # Refuse before the long check rather than after it.
            ensure_writable(out, submission, overwrite)
        with RichProgress(quiet) as progress:
            plan = plan_pack(
                submission,
                protocol=settings.protocol,
                sources=sources_of(settings),
                track=settings.track,
                split=settings.split,
                jobs=settings.jobs,
                strict=settings.strict,
                method_file=method,
                method_config=settings.method,
                progress=progress,
            )
            if plan.blocked:
                result = refused(plan)
            elif dry_run:
                result = pack_dry_run(plan, out, overwrite=overwrite)
            else:
                result = write_pack(
                    plan,
                    out,
                    overwrite=overwrite,
                    optimize=optimize,
                    max_size=round(max_size * MB),
                    progress=progress,
                )
    except SubmitkitError as error:
        fail(error)
    if output_format is Format.json:
        render_pack_json(stdout_console(), result)
    elif output_format is Format.github:
        # Annotations for CI; what was written follows as plain lines.
        REPORTERS["github"](stdout_console(), examples=examples).render(result.report)
        stdout_console().out(f"pack: {result.status} {result.path or ''}".rstrip(), highlight=False)
    else:
        render_pack_text(stdout_console(), result, examples=examples)
    raise typer.Exit(1 if plan.blocked else 0)
