"""Fast commands stay fast: they never import NumPy, Pillow or SciPy (checked in a fresh
interpreter, since the test process itself has them loaded)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
METHOD = REPO / "examples" / "submissions" / "valid" / "method.txt"
HEAVY = ("numpy", "PIL", "scipy")
PROBE = """
import sys
from submitkit.cli.app import main
sys.argv = ["submitkit", *{args!r}]
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print("HEAVY:", ",".join(heavy), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["codes"],
        ["validate-files", str(METHOD)],
        ["validate-files", str(METHOD), "--format", "json"],
        ["validate-files", str(METHOD), "--format", "github"],
        ["check", "--help"],
    ],
    ids=lambda a: " ".join(a[:3]).replace(str(REPO), ""),
)
def test_command_imports_no_numpy_pillow_or_scipy(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args, heavy=HEAVY)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("HEAVY:")]
    assert line == ["HEAVY: "], done.stderr


def test_the_python_api_is_listed_without_importing_numpy_pillow_or_scipy() -> None:
    probe = (
        "import sys, submitkit\n"
        "names = dir(submitkit)\n"
        "assert all(n in names for n in submitkit.__all__), names\n"
        "assert {'evaluate', 'Evaluator', 'SubmissionWriter'} <= set(names)\n"
        "assert submitkit.__version__\n"
        f"print('HEAVY:', ','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
        "submitkit.evaluate\n"
        "print('AFTER:', 'numpy' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=False
    )
    assert done.stdout.splitlines() == ["HEAVY: ", "AFTER: True"], done.stdout + done.stderr
