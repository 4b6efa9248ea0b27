"""The README's Python example runs as a plain script: no ``__main__`` guard needed."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    found = [b for b in blocks if "submitkit.check(" in b]
    assert found, "the README shows no Python example calling submitkit.check"
    assert "submitkit.evaluate(" in found[0], "the library section shows evaluate beside check"
    return found[0]


def test_readme_example_runs_as_a_plain_script(tmp_path: Path, toolbox: Path) -> None:
    # What the example names, made real: a zip of the shipped valid example, the lists.
    valid = REPO / "examples" / "submissions" / "valid"
    with zipfile.ZipFile(tmp_path / "submission.zip", "w") as archive:
        for path in sorted(valid.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(valid).as_posix())
    shutil.copytree(toolbox / "data", tmp_path / "ImageNet-S" / "data")
    shutil.copy(tmp_path / "submission.zip", tmp_path / "validation.zip")
    shutil.copytree(REPO / "examples" / "dataset", tmp_path / "datasets")
    script = tmp_path / "example.py"
    script.write_text(_readme_example(), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    # The check itself ran to its verdict (the fictional example folders fail it).
    assert re.match(r"(Status\.)?(passed|failed|warnings)", done.stdout, re.I), done.stdout
    # evaluate scored the shipped example against its own ground truth: a number.
    assert re.fullmatch(r"\d+\.\d+", done.stdout.splitlines()[-1]), done.stdout
