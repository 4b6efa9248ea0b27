"""What a scoring program leaves in OUTPUT: scores.json, scores.txt, detailed_results.html.

The detailed-results page is the report of `evaluate --html`
(:func:`submitkit.render.html_report.report_html`), with the scoring notes on top.
"""

from __future__ import annotations

import json
from pathlib import Path

from submitkit.benchmark.class_names import class_names
from submitkit.render.html_report import report_html
from submitkit.scoring.leaderboard import leaderboard_scores, scores_txt
from submitkit.workflows.analysis import Naming
from submitkit.workflows.codabench import (
    DETAILED_RESULTS,
    LEADERBOARD_BOOTSTRAP,
    PARTICIPANT_SUBMISSION,
    SCORES_JSON,
    SCORES_TXT,
    ServerRun,
    intervals_of,
)
from submitkit.workflows.evaluate import evaluation_document


def server_outputs(run: ServerRun) -> dict[str, str]:
    """The files a scored submission leaves in OUTPUT, by name."""
    evaluation = run.scored.evaluation
    assert evaluation is not None and evaluation.scores is not None
    bounds = intervals_of(run)
    values, empty = leaderboard_scores(evaluation.scores, bounds)
    notes = [
        f"{key}: no ground-truth object of this size, shown as 0 (the official toolbox prints nan)"
        for key in empty
    ]
    if run.enclosing:
        notes.append(f"the submission was read from the folder {run.enclosing!r}")
    findings = run.scored.check.report.diagnostics
    notes += [f"{d.code.value} {d.severity.value}: {d.message}" for d in findings]
    notes.append(
        f"mIoU interval: 95 % percentile bootstrap over the images, {LEADERBOARD_BOOTSTRAP} "
        "resamples, seed 0 (mIoU_low, mIoU_high on the leaderboard)"
    )
    split = run.reference.manifest.split.value
    naming = Naming(run.reference.manifest.categories, class_names())
    report = run.scored.check.report
    document = evaluation_document(Path(PARTICIPANT_SUBMISSION), evaluation, naming, report)
    # The leaderboard's interval, shown on the page as on the board (95 %, seed 0).
    document.intervals = {key: [low, high] for key, (low, high) in bounds.items()}
    page = report_html(document, title="Detailed results", notes=notes, split=split)
    return {
        # scores.json last: its presence means the run finished.
        DETAILED_RESULTS: page,
        SCORES_TXT: scores_txt(values),
        SCORES_JSON: json.dumps(values, indent=2) + "\n",
    }
