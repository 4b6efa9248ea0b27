"""Every `--format json` document of every command, on success and on failure, names its
schema in `$schema` and follows it; the envelope is the same everywhere."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest

from submitkit._version import __version__
from submitkit.render.schemas import DOCUMENTS
from tests.conftest import Cli, invoke_cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SUBS = EXAMPLES / "submissions"
MANIFEST = str(EXAMPLES / "manifest.json")
GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden" / "t50-small"


def _broken_golden(tmp: Path) -> str:
    """The golden submission with one mask that is not a PNG: the check blocks scoring."""
    sub = tmp / "broken"
    shutil.copytree(GOLDEN / "submission", sub)
    first = sorted(sub.rglob("*.png"))[0]
    first.write_bytes(b"not a png")
    return str(sub)


def _golden(_: Path) -> str:
    return str(GOLDEN / "submission")


Args = Callable[[Path], list[str]]
CASES: dict[str, tuple[Args, int]] = {
    "schemas check": (lambda t: ["schemas", "--check", "-o", str(REPO / "schemas")], 0),
    "schemas stale": (lambda t: ["schemas", "--check", "-o", str(t / "none")], 1),
    "docs check": (lambda t: ["docs", "--check", "--root", str(REPO)], 0),
    "bundle dry run": (
        lambda t: [
            *("bundle", "-o", str(t / "b.zip"), "--track", "50", "--protocol", "semi"),
            *("--ground-truth", str(GOLDEN / "dataset/ImageNetS50/validation-segmentation")),
            *("--start", "2026-02-01", "--dry-run"),
        ],
        0,
    ),
    "check ok": (lambda t: ["check", str(SUBS / "valid"), "--manifest", MANIFEST], 0),
    "check failed": (
        lambda t: ["check", str(SUBS / "broken/M003-grayscale"), "--manifest", MANIFEST],
        1,
    ),
    "pack ok": (
        lambda t: [
            "pack",
            str(SUBS / "valid"),
            "--manifest",
            MANIFEST,
            "--protocol",
            "semi",
            "-o",
            str(t / "s.zip"),
        ],
        0,
    ),
    "pack refused": (
        lambda t: [
            "pack",
            str(SUBS / "broken/M003-grayscale"),
            "--manifest",
            MANIFEST,
            "--protocol",
            "semi",
            "-o",
            str(t / "s.zip"),
        ],
        1,
    ),
    "fix ok": (
        lambda t: [
            "fix",
            str(SUBS / "broken/M003-grayscale"),
            "--manifest",
            MANIFEST,
            "-o",
            str(t / "fixed"),
        ],
        0,
    ),
    "fix failed": (
        lambda t: [
            "fix",
            str(SUBS / "broken/M001-jpeg-renamed-png"),
            "--manifest",
            MANIFEST,
            "-o",
            str(t / "fixed"),
        ],
        1,
    ),
    "evaluate ok": (
        lambda t: ["evaluate", _golden(t), "--dataset", str(GOLDEN / "dataset")],
        0,
    ),
    "evaluate with intervals": (
        lambda t: [
            "evaluate",
            _golden(t),
            "--dataset",
            str(GOLDEN / "dataset"),
            "--bootstrap",
            "50",
            "--confusions",
            "3",
        ],
        0,
    ),
    "compare ok": (
        lambda t: [
            "compare",
            _golden(t),
            _golden(t),
            "--dataset",
            str(GOLDEN / "dataset"),
            "--bootstrap",
            "50",
        ],
        0,
    ),
    "compare not compared": (
        lambda t: ["compare", _broken_golden(t), _golden(t), "--dataset", str(GOLDEN / "dataset")],
        1,
    ),
    "codes ok": (lambda t: ["codes", "M003"], 0),
    "table ok": (
        lambda t: ["table", _saved_counts(t), _saved_counts(t), "--bootstrap", "20"],
        0,
    ),
    "evaluate not scored": (
        lambda t: ["evaluate", _broken_golden(t), "--dataset", str(GOLDEN / "dataset")],
        1,
    ),
    "match ok": (
        lambda t: [
            "match",
            _golden(t),
            "--dataset",
            str(GOLDEN / "dataset"),
            "-o",
            str(t / "m.json"),
        ],
        0,
    ),
    "match not matched": (
        lambda t: [
            "match",
            _broken_golden(t),
            "--dataset",
            str(GOLDEN / "dataset"),
            "-o",
            str(t / "m.json"),
        ],
        1,
    ),
    "validate-files ok": (lambda t: ["validate-files", str(SUBS / "valid/method.txt")], 0),
    "validate-files failed": (
        lambda t: [
            "validate-files",
            str(next((SUBS / "broken").glob("T002-*")) / "method.txt"),
        ],
        1,
    ),
    "manifest ok": (
        lambda t: [
            "manifest",
            "--dataset",
            str(EXAMPLES / "dataset"),
            "--track",
            "50",
            "--split",
            "validation",
            "-o",
            str(t / "manifest.json"),
        ],
        0,
    ),
    "preview ok": (
        lambda t: [
            "preview",
            str(SUBS / "valid"),
            "--manifest",
            MANIFEST,
            "--count",
            "2",
            "-o",
            str(t / "sheet.png"),
        ],
        0,
    ),
}
"""manifest and preview have no findings that fail (exit 1); their errors are usage errors."""


def _schema(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
    return data


def _saved_counts(tmp: Path) -> str:
    """A counts file of the golden case (written once per test folder)."""
    out = tmp / "counts.json"
    if not out.exists():
        args = ["evaluate", _golden(tmp), "--dataset", str(GOLDEN / "dataset"), "--quiet"]
        assert invoke_cli([*args, "--save-counts", str(out)]).exit_code == 0
    return str(out)


@pytest.mark.parametrize("case", sorted(CASES))
def test_json_document_follows_the_schema_it_names(case: str, tmp_path: Path, cli: Cli) -> None:
    make_args, code = CASES[case]
    args = make_args(tmp_path)
    result = cli([*args, "--format", "json"])
    assert result.exit_code == code, result.output
    document = json.loads(result.stdout)
    assert list(document)[:4] == ["$schema", "kind", "schema_version", "tool"]
    assert document["kind"] == args[0]
    assert document["tool"] == f"submitkit {__version__}"
    jsonschema.validate(document, _schema(document["$schema"]))


def test_every_command_with_json_output_is_covered() -> None:
    kinds = {document.kind for document in DOCUMENTS}
    # score's documents need a built bundle and a platform's INPUT: tests/workflows/test_server.py
    # validates them against score.schema.json.
    assert kinds == {case.split()[0] for case in CASES} | {"score"}


def test_embedded_check_report_on_the_failure_path(tmp_path: Path, cli: Cli) -> None:
    args = ["evaluate", _broken_golden(tmp_path), "--dataset", str(GOLDEN / "dataset")]
    document = json.loads(cli([*args, "--format", "json"]).stdout)
    assert document["scores"] is None
    assert document["check"]["status"] == "FAILED"
    assert "$schema" not in document["check"], "the envelope is only at the top"


@pytest.mark.parametrize("command", ["evaluate", "match", "fix", "preview", "manifest"])
def test_github_format_only_where_it_means_something(command: str, cli: Cli) -> None:
    result = cli([command, "x", "--format", "github"])
    assert result.exit_code == 2
    assert "github" in result.output


def test_usage_errors_print_no_document(tmp_path: Path, cli: Cli) -> None:
    result = cli(["check", str(tmp_path / "nope"), "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == "" or not result.stdout.lstrip().startswith("{")
    assert os.fspath(tmp_path / "nope") in result.output
