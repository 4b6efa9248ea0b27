"""`compare`: is run B better or worse than run A on the same validation images?

Each run is a submission (evaluated here) or a file written by `evaluate
--save-counts`. Both runs are resampled with the *same* bootstrap draws of
images, so the difference B - A of each metric gets a paired interval and a
two-sided p-value, and so does each class's IoU. A class's change is called
significant when its interval leaves out 0; with hundreds of classes some
changes pass that bar by chance (about 1 - level of the unchanged ones), which
the output says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from submitkit.core.document import Document
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.scoring.bootstrap import (
    HEADLINE,
    BootstrapInfo,
    class_intervals,
    paired_p_value,
    percentile_interval,
    replicate_many,
)
from submitkit.scoring.counts import PerImageCounts
from submitkit.workflows.analysis import BootstrapRequest, read_counts_file
from submitkit.workflows.evaluate import EvaluationOutput


class MetricDelta(BaseModel):
    """One headline metric of both runs, and B - A."""

    metric: str
    a: float | None
    b: float | None
    delta: float | None
    interval: list[float | None]
    p_value: float


class ClassDelta(BaseModel):
    """One class's IoU in both runs, and B - A."""

    id: int
    wnid: str | None
    name: str | None
    images: int
    a: float
    b: float
    delta: float
    interval: list[float]
    p_value: float
    significant: bool
    """The interval leaves out 0."""


class ComparisonOutput(Document):
    """What `submitkit compare --format json` prints."""

    kind: ClassVar[str] = "compare"
    schema_file: ClassVar[str] = "comparison.schema.json"

    a: EvaluationOutput
    b: EvaluationOutput
    """Each run's evaluation; a run that failed its check has no scores, and then
    nothing below is filled in (exit 1, each failed check's report printed)."""
    track: int | None = None
    images: int = 0
    bootstrap: BootstrapInfo | None = None
    metrics: list[MetricDelta] = Field(default_factory=list)
    classes: list[ClassDelta] = Field(default_factory=list)
    """Every class 0..K, largest drop (most negative B - A) first."""
    significant: list[int] = Field(default_factory=list)
    """Ids of the classes whose change is significant, in the order of ``classes``."""
    expected_by_chance: float | None = None
    """How many classes would pass the bar by chance if none changed: (1 - level) x (K+1)."""

    def is_failure(self) -> bool:
        return self.a.scores is None or self.b.scores is None


@dataclass
class Run:
    """One side of a comparison: its evaluation document and exact per-image counts."""

    label: str
    document: EvaluationOutput
    counts: PerImageCounts | None
    """None for a submission that failed its check."""


def load_run(path: Path, evaluate: Callable[[Path], Run]) -> Run:
    """A counts file (``.json``) as saved, anything else evaluated with ``evaluate``."""
    if path.suffix.lower() == ".json" and path.is_file():
        data, counts = read_counts_file(path)
        try:
            document = EvaluationOutput.model_validate(data.get("evaluation"))
        except ValidationError as exc:
            raise EnvironmentProblem(
                f"{path} holds no usable evaluation ({exc.error_count()} problem(s), first: "
                f"{exc.errors()[0]['msg']})",
                "write it with the --save-counts option of evaluate (`submitkit evaluate --help`)",
            ) from exc
        if document.scores is None or document.track != counts.k:
            raise EnvironmentProblem(
                f"{path}: its evaluation has no scores for track {counts.k}",
                "write it with the --save-counts option of evaluate (`submitkit evaluate --help`)",
            )
        return Run(str(path), document, counts)
    return evaluate(path)


def compare_runs(a: Run, b: Run, request: BootstrapRequest) -> ComparisonOutput:
    """Paired bootstrap of B - A over the images both runs scored (they must be the same).

    A run that failed its check gives a document without comparison (see
    :class:`ComparisonOutput`).
    """
    if a.counts is None or b.counts is None:
        return ComparisonOutput(a=a.document, b=b.document)
    if a.counts.k != b.counts.k:
        raise UsageError(f"{a.label} is for track {a.counts.k}, {b.label} for {b.counts.k}")
    if set(a.counts.names) != set(b.counts.names):
        only_a = len(set(a.counts.names) - set(b.counts.names))
        only_b = len(set(b.counts.names) - set(a.counts.names))
        raise UsageError(
            f"the runs scored different images ({only_a} only in {a.label}, "
            f"{only_b} only in {b.label})",
            "compare evaluations of the same validation list",
        )
    if a.document.scores is None or b.document.scores is None:
        return ComparisonOutput(a=a.document, b=b.document)
    rep_a, rep_b = replicate_many(
        [a.counts, b.counts.select(a.counts.names)], request.samples, request.seed
    )
    metrics = []
    for m in HEADLINE:
        va, vb = getattr(a.document.scores, m), getattr(b.document.scores, m)
        deltas = rep_b.metrics[m] - rep_a.metrics[m]
        low, high = percentile_interval(deltas, request.level)
        metrics.append(
            MetricDelta(
                metric=m,
                a=va,
                b=vb,
                delta=None if va is None or vb is None else vb - va,
                interval=[low, high],
                p_value=paired_p_value(deltas),
            )
        )
    classes = _class_deltas(a, b, a.counts, rep_b.ious - rep_a.ious, request.level)
    significant = [c.id for c in classes if c.significant]
    return ComparisonOutput(
        a=a.document,
        b=b.document,
        track=a.counts.k,
        images=a.counts.n,
        bootstrap=request.info(),
        metrics=metrics,
        classes=classes,
        significant=significant,
        expected_by_chance=(1 - request.level) * (a.counts.k + 1),
    )


def _class_deltas(
    a: Run, b: Run, counts: PerImageCounts, deltas: np.ndarray, level: float
) -> list[ClassDelta]:
    assert a.document.scores is not None and b.document.scores is not None
    bounds = class_intervals(deltas, level)
    rows_a = {r.id: r for r in a.document.classes}
    images = counts.class_images()
    out = []
    for c in range(counts.k + 1):
        low, high = float(bounds[c, 0]), float(bounds[c, 1])
        va, vb = a.document.scores.IoUs[c], b.document.scores.IoUs[c]
        ref = rows_a.get(c)
        out.append(
            ClassDelta(
                id=c,
                wnid=ref.wnid if ref else None,
                name=ref.name if ref else None,
                images=int(images[c]),
                a=va,
                b=vb,
                delta=vb - va,
                interval=[low, high],
                p_value=paired_p_value(deltas[:, c]),
                significant=low > 0 or high < 0,
            )
        )
    return sorted(out, key=lambda r: (r.delta, r.id))
