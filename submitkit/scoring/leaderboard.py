"""The leaderboard's columns: one key per official metric, shared by `score` and `bundle`.

The scoring program writes these keys to scores.json and the competition
bundle declares them as columns; both read this one list, so a column can
never exist on one side only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from submitkit.scoring.metrics import Scores


@dataclass(frozen=True)
class Column:
    """One leaderboard column: the scores.json key, its title, and how it ranks."""

    key: str
    title: str
    sorting: str = "desc"
    """Higher is better for every official metric."""


COLUMNS: tuple[Column, ...] = (
    Column("mIoU", "mIoU"),
    Column("mBIoU", "mIoU (boundary)"),
    Column("Acc", "Image accuracy"),
    Column("FMeasure", "F-measure"),
    Column("S", "mIoU small"),
    Column("MS", "mIoU medium-small"),
    Column("ML", "mIoU medium-large"),
    Column("L", "mIoU large"),
    Column("BS", "mBIoU small"),
    Column("BMS", "mBIoU medium-small"),
    Column("BML", "mBIoU medium-large"),
    Column("BL", "mBIoU large"),
)
"""Every official metric; mIoU first, since the first column ranks the board."""

INTERVAL_SUFFIXES = ("_low", "_high")
"""Keys ``<metric>_low``/``<metric>_high`` carry a bootstrap interval's bounds."""

INTERVAL_METRICS: tuple[str, ...] = ("mIoU",)
"""Metrics whose bootstrap interval the leaderboard shows (``workflows.codabench.intervals_of``
computes them); the bundle's columns and scores.json follow this tuple."""


def interval_columns(metrics: tuple[str, ...] = INTERVAL_METRICS) -> tuple[Column, ...]:
    """Columns for the bounds of the intervals of ``metrics`` (shown after the metrics)."""
    return tuple(
        Column(f"{m}{suffix}", f"{m} {suffix[1:]} bound")
        for m in metrics
        for suffix in INTERVAL_SUFFIXES
    )


def leaderboard_columns() -> tuple[Column, ...]:
    """Every column of the board: the official metrics, then the interval bounds."""
    return COLUMNS + interval_columns()


def leaderboard_scores(
    scores: Scores, intervals: Mapping[str, tuple[float, float]] | None = None
) -> tuple[dict[str, float], list[str]]:
    """scores.json content, and the metrics that had no value.

    A size bucket with no object of that size has no score (the official
    toolbox prints nan); a leaderboard cell needs a number, so it gets 0.0 and
    its key is returned so the caller can say so.
    """
    values: dict[str, float] = {}
    empty: list[str] = []
    for column in COLUMNS:
        value = getattr(scores, column.key)
        if value is None:
            empty.append(column.key)
            value = 0.0
        values[column.key] = round(float(value), 6)
    for metric, (low, high) in sorted((intervals or {}).items()):
        values[f"{metric}_low"] = round(float(low), 6)
        values[f"{metric}_high"] = round(float(high), 6)
    return values, empty


def scores_txt(values: Mapping[str, float]) -> str:
    """The CodaLab form of the same scores: one ``key: value`` line each."""
    return "".join(f"{key}: {value:.6f}\n" for key, value in values.items())
