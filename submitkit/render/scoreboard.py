"""`evaluate` and `match` as text: the check when it blocked scoring, else the score tables."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from submitkit.benchmark.tracks import TRACKS
from submitkit.render.console import printable
from submitkit.render.reporting import TextReporter, render_findings_on
from submitkit.scoring.metrics import Scores
from submitkit.scoring.ties import Ties
from submitkit.workflows.score import ClassScore, EvaluationOutput, MatchCandidate, MatchOutput

MAX_TIED_SHOWN = 12

SUMMARY_ROWS: tuple[tuple[str, str], ...] = (
    ("mIoU", "mean IoU over classes 0..K"),
    ("Acc", "image-level accuracy"),
    ("FMeasure", "foreground F-measure"),
    ("mBIoU", "mean boundary IoU"),
    ("S", "mIoU, small objects (<=5%)"),
    ("MS", "mIoU, medium-small (<=25%)"),
    ("ML", "mIoU, medium-large (<=50%)"),
    ("L", "mIoU, large objects (>50%)"),
    ("BS", "boundary IoU, small"),
    ("BMS", "boundary IoU, medium-small"),
    ("BML", "boundary IoU, medium-large"),
    ("BL", "boundary IoU, large"),
)


def _value(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def render_scores(
    console: Console, title: str, scores: Scores, classes: Sequence[ClassScore], shown: int
) -> None:
    summary = Table(title=title, title_justify="left", show_edge=False)
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    summary.add_column("meaning", style="dim")
    for key, meaning in SUMMARY_ROWS:
        summary.add_row(key, _value(getattr(scores, key)), meaning)
    console.print(summary)
    console.print()
    count = min(shown, len(classes))
    if count == 0:
        return
    more = "; --classes N for more" if count < len(classes) else ""
    per_class = Table(
        title=f"per-class IoU, worst first ({count} of {len(classes)}{more})",
        title_justify="left",
        show_edge=False,
    )
    for column in ("id", "wnid", "name"):
        per_class.add_column(column)
    per_class.add_column("IoU", justify="right")
    per_class.add_column("BIoU", justify="right")
    for row in classes[:count]:
        per_class.add_row(
            str(row.id),
            row.wnid or "",
            printable(row.name or ""),
            f"{row.IoU:.2f}",
            f"{row.BIoU:.2f}",
        )
    console.print(per_class)


def render_candidates(
    console: Console,
    candidates: Sequence[MatchCandidate],
    notes: Sequence[str] = (),
    ties: Ties | None = None,
) -> None:
    table = Table(title="validation mIoU of each matching", title_justify="left", show_edge=False)
    for column in ("matching", "agreement", "mIoU", ""):
        table.add_column(column, justify="right" if column in ("agreement", "mIoU") else "left")
    for c in candidates:
        kind = "many-to-one" if c.many_to_one else "Hungarian"
        name = f"{c.level}-level {kind}"
        if c.tie_break == "official":
            name += " (official, with its tie-break)"
        elif c.level == "image" and not c.many_to_one:
            name += " (official objective, SciPy tie-break)"
        table.add_row(name, f"{c.agreement:,}", f"{c.mIoU:.2f}", "written" if c.chosen else "")
    console.print(table)
    for note in notes:
        console.print(Text(printable(note)))
    if ties is not None:
        console.print(Text(ties_text(ties, candidates)))


def ties_text(ties: Ties, candidates: Sequence[MatchCandidate]) -> str:
    """One paragraph: the optimum is not unique, which classes, and what it does to the mIoU."""
    image = next((c for c in candidates if c.level == "image" and not c.many_to_one), None)
    shown = ", ".join(str(c) for c in ties.classes[:MAX_TIED_SHOWN])
    more = (
        f" and {len(ties.classes) - MAX_TIED_SHOWN} more"
        if len(ties.classes) > MAX_TIED_SHOWN
        else ""
    )
    which = ""
    if image is not None:
        how = "the official tie-break" if image.tie_break == "official" else "SciPy's tie-break"
        which = f"; the image-level Hungarian above takes {how} ({image.mIoU:.2f})"
    return (
        f"ties: the optimal image-level assignment is not unique: {len(ties.classes)} classes "
        f"({shown}{more}) can change id at the same agreement; over all optimal assignments "
        f"the validation mIoU ranges {ties.mIoU_low:.2f}-{ties.mIoU_high:.2f} "
        f"(exact search){which}"
    )


def render_evaluation_text(
    console: Console, err: Console, document: EvaluationOutput, classes: int
) -> None:
    """The score tables; or, when the check blocked scoring, the check and why."""
    if document.scores is None or document.track is None:
        TextReporter(console).render(document.check)
        console.print(Text("not scored: fix the errors above, then evaluate again", "bold red"))
        return
    mapped = ", ids mapped through match.json" if document.matched else ""
    title = (
        f"{printable(document.submission)}: {TRACKS[document.track].name} validation, "
        f"{document.images} images{mapped}"
    )
    render_scores(console, title, document.scores, document.classes, classes)
    render_findings_on(err, document.check.diagnostics)
    if document.per_image is not None:
        console.print(Text(f"per-image figures written to {printable(document.per_image)}"))
    if document.plot is not None:
        console.print(Text(f"per-class IoU plot written to {printable(document.plot)}"))


def render_match_text(console: Console, document: MatchOutput) -> None:
    """The matchings and their scores; or, when the check blocked matching, the check."""
    if document.mapping is None or document.output is None:
        TextReporter(console).render(document.check)
        console.print(Text("nothing written: fix the errors above, then match again", "bold red"))
        return
    render_candidates(console, document.candidates, document.notes, document.ties)
    if any(c.chosen and c.many_to_one for c in document.candidates):
        console.print("many-to-one matching: admitted only under the fully unsupervised protocol")
    console.print(Text(f"wrote {printable(document.output)} ({len(document.mapping)} ids)"))
