"""`--format github`: one workflow annotation per finding, escaped as the Actions runner expects."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner, Result

from submitkit.checks.report import Report
from submitkit.cli.app import app
from submitkit.core.diagnostics import Code
from submitkit.render.github import (
    github_data,
    github_file,
    github_property,
    render_github,
)

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
runner = CliRunner()
ANNOTATION = re.compile(
    r"^::(error|warning|notice) file=([^,:]*),(?:line=(\d+),)?title=([^,:]*)::(.*)$"
)


def render(report: Report) -> list[str]:
    buffer = io.StringIO()
    console = Console(file=buffer, soft_wrap=True, highlight=False, width=80)
    render_github(report, console)
    return buffer.getvalue().splitlines()


def _unescape(text: str) -> str:
    # What the runner does with a command's message (and, with %3A/%2C, its properties).
    for code, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, char)
    return text


def test_escaping() -> None:
    assert github_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert github_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"
    # %25 first: an escaped text must not be escaped twice.
    assert github_data("%0A") == "%250A"


def test_file_is_the_submission_joined_with_the_finding_path() -> None:
    assert github_file("subs/run1", "n01443537/a.png") == "subs/run1/n01443537/a.png"
    assert github_file("./subs/run1/", "results/") == "subs/run1/results"
    assert github_file("run.zip", "") == "run.zip"
    assert github_file("C:\\work\\sub", "n1/a.png") == "C:/work/sub/n1/a.png"


def test_one_annotation_per_finding_with_every_special_character() -> None:
    report = Report(submission="my, sub:1", container="folder")
    report.diagnostics = [
        Code.MODE_GRAYSCALE.at("n01443537/a,b:c.png", "100% gray\nsecond line", "encode: RGB"),
        Code.JUNK_FILE.at(".DS_Store", "junk", "delete it"),
    ]
    lines = render(report)
    assert len(lines) == 3
    first = ANNOTATION.match(lines[0])
    assert first is not None, lines[0]
    kind, file, _line, title, message = first.groups()
    assert kind == "error"
    assert _unescape(file) == "my, sub:1/n01443537/a,b:c.png"
    assert _unescape(title) == "M003 MODE_GRAYSCALE"
    assert _unescape(message) == "100% gray\nsecond line — fix: encode: RGB"
    second = ANNOTATION.match(lines[1])
    assert second is not None and second.group(1) == "warning"
    assert lines[2] == "FAILED: 1 error(s), 1 warning(s)"


def _example(name: str) -> Path:
    path = EXAMPLES / "submissions" / name
    assert path.exists(), f"example {name} missing: run examples/make_examples.py"
    return path


def check_github(sub: Path, *extra: str) -> Result:
    args = ["check", str(sub), "--manifest", str(EXAMPLES / "manifest.json")]
    return runner.invoke(app, [*args, "--protocol", "semi", "--format", "github", *extra])


def test_check_format_github_marks_the_file() -> None:
    sub = _example("broken/M003-grayscale")
    result = check_github(sub, "--quiet")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    annotations = [line for line in lines if line.startswith("::")]
    assert len(annotations) == 1
    match = ANNOTATION.match(annotations[0])
    assert match is not None
    assert _unescape(match.group(2)) == f"{sub}/n20000519/ILSVRC2012_val_00023959.png"
    assert match.group(4) == "M003 MODE_GRAYSCALE"
    assert " — fix: " in match.group(5)
    assert lines[-1].startswith("FAILED")


def test_check_format_github_warnings_and_passing_exit_code() -> None:
    sub = _example("warn/L002-ds-store")
    result = check_github(sub)
    assert result.exit_code == 0
    annotations = [line for line in result.output.splitlines() if line.startswith("::")]
    assert len(annotations) == 1 and annotations[0].startswith("::warning file=")
    assert "title=L002 JUNK_FILE::" in annotations[0]


def test_pack_format_github_annotates_what_blocks_packing(tmp_path: Path) -> None:
    sub = _example("broken/M003-grayscale")
    result = runner.invoke(
        app,
        [
            "pack",
            str(sub),
            "--manifest",
            str(EXAMPLES / "manifest.json"),
            "--protocol",
            "semi",
            "-o",
            str(tmp_path / "s.zip"),
            "--format",
            "github",
        ],
    )
    assert result.exit_code == 1
    annotations = [line for line in result.output.splitlines() if line.startswith("::")]
    assert len(annotations) == 1 and "title=M003 MODE_GRAYSCALE::" in annotations[0]
    assert not (tmp_path / "s.zip").exists()


def test_validate_files_github_annotations() -> None:
    broken = next((EXAMPLES / "submissions" / "broken").glob("T002-*")) / "method.txt"
    result = CliRunner().invoke(app, ["validate-files", str(broken), "--format", "github"])
    assert result.exit_code == 1
    line, status = result.stdout.splitlines()
    assert line.startswith(f"::error file={broken.as_posix()},title=T002 METHOD_FIELD_MISSING::")
    assert status.startswith("FAILED: 1 file(s), 1 error(s)")
