"""submitkit: check, pack and score ImageNet-S submissions before uploading them."""

from __future__ import annotations

__version__ = "0.1.0"

from submitkit.checker import check
from submitkit.diagnostics import Code, Diagnostic, Severity
from submitkit.errors import SubmitkitError
from submitkit.report import Report, Status

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
