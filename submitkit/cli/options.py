"""What the commands share: option types, and the settings of the scoring commands."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from submitkit._version import __version__
from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import Split
from submitkit.inputs.config import Settings


class Format(str, Enum):
    """Output formats of the commands whose findings are about files (check, pack, …)."""

    text = "text"
    json = "json"
    github = "github"


class PlainFormat(str, Enum):
    """Output formats of the other commands: GitHub annotations would mean nothing there."""

    text = "text"
    json = "json"


class ScoreFormat(str, Enum):
    """Formats of the commands that report scores: tables for papers besides text and JSON."""

    text = "text"
    json = "json"
    markdown = "markdown"
    latex = "latex"


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
    int | None,
    typer.Option(
        min=0,
        metavar="N",
        help="Parallel workers for masks (default: 0 = every core).",
        show_default=False,
    ),
]
SubmissionArg = Annotated[
    Path | None,
    typer.Argument(
        help="Submission folder or .zip (default: `submission` from the config).",
        show_default=False,
    ),
]
ExamplesOpt = Annotated[
    int,
    typer.Option(
        min=0,
        metavar="N",
        help="Findings shown per diagnostic code (0 = none; --format json lists all).",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar (it is also off when piped).")
]
FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        help="Output on stdout: text, json (schemas/), or github (Actions annotations).",
    ),
]
PlainFormatOpt = Annotated[
    PlainFormat, typer.Option("--format", help="Output on stdout: text, or json (schemas/).")
]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace the output if it exists.")]
StrictOpt = Annotated[
    bool | None,
    typer.Option("--strict", help="Warnings fail too (exit 1).", show_default=False),
]
ScoreFormatOpt = Annotated[
    ScoreFormat,
    typer.Option("--format", help="Output on stdout; markdown and latex give a table for papers."),
]
BootstrapOpt = Annotated[
    int,
    typer.Option(
        "--bootstrap",
        help="Resamples for percentile-bootstrap intervals over images (0 = none; 1000 is usual).",
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the bootstrap resamples.")]
LevelOpt = Annotated[float, typer.Option("--level", help="Confidence level of the intervals.")]


SETTING_OPTIONS = frozenset(Settings.model_fields) - {"submission", "method"}
"""Options named as the settings they set (a submission is an argument; pack's --method a file)."""


def setting_flags(given: Mapping[str, Any], **renamed: Any) -> dict[str, Any]:
    """A command's options that are settings, picked by name from its parameters.

    Commands pass ``locals()``, so the list of settings is written once (on
    :class:`~submitkit.inputs.config.Settings`), not once a command; ``renamed``
    adds those under another name (the submission argument ``path``).
    """
    return {key: value for key, value in given.items() if key in SETTING_OPTIONS} | renamed


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"submitkit {__version__}")
        raise typer.Exit()
