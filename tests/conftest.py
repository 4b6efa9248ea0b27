"""Shared fixtures: where the official lists are, the command line, small submission builders."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner, Result

from submitkit.inputs.png import encode

REPO = Path(__file__).resolve().parent.parent


SLOW: frozenset[str] = frozenset(
    {
        "tests/project/test_precommit.py::test_check_hook_fails_on_a_broken_submission",
        "tests/project/test_precommit.py::test_both_hooks_pass_on_a_good_repository",
        "tests/project/test_precommit.py::test_method_hook_fails_on_a_broken_method_txt_and_match_json",
        "tests/project/test_interrupt.py::test_ctrl_c_at_ten_moments",
        "tests/project/test_interrupt.py::test_sigterm_and_sighup_stop_a_run_as_cleanly_as_ctrl_c",
        "tests/workflows/test_fix_realistic.py::test_mixed_validation_and_test_needs_drop_extra",
        "tests/project/test_hint_commands.py::test_every_command_printed_about_the_examples_runs",
        "tests/project/test_hint_commands.py::test_every_command_printed_about_the_golden_cases_runs",
    }
)
"""Tests that take 5 s or more each on the 2-core machine (measured with --durations):
marked ``slow``, so ``pytest -m "not slow"`` is the quick suite (docs/development.md)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.split("[", 1)[0] in SLOW:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the ground-truth cache of every test run out of the user's ~/.cache."""
    os.environ["SUBMITKIT_CACHE_DIR"] = str(tmp_path_factory.mktemp("submitkit-cache"))


def official_toolbox() -> Path | None:
    """The official list files: $SUBMITKIT_TEST_TOOLBOX, else ../shared/imagenet-s."""
    configured = os.environ.get("SUBMITKIT_TEST_TOOLBOX")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPO.parent / "shared" / "imagenet-s")
    for candidate in candidates:
        if (candidate / "data" / "categories").is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def toolbox() -> Path:
    found = official_toolbox()
    if found is None:
        pytest.skip("official ImageNet-S lists not available: set SUBMITKIT_TEST_TOOLBOX")
    return found


class Cli(Protocol):
    """The type of the ``cli`` fixture (and of ``invoke_cli``)."""

    def __call__(
        self,
        args: Sequence[str | Path],
        *,
        env: Mapping[str, str | None] | None = None,
        input: str | None = None,
        terminal_width: int | None = None,
    ) -> Result: ...


def invoke_cli(
    args: Sequence[str | Path],
    *,
    env: Mapping[str, str | None] | None = None,
    input: str | None = None,
    terminal_width: int | None = None,
) -> Result:
    """``submitkit ARGS`` run in this process as a user runs it: the one in-process runner.

    The result has the exit code, ``stdout`` and ``stderr`` apart, and ``output``
    (both, interleaved as on a terminal). The streams are not terminals, so no
    progress bar is drawn. An exception that escapes the command would be a
    traceback for the user: it is raised here, so the test fails on it. Tests
    take the ``cli`` fixture; helpers outside a test (module-level functions,
    fixtures of a wider scope) call this function.
    """
    from submitkit.cli.app import app

    extra: dict[str, Any] = {} if terminal_width is None else {"terminal_width": terminal_width}
    result = CliRunner().invoke(app, [str(a) for a in args], input=input, env=env, **extra)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


@pytest.fixture
def cli() -> Cli:
    """The command line, run in this process as a user runs it (``invoke_cli``)."""
    return invoke_cli


def run_submitkit(
    args: Sequence[str | Path],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdout: Any = None,
    text: bool = False,
) -> subprocess.CompletedProcess[Any]:
    """``python -m submitkit ARGS`` in a real process: the real entry point and streams.

    For what only a process shows: signals, start-up, encodings, a full disk. The
    environment is the caller's without ``SUBMITKIT_*`` and ``PYTHONIO*`` settings
    (a developer's shell must not change the outcome; the tests' private cache
    stays), plus ``env``.
    """
    skip = ("SUBMITKIT_", "PYTHONIO")
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(skip) or k == "SUBMITKIT_CACHE_DIR"
    }
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "submitkit", *[str(a) for a in args]],
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environ,
        cwd=cwd,
        text=text,
        timeout=120,
        check=False,
    )


def write_mask(path: Path, ids: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(encode(ids)).save(path)
    return path


def write_tree(root: Path, files: Mapping[str, bytes | str]) -> Path:
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
    return root


def write_zip(path: Path, files: Mapping[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def png_bytes(ids: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(encode(ids)).save(buffer, format="PNG")
    return buffer.getvalue()
