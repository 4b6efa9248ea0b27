"""submitkit: check, pack and score ImageNet-S submissions before uploading them."""

from __future__ import annotations

__version__ = "0.1.0"

from submitkit.checker import check  # noqa: E402
from submitkit.diagnostics import Code, Diagnostic, Severity  # noqa: E402
from submitkit.errors import SubmitkitError  # noqa: E402
from submitkit.report import Report, Status  # noqa: E402

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
