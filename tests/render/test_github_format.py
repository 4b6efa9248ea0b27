"""`--format github`: one workflow annotation per finding, escaped as the Actions runner expects."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import Result

from submitkit.checks.report import Report
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.render.github import (
    PER_SEVERITY,
    github_data,
    github_file,
    github_property,
    render_github,
)
from tests.conftest import Cli, invoke_cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
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
    # A finding never carries a raw line break (docs/security.md): it arrives escaped.
    assert _unescape(message) == "100% gray\\x0asecond line — fix: encode: RGB"
    second = ANNOTATION.match(lines[1])
    assert second is not None and second.group(1) == "warning"
    assert lines[2] == "FAILED: 1 error(s), 1 warning(s)"


def _example(name: str) -> Path:
    path = EXAMPLES / "submissions" / name
    assert path.exists(), f"example {name} missing: run examples/make_examples.py"
    return path


def check_github(sub: Path, *extra: str) -> Result:
    args = ["check", str(sub), "--manifest", str(EXAMPLES / "manifest.json")]
    return invoke_cli([*args, "--protocol", "semi", "--format", "github", *extra])


def test_check_format_github_marks_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
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


def test_pack_format_github_annotates_what_blocks_packing(tmp_path: Path, cli: Cli) -> None:
    sub = _example("broken/M003-grayscale")
    result = cli(
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


def test_validate_files_github_annotations(cli: Cli) -> None:
    broken = next((EXAMPLES / "submissions" / "broken").glob("T002-*")) / "method.txt"
    result = cli(["validate-files", str(broken), "--format", "github"])
    assert result.exit_code == 1
    line, status = result.stdout.splitlines()
    assert line.startswith(f"::error file={broken.as_posix()},title=T002 METHOD_FIELD_MISSING::")
    assert status.startswith("FAILED: 1 file(s), 1 error(s)")


def _many(code: Code, n: int, prefix: str = "n01/") -> list[Diagnostic]:
    return [code.at(f"{prefix}{i:04d}.png", f"finding {i}", "do the fix") for i in range(n)]


def test_at_most_ten_annotations_per_severity_then_one_per_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report = Report(submission="sub", container="folder")
    report.diagnostics = [
        *_many(Code.MODE_GRAYSCALE, 1682),
        *_many(Code.MODE_PALETTE, 3),
        *_many(Code.JUNK_FILE, 4),
    ]
    lines = render(report)
    errors = [line for line in lines if line.startswith("::error")]
    warnings = [line for line in lines if line.startswith("::warning")]
    assert len(errors) == 2, "more than 10 errors: one annotation per code"
    assert "1682 findings" in errors[0] and "title=M003 MODE_GRAYSCALE" in errors[0]
    assert len(warnings) == 4, "4 warnings: one per finding"
    assert lines[-1].startswith("FAILED: 1685 error(s), 4 warning(s)")
    text = summary.read_text(encoding="utf-8")
    assert "| M003 | MODE_GRAYSCALE | error | 1682 |" in text
    assert text.count("- `n01/") == 1682 + 3 + 4, "every finding is in the job summary"


def test_more_codes_than_the_limit_end_in_one_summing_annotation() -> None:
    report = Report(submission="sub", container="folder")
    codes = [c for c in Code if c.severity.value == "error"][:12]
    report.diagnostics = [d for code in codes for d in _many(code, 2)]
    errors = [line for line in render(report) if line.startswith("::error")]
    assert len(errors) == PER_SEVERITY
    assert "more findings of 3 codes" in _unescape(errors[-1])


def test_summary_appends_and_escapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report = Report(submission="sub", container="folder")
    report.diagnostics = [Code.JUNK_FILE.at("a|b`<x>.png", "<script> | pipe", "delete it")]
    render(report)
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## submitkit check `sub`")
    assert "<script>" not in text and "&lt;script&gt; \\| pipe" in text


def test_no_summary_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    report = Report(submission="sub", container="folder")
    report.diagnostics = [Code.JUNK_FILE.at(".DS_Store", "junk", "delete it")]
    assert len(render(report)) == 2


def test_zip_members_are_annotated_on_the_zip() -> None:
    report = Report(submission="runs/sub.zip", container="zip")
    report.diagnostics = [Code.MODE_GRAYSCALE.at("n01/a.png", "grayscale", "encode as RGB")]
    match = ANNOTATION.match(render(report)[0])
    assert match is not None
    assert _unescape(match.group(2)) == "runs/sub.zip"
    assert _unescape(match.group(5)).startswith("n01/a.png: grayscale")


def test_method_txt_findings_carry_their_line(cli: Cli) -> None:
    broken = next((EXAMPLES / "submissions" / "broken").glob("T003-*")) / "method.txt"
    result = cli(["validate-files", str(broken), "--format", "github"])
    annotation = ANNOTATION.match(result.stdout.splitlines()[0])
    assert annotation is not None and annotation.group(3) is not None
    number = int(annotation.group(3))
    assert "line " + str(number) in _unescape(annotation.group(5))


def test_paths_are_relative_to_the_github_workspace(monkeypatch: pytest.MonkeyPatch) -> None:
    # GitHub matches an annotation to a file by its path in the repository.
    monkeypatch.setenv("GITHUB_WORKSPACE", str(EXAMPLES.parent))
    result = check_github(_example("broken/M003-grayscale").resolve(), "--quiet")
    (annotation,) = [line for line in result.output.splitlines() if line.startswith("::")]
    match = ANNOTATION.match(annotation)
    assert match is not None
    want = "examples/submissions/broken/M003-grayscale/n20000519/ILSVRC2012_val_00023959.png"
    assert _unescape(match.group(2)) == want
    monkeypatch.setenv("GITHUB_WORKSPACE", "/somewhere/else")
    assert github_file("/data/sub", "a.png") == "/data/sub/a.png"


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("broken/P001-supervised-weights", "Supervised pre-trained weights:"),
        ("broken/P004-declared-protocol", "Protocol:"),
    ],
)
def test_protocol_findings_carry_their_method_txt_line(
    name: str, field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    sub = _example(name)
    text = (sub / "method.txt").read_text(encoding="utf-8").splitlines()
    want = next(i for i, line in enumerate(text, 1) if line.startswith(field))
    result = check_github(sub, "--quiet")
    found = [ANNOTATION.match(line) for line in result.output.splitlines()]
    lines = [m.group(3) for m in found if m and m.group(4).startswith("P00")]
    assert lines == [str(want)], result.output
