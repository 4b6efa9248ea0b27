"""The layout stays what docs/architecture.md says, and no module needs another imported first."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
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


LAYERS = ("core", "benchmark", "inputs", "checks", "scoring", "workflows", "render", "cli")
"""The documented layers, lowest first: a module imports only its own layer and those below."""
KNOWN_UPWARD: set[tuple[str, str]] = set()
"""Upward imports not yet removed: none (workflows return data, render writes artefacts)."""


def _layer(module: str) -> int | None:
    """A module's layer; ``None`` outside submitkit, or for the package itself (always loaded)."""
    parts = module.split(".")
    if parts[0] != "submitkit" or len(parts) == 1:
        return None
    if parts[1] == "_version":
        return 0
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else len(LAYERS)


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    """Every absolute import in a module, function-level ones included, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "submitkit":
                found += [(node.lineno, f"submitkit.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def test_every_import_points_down_the_layers() -> None:
    upward = []
    for path in MODULES + [m for m in _INITS]:
        name = path[: -len(".py")].replace("/", ".").removesuffix(".__init__")
        mine = _layer(name)
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        for line, target in _imports(tree):
            theirs = _layer(target)
            if mine is None or theirs is None or theirs <= mine:
                continue
            if (name, target) not in KNOWN_UPWARD:
                upward.append(f"{path}:{line} imports {target}")
    assert not upward, "imports against the layers (docs/architecture.md):\n" + "\n".join(upward)


def test_the_layer_test_sees_a_function_level_import() -> None:
    tree = ast.parse("def f():\n    from submitkit.cli.runner import run\n")
    assert _imports(tree) == [(2, "submitkit.cli.runner")]
    assert _layer("submitkit.cli.runner") > _layer("submitkit.workflows.pack")  # type: ignore[operator]


_INITS = sorted(
    p.relative_to(ROOT).as_posix()
    for p in (ROOT / "submitkit").rglob("__init__.py")
    if p.parent != ROOT / "submitkit"
)


MAX_FUNCTION_LINES = 59
"""A function reads at once: under 60 lines, its signature and docstring included."""


def test_every_function_reads_at_once() -> None:
    long = []
    for path in MODULES:
        for node in ast.walk(ast.parse((ROOT / path).read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, "split these into named steps:\n" + "\n".join(long)
