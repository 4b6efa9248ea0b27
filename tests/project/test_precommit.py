"""The hooks of .pre-commit-hooks.yaml, run by the real pre-commit tool in a throwaway repo.

`pre-commit try-repo` installs this repository into a fresh virtualenv (from
PyPI, like any user's pre-commit would) and runs a hook in a research
repository. try-repo only carries over *tracked* uncommitted changes (it runs
`git add -u` into a shadow clone), so new files such as .pre-commit-hooks.yaml
itself would be missing until committed; the tests therefore point it at a
snapshot of the working tree: every file git would consider (tracked, or
untracked but not ignored), committed into a temporary repository.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import png_bytes

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
MANIFEST = EXAMPLES / "manifest.json"
VALID = EXAMPLES / "submissions" / "valid"
BROKEN = EXAMPLES / "submissions" / "broken"

_NETWORK_FAILURES = re.compile(
    r"Temporary failure in name resolution|Failed to establish a new connection|"
    r"No matching distribution found|Could not find a version that satisfies|"
    r"Network is unreachable|Read timed out",
)

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(
        importlib.util.find_spec("pre_commit") is None,
        reason='pre-commit is not installed (pip install -e ".[test]")',
    ),
]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUBMITKIT_")}
    env.update(
        PRE_COMMIT_HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="submitkit tests",
        GIT_AUTHOR_EMAIL="tests@example.org",
        GIT_COMMITTER_NAME="submitkit tests",
        GIT_COMMITTER_EMAIL="tests@example.org",
    )
    return env


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _init(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _git(folder, "init", "-q")
    _git(folder, "config", "user.name", "submitkit tests")
    _git(folder, "config", "user.email", "tests@example.org")
    _git(folder, "config", "commit.gpgsign", "false")
    return folder


def _working_tree_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip(f"{REPO} is not a git checkout, so its working tree cannot be snapshot")
    return [name for name in listed.stdout.decode().split("\0") if name]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's working tree, committed into a temporary git repository."""
    snapshot = tmp_path_factory.mktemp("hook-repo")
    for name in _working_tree_files():
        source = REPO / name
        if source.is_file():
            target = snapshot / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _init(snapshot)
    _git(snapshot, "add", "-A")
    _git(snapshot, "commit", "-q", "-m", "snapshot of the working tree")
    return snapshot


def try_repo(hook_repo: Path, research: Path, *hook: str) -> tuple[int, str]:
    """`pre-commit try-repo` of ``hook`` (all hooks when empty) on every file of ``research``."""
    _git(research, "add", "-A")
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), *hook]
    done = subprocess.run(
        [*command, "--all-files", "--color", "never"],
        cwd=research,
        env=_env(research.parent / "pre-commit-home"),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0 and _NETWORK_FAILURES.search(output):
        pytest.skip(
            "pre-commit could not install the hook's environment from PyPI: "
            + _NETWORK_FAILURES.search(output).group(0)  # type: ignore[union-attr]
        )
    return done.returncode, output


def _research_repo(root: Path, *, protocol: str = "semi") -> Path:
    research = _init(root / "research")
    shutil.copytree(VALID, research / "outputs" / "s50")
    (research / "pyproject.toml").write_text(
        "[tool.submitkit]\n"
        'submission = "outputs/s50"\n'
        f'manifest = "{MANIFEST.as_posix()}"\n'
        f'protocol = "{protocol}"\n',
        encoding="utf-8",
    )
    (research / "configs").mkdir()
    shutil.copyfile(VALID / "method.txt", research / "configs" / "method.txt")
    return research


def _status(output: str, name: str) -> str:
    found = re.search(
        rf"^{re.escape(name)}\.+(Passed|Failed|\(no files to check\)Skipped)$", output, re.M
    )
    assert found is not None, output
    return found.group(1)


def test_both_hooks_pass_on_a_good_repository(hook_repo: Path, tmp_path: Path) -> None:
    research = _research_repo(tmp_path)
    shutil.copyfile(
        EXAMPLES / "submissions" / "valid-unsupervised" / "match.json",
        research / "configs" / "match.json",
    )
    # match.json under the semi-supervised protocol is only a warning (P005): still green.
    code, output = try_repo(hook_repo, research)
    assert code == 0, output
    assert _status(output, "submitkit check (quick)") == "Passed"
    assert _status(output, "submitkit method.txt / match.json") == "Passed"


def test_method_hook_fails_on_a_broken_method_txt_and_match_json(
    hook_repo: Path, tmp_path: Path
) -> None:
    research = _research_repo(tmp_path)
    shutil.copyfile(
        BROKEN / "T002-missing-field" / "method.txt", research / "configs" / "method.txt"
    )
    shutil.copyfile(
        BROKEN / "J001-invalid-json" / "match.json", research / "configs" / "match.json"
    )
    code, output = try_repo(hook_repo, research, "submitkit-method")
    assert code == 1, output
    assert _status(output, "submitkit method.txt / match.json") == "Failed"
    assert "configs/method.txt: T002 error" in output
    # The syntax error's line is named: a trailing comma before the closing brace.
    assert "configs/match.json:14: J001 error" in output


def test_check_hook_fails_on_a_broken_submission(hook_repo: Path, tmp_path: Path) -> None:
    research = _research_repo(tmp_path)
    mask = research / "outputs" / "s50" / "n20000519" / "ILSVRC2012_val_00023959.png"
    # A grayscale mask (M003 from its PNG header) and a mask of no image of the split (N002).
    with Image.open(mask) as im:
        im.convert("L").save(mask)
    extra = research / "outputs" / "s50" / "n20000519" / "ILSVRC2012_val_00099999.png"
    extra.write_bytes(png_bytes(np.zeros((3, 3), dtype=np.int32)))
    code, output = try_repo(hook_repo, research, "submitkit-check")
    assert code == 1, output
    assert _status(output, "submitkit check (quick)") == "Failed"
    assert "M003" in output and "N002" in output


def _pre_commit_config(research: Path, *hooks: str) -> None:
    """The research repository's own .pre-commit-config.yaml, enabling ``hooks``."""
    listed = "".join(f"      - id: {hook}\n" for hook in hooks)
    (research / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: https://example.org/submitkit\n    rev: v0\n    hooks:\n{listed}",
        encoding="utf-8",
    )


def test_both_hooks_report_a_method_txt_finding_once(hook_repo: Path, tmp_path: Path) -> None:
    research = _research_repo(tmp_path)
    broken = BROKEN / "T002-missing-field" / "method.txt"
    shutil.copyfile(broken, research / "outputs" / "s50" / "method.txt")  # inside the submission
    shutil.copyfile(broken, research / "configs" / "method.txt")  # outside it
    _pre_commit_config(research, "submitkit-method", "submitkit-check")
    code, output = try_repo(hook_repo, research, "submitkit-method")
    assert code == 1, output
    # The method hook leaves the submission's method.txt to the check hook...
    assert "configs/method.txt: T002 error" in output
    assert "outputs/s50/method.txt" not in output
    method_output = output
    code, output = try_repo(hook_repo, research, "submitkit-check")
    # ... which reports it: each finding once over both hooks.
    assert code == 1, output
    assert _status(output, "submitkit check (quick)") == "Failed"
    assert method_output.count("T002") == 1 and output.count("T002") == 1, output


@pytest.mark.parametrize("config", [(), ("submitkit-method",), ("submitkit-check  # x",)])
def test_the_method_hook_alone_still_reports_the_submission_method_txt(
    hook_repo: Path, tmp_path: Path, config: tuple[str, ...]
) -> None:
    research = _research_repo(tmp_path)
    broken = BROKEN / "T002-missing-field" / "method.txt"
    shutil.copyfile(broken, research / "outputs" / "s50" / "method.txt")
    if config:
        _pre_commit_config(research, *config)
        if config[0].startswith("submitkit-check"):  # enabled, but only by hand
            path = research / ".pre-commit-config.yaml"
            path.write_text(
                path.read_text(encoding="utf-8") + "        stages: [manual]\n", encoding="utf-8"
            )
    code, output = try_repo(hook_repo, research, "submitkit-method")
    assert code == 1, output
    assert "outputs/s50/method.txt: T002 error" in output
