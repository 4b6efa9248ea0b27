"""Every code example of docs/python.md runs, as a plain script, in the folder the page names."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "python.md"
EXAMPLES = REPO / "examples"


def _examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def test_the_page_has_a_training_loop_and_is_linked() -> None:
    blocks = _examples()
    assert len(blocks) >= 5
    assert any("Evaluator(" in b and ".update(" in b and "for epoch" in b for b in blocks)
    loop = next(b for b in blocks if "for epoch" in b)
    imported = set(re.findall(r"^(?:import|from) (\w+)", loop, flags=re.M))
    assert imported == {"numpy", "submitkit"}, "the training loop needs numpy alone"
    assert "(python.md)" in (REPO / "docs" / "index.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("python-docs")
    shutil.copy(EXAMPLES / "manifest.json", root / "manifest.json")
    shutil.copytree(EXAMPLES / "dataset", root / "datasets")
    shutil.copytree(EXAMPLES / "submissions" / "valid", root / "validation")
    return root


@pytest.mark.parametrize("index", range(len(_examples())))
def test_every_example_runs(index: int, folder: Path) -> None:
    script = folder / f"example_{index}.py"
    script.write_text(_examples()[index], encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "each example prints what it shows"
    assert "Traceback" not in done.stderr
