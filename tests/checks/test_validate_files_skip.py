"""`validate-files --skip-submission`: a file inside the submission is left to submitkit-check
only when the repository's pre-commit configuration runs that hook on commits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from submitkit.checks.files import check_hook_runs
from tests.conftest import Cli

BROKEN = Path(__file__).resolve().parents[2] / "examples" / "submissions" / "broken"
HOOKS = "repos:\n  - repo: https://example.org/submitkit\n    rev: v0\n    hooks:\n"


@pytest.mark.parametrize(
    ("config", "runs"),
    [
        (None, False),
        ("      - id: submitkit-method\n", False),
        ("      - id: submitkit-check\n      - id: submitkit-method\n", True),
        ("      - id: submitkit-check\n        stages: [manual]\n      - id: x\n", False),
        (
            "      - id: submitkit-method\n        stages: [manual]\n      - id: submitkit-check\n",
            True,
        ),
    ],
)
def test_check_hook_runs_reads_the_repository_config(
    tmp_path: Path, config: str | None, runs: bool
) -> None:
    path = tmp_path / ".pre-commit-config.yaml"
    if config is not None:
        path.write_text(HOOKS + config, encoding="utf-8")
    assert check_hook_runs(path) is runs


@pytest.mark.parametrize("with_check_hook", [True, False])
def test_skip_submission_only_when_check_covers_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_check_hook: bool, cli: Cli
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SUBMITKIT_SUBMISSION", raising=False)
    (tmp_path / "sub").mkdir()
    (tmp_path / "configs").mkdir()
    broken = BROKEN / "T002-missing-field" / "method.txt"
    shutil.copyfile(broken, tmp_path / "sub" / "method.txt")
    shutil.copyfile(broken, tmp_path / "configs" / "method.txt")
    (tmp_path / "pyproject.toml").write_text('[tool.submitkit]\nsubmission = "sub"\n')
    hook = "submitkit-check" if with_check_hook else "submitkit-method"
    (tmp_path / ".pre-commit-config.yaml").write_text(HOOKS + f"      - id: {hook}\n")
    args = ["sub/method.txt", "configs/method.txt", "--skip-submission", "--format", "json"]
    done = cli(["validate-files", *args])
    assert done.exit_code == 1, done.output
    document = json.loads(done.output)
    expected_skipped = ["sub/method.txt"] if with_check_hook else []
    assert document["skipped"] == expected_skipped
    assert sorted(d["path"] for d in document["diagnostics"]) == sorted(
        p for p in ("configs/method.txt", "sub/method.txt") if p not in expected_skipped
    )
    assert {d["code"] for d in document["diagnostics"]} == {"T002"}
