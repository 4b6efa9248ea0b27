"""The command line: thin typer code over the library's plain functions."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from submitkit import __version__
from submitkit.benchmark import Split
from submitkit.checker import run_check
from submitkit.config import Settings, load_settings
from submitkit.console import RichProgress, stderr_console, stdout_console
from submitkit.diagnostics import Code
from submitkit.errors import SubmitkitError, UsageError
from submitkit.manifest import ManifestSources
from submitkit.protocols import Protocol
from submitkit.reporting import REPORTERS
from submitkit.schemas import drifted, write_schemas

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


class TrackChoice(str, Enum):
    t50 = "50"
    t300 = "300"
    t919 = "919"


ToolboxOpt = Annotated[
    Path | None,
    typer.Option(help="Clone of the official ImageNet-S toolbox (its data/ lists).", show_default=False),
]
DatasetOpt = Annotated[
    Path | None,
    typer.Option(help="Your ImageNet-S copy: <DIR>/ImageNetS{50,300,919}/<split>/<wnid>/*.JPEG.", show_default=False),
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
    typer.Option(help="Leaderboard the submission is for; its rules are checked.", show_default=False),
]
JobsOpt = Annotated[
    int | None, typer.Option(help="Worker processes for masks (0 = all cores).", show_default="0")
]
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
    path: Annotated[
        Path | None,
        typer.Argument(help="Submission folder or .zip (default: `submission` from the config).", show_default=False),
    ] = None,
    toolbox: ToolboxOpt = None,
    dataset: DatasetOpt = None,
    manifest: ManifestOpt = None,
    track: TrackOpt = None,
    split: SplitOpt = None,
    protocol: ProtocolOpt = None,
    quick: Annotated[
        bool | None, typer.Option("--quick", help="Read PNG headers only (size, mode); for hooks.", show_default=False)
    ] = None,
    strict: Annotated[
        bool | None, typer.Option("--strict", help="Warnings fail the check too.", show_default=False)
    ] = None,
    jobs: JobsOpt = None,
    output_format: FormatOpt = Format.text,
    examples: Annotated[int, typer.Option(help="Examples shown per diagnostic code.")] = 5,
    quiet: QuietOpt = False,
) -> None:
    """Find every fault of a submission: exit 0 passed, 1 findings, 2 usage error."""
    try:
        settings = _settings(
            submission=path, toolbox=toolbox, dataset=dataset, manifest=manifest, track=track,
            split=split, protocol=protocol, quick=quick, strict=strict, jobs=jobs,
        )
        if settings.submission is None:
            raise UsageError(
                "no submission given",
                "pass its folder or zip, or set `submission` in [tool.submitkit] of pyproject.toml",
            )
        with RichProgress(quiet) as progress:
            run = run_check(
                settings.submission,
                sources=ManifestSources(settings.toolbox, settings.dataset, settings.manifest),
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


@app.command("manifest")
def manifest_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the manifest JSON.")],
    toolbox: ToolboxOpt = None,
    dataset: DatasetOpt = None,
    track: Annotated[TrackChoice, typer.Option(help="Track (number of classes).")] = TrackChoice.t50,
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

