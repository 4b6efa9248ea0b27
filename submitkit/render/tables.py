"""Tables for papers: one row per run as Markdown or LaTeX (booktabs).

Each row names the run, its protocol and track and the headline metrics, with
the bootstrap interval beside a value when there is one. Text taken from the
user (a run's name) is escaped, so a folder called ``my_run#2`` neither breaks
the Markdown table nor the LaTeX build.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from submitkit.benchmark.tracks import TRACKS
from submitkit.workflows.evaluate import EvaluationOutput
from submitkit.workflows.table import TableOutput, TableRun

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


_GREEK_CAPITALS = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi"}
_GREEK_CAPITALS |= {"Psi", "Omega"}
_GREEK_LOOKALIKES = {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H"}
_GREEK_LOOKALIKES |= {"Iota": "I", "Kappa": "K", "Mu": "M", "Nu": "N", "Omicron": "O"}
_GREEK_LOOKALIKES |= {"Rho": "P", "Tau": "T", "Chi": "X"}
_PUNCTUATION = {"\u2013": "--", "\u2014": "---", "\u2026": "...", "\u2018": "`", "\u2019": "'"}
_PUNCTUATION |= {"\u201c": "``", "\u201d": "''", "\u2212": "-"}


def _latex_char(ch: str) -> str:
    """One character as pdflatex's default set-up (UTF-8 input, OT1 fonts) compiles it.

    ASCII and Latin-1 letters pass (LaTeX reads them as UTF-8); Greek letters,
    common in run names (``λ=0.5``), become math symbols; anything else its
    closest ASCII form, or ``?``, rather than a character that stops the compile.
    """
    if ch in _LATEX_SPECIAL:
        return _LATEX_SPECIAL[ch]
    if ord(ch) < 0x100:
        return ch if ch.isprintable() else "?"
    name = unicodedata.name(ch, "")
    if name.startswith("GREEK SMALL LETTER ") and " " not in name[19:]:
        letter = name[19:].lower().replace("lamda", "lambda")
        return f"$\\{letter}$" if letter not in ("omicron",) else "o"
    if name.startswith("GREEK CAPITAL LETTER ") and " " not in name[21:]:
        letter = name[21:].title().replace("Lamda", "Lambda")
        if letter in _GREEK_CAPITALS:
            return f"$\\{letter}$"
        return _GREEK_LOOKALIKES.get(letter, "?")
    if ch in _PUNCTUATION:
        return _PUNCTUATION[ch]
    ascii_form = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
    return "".join(_LATEX_SPECIAL.get(c, c) for c in ascii_form) or "?"


def latex_escape(text: str) -> str:
    return "".join(_latex_char(ch) for ch in text)


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


# --- `table`: several runs against a baseline ------------------------------------------

TABLE_NOTE = (
    "differences: run - baseline on the same images, paired percentile bootstrap over "
    "images ({samples} resamples, seed {seed}, {level:.0%} interval); "
    "* the interval leaves out 0"
)


def _number(value: float | None, digits: int, sign: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _span(interval: list[float | None] | None, digits: int, sep: str) -> str:
    if not interval or interval[0] is None or interval[1] is None:
        return ""
    return f"[{interval[0]:.{digits}f}{sep}{interval[1]:.{digits}f}]"


def _run_cells(run: TableRun, metric: str, digits: int, sep: str) -> tuple[str, str, bool]:
    """The value, the line under it (interval, or signed difference and its interval), and
    whether the difference is significant."""
    value = _number(run.values.get(metric), digits)
    diff = run.differences.get(metric)
    if diff is None:
        return value, _span(run.intervals.get(metric), digits, sep), False
    under = _number(diff.delta, digits, sign=True)
    span = _span(diff.interval, digits, sep)
    return value, f"{under} {span}".strip(), diff.significant


def _run_label(run: TableRun) -> str:
    return f"{run.name} (baseline)" if run.baseline else run.name


def runs_markdown(output: TableOutput, digits: int = 2) -> str:
    """One row per run; a run's cell is its value, then its interval or its difference."""
    lines = [
        "| run | " + " | ".join(output.columns) + " |",
        "|---|" + "---:|" * len(output.columns),
    ]
    for run in output.runs:
        cells = [_markdown_text(_run_label(run))]
        for metric in output.columns:
            value, under, star = _run_cells(run, metric, digits, ", ")
            shown = value + (f" ({under})" if under and run.differences else f" {under}")
            cells.append(shown.strip() + ("\\*" if star else ""))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n" + _table_note(output, "\n")


def _table_note(output: TableOutput, end: str) -> str:
    if output.bootstrap is None:
        return ""
    info = output.bootstrap
    return TABLE_NOTE.format(samples=info.samples, seed=info.seed, level=info.level) + end


def runs_latex(output: TableOutput, digits: int = 1) -> str:
    """A booktabs table narrow enough for one column of a two-column paper: ``\\small``,
    4pt column gaps, no ``\\resizebox``; the interval or difference under each value in
    ``\\scriptsize``. Needs ``\\usepackage{booktabs}``."""
    n = len(output.columns)
    lines = [
        "{\\small",
        "\\setlength{\\tabcolsep}{4pt}",
        f"\\begin{{tabular}}{{@{{}}l{'r' * n}@{{}}}}",
        "\\toprule",
        "Run & " + " & ".join(latex_escape(c) for c in output.columns) + r" \\",
        "\\midrule",
    ]
    for run in output.runs:
        # The baseline is named in the note: "(baseline)" would widen the first column.
        cells = [latex_escape(run.name)]
        for metric in output.columns:
            value, under, star = _run_cells(run, metric, digits, ",")
            top = value.replace("n/a", "--") + ("$^{*}$" if star else "")
            if under:
                top = (
                    f"\\begin{{tabular}}[t]{{@{{}}r@{{}}}}{top}\\\\[-2pt]"
                    f"{{\\scriptsize {under}}}\\end{{tabular}}"
                )
            cells.append(top)
        lines.append(" & ".join(cells) + r" \\")
    lines += ["\\bottomrule", "\\end{tabular}}"]
    note = f"baseline: {output.baseline}; " + _table_note(output, "")
    lines.append(f"% {latex_escape(note)} (put this in the caption)")
    return "\n".join(lines) + "\n"
