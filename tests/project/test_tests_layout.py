"""The tests are laid out like the package (docs/development.md, "Where a test goes")."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import SLOW
from tests.project.test_architecture import LAYERS

TESTS = Path(__file__).resolve().parents[1]
FOLDERS = (*LAYERS, "project")
"""One folder per layer of the package, and one for the whole tool."""


def test_every_test_file_sits_in_a_layer_folder_or_project() -> None:
    files = [p for p in TESTS.rglob("test_*.py") if "fixtures" not in p.relative_to(TESTS).parts]
    misplaced = sorted(
        p.relative_to(TESTS).as_posix()
        for p in files
        if p.parent.parent != TESTS or p.parent.name not in FOLDERS
    )
    assert not misplaced, f"move into tests/<layer>/ or tests/project/: {misplaced}"


def test_every_folder_is_a_package_and_holds_tests() -> None:
    # Without __init__.py two folders could not hold files of the same name.
    for folder in FOLDERS:
        assert (TESTS / folder / "__init__.py").is_file(), folder
        assert any((TESTS / folder).glob("test_*.py")), f"tests/{folder}/ holds no test file"


def test_every_slow_test_exists() -> None:
    # A moved or renamed test would silently leave the quick suite's exclusions.
    for node in sorted(SLOW):
        path, name = node.split("::")
        tree = ast.parse((TESTS.parent / path).read_text(encoding="utf-8"))
        names = {f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
        assert name in names, f"conftest.SLOW names {node}, which does not exist"


def _names(path: Path) -> set[str]:
    """Every name a module uses or imports (not what its strings say)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    return names | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names
    }


def test_the_command_line_runs_in_process_through_the_one_fixture() -> None:
    # tests/conftest.py's `cli` (and `invoke_cli`) is the one in-process runner: a second
    # would lose its check that no exception escapes a command.
    own = sorted(
        p.relative_to(TESTS).as_posix()
        for p in TESTS.rglob("*.py")
        if p.name != "conftest.py" and "CliRunner" in _names(p)
    )
    assert not own, f"run the command line through the `cli` fixture instead: {own}"
