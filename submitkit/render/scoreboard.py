"""`evaluate` and `match` as text: the check when it blocked scoring, else the score tables."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from submitkit.benchmark.tracks import TRACKS
from submitkit.core.diagnostics import Code
from submitkit.render.console import name, printable
from submitkit.render.reporting import TextReporter, finding_line, render_findings_on
from submitkit.scoring.bootstrap import SMALL_CLASS_IMAGES
from submitkit.scoring.ties import Ties
from submitkit.workflows.analysis import ClassRef, ClassScore, ConfusionRow
from submitkit.workflows.evaluate import EvaluationOutput
from submitkit.workflows.match import MatchCandidate, MatchOutput

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


def _value(value: float | None, interval: list[float | None] | None = None) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.2f}"
    if interval is not None and interval[0] is not None and interval[1] is not None:
        text += f" [{interval[0]:.2f}, {interval[1]:.2f}]"
    return text


def _class_label(ref: ClassRef) -> str:
    return " ".join(filter(None, (str(ref.id), ref.wnid, ref.name)))


def render_scores(console: Console, title: str, document: EvaluationOutput, shown: int) -> None:
    """The headline metrics (with intervals), the worst classes, and the largest confusions."""
    summary = Table(title=Text(title), title_justify="left", show_edge=False)
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    summary.add_column("meaning", style="dim")
    intervals = document.intervals or {}
    for key, meaning in SUMMARY_ROWS:
        summary.add_row(key, _value(getattr(document.scores, key), intervals.get(key)), meaning)
    console.print(summary)
    if document.bootstrap is not None:
        b = document.bootstrap
        console.print(
            Text(
                f"intervals: {b.level:.0%} percentile bootstrap over images, "
                f"{b.samples} resamples, seed {b.seed}",
                style="dim",
            )
        )
        if b.note:
            console.print(Text(f"note: {b.note}", style="yellow"))
    console.print()
    _render_classes(console, document.classes, shown, with_interval=document.bootstrap is not None)
    if not any(row.name for row in document.classes if row.id > 0):
        console.print(
            Text(
                "no class names: give --synsets LOC_synset_mapping.txt (ImageNet devkit), "
                "or put that file in the --dataset folder",
                style="dim",
            )
        )


def _render_classes(
    console: Console, classes: Sequence[ClassScore], shown: int, with_interval: bool
) -> None:
    count = min(shown, len(classes))
    if count == 0:
        return
    more = "; --classes N for more" if count < len(classes) else ""
    per_class = Table(
        title=f"per-class IoU, worst first ({count} of {len(classes)}{more})",
        title_justify="left",
        show_edge=False,
    )
    per_class.add_column("class")
    per_class.add_column("IoU", justify="right")
    per_class.add_column("BIoU", justify="right")
    per_class.add_column("images", justify="right")
    per_class.add_column("mostly mistaken for")
    small = 0
    for row in classes[:count]:
        iou = _value(row.IoU, list(row.interval) if with_interval and row.interval else None)
        flag = " *" if row.small else ""
        small += row.small
        mistaken = ""
        if row.mistaken_for is not None:
            m = row.mistaken_for
            mistaken = f"{_class_label(m.predicted)} ({m.share:.0f}%)"
        per_class.add_row(
            Text(" ".join(filter(None, (str(row.id), row.wnid, row.name)))),
            iou,
            f"{row.BIoU:.2f}",
            f"{row.images}{flag}",
            Text(mistaken),
        )
    console.print(per_class)
    if small:
        console.print(
            Text(
                f"* held by fewer than {SMALL_CLASS_IMAGES} validation images: "
                "its IoU alone says little",
                style="dim",
            )
        )


def render_confusions(console: Console, rows: Sequence[ConfusionRow]) -> None:
    """The largest confusions: ground-truth class, predicted class, pixels, share."""
    table = Table(
        title=f"largest confusions ({len(rows)}; --confusions N for more)",
        title_justify="left",
        show_edge=False,
    )
    table.add_column("ground truth")
    table.add_column("predicted as")
    table.add_column("pixels", justify="right")
    table.add_column("share of class", justify="right")
    for row in rows:
        table.add_row(
            Text(_class_label(row.truth)),
            Text(_class_label(row.predicted)),
            f"{row.pixels:,}",
            f"{row.share:.1f}%",
        )
    console.print(table)


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
        if c.tie_break is not None:
            name += f" ({TIE_BREAKS[c.tie_break]})"
        table.add_row(name, f"{c.agreement:,}", f"{c.mIoU:.2f}", "written" if c.chosen else "")
    console.print(table)
    for note in notes:
        console.print(Text(printable(note)))
    if ties is not None:
        console.print(Text(ties_text(ties, candidates)))


TIE_BREAKS = {
    "munkres3": "official, tie-break of evaluation/match.py under munkres 3.x",
    "munkres1": "official, tie-break of evaluation/match.py under munkres 1.x",
    "pass": "official objective, tie-break of PASS's inference.py",
    "any": "official objective, SciPy tie-break",
}
"""How a candidate's tie-break is named: for the code whose dictionary it reproduces."""


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
        how = TIE_BREAKS[image.tie_break] if image.tie_break else "no tie-break claimed"
        which = f"; the image-level Hungarian above takes {how} ({image.mIoU:.2f})"
    return (
        f"ties: the optimal image-level assignment is not unique: {len(ties.classes)} classes "
        f"({shown}{more}) can change id at the same agreement; over all optimal assignments "
        f"the validation mIoU ranges {ties.mIoU_low:.2f}-{ties.mIoU_high:.2f} "
        f"(exact search){which}"
    )


def render_evaluation_text(
    console: Console, err: Console, document: EvaluationOutput, classes: int, confusions: int = 0
) -> None:
    """The score tables; or, when the check blocked scoring, the check and why."""
    if document.scores is None or document.track is None:
        TextReporter(console).render(document.check)
        console.print(Text("not scored: fix the errors above, then evaluate again", "bold red"))
        return
    mapped = ", ids mapped through match.json" if document.matched else ""
    title = (
        f"{name(document.submission)}: {TRACKS[document.track].name} validation, "
        f"{document.images} images{mapped}"
    )
    render_scores(console, title, document, classes)
    if confusions > 0:
        console.print()
        render_confusions(console, document.confusions[:confusions])
    render_findings_on(err, document.check.diagnostics)
    for diag in document.warnings:
        err.print(Text(f"{diag.code.value} {diag.severity.value}: {finding_line(diag)}"))
        err.print(Text(f"  fix: {printable(diag.hint)}"))
    for written, what in (
        (document.per_image, "per-image figures"),
        (document.plot, "per-class IoU plot"),
        (document.html, "HTML report"),
        (document.counts_file, "per-image counts (for `submitkit compare`)"),
    ):
        if written is not None:
            console.print(Text(f"{what} written to {name(written)}"))


def render_match_text(console: Console, document: MatchOutput) -> None:
    """The matchings and their scores; or, when the check blocked matching, the check."""
    if document.mapping is None or document.output is None:
        TextReporter(console).render(document.check)
        console.print(Text("nothing written: fix the errors above, then match again", "bold red"))
        return
    render_candidates(console, document.candidates, document.notes, document.ties)
    if any(c.chosen and c.many_to_one for c in document.candidates):
        console.print("many-to-one matching: admitted only under the fully unsupervised protocol")
    console.print(Text(f"wrote {name(document.output)} ({len(document.mapping)} ids)"))
    # What is wrong with the matching written (E003) is said under it, with its fix.
    for diag in document.check.diagnostics:
        if diag.code is Code.BACKGROUND_MAPPED:
            console.print(Text(f"{diag.code.value} {diag.severity.value}: {finding_line(diag)}"))
            console.print(Text(f"  fix: {printable(diag.hint)}", style="dim"))
