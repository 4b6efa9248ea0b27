"""`match` as a workflow: predicted ids to classes, every candidate scored from one pass.

The check and the agreement pass are :mod:`submitkit.workflows.validation`'s;
here the candidates (the official image-level Hungarian with its tie-break,
a pixel-level one, many-to-one for over-clustering) are scored from the
statistics, one is chosen and written as match.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field, PrivateAttr

from submitkit.benchmark.protocols import MANY_TO_ONE_PROTOCOLS
from submitkit.checks.report import Report
from submitkit.checks.staged import CheckRun
from submitkit.core.atomic import Inputs, check_target, write_text_atomic
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.document import Document
from submitkit.core.errors import UsageError
from submitkit.core.progress import NoProgress, ProgressSink
from submitkit.inputs.config import RunContext
from submitkit.inputs.match_json import write_match
from submitkit.scoring.engine import score_pass
from submitkit.scoring.matching import (
    Matching,
    MatchLevel,
    MatchStatistics,
    hungarian,
    many_to_one,
    mapped_miou,
)
from submitkit.scoring.tiebreak import munkres1_mapping, official_mapping, pass_mapping
from submitkit.scoring.ties import Ties, find_ties
from submitkit.workflows.validation import (
    finish_pass,
    ground_truth_dir,
    header_stage_passed,
    pass_tasks,
    scorable,
    scoring_context,
    validation_check,
)

TieBreak = Literal["munkres3", "munkres1", "pass", "any"]
"""Which optimal image-level assignment is written where several tie, named for the code
it reproduces: evaluation/match.py under munkres 3.x (what `pip install munkres` gives
since 2026-10) or 1.x (1.1.4: the old leaderboards and most published dictionaries),
PASS's ``inference.py`` (integer costs), or ``any`` (SciPy's optimum)."""


TIE_ALIASES: dict[str, TieBreak] = {"official": "munkres3"}
"""Earlier names: ``official`` was the munkres 3.x tie-break before 1.x was reproduced."""


_TIE_MAPPINGS = {
    "munkres3": lambda square, count: official_mapping(square, count),
    "munkres1": lambda square, count: munkres1_mapping(square, count),
    "pass": lambda square, count: pass_mapping(square),
}


class MatchCandidate(BaseModel):
    """One way of matching, and the validation score it yields."""

    level: MatchLevel
    many_to_one: bool
    agreement: int
    mIoU: float
    chosen: bool
    tie_break: TieBreak | None = None
    """For the one-to-one image-level matching: which optimal assignment was taken."""


class MatchOutput(Document):
    """What `submitkit match` found: the check, then the matchings when it passed."""

    kind: ClassVar[str] = "match"
    schema_file: ClassVar[str] = "match-run.schema.json"

    submission: str
    output: str | None = None
    """The match.json written; ``None`` when the check blocked matching."""
    mapping: dict[str, int] | None = None
    """Its content: predicted id (decimal string) -> class."""
    candidates: list[MatchCandidate] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    """Why the matching written is the one written, where another scores higher."""
    ties: Ties | None = None
    """Set when the optimal image-level assignment is not unique (null: unique, or not
    examined because --clusters exceeds K)."""
    check: Report
    """The check that ran first."""

    _statistics: MatchStatistics | None = PrivateAttr(default=None)

    @property
    def statistics(self) -> MatchStatistics | None:
        """The agreement statistics every candidate was scored from (kept out of the JSON);
        ``None`` when the check or an unreadable mask stopped the pass."""
        return self._statistics

    def is_failure(self) -> bool:
        return self.mapping is None


@dataclass
class Matched:
    """The check that ran first, and the matchings when it passed."""

    check: CheckRun
    candidates: list[MatchCandidate]
    chosen: Matching | None = None
    mapping: dict[int, int] | None = None
    """The chosen matching over every id 0..clusters: what was scored and is written."""
    notes: list[str] = field(default_factory=list)
    ties: Ties | None = None
    statistics: MatchStatistics | None = None
    """The agreement statistics of the pass, when it read every mask."""


def run_match(
    path: Path,
    context: RunContext,
    *,
    level: MatchLevel = "image",
    clusters: int | None = None,
    ties: TieBreak = "munkres3",
    progress: ProgressSink | None = None,
) -> Matched:
    """Match predicted ids to classes on the validation split and score each matching.

    One pass over the masks gathers the agreement statistics; every candidate is
    scored from them (:func:`mapped_miou`). The image-level Hungarian matching
    (with the tie-break ``ties`` names) and a pixel-level one are scored;
    with ``clusters`` above K both many-to-one matchings are added and the one at
    ``level`` is chosen, which only the fully unsupervised protocol admits.
    """
    sink = progress or NoProgress()
    context = scoring_context(context, matching=True)
    run = validation_check(path, context, sink)
    if not header_stage_passed(run, sink):
        return Matched(check=run, candidates=[])
    assert run.manifest is not None
    k = run.manifest.track
    many = clusters is not None and clusters > k
    # The protocol the check settled on: given, or else the one method.txt declares.
    protocol = run.context.protocol
    if many and protocol is not None and protocol not in MANY_TO_ONE_PROTOCOLS:
        raise UsageError(
            f"--clusters {clusters} needs a many-to-one matching, which the "
            f"{protocol.label} protocol does not admit",
            "use --clusters at most K, or submit to the fully unsupervised protocol",
        )
    assert context.sources.dataset is not None
    names = list(run.manifest.images)
    passed = score_pass(
        pass_tasks(run, names),
        ground_truth_dir(context.sources.dataset, k),
        k,
        clusters=clusters or k,
        jobs=context.jobs,
        progress=sink.stage("Checking masks and gathering agreement", len(names)),
    )
    finish_pass(run, passed)
    if not scorable(run) or not passed.complete:
        # Statistics without the masks that could not be read would write a wrong match.json.
        return Matched(check=run, candidates=[])
    stats = passed.statistics
    assert stats is not None
    if stats.above:
        run.report.diagnostics = [*run.report.diagnostics, _above_finding(stats, clusters)]
        return Matched(check=run, candidates=[], statistics=stats)
    return _choose(run, stats, level, many, ties)


def _above_finding(stats: MatchStatistics, clusters: int | None) -> Diagnostic:
    """E002: ids the matching would leave out, and the flags that would take them in."""
    top = stats.max_id
    limit = f"K = {stats.k}" if clusters is None else f"--clusters {clusters}"
    return Code.IDS_ABOVE_CLUSTERS.at(
        "",
        f"ids up to {top} found, {limit}: over-clustered predictions need "
        f"`--clusters {top} --protocol unsupervised`",
        f"pass --clusters {top} --protocol unsupervised (many-to-one matching); "
        "nothing was written",
    )


def _image_hungarian(stats: MatchStatistics, ties: TieBreak) -> tuple[Matching, TieBreak | None]:
    """The official image-level matching: on the K x K ids 1..K, with the official tie-break.

    With more ids than classes it is no longer the official matching (which looks at ids
    1..K only): the best K ids are matched and no tie-break is claimed.
    """
    if ties != "any" and stats.clusters <= stats.k:
        square = np.zeros((stats.k + 1, stats.k + 1), dtype=np.int64)
        square[: stats.clusters + 1] = stats.images
        mapping = _TIE_MAPPINGS[ties](square, stats.count)
        mapping = {i: c for i, c in mapping.items() if i <= stats.clusters}
        agreement = int(sum(square[i, c] for i, c in mapping.items() if i > 0))
        matching = Matching(mapping=mapping, level="image", many_to_one=False, agreement=agreement)
        return matching, ties
    return hungarian(stats.images, level="image"), ("any" if stats.clusters <= stats.k else None)


def _choose(
    run: CheckRun, stats: MatchStatistics, level: MatchLevel, many: bool, ties: TieBreak
) -> Matched:
    top = stats.clusters
    image, tie_break = _image_hungarian(stats, ties)
    options: list[tuple[Matching, TieBreak | None]] = [
        (image, tie_break),
        (hungarian(stats.pixels, level="pixel"), None),
    ]
    if many:
        options += [(many_to_one(stats.images, level="image", tie_break=stats.pixels), None)]
        options += [(many_to_one(stats.pixels, level="pixel"), None)]
    candidates: list[MatchCandidate] = []
    chosen: Matching | None = None
    for matching, tb in options:
        is_chosen = (matching.level, matching.many_to_one) == (level, many)
        if is_chosen:
            chosen = matching
        candidates.append(
            MatchCandidate(
                level=matching.level,
                many_to_one=matching.many_to_one,
                agreement=matching.agreement,
                mIoU=mapped_miou(stats.pixels, _total(matching.mapping, top)),
                chosen=is_chosen,
                tie_break=tb,
            )
        )
    assert chosen is not None
    found = None
    if stats.clusters == stats.k:
        found = find_ties(stats.images, stats.pixels, image.mapping)
    background = background_finding(stats, _total(chosen.mapping, top))
    if background is not None:
        run.report.diagnostics = [*run.report.diagnostics, background]
    return Matched(
        check=run,
        candidates=candidates,
        chosen=chosen,
        mapping=_total(chosen.mapping, top),
        notes=_notes(candidates),
        ties=found,
        statistics=stats,
    )


def _label(c: MatchCandidate) -> str:
    return f"{c.level}-level {'many-to-one' if c.many_to_one else 'Hungarian'}"


def _notes(candidates: list[MatchCandidate]) -> list[str]:
    """Why the matching written is written although another scores higher on validation:
    the best candidate, and the official one (image-level Hungarian) where it is neither."""
    written = next(c for c in candidates if c.chosen)
    best = max(candidates, key=lambda c: c.mIoU)
    if best.mIoU <= written.mIoU + 1e-9:
        return []
    official = next(c for c in candidates if c.level == "image" and not c.many_to_one)
    if best.many_to_one == written.many_to_one:
        how = f"pass --level {best.level} to write it"
    else:
        how = "a one-to-one matching maps only K of the ids; write it with --clusters K"
    why = (
        "it is the official matching (evaluation/match.py)"
        if written is official
        else f"it is the {written.level}-level matching asked for (--level {written.level})"
    )
    note = (
        f"written: the {_label(written)} ({written.mIoU:.2f}), because {why}; the best on "
        f"validation is the {_label(best)} ({best.mIoU:.2f}): {how}"
    )
    if official is not written and official is not best:
        note += (
            f"; the official {_label(official)} (evaluation/match.py) scores {official.mIoU:.2f}"
        )
    return [note]


BACKGROUND_SHARE = 0.5
"""A predicted id is the background cluster when at least this share of its pixels are
ground-truth background ("other") and it holds more of them than any other id, 0 included."""


def background_finding(stats: MatchStatistics, mapping: dict[int, int]) -> Diagnostic | None:
    """E003: the id that predicts the background is mapped to a class (every background
    pixel it covers then counts against that class)."""
    pixels = stats.pixels[1:]
    if not pixels.size or stats.pixels[:, 0].sum() == 0:
        return None
    cluster = int(np.argmax(pixels[:, 0])) + 1
    own = int(stats.pixels[cluster].sum())
    on_background = int(stats.pixels[cluster, 0])
    target = mapping.get(cluster, 0)
    if target == 0 or own == 0 or on_background < BACKGROUND_SHARE * own:
        return None
    if on_background <= int(stats.pixels[0, 0]):
        return None  # id 0 predicts more of the background: the model's background is 0
    share = on_background / int(stats.pixels[:, 0].sum())
    return Code.BACKGROUND_MAPPED.at(
        "",
        f"id {cluster} is the background cluster ({on_background / own:.0%} of its pixels are "
        f"background, {share:.0%} of all background pixels) and the matching maps it to class "
        f"{target}: its background pixels count against class {target}",
        f"write 0 (other) for id {cluster} in the masks: the matching leaves id 0 as "
        "background and maps ids 1..K to classes",
    )


def _total(mapping: dict[int, int], top: int) -> dict[int, int]:
    """Every id 0..top mapped: ids the matching left free go to "other" (0)."""
    return {i: mapping.get(i, 0) for i in range(top + 1)}


def match_and_write(
    path: Path,
    output: Path,
    context: RunContext,
    *,
    level: MatchLevel = "image",
    clusters: int | None = None,
    ties: TieBreak | Literal["official"] = "munkres3",
    overwrite: bool = False,
    progress: ProgressSink | None = None,
) -> MatchOutput:
    """Check, match and score ``path``; write the chosen matching to ``output``."""
    check_target(
        output,
        replace=overwrite,
        exists_hint="pass --overwrite to replace it",
        inputs=Inputs.of(path, *context.sources.paths),
    )
    matched = run_match(
        path,
        context,
        level=level,
        clusters=clusters,
        ties=TIE_ALIASES.get(ties, ties),  # type: ignore[arg-type]
        progress=progress,
    )
    if matched.chosen is None or matched.mapping is None:
        refused = MatchOutput(submission=str(path), check=matched.check.report)
        refused._statistics = matched.statistics
        return refused
    write_text_atomic(output, write_match(matched.mapping))
    document = MatchOutput(
        submission=str(path),
        output=str(output),
        mapping={str(i): c for i, c in sorted(matched.mapping.items())},
        candidates=matched.candidates,
        notes=matched.notes,
        ties=matched.ties,
        check=matched.check.report,
    )
    document._statistics = matched.statistics
    return document
