"""`submitkit table`: several saved runs in one paper table, against a baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.options import (
    BootstrapOpt,
    LevelOpt,
    ScoreFormat,
    ScoreFormatOpt,
    SeedOpt,
)
from submitkit.cli.runner import run
from submitkit.core.errors import UsageError
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import Settings

RunsOpt = Annotated[
    list[Path],
    typer.Argument(
        help="Runs: files of `evaluate --save-counts` or `evaluate --format json`.",
        show_default=False,
    ),
]
NameOpt = Annotated[
    list[str] | None,
    typer.Option("--name", help="A row's name, once per run in order (default: the file's stem)."),
]
ColumnsOpt = Annotated[
    str,
    typer.Option(help="Metrics shown, comma-separated (mIoU, Acc, FMeasure, mBIoU, ...)."),
]
BaselineOpt = Annotated[
    str,
    typer.Option(help="The run the others are compared with: its name or 1-based position."),
]
DigitsOpt = Annotated[
    int | None,
    typer.Option(
        min=0, max=4, help="Decimals (default: 1 in LaTeX, 2 elsewhere).", show_default=False
    ),
]


def table(
    runs: RunsOpt,
    name: NameOpt = None,
    columns: ColumnsOpt = "mIoU,Acc,mBIoU",
    baseline: BaselineOpt = "1",
    digits: DigitsOpt = None,
    bootstrap: BootstrapOpt = 1000,
    seed: SeedOpt = 0,
    level: LevelOpt = 0.95,
    output_format: ScoreFormatOpt = ScoreFormat.markdown,
) -> None:
    """Several runs in one paper table: values, intervals, signed differences to a baseline."""
    from submitkit.render.tables import runs_latex, runs_markdown
    from submitkit.workflows.analysis import BootstrapRequest
    from submitkit.workflows.table import (
        TableOutput,
        build_table,
        check_columns,
        load_table_run,
    )

    def work(_settings: Settings, _progress: ProgressSink) -> TableOutput:
        names = list(name or [])
        if names and len(names) != len(runs):
            raise UsageError(
                f"{len(names)} --name for {len(runs)} runs", "give --name once per run, in order"
            )
        loaded = [load_table_run(path, names[i] if names else None) for i, path in enumerate(runs)]
        chosen = check_columns([c.strip() for c in columns.split(",") if c.strip()])
        request = BootstrapRequest(bootstrap, seed, level) if bootstrap else None
        return build_table(loaded, chosen, _baseline(baseline, [r.name for r in loaded]), request)

    def markdown(document: TableOutput, fmt: str) -> str:
        if fmt == "latex":
            return runs_latex(document, 1 if digits is None else digits)
        return runs_markdown(document, 2 if digits is None else digits)

    run(
        output_format,
        work,
        lambda out, document: out.out(markdown(document, "markdown"), end=""),
        quiet=True,
        table=markdown,
    )


def _baseline(given: str, names: list[str]) -> int:
    """The baseline's index, from a name or a 1-based position."""
    if given in names:
        if names.count(given) > 1:
            raise UsageError(f"two runs are named {given!r}", "give them different --name")
        return names.index(given)
    if given.isdigit() and 1 <= int(given) <= len(names):
        return int(given) - 1
    raise UsageError(
        f"--baseline {given!r} names no run", f"give a run's name or a position 1..{len(names)}"
    )
