"""`table`: several runs in one paper table, each against a baseline.

A run is a file `evaluate --save-counts` wrote (its evaluation and exact
per-image counts) or a JSON document `evaluate --format json` printed (its
scores and any intervals it drew, no counts). Runs with counts are resampled
together with the *same* bootstrap draws of images (:func:`replicate_many`):
each gets its own percentile interval, and each but the baseline the signed
difference run - baseline with a paired interval, a two-sided p-value and a
significance mark (the interval leaves out 0). A run without counts shows its
values (and the intervals it carries); its difference has no interval.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field, ValidationError

from submitkit.core.document import Document
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.inputs.files import read_user_text
from submitkit.scoring.bootstrap import (
    HEADLINE,
    BootstrapInfo,
    paired_p_value,
    percentile_interval,
    replicate_many,
)
from submitkit.scoring.counts import PerImageCounts
from submitkit.workflows.analysis import COUNTS_KIND, BootstrapRequest, counts_from_document
from submitkit.workflows.evaluate import EvaluationOutput

DEFAULT_COLUMNS: tuple[str, ...] = ("mIoU", "Acc", "mBIoU")
"""Three columns: a run name and three metrics fit one column of a two-column paper."""

MAX_RUN_BYTES = 512 * 1024 * 1024
"""A counts file of the 919 track's 12,419 images is tens of MB; more is not one."""


class Difference(BaseModel):
    """One metric of a run minus the baseline's, over the same resampled images."""

    delta: float | None
    interval: list[float | None] | None = None
    """Paired percentile interval of the difference; None without counts for both runs."""
    p_value: float | None = None
    significant: bool = False
    """The interval leaves out 0."""


class TableRun(BaseModel):
    """One row: a run's values, their intervals, and its difference from the baseline."""

    name: str
    source: str
    track: int | None
    images: int | None
    protocol: str | None
    baseline: bool = False
    values: dict[str, float | None]
    intervals: dict[str, list[float | None]] = Field(default_factory=dict)
    differences: dict[str, Difference] = Field(default_factory=dict)
    """Metric -> run - baseline; empty for the baseline itself."""


class TableOutput(Document):
    """What `submitkit table --format json` prints."""

    kind: ClassVar[str] = "table"
    schema_file: ClassVar[str] = "table.schema.json"

    columns: list[str]
    baseline: str | None
    bootstrap: BootstrapInfo | None = None
    runs: list[TableRun]


@dataclass
class LoadedRun:
    name: str
    source: str
    document: EvaluationOutput
    counts: PerImageCounts | None


def load_table_run(path: Path, name: str | None) -> LoadedRun:
    """A counts file or an evaluation document (EnvironmentProblem when it is neither)."""
    hint = "give files written by `evaluate --save-counts FILE` or `evaluate --format json`"
    text = read_user_text(path, MAX_RUN_BYTES, "run", hint)
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EnvironmentProblem(
            f"{path} is not JSON ({exc.msg}, line {exc.lineno})", hint
        ) from exc
    kind = data.get("kind") if isinstance(data, dict) else None
    counts = None
    if kind == COUNTS_KIND:
        counts = counts_from_document(data.get("counts"), path)
        data = data.get("evaluation")
    elif kind != EvaluationOutput.kind:
        raise EnvironmentProblem(f"{path} holds no evaluation (kind {kind!r})", hint)
    try:
        document = EvaluationOutput.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]["msg"]
        raise EnvironmentProblem(f"{path} holds no usable evaluation ({first})", hint) from exc
    if document.scores is None:
        raise EnvironmentProblem(f"{path}: the evaluation has no scores (its check failed)", hint)
    return LoadedRun(name or path.stem, str(path), document, counts)


def check_columns(columns: list[str]) -> list[str]:
    """The metrics asked for, known and each once (UsageError otherwise)."""
    unknown = [c for c in columns if c not in HEADLINE]
    if unknown or not columns or len(set(columns)) != len(columns):
        raise UsageError(
            f"--columns takes metric names, each once: not {', '.join(unknown) or columns}",
            f"choose among {', '.join(HEADLINE)}",
        )
    return columns


def build_table(
    runs: list[LoadedRun], columns: list[str], baseline: int, request: BootstrapRequest | None
) -> TableOutput:
    """The rows: each run's values and intervals, and its difference from ``runs[baseline]``."""
    tracks = {r.document.track for r in runs}
    if len(tracks) != 1:
        raise UsageError(f"the runs are of different tracks ({sorted(map(str, tracks))})")
    counted = [r for r in runs if r.counts is not None]
    replicates = {}
    if request is not None and counted:
        names = set(counted[0].counts.names)  # type: ignore[union-attr]
        if any(set(r.counts.names) != names for r in counted):  # type: ignore[union-attr]
            raise UsageError(
                "the runs scored different images: their differences cannot be paired",
                "table evaluations of the same validation list",
            )
        reps = replicate_many(
            [r.counts for r in counted],  # type: ignore[misc]
            request.samples,
            request.seed,
        )
        replicates = {id(r): rep.metrics for r, rep in zip(counted, reps, strict=True)}
    base = runs[baseline]
    rows = []
    for run in runs:
        row = _row(run, columns, run is base)
        if request is not None and id(run) in replicates:
            for m in columns:
                low, high = percentile_interval(replicates[id(run)][m], request.level)
                row.intervals[m] = [low, high]
        if run is not base:
            row.differences = _differences(run, base, columns, replicates, request)
        rows.append(row)
    return TableOutput(
        columns=columns,
        baseline=base.name,
        bootstrap=request.info() if request is not None and counted else None,
        runs=rows,
    )


def _row(run: LoadedRun, columns: list[str], baseline: bool) -> TableRun:
    doc = run.document
    carried = doc.intervals or {}
    return TableRun(
        name=run.name,
        source=run.source,
        track=doc.track,
        images=doc.images,
        protocol=doc.protocol,
        baseline=baseline,
        values={m: getattr(doc.scores, m) for m in columns},
        intervals={m: list(carried[m]) for m in columns if m in carried},
    )


def _differences(
    run: LoadedRun,
    base: LoadedRun,
    columns: list[str],
    replicates: dict[int, dict[str, Any]],
    request: BootstrapRequest | None,
) -> dict[str, Difference]:
    out = {}
    for m in columns:
        value, ref = getattr(run.document.scores, m), getattr(base.document.scores, m)
        diff = Difference(delta=None if value is None or ref is None else value - ref)
        if request is not None and id(run) in replicates and id(base) in replicates:
            deltas = replicates[id(run)][m] - replicates[id(base)][m]
            low, high = percentile_interval(deltas, request.level)
            diff.interval = [low, high]
            diff.p_value = paired_p_value(deltas)
            diff.significant = low is not None and high is not None and (low > 0 or high < 0)
        out[m] = diff
    return out
