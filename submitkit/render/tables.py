"""Tables for papers: one row per run as Markdown or LaTeX (booktabs).

Each row names the run, its protocol and track and the headline metrics, with
the bootstrap interval beside a value when there is one. Text taken from the
user (a run's name) is escaped, so a folder called ``my_run#2`` neither breaks
the Markdown table nor the LaTeX build.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from submitkit.benchmark.tracks import TRACKS
from submitkit.workflows.score import EvaluationOutput

TABLE_METRICS: tuple[str, ...] = ("mIoU", "Acc", "FMeasure", "mBIoU")
"""The columns of a paper table (the size buckets stay in the JSON)."""


@dataclass
class TableRow:
    """One run: ``values[metric]`` and, where drawn, ``intervals[metric] = (low, high)``."""

    run: str
    protocol: str | None
    track: int | None
    images: int | None
    values: dict[str, float | None]
    intervals: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    note: str = ""
    """Extra text for the last column (a p-value on a difference row)."""


def _cell(row: TableRow, metric: str, interval: str) -> str:
    value = row.values.get(metric)
    if value is None:
        return "n/a"
    text = f"{value:.2f}"
    low, high = row.intervals.get(metric, (None, None))
    if low is not None and high is not None:
        text += interval.format(low=low, high=high)
    return text


def _track(row: TableRow) -> str:
    return TRACKS[row.track].name if row.track in TRACKS else "-"


def _markdown_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: Sequence[TableRow]) -> str:
    """A GitHub-flavoured Markdown table."""
    notes = any(r.note for r in rows)
    head = ["run", "protocol", "track", "images", *TABLE_METRICS] + (["note"] if notes else [])
    lines = [
        "| " + " | ".join(head) + " |",
        "|"
        + "|".join(["---"] * 3 + ["---:"] * (1 + len(TABLE_METRICS)) + (["---"] if notes else []))
        + "|",
    ]
    for r in rows:
        cells = [
            _markdown_text(r.run),
            _markdown_text(r.protocol or "-"),
            _track(r),
            str(r.images) if r.images is not None else "-",
            *(_cell(r, m, " [{low:.2f}, {high:.2f}]") for m in TABLE_METRICS),
        ]
        if notes:
            cells.append(_markdown_text(r.note))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def latex_table(rows: Sequence[TableRow]) -> str:
    """A booktabs ``tabular`` (needs ``\\usepackage{booktabs}``); intervals in small type."""
    notes = any(r.note for r in rows)
    spec = "lll" + "r" * (1 + len(TABLE_METRICS)) + ("l" if notes else "")
    head = ["Run", "Protocol", "Track", "Images", *TABLE_METRICS] + (["Note"] if notes else [])
    lines = [
        f"\\begin{{tabular}}{{{spec}}}",
        "\\toprule",
        " & ".join(head) + r" \\",
        "\\midrule",
    ]
    for r in rows:
        cells = [
            latex_escape(r.run),
            latex_escape(r.protocol or "--"),
            latex_escape(_track(r)),
            str(r.images) if r.images is not None else "--",
            *(
                _cell(r, m, r" {{\scriptsize [{low:.2f}, {high:.2f}]}}").replace("n/a", "--")
                for m in TABLE_METRICS
            ),
        ]
        if notes:
            cells.append(latex_escape(r.note))
        lines.append(" & ".join(cells) + r" \\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines) + "\n"


def table_row(document: EvaluationOutput, run: str | None = None) -> TableRow:
    """One run's row of a paper table (render/tables.py)."""
    intervals = document.intervals or {}
    return TableRow(
        run=run or Path(document.submission).name or document.submission,
        protocol=document.protocol,
        track=document.track,
        images=document.images,
        values={m: getattr(document.scores, m) for m in TABLE_METRICS},
        intervals={m: (v[0], v[1]) for m, v in intervals.items()},
    )


TABLES = {"markdown": markdown_table, "latex": latex_table}
"""Table renderers by ``--format`` value."""
