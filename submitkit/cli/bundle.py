"""`submitkit bundle`: a Codabench competition bundle scored by `submitkit score`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

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
    fail,
)
from submitkit.core.errors import SubmitkitError, UsageError
from submitkit.render.console import name, print_document, stderr_console, stdout_console

# Written out here so that `submitkit --help` need not import the bundle workflow (Pillow);
# tests/test_cli_habits.py keeps them equal to the workflow's defaults.
DOCKER_IMAGE_SHOWN = "python:3.11-slim"
TIME_LIMIT_SHOWN = 600


def bundle(
    output: Annotated[Path, typer.Option("-o", "--output", help="The bundle zip to write.")],
    track: Annotated[TrackChoice, typer.Option(help="Track (number of classes).")],
    ground_truth: Annotated[
        Path,
        typer.Option(
            help="Ground-truth masks of --split: a <wnid>/<stem>.png folder or a dataset copy.",
        ),
    ],
    protocol: Annotated[
        Protocol, typer.Option(help="The competition's protocol (one competition per protocol).")
    ],
    split: Annotated[Split, typer.Option(help="Split --ground-truth is of.")] = (Split.validation),
    test_ground_truth: Annotated[
        Path | None,
        typer.Option(
            help="Test ground truth: a final phase after the development phase.",
            show_default=False,
        ),
    ] = None,
    manifest: ManifestOpt = None,
    toolbox: ToolboxOpt = None,
    title: Annotated[str | None, typer.Option(help="Competition title.")] = None,
    docker_image: Annotated[
        str, typer.Option(help="Image the scoring program runs in (python:X.Y, X.Y >= 3.10).")
    ] = DOCKER_IMAGE_SHOWN,
    image_python: Annotated[
        str | None,
        typer.Option(help="The image's Python X.Y, for an image not named python:X.Y."),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="First phase opens, YYYY-MM-DD (default: today).")
    ] = None,
    final_start: Annotated[
        str | None,
        typer.Option(help="Final phase opens, YYYY-MM-DD (default: 30 days after --start)."),
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            help="Last phase closes at 00:00 UTC of this day, YYYY-MM-DD (default: never)."
        ),
    ] = None,
    time_limit: Annotated[
        int, typer.Option(help="Seconds a submission may take (Codabench's default queue: 600).")
    ] = TIME_LIMIT_SHOWN,
    max_per_day: Annotated[int, typer.Option(help="Submissions per participant per day.")] = 5,
    max_submissions: Annotated[
        int, typer.Option(help="Submissions per participant per phase.")
    ] = 100,
    contact_email: Annotated[
        str | None, typer.Option(help="The organisers' e-mail shown on the competition.")
    ] = None,
    rank: Annotated[
        str, typer.Option(help="Leaderboard shows each participant's last or best submission.")
    ] = "last",
    wheels_from: Annotated[
        Path | None,
        typer.Option(help="Take the wheels from this folder instead of the package index."),
    ] = None,
    rehearse: Annotated[
        Path | None,
        typer.Option(
            help="After writing, score this submission with each phase's program as the "
            "worker does, network off.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        PlainFormat, typer.Option("--format", help="Output format.")
    ] = PlainFormat.text,
    jobs: JobsOpt = None,
    quiet: QuietOpt = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be written; write nothing.")
    ] = False,
) -> None:
    """Build a Codabench competition bundle: pages, phases, scoring program, reference data."""
    from submitkit.core.atomic import Inputs, check_target
    from submitkit.render.console import RichProgress
    from submitkit.workflows.bundle import (
        BundleSettings,
        Rank,
        bundle_document,
        plan_bundle,
        rehearsal_phases,
        write_bundle,
    )

    try:
        if rank not in ("last", "best"):
            raise UsageError(
                f"--rank {rank!r} is neither last nor best", "give --rank last or best"
            )
        if not dry_run:
            inputs = Inputs.of(
                ground_truth, test_ground_truth, manifest, toolbox, wheels_from, rehearse
            )
            check_target(output, replace=True, exists_hint="", inputs=inputs)
        settings = BundleSettings(
            track=int(track.value),
            ground_truth=ground_truth,
            protocol=protocol,
            split=split,
            test_ground_truth=test_ground_truth,
            manifest=manifest,
            toolbox=toolbox,
            title=title,
            docker_image=docker_image,
            image_python=image_python,
            start=_day("--start", start),
            final_start=_day("--final-start", final_start),
            end=_day("--end", end),
            time_limit=time_limit,
            max_per_day=max_per_day,
            max_submissions=max_submissions,
            contact_email=contact_email,
            rank=Rank(rank),
            wheels_from=wheels_from,
            jobs=jobs or 0,
        )
        plan = plan_bundle(settings)
        verdicts = []
        if not dry_run:
            with RichProgress(quiet) as progress:
                stage = progress.stage(
                    "Decoding the ground truth", sum(len(r.masks) for r in plan.references)
                )
                write_bundle(plan, output, stage)
            if rehearse is not None:
                from submitkit.workflows.rehearsal import rehearse_bundle

                verdicts = rehearse_bundle(output, rehearsal_phases(plan), rehearse)
    except SubmitkitError as error:
        fail(error)
    document = bundle_document(plan, output, written=not dry_run, verdicts=verdicts)
    if output_format is PlainFormat.json:
        print_document(document)
    else:
        _text(document)
    if any(not v.accepted for v in verdicts):
        raise typer.Exit(1)


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
