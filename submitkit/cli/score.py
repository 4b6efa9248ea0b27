"""`submitkit score INPUT OUTPUT`: the scoring program of a competition bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.options import JobsOpt, PlainFormat, ProtocolOpt, QuietOpt, fail
from submitkit.core.errors import SubmitkitError
from submitkit.core.exits import ExitCode
from submitkit.inputs.config import RunContext
from submitkit.render.console import (
    RichProgress,
    print_document,
    stderr_console,
    stdout_console,
)

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
    from submitkit.workflows.platform_documents import ScoreResult
    from submitkit.workflows.server import participant_report, score_input, write_outputs

    try:
        with RichProgress(quiet) as progress:
            context = RunContext(protocol=protocol, jobs=jobs or 0)
            run = score_input(input_dir, context, progress=progress, output_dir=output_dir)
        files = server_outputs(run) if run.accepted else {}
        if files:
            write_outputs(output_dir, files)
    except SubmitkitError as error:
        fail(_without_server_paths(error, input_dir, output_dir))
    report = participant_report(run)
    if output_format is PlainFormat.json:
        import json

        scores = json.loads(files["scores.json"]) if files else None
        print_document(
            ScoreResult(
                accepted=run.accepted, scores=scores, enclosing=run.enclosing, report=report
            )
        )
        if not run.accepted:
            raise typer.Exit(ExitCode.FINDINGS)
        return
    if not run.accepted:
        _participant_log(report, run.reference.manifest.split.value)
        raise typer.Exit(ExitCode.FINDINGS)
    stdout_console().print(files["scores.txt"], end="")
    from submitkit.render.reporting import render_findings_on

    render_findings_on(stderr_console(), report.diagnostics)


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


def _without_server_paths(
    error: SubmitkitError, input_dir: Path, output_dir: Path
) -> SubmitkitError:
    """The error with the platform's folders named as the contract names them (INPUT, OUTPUT).

    The scoring log is the participant's to read: it says what broke, not where
    the server keeps the organiser's data.
    """
    message, hint = error.message, error.hint
    for folder, name in ((input_dir, "INPUT"), (output_dir, "OUTPUT")):
        for form in {str(folder), str(folder.resolve())}:
            message, hint = message.replace(form, name), hint.replace(form, name)
    return type(error)(message, hint)
