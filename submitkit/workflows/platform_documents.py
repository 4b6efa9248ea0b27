"""The ``--format json`` documents of `submitkit bundle` and `submitkit score`."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from submitkit.checks.report import Report
from submitkit.core.document import Document


class BundleMember(BaseModel):
    name: str
    what: str


class BundlePhase(BaseModel):
    name: str
    split: str
    images: int
    start: str
    end: str | None


class RehearsalVerdict(BaseModel):
    """One phase's program run on a submission the way Codabench's worker runs it."""

    phase: str
    accepted: bool
    exit_code: int | None
    verdict: str
    network_off: bool
    seconds: float


class BundleResult(Document):
    """What `submitkit bundle` wrote (or would write), and the rehearsal's verdicts."""

    kind: ClassVar[str] = "bundle"
    schema_file: ClassVar[str] = "bundle.schema.json"

    output: str
    written: bool
    python: str
    wheels: list[str]
    phases: list[BundlePhase]
    members: list[BundleMember]
    notes: list[str]
    rehearsal: list[RehearsalVerdict]

    def is_failure(self) -> bool:
        return any(not verdict.accepted for verdict in self.rehearsal)


class ScoreResult(Document):
    """What `submitkit score` decided: the scores, or the findings that stopped them."""

    kind: ClassVar[str] = "score"
    schema_file: ClassVar[str] = "score.schema.json"

    accepted: bool
    scores: dict[str, float] | None
    enclosing: str
    report: Report

    def is_failure(self) -> bool:
        return not self.accepted
