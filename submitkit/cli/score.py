"""`submitkit score INPUT OUTPUT`: the scoring program of a competition bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from submitkit.cli.options import JobsOpt, PlainFormat, ProtocolOpt, QuietOpt
from submitkit.cli.runner import run
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import RunContext, Settings
from submitkit.render.console import stderr_console, stdout_console

if TYPE_CHECKING:
    from submitkit.workflows.platform_documents import ScoreResult

PARTICIPANT_EXAMPLES = 20
"""Findings shown per code in the participant's log: enough to fix a batch at once."""


def score(
    input_dir: Annotated[
        Path, typer.Argument(metavar="INPUT", help="Folder holding ref/ and res/.")
    ],
    output_dir: Annotated[
        Path, typer.Argument(metavar="OUTPUT", help="Where scores.json and the rest go.")
    ],
    protocol: ProtocolOpt = None,
    jobs: JobsOpt = None,
    quiet: QuietOpt = False,
    output_format: Annotated[
        PlainFormat, typer.Option("--format", help="Output format on stdout.")
    ] = PlainFormat.text,
) -> None:
    """Score INPUT/res against INPUT/ref as a competition platform runs it; write OUTPUT.

    A submission that fails the check gets its findings on stderr, exit 1, no scores.
    """
    from submitkit.render.detailed_results import server_outputs
    from submitkit.workflows.codabench import (
        participant_report,
        platform_paths,
        score_input,
        write_outputs,
    )
    from submitkit.workflows.platform_documents import ScoreResult

    shown: dict[str, str] = {}
    """What the text view needs beyond the document: the split, scores.txt."""

    def work(_settings: Settings, progress: ProgressSink) -> ScoreResult:
        with platform_paths(input_dir, output_dir):
            context = RunContext(protocol=protocol, jobs=jobs or 0)
            run = score_input(input_dir, context, progress=progress, output_dir=output_dir)
            files = server_outputs(run) if run.accepted else {}
            if files:
                write_outputs(output_dir, files)
        shown["split"] = run.reference.manifest.split.value
        shown["scores.txt"] = files.get("scores.txt", "")
        scores = json.loads(files["scores.json"]) if files else None
        report = participant_report(run)
        return ScoreResult(
            accepted=run.accepted, scores=scores, enclosing=run.enclosing, report=report
        )

    run(output_format, work, lambda out, result: _text(result, shown), quiet=quiet)


def _text(result: ScoreResult, shown: dict[str, str]) -> None:
    """The scores on stdout and any findings on stderr; or the participant's log, no score."""
    if not result.accepted:
        _participant_log(result.report, shown["split"])
        return
    stdout_console().print(shown["scores.txt"], end="")
    from submitkit.render.reporting import render_findings_on

    render_findings_on(stderr_console(), result.report.diagnostics)


def _participant_log(report: object, split: str) -> None:
    """The findings as the participant reads them in the platform's log: what to run at home."""
    from submitkit.checks.repairs import repair_lines
    from submitkit.checks.report import Report
    from submitkit.render.reporting import TextReporter

    assert isinstance(report, Report)
    local = f"--manifest manifest-{split}.json (from the starting kit)"
    closing = [
        f"give fix {local}" if "as this check" in line else line for line in repair_lines(report)
    ]
    # A platform log is not a terminal: the console leaves long lines whole there.
    err = stderr_console()
    more = f"`submitkit check submission.zip {local}` lists them all"
    TextReporter(err, examples=PARTICIPANT_EXAMPLES, more=more, closing=closing).render(report)
    err.print("no score: fix the errors above and submit again")
