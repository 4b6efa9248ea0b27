"""`submitkit bundle`: a Codabench competition bundle scored by `submitkit score`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import Split
from submitkit.cli.options import (
    JobsOpt,
    ManifestOpt,
    PlainFormat,
    QuietOpt,
    ToolboxOpt,
    TrackChoice,
)
from submitkit.cli.runner import run
from submitkit.core.errors import UsageError
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import Settings
from submitkit.render.console import name, stderr_console, stdout_console

if TYPE_CHECKING:
    from submitkit.workflows.bundle import BundleSettings

# Written out here so that `submitkit --help` need not import the bundle workflow (Pillow);
# tests/cli/test_cli_habits.py keeps them equal to the workflow's defaults.
DOCKER_IMAGE_SHOWN = "python:3.11-slim"
TIME_LIMIT_SHOWN = 600


GroundTruthOpt = Annotated[
    Path,
    typer.Option(
        help="Ground-truth masks of --split: a <wnid>/<stem>.png folder or a dataset copy.",
    ),
]
ProtocolOpt = Annotated[
    Protocol, typer.Option(help="The competition's protocol (one competition per protocol).")
]
TestGroundTruthOpt = Annotated[
    Path | None,
    typer.Option(
        help="Test ground truth: a final phase after the development phase.",
        show_default=False,
    ),
]
DockerImageOpt = Annotated[
    str, typer.Option(help="Image the scoring program runs in (python:X.Y, X.Y >= 3.10).")
]
ImagePythonOpt = Annotated[
    str | None,
    typer.Option(help="The image's Python X.Y, for an image not named python:X.Y."),
]
StartOpt = Annotated[
    str | None, typer.Option(help="First phase opens, YYYY-MM-DD (default: today).")
]
FinalStartOpt = Annotated[
    str | None,
    typer.Option(help="Final phase opens, YYYY-MM-DD (default: 30 days after --start)."),
]
EndOpt = Annotated[
    str | None,
    typer.Option(help="Last phase closes at 00:00 UTC of this day, YYYY-MM-DD (default: never)."),
]
TimeLimitOpt = Annotated[
    int, typer.Option(help="Seconds a submission may take (Codabench's default queue: 600).")
]
MaxSubmissionsOpt = Annotated[int, typer.Option(help="Submissions per participant per phase.")]
ContactEmailOpt = Annotated[
    str | None, typer.Option(help="The organisers' e-mail shown on the competition.")
]
RankOpt = Annotated[
    str, typer.Option(help="Leaderboard shows each participant's last or best submission.")
]
WheelsFromOpt = Annotated[
    Path | None,
    typer.Option(help="Take the wheels from this folder instead of the package index."),
]
RehearseOpt = Annotated[
    Path | None,
    typer.Option(
        help="After writing, score this submission with each phase's program as the "
        "worker does, network off.",
        show_default=False,
    ),
]
OutputFormatOpt = Annotated[PlainFormat, typer.Option("--format", help="Output format.")]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="List what would be written; write nothing.")
]


def bundle(
    output: Annotated[Path, typer.Option("-o", "--output", help="The bundle zip to write.")],
    track: Annotated[TrackChoice, typer.Option(help="Track (number of classes).")],
    ground_truth: GroundTruthOpt,
    protocol: ProtocolOpt,
    split: Annotated[Split, typer.Option(help="Split --ground-truth is of.")] = (Split.validation),
    test_ground_truth: TestGroundTruthOpt = None,
    manifest: ManifestOpt = None,
    toolbox: ToolboxOpt = None,
    title: Annotated[str | None, typer.Option(help="Competition title.")] = None,
    docker_image: DockerImageOpt = DOCKER_IMAGE_SHOWN,
    image_python: ImagePythonOpt = None,
    start: StartOpt = None,
    final_start: FinalStartOpt = None,
    end: EndOpt = None,
    time_limit: TimeLimitOpt = TIME_LIMIT_SHOWN,
    max_per_day: Annotated[int, typer.Option(help="Submissions per participant per day.")] = 5,
    max_submissions: MaxSubmissionsOpt = 100,
    contact_email: ContactEmailOpt = None,
    rank: RankOpt = "last",
    wheels_from: WheelsFromOpt = None,
    rehearse: RehearseOpt = None,
    output_format: OutputFormatOpt = PlainFormat.text,
    jobs: JobsOpt = None,
    quiet: QuietOpt = False,
    dry_run: DryRunOpt = False,
) -> None:
    """Build a Codabench competition bundle: pages, phases, scoring program, reference data."""
    from submitkit.core.atomic import Inputs, check_target
    from submitkit.workflows.bundle import (
        bundle_document,
        plan_bundle,
        rehearsal_phases,
        write_bundle,
    )
    from submitkit.workflows.platform_documents import BundleResult

    given = dict(locals())

    def work(_settings: Settings, progress: ProgressSink) -> BundleResult:
        if rank not in ("last", "best"):
            raise UsageError(
                f"--rank {rank!r} is neither last nor best", "give --rank last or best"
            )
        if not dry_run:
            inputs = (ground_truth, test_ground_truth, manifest, toolbox, wheels_from, rehearse)
            check_target(output, replace=True, exists_hint="", inputs=Inputs.of(*inputs))
        plan = plan_bundle(_bundle_settings(given))
        verdicts = []
        if not dry_run:
            total = sum(len(r.masks) for r in plan.references)
            write_bundle(plan, output, progress.stage("Decoding the ground truth", total))
            if rehearse is not None:
                from submitkit.workflows.rehearsal import rehearse_bundle

                verdicts = rehearse_bundle(output, rehearsal_phases(plan), rehearse)
        return bundle_document(plan, output, written=not dry_run, verdicts=verdicts)

    run(output_format, work, lambda out, document: _text(document), quiet=quiet)


def _text(document: object) -> None:
    from submitkit.workflows.platform_documents import BundleResult

    assert isinstance(document, BundleResult)
    out = stdout_console()
    verb = "wrote" if document.written else "would write"
    out.print(f"{verb} {name(document.output)}:", highlight=False)
    for member in document.members:
        out.print(f"  {member.name:36} {member.what}", highlight=False)
    for phase in document.phases:
        end = f" to {_moment(phase.end)}" if phase.end else ""
        out.print(
            f"phase {phase.name}: {phase.images} images, from {_moment(phase.start)}{end}",
            highlight=False,
        )
    for verdict in document.rehearsal:
        network = "network off" if verdict.network_off else "network ON: unshare -n unavailable"
        out.print(
            f"rehearsal, {verdict.phase}: {verdict.verdict} ({verdict.seconds} s, {network})",
            highlight=False,
        )
    err = stderr_console()
    for note in document.notes:
        err.print(f"note: {note}", highlight=False)


def _bundle_settings(given: dict[str, Any]) -> BundleSettings:
    """The organiser's choices from the command's options, picked by name (``locals()``)."""
    from dataclasses import fields

    from submitkit.workflows.bundle import BundleSettings, Rank

    chosen = {f.name: given[f.name] for f in fields(BundleSettings) if f.name in given}
    days = {flag: _day(f"--{flag.replace('_', '-')}", given[flag]) for flag in DAYS}
    return BundleSettings(
        **chosen
        | days
        | {
            "track": int(given["track"].value),
            "rank": Rank(given["rank"]),
            "jobs": given["jobs"] or 0,
        }
    )


DAYS = ("start", "final_start", "end")
"""The phase dates, given as YYYY-MM-DD."""


def _moment(day_or_time: str) -> str:
    """A phase's bound as Codabench reads it: a bare date is that day's midnight (UTC)."""
    return f"{day_or_time} 00:00 UTC" if len(day_or_time) == 10 else day_or_time


def _day(flag: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as exc:
        raise UsageError(f"{flag} {text!r} is not a date", "write it as YYYY-MM-DD") from exc
