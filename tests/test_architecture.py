"""The layout stays what docs/architecture.md says, and no module needs another imported first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(
    p.relative_to(ROOT).as_posix()
    for p in (ROOT / "submitkit").rglob("*.py")
    if p.name != "__init__.py"
)


def test_every_module_is_named_in_the_architecture_page() -> None:
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [m for m in MODULES if f"`{m}`" not in page]
    assert not missing, f"docs/architecture.md does not name: {missing}"


@pytest.mark.parametrize("module", [m for m in MODULES if not m.endswith("__main__.py")])
def test_module_imports_alone(module: str) -> None:
    name = module[: -len(".py")].replace("/", ".")
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
