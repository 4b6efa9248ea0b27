"""`compare` for people: the metric differences, the classes that moved, a paper table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from submitkit.render.console import name
from submitkit.render.reporting import TextReporter
from submitkit.render.tables import TABLE_METRICS, TableRow, table_row
from submitkit.workflows.compare import ClassDelta, ComparisonOutput


def _p(p: float) -> str:
    return f"{p:.3f}" if p >= 0.001 else "<0.001"


def _num(value: float | None, sign: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.2f}" if sign else f"{value:.2f}"


def _interval(interval: list[float | None] | list[float]) -> str:
    low, high = interval
    return "" if low is None or high is None else f"[{low:+.2f}, {high:+.2f}]"


def render_comparison(console: Console, result: ComparisonOutput, shown: int) -> None:
    """Headline differences, then the classes that changed most each way.

    A run that failed its check is shown as its check's report instead.
    """
    b = result.bootstrap
    if b is None or result.expected_by_chance is None:
        _render_failed(console, result)
        return
    a, b_name = name(result.a.submission), name(result.b.submission)
    title = f"B - A on {result.images} images: A = {a}, B = {b_name}"
    table = Table(title=Text(title), title_justify="left", show_edge=False)
    for column in ("metric", "A", "B", "B - A", "interval", "p"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for m in result.metrics:
        table.add_row(
            m.metric,
            _num(m.a),
            _num(m.b),
            _num(m.delta, True),
            _interval(m.interval),
            _p(m.p_value),
        )
    console.print(table)
    console.print(
        Text(
            f"{b.level:.0%} paired percentile bootstrap over images, {b.samples} resamples, "
            f"seed {b.seed}; p: two-sided, resolution about 1/{b.samples}",
            style="dim",
        )
    )
    console.print()
    if shown > 0:
        _class_table(console, "largest drops", [c for c in result.classes if c.delta < 0][:shown])
        gains = [c for c in reversed(result.classes) if c.delta > 0][:shown]
        _class_table(console, "largest gains", gains)
    moved = len(result.significant)
    console.print(
        f"{moved} of {len(result.classes)} classes changed significantly "
        f"(about {result.expected_by_chance:.0f} would by chance if none had changed)",
        highlight=False,
    )


def _render_failed(console: Console, result: ComparisonOutput) -> None:
    for side, run in (("A", result.a), ("B", result.b)):
        if run.scores is None:
            console.print(Text(f"run {side}: ", style="bold"), end="")
            TextReporter(console).render(run.check)
            console.print()
    failed = " and ".join(s for s, r in (("A", result.a), ("B", result.b)) if r.scores is None)
    console.print(
        Text(f"not compared: {failed} failed the check; fix the errors above", "bold red")
    )


def _class_table(console: Console, title: str, rows: list[ClassDelta]) -> None:
    if not rows:
        return
    table = Table(title=f"per-class IoU, {title}", title_justify="left", show_edge=False)
    for column in ("class", "images", "A", "B", "B - A", "interval", "p", ""):
        table.add_column(column, justify="left" if column == "class" else "right")
    for c in rows:
        table.add_row(
            Text(" ".join(filter(None, (str(c.id), c.wnid, c.name)))),
            str(c.images),
            _num(c.a),
            _num(c.b),
            _num(c.delta, True),
            _interval(c.interval),
            _p(c.p_value),
            "*" if c.significant else "",
        )
    console.print(table)
    console.print(Text("* significant: the interval leaves out 0", style="dim"))
    console.print()


def comparison_rows(result: ComparisonOutput) -> list[TableRow]:
    """A, B and B - A as paper-table rows (the p-value of mIoU in the note)."""
    by_metric = {m.metric: m for m in result.metrics}
    delta = TableRow(
        run="B - A",
        protocol=None,
        track=result.track,
        images=result.images,
        values={m: by_metric[m].delta for m in TABLE_METRICS},
        intervals={m: (by_metric[m].interval[0], by_metric[m].interval[1]) for m in TABLE_METRICS},
        note=f"p(mIoU) = {_p(by_metric['mIoU'].p_value)}",
    )
    return [
        table_row(result.a, "A: " + _name(result.a.submission)),
        table_row(result.b, "B: " + _name(result.b.submission)),
        delta,
    ]


def _name(path: str) -> str:
    return name(path.rstrip("/").rsplit("/", 1)[-1] or path)
