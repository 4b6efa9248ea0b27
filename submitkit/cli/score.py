"""`submitkit score INPUT OUTPUT`: the scoring program of a competition bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from submitkit.cli.options import JobsOpt, ProtocolOpt, QuietOpt, fail
from submitkit.core.errors import SubmitkitError
from submitkit.core.exits import ExitCode
from submitkit.render.console import RichProgress, stderr_console, stdout_console

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
) -> None:
    """Score INPUT/res against INPUT/ref as a competition platform runs it; write OUTPUT.

    A submission that fails the check gets its findings on stderr, exit 1, no scores.
    """
    from submitkit.render.detailed_results import server_outputs
    from submitkit.render.reporting import TextReporter, render_findings_on
    from submitkit.workflows.server import score_input, write_outputs

    try:
        with RichProgress(quiet) as progress:
            run = score_input(
                input_dir,
                protocol=protocol,
                jobs=jobs or 0,
                progress=progress,
                output_dir=output_dir,
            )
        if run.accepted:
            files = server_outputs(run)
            write_outputs(output_dir, files)
    except SubmitkitError as error:
        fail(error)
    if not run.accepted:
        report = run.scored.check.report
        evaluation = run.scored.evaluation
        if evaluation is not None:
            report.diagnostics = [*report.diagnostics, *evaluation.diagnostics]
        # A platform log is not a terminal: the console leaves long lines whole there.
        err = stderr_console()
        TextReporter(err, examples=PARTICIPANT_EXAMPLES).render(report)
        err.print("no score: fix the errors above and submit again")
        raise typer.Exit(ExitCode.FINDINGS)
    out = stdout_console()
    out.print(files["scores.txt"], end="")
    render_findings_on(stderr_console(), run.scored.check.report.diagnostics)
