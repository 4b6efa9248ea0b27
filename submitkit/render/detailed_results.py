"""What a scoring program leaves in OUTPUT: scores.json, scores.txt, detailed_results.html.

The detailed-results page is the report of `evaluate --html`
(:func:`submitkit.render.html_report.report_html`), with the scoring notes on top.
"""

from __future__ import annotations

import json
from pathlib import Path

from submitkit.benchmark.class_names import class_names
from submitkit.benchmark.tracks import TRACKS
from submitkit.render.html_report import report_html
from submitkit.scoring.leaderboard import leaderboard_scores, scores_txt
from submitkit.workflows.analysis import Naming
from submitkit.workflows.score import evaluation_document
from submitkit.workflows.server import (
    DETAILED_RESULTS,
    SCORES_JSON,
    SCORES_TXT,
    ServerRun,
    intervals_of,
)


def server_outputs(run: ServerRun) -> dict[str, str]:
    """The files a scored submission leaves in OUTPUT, by name."""
    evaluation = run.scored.evaluation
    assert evaluation is not None and evaluation.scores is not None
    values, empty = leaderboard_scores(evaluation.scores, intervals_of(run))
    notes = [
        f"{key}: no ground-truth object of this size, shown as 0 (the official toolbox prints nan)"
        for key in empty
    ]
    if run.enclosing:
        notes.append(f"the submission was read from the folder {run.enclosing!r}")
    findings = run.scored.check.report.diagnostics
    notes += [f"{d.code.value} {d.severity.value}: {d.message}" for d in findings]
    title = f"{TRACKS[evaluation.k].name} {run.reference.manifest.split.value}"
    naming = Naming(run.reference.manifest.categories, class_names())
    document = evaluation_document(Path(title), evaluation, naming, run.scored.check.report)
    return {
        # scores.json last: its presence means the run finished.
        DETAILED_RESULTS: report_html(document, title=title, notes=notes),
        SCORES_TXT: scores_txt(values),
        SCORES_JSON: json.dumps(values, indent=2) + "\n",
    }
