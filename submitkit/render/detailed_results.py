"""What a scoring program leaves in OUTPUT: scores.json, scores.txt, detailed_results.html.

:func:`detailed_results_html` is the one place that decides what the
participant's detailed-results page shows; a richer report (intervals,
confusions, charts) replaces its body without touching the scoring program.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from submitkit._version import __version__
from submitkit.benchmark.tracks import TRACKS
from submitkit.scoring.leaderboard import COLUMNS, leaderboard_scores, scores_txt
from submitkit.scoring.metrics import Scores
from submitkit.workflows.score import ClassScore, class_scores
from submitkit.workflows.server import (
    DETAILED_RESULTS,
    SCORES_JSON,
    SCORES_TXT,
    ServerRun,
)

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}"
    "table{border-collapse:collapse;margin:1em 0}"
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}"
    "td:first-child,th:first-child{text-align:left}"
    ".note{color:#555}"
)


def server_outputs(run: ServerRun) -> dict[str, str]:
    """The files a scored submission leaves in OUTPUT, by name."""
    evaluation = run.scored.evaluation
    assert evaluation is not None and evaluation.scores is not None
    values, empty = leaderboard_scores(evaluation.scores)
    notes = [
        f"{key}: no ground-truth object of this size, shown as 0 (the official toolbox prints nan)"
        for key in empty
    ]
    if run.enclosing:
        notes.append(f"the submission was read from the folder {run.enclosing!r}")
    findings = run.scored.check.report.diagnostics
    notes += [f"{d.code.value} {d.severity.value}: {d.message}" for d in findings]
    rows = class_scores(evaluation.scores, run.reference.manifest.categories, {})
    title = f"{TRACKS[evaluation.k].name} {run.reference.manifest.split.value}"
    return {
        SCORES_JSON: json.dumps(values, indent=2) + "\n",
        SCORES_TXT: scores_txt(values),
        DETAILED_RESULTS: detailed_results_html(title, evaluation.scores, rows, notes),
    }


def detailed_results_html(
    title: str, scores: Scores, rows: Sequence[ClassScore], notes: Sequence[str]
) -> str:
    """A plain, self-contained page: the headline metrics, notes, every class worst first."""
    esc = html.escape
    headline = "".join(
        f"<tr><td>{esc(c.title)}</td><td>{_cell(getattr(scores, c.key))}</td></tr>" for c in COLUMNS
    )
    per_class = "".join(
        f"<tr><td>{r.id}</td><td>{esc(r.wnid or '')}</td><td>{esc(r.name or '')}</td>"
        f"<td>{r.IoU:.2f}</td><td>{r.BIoU:.2f}</td></tr>"
        for r in rows
    )
    note_items = "".join(f"<li>{esc(n)}</li>" for n in notes)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{esc(title)}: {scores.images} images</h1>"
        f"<table><tr><th>metric</th><th>value</th></tr>{headline}</table>"
        + (f"<ul class='note'>{note_items}</ul>" if notes else "")
        + "<h2>Per class, worst IoU first</h2>"
        "<table><tr><th>id</th><th>wnid</th><th>name</th><th>IoU</th><th>BIoU</th></tr>"
        f"{per_class}</table>"
        f"<p class='note'>scored by submitkit {esc(__version__)}</p></body></html>\n"
    )


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
