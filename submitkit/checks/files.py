"""Checks of single method.txt and match.json files, for the pre-commit hook.

A research repository commits its method.txt and match.json long before the
masks exist; the hook judges each file as the full check would inside a
submission, from the file alone, in milliseconds.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from pydantic import Field

from submitkit.benchmark.protocols import Protocol
from submitkit.checks.protocol import protocol_findings
from submitkit.core.diagnostics import Code, Diagnostic, Severity
from submitkit.core.document import Document
from submitkit.core.errors import UsageError
from submitkit.inputs.config import RunContext
from submitkit.inputs.files import read_user_file
from submitkit.inputs.layout import MATCH_FILE, METHOD_FILE
from submitkit.inputs.match_json import MAX_MATCH_BYTES, load_match, match_usage_findings
from submitkit.inputs.method_txt import MAX_METHOD_BYTES, parse_method


def validate_file(path: Path, *, protocol: Protocol | None, track: int | None) -> list[Diagnostic]:
    """Findings about one method.txt or match.json, named by the path as given."""
    if path.name not in (METHOD_FILE, MATCH_FILE):
        raise UsageError(
            f"{path}: only files named {METHOD_FILE} or {MATCH_FILE} can be validated",
            "pass method.txt and match.json files (the pre-commit hook selects them by name)",
        )
    limit = MAX_METHOD_BYTES if path.name == METHOD_FILE else MAX_MATCH_BYTES
    data = read_user_file(path, limit, path.name, "pass a readable file", oversize_ok=True)
    shown = path.as_posix()
    if path.name == METHOD_FILE:
        info, diags = parse_method(data, shown)
        if info is not None:
            diags += protocol_findings(info, protocol, track, shown)
        return diags
    match, diags = load_match(data, shown, track)
    if match is not None and protocol is not None:
        # Without masks only the protocol's view of match.json can be judged.
        diags += [
            d
            for d in match_usage_findings(match, set(match), shown, protocol)
            if d.code is Code.MATCH_OUTSIDE_UNSUPERVISED
        ]
    return diags


def validate_files(
    paths: Sequence[Path], *, protocol: Protocol | None = None, track: int | None = None
) -> list[Diagnostic]:
    """``validate_file`` over several files, findings in file order."""
    return [d for path in paths for d in validate_file(path, protocol=protocol, track=track)]


class FilesReport(Document):
    """What `submitkit validate-files --format json` prints."""

    kind: ClassVar[str] = "validate-files"
    schema_file: ClassVar[str] = "files.schema.json"

    files: list[str]
    skipped: list[str] = Field(default_factory=list)
    """Files left to ``submitkit-check`` (``--skip-submission``): they lie in the submission."""
    failed: bool
    diagnostics: list[Diagnostic]

    def is_failure(self) -> bool:
        return self.failed


def files_report(
    paths: Sequence[Path], context: RunContext, *, skip: Sequence[Path] = ()
) -> FilesReport:
    """`validate-files` as one call: the findings (against ``context``'s protocol and track),
    and whether they fail (errors, or warnings under its ``strict``); the files of ``skip``
    are listed as skipped, not validated."""
    kept = [p for p in paths if p not in skip]
    diagnostics = validate_files(kept, protocol=context.protocol, track=context.track)
    failed = any(
        d.severity is Severity.error or (context.strict and d.severity is Severity.warning)
        for d in diagnostics
    )
    return FilesReport(
        files=[p.as_posix() for p in kept],
        skipped=[p.as_posix() for p in paths if p in skip],
        failed=failed,
        diagnostics=diagnostics,
    )


PRE_COMMIT_CONFIG = Path(".pre-commit-config.yaml")


def check_hook_runs(config: Path = PRE_COMMIT_CONFIG) -> bool:
    """Whether the repository's pre-commit configuration runs ``submitkit-check`` on commits.

    Read as text (no YAML parser is a dependency): the hook's entry, from its
    ``id:`` to the next one, with no ``stages:`` line naming ``manual``.
    pre-commit runs hooks at the repository's root, where this file lies.
    """
    try:
        text = config.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    for block in re.split(r"(?m)^\s*-\s*id:\s*", text)[1:]:
        words = block.split(None, 1)
        if words and words[0].strip("'\"") == "submitkit-check":
            return re.search(r"(?m)^\s*stages:.*\bmanual\b", block) is None
    return False


def inside_submission(paths: Sequence[Path], submission: Path | None) -> list[Path]:
    """The files of ``paths`` that lie inside ``submission`` (compared by real path)."""
    if submission is None or not submission.is_dir():
        return []
    root = Path(os.path.realpath(submission))
    return [p for p in paths if root in Path(os.path.realpath(p)).parents]
