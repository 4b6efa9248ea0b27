"""The command line: thin typer code over the library's plain functions."""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.text import Text

from submitkit import __version__
from submitkit.atomic import write_text_atomic
from submitkit.benchmark import TRACKS, Split
from submitkit.checker import run_check
from submitkit.config import Settings, load_settings
from submitkit.console import RichProgress, stderr_console, stdout_console
from submitkit.diagnostics import Code, Severity
from submitkit.errors import SubmitkitError, UsageError
from submitkit.evaluate import per_image_csv
from submitkit.fix import fix_submission, summary_lines
from submitkit.hooks import validate_files
from submitkit.manifest import ManifestSources
from submitkit.matchfile import write_match
from submitkit.pack import MB, default_output, ensure_writable, plan_pack, refused, write_pack
from submitkit.pack import dry_run as pack_dry_run
from submitkit.preview import plot_class_iou, preview_sheet
from submitkit.protocols import Protocol
from submitkit.reporting import REPORTERS, github_annotation
from submitkit.schemas import drifted, write_schemas
from submitkit.scoreboard import render_candidates, render_scores
from submitkit.scoring import (
    EvaluationOutput,
    MatchOutput,
    class_scores,
    run_evaluate,
    run_match,
    synset_names,
)
from submitkit.views import (
    render_findings_json,
    render_findings_text,
    render_pack_json,
    render_pack_text,
)

app = typer.Typer(
    name="submitkit",
    help="Check, pack and score ImageNet-S submissions before uploading them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(str, Enum):
    text = "text"
    json = "json"
    github = "github"


class TrackChoice(str, Enum):
    t50 = "50"
    t300 = "300"
    t919 = "919"


ToolboxOpt = Annotated[
    Path | None,
    typer.Option(
        help="Clone of the official ImageNet-S toolbox (its data/ lists).", show_default=False
    ),
]
DatasetOpt = Annotated[
    Path | None,
    typer.Option(
        help="Your ImageNet-S copy: <DIR>/ImageNetS{50,300,919}/<split>/<wnid>/*.JPEG.",
        show_default=False,
    ),
]
ManifestOpt = Annotated[
    Path | None,
    typer.Option(help="A manifest JSON written by `submitkit manifest`.", show_default=False),
]
TrackOpt = Annotated[
    TrackChoice | None,
    typer.Option(help="Track (number of classes); detected when omitted.", show_default=False),
]
SplitOpt = Annotated[
    Split | None, typer.Option(help="Split; detected when omitted.", show_default=False)
]
ProtocolOpt = Annotated[
    Protocol | None,
    typer.Option(
        help="Leaderboard the submission is for; its rules are checked.", show_default=False
    ),
]
JobsOpt = Annotated[
    int | None, typer.Option(help="Worker processes for masks (0 = all cores).", show_default="0")
]
SubmissionArg = Annotated[
    Path | None,
    typer.Argument(
        help="Submission folder or .zip (default: `submission` from the config).",
        show_default=False,
    ),
]
ExamplesOpt = Annotated[int, typer.Option(help="Examples shown per diagnostic code.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
FormatOpt = Annotated[Format, typer.Option("--format", help="Output format on stdout.")]


def _fail(error: SubmitkitError) -> NoReturn:
    err = stderr_console()
    err.print(f"[bold red]error:[/] {error.message}", highlight=False)
    if error.hint:
        err.print(f"  {error.hint}", highlight=False)
    raise typer.Exit(2)


def _settings(**flags: Any) -> Settings:
    if isinstance(flags.get("track"), TrackChoice):
        flags["track"] = int(flags["track"].value)
    return load_settings(flags)


def _sources(settings: Settings) -> ManifestSources:
    return ManifestSources(settings.toolbox, settings.dataset, settings.manifest)


def _validation_inputs(
    dataset: Path | None,
    toolbox: Path | None,
    manifest: Path | None,
    track: TrackChoice | None,
    protocol: Protocol | None,
    jobs: int | None,
) -> tuple[Settings, ManifestSources]:
    """Settings and lists for the commands that score against validation ground truth."""
    settings = _settings(
        dataset=dataset,
        toolbox=toolbox,
        manifest=manifest,
        track=track,
        protocol=protocol,
        jobs=jobs,
    )
    return settings, _sources(settings)


def _submission(settings: Settings) -> Path:
    if settings.submission is None:
        raise UsageError(
            "no submission given",
            "pass its folder or zip, or set `submission` in [tool.submitkit] of pyproject.toml",
        )
    return settings.submission


def _version(value: bool) -> None:
    if value:
        typer.echo(f"submitkit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Check, pack and score ImageNet-S submissions before uploading them."""


@app.command()
def check(
    path: SubmissionArg = None,
    toolbox: ToolboxOpt = None,
    dataset: DatasetOpt = None,
    manifest: ManifestOpt = None,
    track: TrackOpt = None,
    split: SplitOpt = None,
    protocol: ProtocolOpt = None,
    quick: Annotated[
        bool | None,
        typer.Option(
            "--quick", help="Read PNG headers only (size, mode); for hooks.", show_default=False
        ),
    ] = None,
    strict: Annotated[
        bool | None,
        typer.Option("--strict", help="Warnings fail the check too.", show_default=False),
    ] = None,
    jobs: JobsOpt = None,
    output_format: FormatOpt = Format.text,
    examples: ExamplesOpt = 5,
    quiet: QuietOpt = False,
) -> None:
    """Find every fault of a submission: exit 0 passed, 1 findings, 2 usage error."""
    try:
        settings = _settings(
            submission=path,
            toolbox=toolbox,
            dataset=dataset,
            manifest=manifest,
            track=track,
            split=split,
            protocol=protocol,
            quick=quick,
            strict=strict,
            jobs=jobs,
        )
        submission = _submission(settings)
        with RichProgress(quiet) as progress:
            run = run_check(
                submission,
                sources=_sources(settings),
                track=settings.track,
                split=settings.split,
                protocol=settings.protocol,
                quick=settings.quick,
                jobs=settings.jobs,
                strict=settings.strict,
                progress=progress,
            )
    except SubmitkitError as error:
        _fail(error)
    REPORTERS[output_format.value](stdout_console(), examples=examples).render(run.report)
    raise typer.Exit(run.report.exit_code)


@app.command("fix")
def fix_command(
    path: Annotated[
        Path,
        typer.Argument(
            help="Submission folder or .zip to repair; never modified.", show_default=False
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="New folder (or .zip) for the repaired copy; must not exist.",
            show_default=False,
        ),
    ],
    toolbox: ToolboxOpt = None,
    dataset: DatasetOpt = None,
    manifest: ManifestOpt = None,
    track: TrackOpt = None,
    split: SplitOpt = None,
    protocol: ProtocolOpt = None,
    apply_match: Annotated[
        bool,
        typer.Option("--apply-match", help="Map the masks' ids through match.json and drop it."),
    ] = False,
    jobs: JobsOpt = None,
    examples: Annotated[int, typer.Option(help="Examples shown per kind of change.")] = 5,
    quiet: QuietOpt = False,
) -> None:
    """Write a repaired copy of a submission, then check it: exit 0 only if the copy passes."""
    try:
        settings = _settings(
            toolbox=toolbox,
            dataset=dataset,
            manifest=manifest,
            track=track,
            split=split,
            protocol=protocol,
            jobs=jobs,
        )
        with RichProgress(quiet) as progress:
            result = fix_submission(
                path,
                output,
                sources=_sources(settings),
                track=settings.track,
                split=settings.split,
                protocol=settings.protocol,
                apply_match=apply_match,
                jobs=settings.jobs,
                progress=progress,
            )
    except SubmitkitError as error:
        _fail(error)
    out = stdout_console()
    for line in summary_lines(result, examples):
        out.print(Text(line))
    out.print()
    if result.report is not None:
        REPORTERS["text"](out, examples=examples).render(result.report)
    raise typer.Exit(result.exit_code)


@app.command("preview")
def preview_command(
    path: Annotated[Path, typer.Argument(help="Submission folder or .zip.", show_default=False)],
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="The contact sheet to write (.png).", show_default=False
        ),
    ],
    dataset: DatasetOpt = None,
    toolbox: ToolboxOpt = None,
    manifest: ManifestOpt = None,
    track: TrackOpt = None,
    split: SplitOpt = None,
    count: Annotated[int, typer.Option(help="Images to sample.")] = 12,
    seed: Annotated[
        int, typer.Option(help="Seed of the sample: the same seed, the same images.")
    ] = 0,
) -> None:
    """Draw sampled predictions over their source images (and ground truth) into a PNG."""
    try:
        settings = _settings(
            toolbox=toolbox, dataset=dataset, manifest=manifest, track=track, split=split
        )
        result = preview_sheet(
            path,
            output,
            sources=_sources(settings),
            track=settings.track,
            split=settings.split,
            count=count,
            seed=seed,
        )
    except SubmitkitError as error:
        _fail(error)
    stdout_console().out(
        f"wrote {result.output}: {len(result.shown)} of {result.total} predictions, "
        f"{result.with_sources} over their source image, "
        f"{result.with_ground_truth} beside their ground truth",
        highlight=False,
    )


@app.command()
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
        settings = _settings(
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
        submission = _submission(settings)
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
                sources=_sources(settings),
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
        _fail(error)
    if output_format is Format.json:
        render_pack_json(stdout_console(), result)
    elif output_format is Format.github:
        # Annotations for CI; what was written follows as plain lines.
        REPORTERS["github"](stdout_console(), examples=examples).render(result.report)
        stdout_console().out(f"pack: {result.status} {result.path or ''}".rstrip(), highlight=False)
    else:
        render_pack_text(stdout_console(), result, examples=examples)
    raise typer.Exit(1 if plan.blocked else 0)


@app.command("validate-files")
def validate_files_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="method.txt and match.json files to validate.", show_default=False),
    ],
    protocol: ProtocolOpt = None,
    track: TrackOpt = None,
    strict: Annotated[
        bool | None, typer.Option("--strict", help="Warnings fail too.", show_default=False)
    ] = None,
    output_format: FormatOpt = Format.text,
) -> None:
    """Validate method.txt and match.json files on their own (pre-commit): exit 1 on errors."""
    try:
        settings = _settings(protocol=protocol, track=track, strict=strict)
        diagnostics = validate_files(files, protocol=settings.protocol, track=settings.track)
    except SubmitkitError as error:
        _fail(error)
    failed = any(
        d.severity is Severity.error or (settings.strict and d.severity is Severity.warning)
        for d in diagnostics
    )
    names = [f.as_posix() for f in files]
    if output_format is Format.github:
        for diag in diagnostics:
            stdout_console().out(github_annotation(diag, diag.path), highlight=False)
    else:
        render = render_findings_json if output_format is Format.json else render_findings_text
        render(stdout_console(), names, diagnostics, failed)
    raise typer.Exit(1 if failed else 0)


@app.command()
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
        settings, sources = _validation_inputs(dataset, toolbox, manifest, track, protocol, jobs)
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
        _fail(error)
    out = stdout_console()
    if output_format is Format.json:
        document = EvaluationOutput(
            submission=str(path),
            track=evaluation.k,
            images=len(evaluation.images),
            matched=evaluation.matched,
            scores=evaluation.scores,
            classes=rows,
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
    if per_image is not None:
        out.print(f"per-image figures written to {per_image}")
    if plot is not None:
        out.print(f"per-class IoU plot written to {plot}")


class LevelChoice(str, Enum):
    image = "image"
    pixel = "pixel"


@app.command()
def match(
    path: Annotated[
        Path, typer.Argument(help="Validation submission (cluster ids) folder or .zip.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write match.json.")],
    dataset: Annotated[
        Path | None,
        typer.Option(
            help="ImageNet-S copy with <DIR>/ImageNetS{K}/validation-segmentation.",
            show_default=False,
        ),
    ] = None,
    track: TrackOpt = None,
    level: Annotated[
        LevelChoice, typer.Option(help="Agreement counted per image (official) or per pixel.")
    ] = LevelChoice.image,
    clusters: Annotated[
        int | None,
        typer.Option(
            help="Number of predicted ids; above K gives a many-to-one matching "
            "(fully unsupervised protocol only).",
            show_default=False,
        ),
    ] = None,
    toolbox: ToolboxOpt = None,
    manifest: ManifestOpt = None,
    protocol: ProtocolOpt = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing output file.")] = False,
    jobs: JobsOpt = None,
    output_format: FormatOpt = Format.text,
    quiet: QuietOpt = False,
) -> None:
    """Match predicted ids to classes on the validation split and write match.json."""
    try:
        if output.exists() and not overwrite:
            raise UsageError(f"{output} exists", "pass --overwrite to replace it")
        settings, sources = _validation_inputs(dataset, toolbox, manifest, track, protocol, jobs)
        with RichProgress(quiet) as progress:
            matched = run_match(
                path,
                sources,
                track=settings.track,
                protocol=settings.protocol,
                level=level.value,
                clusters=clusters,
                jobs=settings.jobs,
                progress=progress,
            )
        if matched.chosen is None or matched.mapping is None:
            REPORTERS[output_format.value](stdout_console()).render(matched.check.report)
            raise typer.Exit(1)
        write_text_atomic(output, write_match(matched.mapping))
    except SubmitkitError as error:
        _fail(error)
    out = stdout_console()
    if output_format is Format.json:
        document = MatchOutput(
            output=str(output),
            mapping={str(i): c for i, c in sorted(matched.mapping.items())},
            candidates=matched.candidates,
        )
        out.out(document.model_dump_json(indent=2), highlight=False)
        return
    render_candidates(out, matched.candidates)
    if matched.chosen.many_to_one:
        out.print("many-to-one matching: admitted only under the fully unsupervised protocol")
    out.print(f"wrote {output} ({len(matched.mapping)} ids)")


@app.command("manifest")
def manifest_command(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Where to write the manifest JSON.")
    ],
    toolbox: ToolboxOpt = None,
    dataset: DatasetOpt = None,
    track: Annotated[
        TrackChoice, typer.Option(help="Track (number of classes).")
    ] = TrackChoice.t50,
    split: Annotated[Split, typer.Option(help="Split.")] = Split.test,
    quiet: QuietOpt = False,
) -> None:
    """Build the expected-image manifest of a track and split once, to reuse with --manifest."""
    try:
        settings = _settings(toolbox=toolbox, dataset=dataset)
        sources = ManifestSources(settings.toolbox, settings.dataset)
        if not sources.any:
            raise UsageError("a manifest needs --toolbox, --dataset or both")
        with RichProgress(quiet) as progress:
            built, diags = sources.build(int(track.value), split, progress)
        built.save(output)
    except SubmitkitError as error:
        _fail(error)
    err = stderr_console()
    for diag in diags:
        err.print(f"[yellow]{diag.code.value} warning:[/] {diag.message}", highlight=False)
    sized = sum(1 for size in built.images.values() if size is not None)
    stdout_console().print(
        f"wrote {output}: {built.track_info.name} {built.split.value}, "
        f"{len(built.images)} images ({sized} with sizes), {len(built.categories)} categories"
    )


@app.command()
def schemas(
    out: Annotated[Path, typer.Option(help="Folder of the committed schemas.")] = Path("schemas"),
    check_only: Annotated[
        bool, typer.Option("--check", help="Only report drift from the models (exit 1).")
    ] = False,
) -> None:
    """Write the JSON Schemas generated from the pydantic models (or check them)."""
    if check_only:
        stale = drifted(out)
        for name in stale:
            stderr_console().print(f"{out / name} differs from its model", highlight=False)
        raise typer.Exit(1 if stale else 0)
    for path in write_schemas(out):
        stdout_console().print(f"wrote {path}")


@app.command()
def codes(
    markdown: Annotated[bool, typer.Option(help="As the README's Markdown table.")] = False,
) -> None:
    """List every diagnostic code with its severity and meaning."""
    out = stdout_console()
    if markdown:
        out.print("| code | name | severity | meaning |\n|---|---|---|---|")
    for code in Code:
        doc = " ".join((code.__doc__ or "").split())
        if markdown:
            out.print(f"| `{code.value}` | `{code.name}` | {code.severity.value} | {doc} |")
        else:
            out.print(f"{code.value}  {code.severity.value:<7}  {code.name}\n    {doc}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        stderr_console().print("interrupted")
        sys.exit(130)
    except Exception as exc:
        # A bug in submitkit, not in the submission: one line, not a traceback,
        # unless the user asks for it to report the bug.
        if os.environ.get("SUBMITKIT_DEBUG"):
            raise
        stderr_console().print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "  this is a submitkit bug: please report it with the output of the same "
            "command run with SUBMITKIT_DEBUG=1",
            highlight=False,
        )
        sys.exit(2)
