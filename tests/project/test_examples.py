"""The committed examples: valid ones pass, each broken one raises exactly its code.

Every folder or zip below examples/submissions/ is discovered by glob. Its name
carries the code it must raise (``broken/M003-grayscale``); examples/examples.json,
written by examples/make_examples.py, adds the flags it is checked with, the file
its diagnostic must name and any code that legitimately comes along.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import submitkit
from submitkit.core.diagnostics import Code, Severity
from tests.conftest import Cli, invoke_cli, run_submitkit

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SUBMISSIONS = EXAMPLES / "submissions"
MANIFEST = EXAMPLES / "manifest.json"
REPORT_SCHEMA = REPO / "schemas" / "report.schema.json"
NAME = re.compile(r"^(?P<code>[A-Z]\d{3})-[a-z0-9]+(?:-[a-z0-9]+)*(?:\.zip)?$")
GENERATED = ("dataset", "submissions", "manifest.json", "examples.json", "README.md")

INDEX: dict[str, dict[str, Any]] = {
    entry["name"]: entry
    for entry in json.loads((EXAMPLES / "examples.json").read_text(encoding="utf-8"))["examples"]
}


def _discover(pattern: str) -> list[str]:
    return sorted(p.relative_to(SUBMISSIONS).as_posix() for p in SUBMISSIONS.glob(pattern))


VALID = _discover("valid*")
BROKEN = _discover("broken/*")
WARN = _discover("warn/*")
INFO = _discover("info/*")
ALL = VALID + BROKEN + WARN + INFO


def _code_of(name: str) -> Code:
    match = NAME.match(name.split("/", 1)[1])
    assert match is not None, f"{name} is not named <CODE>-<slug>[.zip]"
    return Code(match.group("code"))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No [tool.submitkit] of a surrounding pyproject.toml, no SUBMITKIT_* settings."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("SUBMITKIT_"):
            monkeypatch.delenv(key)


def cli_check(name: str, *extra: str) -> tuple[int, dict[str, Any]]:
    """Run `submitkit check --format json` on one example; its exit code and report."""
    args = [
        "check",
        str(SUBMISSIONS / name),
        "--manifest",
        str(MANIFEST),
        "--format",
        "json",
        "--quiet",
        "--jobs",
        "1",
        *INDEX[name]["args"],
        *extra,
    ]
    result = invoke_cli(args)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{name}: {result.exception!r}\n{result.output}"
    )
    assert result.exit_code in (0, 1), f"{name}: exit {result.exit_code}\n{result.output}"
    report = json.loads(result.stdout)
    if REPORT_SCHEMA.is_file():
        import jsonschema

        jsonschema.Draft202012Validator(
            json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
        ).validate(report)
    return result.exit_code, report


def _codes(report: dict[str, Any], severity: str | None = None) -> set[str]:
    return {
        d["code"] for d in report["diagnostics"] if severity is None or d["severity"] == severity
    }


# --- the catalogue itself ------------------------------------------------------------


def test_every_example_is_indexed() -> None:
    assert set(ALL) == set(INDEX), "examples.json and examples/submissions/ disagree"
    assert VALID == ["valid", "valid-unsupervised"]
    assert {p.name for p in SUBMISSIONS.iterdir()} == {*VALID, "broken", "warn", "info"}


def test_catalogue_covers_the_required_codes() -> None:
    required_errors = {
        "L001", "L004", "L005", "L007", "L008", "Z001", "Z002", "Z003", "Z004",
        "N001", "N002", "N003", "N004", "M001", "M002", "M003", "M004", "M005",
        "M006", "M007", "M008", "M009", "M010", "J001", "J002", "J003", "J004",
        "T002", "T003", "P001", "P002", "P003", "P004",
    }  # fmt: skip
    required_warnings = {"L002", "L003", "T001", "T004", "J006", "P005"}
    assert required_errors <= {_code_of(n).value for n in BROKEN}
    assert required_warnings <= {_code_of(n).value for n in WARN}
    # J005 is informational; J006 is too where over-clustering is legitimate.
    assert {"J005", "J006"} <= {_code_of(n).value for n in INFO}
    zips = {_code_of(n).value for n in BROKEN if n.endswith(".zip")}
    assert {"L001", "Z001", "Z002", "Z003", "Z004"} <= zips


@pytest.mark.parametrize("name", BROKEN)
def test_broken_names_an_error_code(name: str) -> None:
    code = _code_of(name)
    assert code.severity is Severity.error
    assert INDEX[name]["code"] == code.value


@pytest.mark.parametrize("name", WARN)
def test_warn_names_a_warning_code(name: str) -> None:
    # T001 is an error its policy lowers on the validation split the examples are made for.
    code = _code_of(name)
    assert code.policy.judge(code.severity, "validation") is Severity.warning
    assert INDEX[name]["code"] == code.value


@pytest.mark.parametrize("name", INFO)
def test_info_names_a_code(name: str) -> None:
    # J006 is a warning that a protocol rule lowers to info: judged by the report below.
    assert INDEX[name]["code"] == _code_of(name).value


def test_examples_are_small() -> None:
    total = sum(p.stat().st_size for p in EXAMPLES.rglob("*") if p.is_file())
    assert total < 1_000_000, f"examples/ holds {total:,} bytes"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_examples", EXAMPLES / "make_examples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses resolve string annotations through sys.modules.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def _tree(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for top in GENERATED:
        path = root / top
        items = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for item in items:
            files[item.relative_to(root).as_posix()] = item.read_bytes()
    return files


def test_committed_examples_match_the_generator(tmp_path: Path) -> None:
    _load_generator().generate(tmp_path / "out")
    want = _tree(tmp_path / "out")
    have = _tree(EXAMPLES)
    assert sorted(have) == sorted(want), "rerun `python examples/make_examples.py`"
    differ = [name for name in want if have[name] != want[name]]
    assert not differ, f"stale examples (rerun examples/make_examples.py): {differ[:10]}"


def test_generator_is_rerunnable(tmp_path: Path) -> None:
    generator = _load_generator()
    generator.generate(tmp_path)
    first = _tree(tmp_path)
    (tmp_path / "submissions" / "leftover").mkdir()
    generator.generate(tmp_path)
    assert _tree(tmp_path) == first
    assert not (tmp_path / "submissions" / "leftover").exists()


# --- checking them --------------------------------------------------------------------


@pytest.mark.parametrize("name", VALID)
def test_valid_passes(name: str) -> None:
    status, report = cli_check(name)
    assert status == 0, report["diagnostics"]
    assert report["diagnostics"] == []
    assert report["status"] == "PASSED"
    assert (report["track"], report["split"]) == (50, "validation")
    assert report["counts"]["predictions"] == report["counts"]["expected"] == 12
    strict_status, _ = cli_check(name, "--strict")
    assert strict_status == 0
    quick_status, quick_report = cli_check(name, "--quick")
    assert quick_status == 0
    assert quick_report["diagnostics"] == []


@pytest.mark.parametrize("name", BROKEN)
def test_broken_fails_with_its_code(name: str) -> None:
    entry = INDEX[name]
    code = _code_of(name).value
    status, report = cli_check(name)
    assert status == 1
    assert report["status"] == "FAILED"
    assert code in _codes(report), report["diagnostics"]
    ours = [d for d in report["diagnostics"] if d["code"] == code]
    faulty = entry["file"]
    if faulty == "":
        assert any(d["path"] == "" for d in ours), ours
    else:
        assert any(faulty in d["path"] for d in ours), (faulty, ours)
    others = _codes(report, "error") - {code} - set(entry["also"])
    assert not others, f"{name} raises more than its one fault: {report['diagnostics']}"
    assert not _codes(report, "warning") - set(entry["also"]), report["diagnostics"]
    assert not _codes(report, "info") - set(entry["also"]), report["diagnostics"]


@pytest.mark.parametrize("name", WARN)
def test_warning_passes_unless_strict(name: str) -> None:
    entry = INDEX[name]
    code = _code_of(name).value
    status, report = cli_check(name)
    assert status == 0, report["diagnostics"]
    assert report["status"] == "PASSED with warnings"
    assert _codes(report) == {code}, report["diagnostics"]
    assert any(entry["file"] in d["path"] for d in report["diagnostics"])
    strict_status, strict_report = cli_check(name, "--strict")
    assert strict_status == 1
    assert strict_report["status"] == "FAILED"


@pytest.mark.parametrize("name", INFO)
def test_info_passes_even_when_strict(name: str) -> None:
    entry = INDEX[name]
    code = _code_of(name).value
    for extra in ((), ("--strict",)):
        status, report = cli_check(name, *extra)
        assert status == 0, report["diagnostics"]
        assert report["status"] == "PASSED"
        assert {(d["code"], d["severity"]) for d in report["diagnostics"]} == {(code, "info")}
        assert all(entry["file"] in d["path"] for d in report["diagnostics"])


@pytest.mark.parametrize("name", ALL)
def test_api_agrees_with_the_cli(name: str) -> None:
    flags = INDEX[name]["args"]
    assert flags == [] or (len(flags) == 2 and flags[0] == "--protocol"), flags
    protocol = flags[1] if flags else None
    report = submitkit.check(SUBMISSIONS / name, manifest=MANIFEST, protocol=protocol, jobs=1)
    _, cli_report = cli_check(name)
    assert {c.value for c in report.codes()} == _codes(cli_report)
    assert report.exit_code == (1 if name.startswith("broken/") else 0)


PIXEL_CODES = {"M002", "M008", "M009", "M010", "J004", "Z006"}
"""Faults that show only when a whole mask is read and decoded, not in --quick mode."""


@pytest.mark.parametrize("name", [n for n in BROKEN if _code_of(n).value not in PIXEL_CODES])
def test_quick_mode_finds_layout_header_and_text_faults(name: str) -> None:
    status, report = cli_check(name, "--quick")
    assert status == 1
    assert report["mode"] == "quick"
    assert _code_of(name).value in _codes(report)
    assert _codes(report, "error") <= {_code_of(name).value, *INDEX[name]["also"]}


def test_valid_passes_against_the_dataset_copy(cli: Cli) -> None:
    """Sizes from the example JPEG headers agree with the manifest's."""
    args = ["check", str(SUBMISSIONS / "valid"), "--dataset", str(EXAMPLES / "dataset")]
    args += ["--protocol", "semi", "--format", "json", "--quiet"]
    result = cli(args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    # Names from a partial dataset copy only: the one warning says so.
    assert _codes(report) == {"D001"}
    assert "mask sizes against the source images" in report["verified"]


def test_json_report_has_a_schema() -> None:
    assert REPORT_SCHEMA.is_file(), "run `submitkit schemas` and commit schemas/"
    schema = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    assert schema["$schema"].endswith("2020-12/schema")


def test_module_entry_point(tmp_path: Path) -> None:
    base = ["check", "--manifest", str(MANIFEST), "-q"]
    ok = run_submitkit(
        [*base, str(SUBMISSIONS / "valid"), "--protocol", "semi"], cwd=tmp_path, text=True
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "PASSED" in ok.stdout
    bad = run_submitkit(
        [*base, str(SUBMISSIONS / "broken" / "M003-grayscale"), "--protocol", "semi"],
        cwd=tmp_path, text=True,
    )  # fmt: skip
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "M003" in bad.stdout
    usage = run_submitkit(
        [*base, str(SUBMISSIONS / "valid"), "--track", "300"], cwd=tmp_path, text=True
    )
    assert usage.returncode == 2, usage.stdout + usage.stderr


def _cli_text(name: str, *extra: str) -> str:
    args = ["check", str(SUBMISSIONS / name), "--manifest", str(MANIFEST), "--quiet"]
    result = invoke_cli([*args, "--jobs", "1", *INDEX[name]["args"], *extra])
    return result.stdout


@pytest.mark.parametrize("name", WARN + INFO)
def test_a_finding_has_one_severity_in_text_json_counts_and_quick(name: str) -> None:
    # J006 under the fully unsupervised protocol is info: its text header, the JSON,
    # the counts and --quick (which verifies less, but judges match.json the same) agree.
    code = _code_of(name).value
    _, report = cli_check(name)
    severities = {d["severity"] for d in report["diagnostics"] if d["code"] == code}
    assert len(severities) == 1, report["diagnostics"]
    severity = severities.pop()
    text = _cli_text(name)
    assert f"{code} {severity} " in text, text
    warnings = sum(1 for d in report["diagnostics"] if d["severity"] == "warning")
    assert report["warnings"] == warnings
    assert f"0 error(s), {warnings} warning(s)" in text
    if code in PIXEL_CODES or code == "J005":  # which keys the masks use needs their pixels
        return
    _, quick = cli_check(name, "--quick")
    assert {(d["code"], d["severity"]) for d in quick["diagnostics"]} >= {(code, severity)}
    assert f"{code} {severity} " in _cli_text(name, "--quick")
