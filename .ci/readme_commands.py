"""Print the README's N-th command: the one-line ```bash block N (1-based).

`.ci/run` runs the README's first two commands through this script, so what CI
runs and what a new user copies are the same text and cannot drift apart. It
needs only the standard library: it runs before anything is installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)


def commands(text: str) -> list[str]:
    """Every ```bash block of ``text``, in order, each as its text without the fence."""
    return [block.strip() for block in _BLOCK.findall(text)]


def command(number: int, text: str | None = None) -> str:
    """The README's ``number``-th block; it must be a single line."""
    blocks = commands(README.read_text(encoding="utf-8") if text is None else text)
    found = blocks[number - 1]
    if "\n" in found:
        raise SystemExit(f"README command {number} must be one line, not:\n{found}")
    return found


if __name__ == "__main__":
    print(command(int(sys.argv[1])))
