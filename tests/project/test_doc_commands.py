"""Every command the README and docs/ show on the shipped example runs as shown.

A command is any line of a ```bash block that starts with `submitkit ` and names
`examples/`. It runs from a scratch folder holding the repository's examples (so
its outputs land there, not in the repository), with no configuration around it;
it must exit 0, or the code its trailing comment promises (`# exit 1`).
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import Cli

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)
_EXIT = re.compile(r"#\s*exit (\d+)")


def _commands() -> list[tuple[str, str, int]]:
    found = []
    for page in PAGES:
        for block in _BLOCK.findall(page.read_text(encoding="utf-8")):
            for line in block.splitlines():
                if not (line.startswith("submitkit ") and "examples/" in line):
                    continue
                command, _, comment = line.partition("#")
                promised = _EXIT.search("#" + comment) if comment else None
                where = str(page.relative_to(REPO))
                found.append((where, command.strip(), int(promised.group(1)) if promised else 0))
    return found


COMMANDS = _commands()


def test_the_readme_tour_is_among_them() -> None:
    readme = [c for page, c, _ in COMMANDS if page == "README.md"]
    for verb in ("check", "fix", "evaluate", "pack"):
        assert any(c.startswith(f"submitkit {verb} ") for c in readme), verb


@pytest.mark.parametrize(
    ("page", "command", "exit_code"), COMMANDS, ids=[c for _, c, _ in COMMANDS]
)
def test_documented_command_runs_as_shown(
    page: str,
    command: str,
    exit_code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Cli,
) -> None:
    (tmp_path / "examples").symlink_to(REPO / "examples", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for name in [n for n in os.environ if n.startswith("SUBMITKIT_")]:
        monkeypatch.delenv(name)
    result = cli(shlex.split(command)[1:])
    assert result.exit_code == exit_code, f"{page}: {command}\n{result.output}"
    assert "Traceback" not in result.output
