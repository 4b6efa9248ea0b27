"""The command line behaves as users of ruff, twine or check-jsonschema expect."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from submitkit.cli.app import app
from tests.conftest import Cli, invoke_cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
COMMANDS = sorted(info.name or "" for info in app.registered_commands if info.name is not None)


def _help(*args: str) -> str:
    result = invoke_cli([*args, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def test_short_help_option(cli: Cli) -> None:
    assert cli(["-h"]).exit_code == 0
    assert "Usage: submitkit check" in cli(["check", "-h"]).output


def test_shell_completion_is_offered() -> None:
    root = _help()
    assert "--install-completion" in root and "--show-completion" in root


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_honest(command: str) -> None:
    text = _help(command)
    assert "<bool>" not in text.lower()
    assert "[default: (" not in text
    assert "-h, --help" in text


@pytest.mark.parametrize("command", COMMANDS)
def test_one_spelling_per_option(command: str) -> None:
    text = _help(command)
    if "--output" in text:
        assert "-o, --output" in text
    assert "--out " not in text and "--no-overwrite" not in text
    if "--format" in text:
        # markdown and latex: the paper tables of evaluate and compare.
        assert re.search(r"--format text\|json(\|github|\|markdown\|latex)?\s", text), text


def test_format_github_only_where_findings_are_about_files() -> None:
    with_github = {c for c in COMMANDS if "text|json|github" in _help(c)}
    assert with_github == {"check", "pack", "validate-files"}


@pytest.mark.parametrize("command", ["check", "pack", "fix"])
def test_negative_examples_are_rejected(command: str, cli: Cli) -> None:
    result = cli([command, "x", "--examples", "-1"])
    assert result.exit_code == 2
    assert "--examples" in result.output


def test_manifest_needs_track_and_split(tmp_path: Path, cli: Cli) -> None:
    base = ["manifest", "--dataset", str(EXAMPLES / "dataset"), "-o", str(tmp_path / "m.json")]
    for args in (base, [*base, "--track", "50"], [*base, "--split", "validation"]):
        result = cli(args)
        assert result.exit_code == 2, args
        assert "Missing option" in result.output
        assert not (tmp_path / "m.json").exists()


def test_preview_quiet_prints_nothing(tmp_path: Path, cli: Cli) -> None:
    args = ["preview", str(EXAMPLES / "submissions" / "valid"), "-o", str(tmp_path / "s.png")]
    args += ["--manifest", str(EXAMPLES / "manifest.json"), "--count", "1"]
    result = cli([*args, "--quiet"])
    assert result.exit_code == 0 and result.stdout == ""
    assert (tmp_path / "s.png").is_file()


def test_bundle_help_shows_the_workflow_defaults() -> None:
    from submitkit.cli.bundle import DOCKER_IMAGE_SHOWN, TIME_LIMIT_SHOWN
    from submitkit.workflows.bundle import DEFAULT_DOCKER_IMAGE, DEFAULT_TIME_LIMIT

    assert (DOCKER_IMAGE_SHOWN, TIME_LIMIT_SHOWN) == (DEFAULT_DOCKER_IMAGE, DEFAULT_TIME_LIMIT)


def test_closed_pipe_is_quiet_and_not_findings() -> None:
    """`submitkit codes | head -1`: the reader stops early; exit 141 as for SIGPIPE, no noise."""
    process = subprocess.Popen(
        [sys.executable, "-m", "submitkit", "codes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait() == 141
    assert err == ""


def test_docs_refuses_a_folder_that_is_not_a_submitkit_clone(tmp_path: Path, cli: Cli) -> None:
    result = cli(["docs", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "is not a clone of submitkit" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_schemas_check_names_a_missing_schema_as_missing(tmp_path: Path, cli: Cli) -> None:
    result = cli(["schemas", "--check", "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert "report.schema.json is missing; run `submitkit schemas`" in result.stderr


def test_a_missing_synset_list_is_refused_before_scoring(tmp_path: Path, cli: Cli) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    args = ["evaluate", str(examples / "submissions" / "valid"), "--dataset"]
    args += [str(examples / "dataset"), "--synsets", str(tmp_path / "none.txt")]
    result = cli(args)
    assert result.exit_code == 2
    assert "give the LOC_synset_mapping.txt of the ImageNet devkit" in result.stderr


def test_top_level_help_fits_80_columns_with_whole_summaries(cli: Cli) -> None:
    from submitkit.cli.app import SUMMARIES

    result = cli(["-h"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    registered = {info.name for info in app.registered_commands}
    assert set(SUMMARIES) <= registered
    for name, summary in SUMMARIES.items():
        assert any(line.split() == [name, *summary.split()] for line in lines), name
    start = lines.index("Commands:")
    listed = [line for line in lines[start + 1 :] if line.startswith("  ") and line.split()]
    cut = [line for line in listed if line.split()[0] in registered and line.endswith("...")]
    assert not cut, f"give these a whole summary in SUMMARIES (cli/app.py): {cut}"


_TYPER_STYLES = re.compile(r"<(?:path|text|int|float|int range|float range)>|\{[a-z_]+\}|list\[")
"""Typer's own metavar forms: <path>, <int range>, {path}, list[Path]; ``[path]`` and choices
in angle brackets would be in the usage line or after an option, which are matched whole."""


@pytest.mark.parametrize("command", COMMANDS)
def test_usage_and_metavars_have_one_style(command: str, cli: Cli) -> None:
    text = cli([command, "-h"], env={"COLUMNS": "200"}).output
    usage = text.splitlines()[0]
    # Arguments as upper-case names: bare when required, [NAME] when optional, NAME... repeated.
    assert re.fullmatch(r"Usage: submitkit [a-z-]+ \[OPTIONS\]( \[?[A-Z_]+\]?(\.\.\.)?)*", usage)
    for line in text.splitlines():
        option = re.match(r"^\s+((?:-\w, )?--[a-z-]+)(?: (\S+))?", line)
        if option and option.group(2):
            # An option's value: an upper-case name (PATH, DIR, N, NUMBER) or its choices.
            assert re.fullmatch(r"[A-Z_]+|[\w.-]+(\|[\w.-]+)*", option.group(2)), line
    assert not _TYPER_STYLES.search(text), _TYPER_STYLES.search(text)
