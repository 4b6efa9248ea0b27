"""submitkit: check, pack and score ImageNet-S submissions before uploading them.

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
    from submitkit.checks.staged import check
    from submitkit.core.diagnostics import Code, Diagnostic, Severity
    from submitkit.core.errors import SubmitkitError

_LAZY = {
    "check": "submitkit.checks.staged",
    "Code": "submitkit.core.diagnostics",
    "Diagnostic": "submitkit.core.diagnostics",
    "Severity": "submitkit.core.diagnostics",
    "SubmitkitError": "submitkit.core.errors",
    "Report": "submitkit.checks.report",
    "Status": "submitkit.checks.report",
}

__all__ = [
    "Code",
    "Diagnostic",
    "Report",
    "Severity",
    "Status",
    "SubmitkitError",
    "__version__",
    "check",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'submitkit' has no attribute {name!r}")
