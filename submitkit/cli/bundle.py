"""`submitkit bundle`: a Codabench competition bundle scored by `submitkit score`."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import Split
from submitkit.cli.options import ManifestOpt, ToolboxOpt, TrackChoice, fail
from submitkit.core.errors import SubmitkitError, UsageError
from submitkit.render.console import name, stdout_console

# Written out here so that `submitkit --help` need not import the bundle workflow (Pillow);
# tests/test_cli_habits.py keeps them equal to the workflow's defaults.
DOCKER_IMAGE_SHOWN = "python:3.11-slim"
TIME_LIMIT_SHOWN = 1800


def bundle(
    output: Annotated[Path, typer.Option("-o", "--output", help="The bundle zip to write.")],
    track: Annotated[TrackChoice, typer.Option(help="Track (number of classes).")],
    ground_truth: Annotated[
        Path,
        typer.Option(
            help="Ground-truth masks: a <wnid>/<stem>.png folder or a dataset copy.",
        ),
    ],
    split: Annotated[Split, typer.Option(help="Split the ground truth is of.")] = (
        Split.validation
    ),
    manifest: ManifestOpt = None,
    toolbox: ToolboxOpt = None,
    protocol: Annotated[
        list[Protocol] | None,
        typer.Option(help="A phase per protocol given (default: all four).", show_default=False),
    ] = None,
    title: Annotated[str | None, typer.Option(help="Competition title.")] = None,
    docker_image: Annotated[
        str, typer.Option(help="Image the scoring program runs in (Python >= 3.10).")
    ] = DOCKER_IMAGE_SHOWN,
    start: Annotated[
        str | None, typer.Option(help="First day of every phase, YYYY-MM-DD (default: today).")
    ] = None,
    time_limit: Annotated[
        int, typer.Option(help="Seconds a submission may take to score.")
    ] = TIME_LIMIT_SHOWN,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would be written; write nothing.")
    ] = False,
) -> None:
    """Build a Codabench competition bundle: pages, phases, scoring program, reference data."""
    from submitkit.core.atomic import Inputs, check_target
    from submitkit.workflows.bundle import BundleSettings, plan_bundle, write_bundle

    try:
        if not dry_run:
            inputs = Inputs.of(ground_truth, manifest, toolbox)
            check_target(output, replace=True, exists_hint="", inputs=inputs)
        settings = BundleSettings(
            track=int(track.value),
            ground_truth=ground_truth,
            split=split,
            manifest=manifest,
            toolbox=toolbox,
            protocols=list(dict.fromkeys(protocol)) if protocol else list(Protocol),
            title=title,
            docker_image=docker_image,
            start=_day(start),
            time_limit=time_limit,
        )
        plan = plan_bundle(settings)
        if not dry_run:
            write_bundle(plan, output)
    except SubmitkitError as error:
        fail(error)
    out = stdout_console()
    verb = "would write" if dry_run else "wrote"
    out.print(f"{verb} {name(str(output))}:", highlight=False)
    for member, what in plan.listing():
        out.print(f"  {member:36} {what}", highlight=False)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError as exc:
        raise UsageError(f"--start {text!r} is not a date", "write it as YYYY-MM-DD") from exc
