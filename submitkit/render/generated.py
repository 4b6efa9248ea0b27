"""What `submitkit schemas` and `submitkit docs` did, as documents: files written, or stale.

Both commands regenerate committed files from the code. With ``--check`` they
write nothing and name what drifted (exit 1); with ``--format json`` either
outcome is a document like every other command's.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from submitkit.core.document import Document


class GeneratedFiles(Document):
    """Files a generator wrote, or (``checked``) the ones that differ from what it would write."""

    checked: bool
    """Whether this was a ``--check`` run (nothing written)."""
    written: list[str] = Field(default_factory=list)
    stale: list[str] = Field(default_factory=list)
    """Files that are missing or differ from what the code generates."""

    def is_failure(self) -> bool:
        return bool(self.stale)


class SchemasRun(GeneratedFiles):
    """What `submitkit schemas --format json` prints."""

    kind: ClassVar[str] = "schemas"
    schema_file: ClassVar[str] = "schemas-run.schema.json"


class DocsRun(GeneratedFiles):
    """What `submitkit docs --format json` prints."""

    kind: ClassVar[str] = "docs"
    schema_file: ClassVar[str] = "docs-run.schema.json"
