"""The result of a check: findings plus what was and was not verified."""

from __future__ import annotations

from collections import Counter
from enum import Enum
from typing import ClassVar, Literal

from pydantic import BaseModel, Field, PrivateAttr, computed_field

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import Split
from submitkit.checks.commands import Given
from submitkit.core.diagnostics import Code, Diagnostic, Severity
from submitkit.core.document import Document
from submitkit.core.exits import exit_code


class Status(str, Enum):
    passed = "PASSED"
    passed_with_warnings = "PASSED with warnings"
    failed = "FAILED"


class Unverified(BaseModel):
    """Something the run could not check, and the flag that would let it."""

    what: str
    flag: str


class Counts(BaseModel):
    files: int = 0
    """Files in the submission (zip members or folder files)."""
    predictions: int = 0
    """Well-named predictions found."""
    expected: int | None = None
    """Images the split has, when known."""
    masks_inspected: int = 0


class Report(Document):
    """Everything `submitkit check` found; rendered as text or JSON."""

    kind: ClassVar[str] = "check"
    schema_file: ClassVar[str] = "report.schema.json"

    submission: str
    container: Literal["folder", "zip"]
    track: int | None = None
    split: Split | None = None
    protocol: Protocol | None = None
    target: str = ""
    """How track and split were chosen (flags, manifest, names, count)."""
    mode: Literal["full", "quick"] = "full"
    strict: bool = False
    verified: list[str] = Field(default_factory=list)
    unverified: list[Unverified] = Field(default_factory=list)
    counts: Counts = Field(default_factory=Counts)
    diagnostics: list[Diagnostic] = Field(default_factory=list)
    _given: Given = PrivateAttr(default_factory=Given)
    _largest_id: int | None = PrivateAttr(default=None)

    @property
    def given(self) -> Given:
        """The options the user gave: what a command in a hint must carry to run as printed."""
        return self._given

    @given.setter
    def given(self, value: Given) -> None:
        self._given = value

    @property
    def largest_id(self) -> int | None:
        """The largest id any decoded mask uses (``match --clusters`` in a hint)."""
        return self._largest_id

    @largest_id.setter
    def largest_id(self, value: int | None) -> None:
        self._largest_id = value

    @computed_field  # type: ignore[prop-decorator]
    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.error)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity is Severity.warning)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> Status:
        if self.errors or (self.strict and self.warnings):
            return Status.failed
        return Status.passed_with_warnings if self.warnings else Status.passed

    @computed_field  # type: ignore[prop-decorator]
    @property
    def by_code(self) -> dict[str, int]:
        """How many findings each code has, in code order."""
        counts = Counter(d.code.value for d in self.diagnostics)
        return {code.value: counts[code.value] for code in Code if code.value in counts}

    def is_failure(self) -> bool:
        return self.status is Status.failed

    @property
    def exit_code(self) -> int:
        return int(exit_code(self))

    def codes(self) -> set[Code]:
        return {d.code for d in self.diagnostics}
