"""submitkit: check, pack and score ImageNet-S submissions before uploading them.

The Python API is the commands' own workflows: ``check``, ``evaluate``, ``match``,
``compare``, ``pack`` and ``fix`` return the document the command prints with
``--format json``; ``Evaluator`` computes the official metrics from arrays in
memory; ``SubmissionWriter`` writes a submission that passes the check. See
docs/python.md.

The names below are imported on first use, so ``import submitkit`` (and every
command that needs none of them, such as ``submitkit --version``) does not pay
for NumPy, Pillow or SciPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from submitkit._version import __version__

if TYPE_CHECKING:
    from submitkit.checks.report import Report, Status
    from submitkit.core.diagnostics import Code, Diagnostic, Severity
    from submitkit.core.errors import EnvironmentProblem, InputError, SubmitkitError, UsageError
    from submitkit.facade import check, compare, evaluate, fix, match, pack
    from submitkit.scoring.evaluator import Evaluator, EvaluatorScores
    from submitkit.workflows.writer import SubmissionWriter, WriteRefused

_LAZY = {
    "check": "submitkit.facade",
    "evaluate": "submitkit.facade",
    "match": "submitkit.facade",
    "compare": "submitkit.facade",
    "pack": "submitkit.facade",
    "fix": "submitkit.facade",
    "Evaluator": "submitkit.scoring.evaluator",
    "EvaluatorScores": "submitkit.scoring.evaluator",
    "SubmissionWriter": "submitkit.workflows.writer",
    "WriteRefused": "submitkit.workflows.writer",
    "Code": "submitkit.core.diagnostics",
    "Diagnostic": "submitkit.core.diagnostics",
    "Severity": "submitkit.core.diagnostics",
    "SubmitkitError": "submitkit.core.errors",
    "UsageError": "submitkit.core.errors",
    "EnvironmentProblem": "submitkit.core.errors",
    "InputError": "submitkit.core.errors",
    "Report": "submitkit.checks.report",
    "Status": "submitkit.checks.report",
}

__all__ = [
    "Code",
    "Diagnostic",
    "EnvironmentProblem",
    "Evaluator",
    "EvaluatorScores",
    "InputError",
    "Report",
    "Severity",
    "Status",
    "SubmissionWriter",
    "SubmitkitError",
    "UsageError",
    "WriteRefused",
    "__version__",
    "check",
    "compare",
    "evaluate",
    "fix",
    "match",
    "pack",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'submitkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API and the module's dunders: no helper this module imports for itself."""
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})
