"""`submitkit fix`: a repaired copy of a submission."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.options import (
    DatasetOpt,
    ExamplesOpt,
    JobsOpt,
    ManifestOpt,
    PlainFormat,
    PlainFormatOpt,
    ProtocolOpt,
    QuietOpt,
    SplitOpt,
    ToolboxOpt,
    TrackOpt,
    setting_flags,
)
from submitkit.cli.runner import run


class LabelSet(str, Enum):
    """Label sets ``--from`` converts from."""

    imagenet1k = "imagenet1k"


PathOpt = Annotated[
    Path | None,
    typer.Argument(
        help="Submission folder or .zip to repair (default: `submission` from the config); "
        "never modified, unless --in-place.",
        show_default=False,
    ),
]
InPlaceOpt = Annotated[
    bool,
    typer.Option(
        "--in-place",
        help="Repair the submission itself (atomic swap; exit 1 when it changed), not a copy.",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "-o",
        "--output",
        help="New folder (or .zip) for the repaired copy; must not exist. Or --in-place.",
        show_default=False,
    ),
]
ApplyMatchOpt = Annotated[
    bool,
    typer.Option("--apply-match", help="Map the masks' ids through match.json and drop it."),
]
DropExtraOpt = Annotated[
    bool,
    typer.Option(
        "--drop-extra",
        help="Leave out predictions of images that are not in the split (needs the lists).",
    ),
]
FromLabelsOpt = Annotated[
    LabelSet | None,
    typer.Option(
        "--from",
        help="The masks hold ImageNet-1k class ids (index + 1, sorted wnids): convert them.",
        show_default=False,
    ),
]
SynsetsOpt = Annotated[
    Path | None,
    typer.Option(
        help="LOC_synset_mapping.txt: the ImageNet-1k class order for --from imagenet1k "
        "(found in --dataset when omitted).",
        show_default=False,
    ),
]


def fix_command(
    path: PathOpt = None,
    output: OutputOpt = None,
    in_place: InPlaceOpt = False,
    toolbox: ToolboxOpt = None,
    dataset: DatasetOpt = None,
    manifest: ManifestOpt = None,
    track: TrackOpt = None,
    split: SplitOpt = None,
    protocol: ProtocolOpt = None,
    apply_match: ApplyMatchOpt = False,
    drop_extra: DropExtraOpt = False,
    from_labels: FromLabelsOpt = None,
    synsets: SynsetsOpt = None,
    jobs: JobsOpt = None,
    output_format: PlainFormatOpt = PlainFormat.text,
    examples: ExamplesOpt = 5,
    quiet: QuietOpt = False,
) -> None:
    """Write a repaired copy of a submission, then check it: exit 0 only if the copy passes."""
    from submitkit.inputs.config import submission_of
    from submitkit.render.views import render_fix_text
    from submitkit.workflows.api import fix_with

    run(
        output_format,
        lambda settings, progress: fix_with(
            settings,
            submission_of(settings),
            output,
            in_place=in_place,
            apply_match=apply_match,
            drop_extra=drop_extra,
            from_labels=from_labels.value if from_labels else None,
            synsets=synsets,
            progress=progress,
        ),
        lambda out, result: render_fix_text(out, result, examples),
        flags=setting_flags(locals(), submission=path),
        quiet=quiet,
    )
