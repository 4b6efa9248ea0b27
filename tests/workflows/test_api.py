"""The Python API returns what the commands print: the same documents, the same errors."""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import submitkit
from submitkit.core.errors import EnvironmentProblem, SubmitkitError, UsageError
from tests.conftest import invoke_cli

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "fixtures" / "golden"
EXAMPLES = REPO / "examples"
MANIFEST = EXAMPLES / "manifest.json"
VALID = EXAMPLES / "submissions" / "valid"
FUNCTIONS = ("check", "evaluate", "match", "compare", "pack", "fix")


def cli_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = invoke_cli([*args, "--format", "json", "--quiet"])
    assert result.stdout.startswith("{"), result.stdout + result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, data


def cli_error(*args: str) -> str:
    result = invoke_cli([*args, "--quiet"])
    assert result.exit_code == 2, result.stdout + result.stderr
    return " ".join(result.stderr.split())


def same(document: Any, printed: dict[str, Any], outputs: tuple[Path, Path] | None = None) -> None:
    """The API's document is the printed one, envelope aside; ``outputs`` (the API's and
    the command's output paths) are the one legitimate difference."""
    assert printed["$schema"] == document.schema_file and printed["kind"] == document.kind
    ours = json.dumps(document.model_dump(mode="json"), sort_keys=True)
    theirs = json.dumps(
        {k: v for k, v in printed.items() if k not in document.envelope()}, sort_keys=True
    )
    if outputs is not None:
        assert str(outputs[0]) in ours and str(outputs[1]) in theirs
        ours, theirs = ours.replace(str(outputs[0]), "OUT"), theirs.replace(str(outputs[1]), "OUT")
    assert ours == theirs


def golden(case: str) -> tuple[Path, Path]:
    return GOLDEN / case / "submission", GOLDEN / case / "dataset"


def test_every_function_is_listed_typed_and_keyword_only() -> None:
    for name in (*FUNCTIONS, "Evaluator", "SubmissionWriter", "SubmitkitError"):
        assert name in submitkit.__all__
        assert name in dir(submitkit)
        assert getattr(submitkit, name) is not None
    public = [n for n in dir(submitkit) if not n.startswith("_")]
    assert public == sorted(n for n in submitkit.__all__ if not n.startswith("_"))  # no helpers
    for name in FUNCTIONS:
        signature = inspect.signature(getattr(submitkit, name))
        params = list(signature.parameters.values())
        positional = [p for p in params if p.kind is not inspect.Parameter.KEYWORD_ONLY]
        assert len(positional) <= 2, name  # the submission (compare: runs a and b)
        assert all(p.annotation != inspect.Parameter.empty for p in params), name
        assert signature.return_annotation != inspect.Signature.empty, name
    with pytest.raises(AttributeError, match="no attribute 'evaluat'"):
        submitkit.evaluat  # noqa: B018


def test_evaluate_equals_the_command_json() -> None:
    sub, dataset = golden("t50-real")
    code, printed = cli_json("evaluate", str(sub), "--dataset", str(dataset), "--bootstrap", "50")
    document = submitkit.evaluate(str(sub), dataset=str(dataset), bootstrap=50)
    assert code == 0 and document.scores is not None
    same(document, printed)
    assert document.to_document() == printed


def test_evaluate_with_a_failed_check_returns_the_same_report(tmp_path: Path) -> None:
    sub, dataset = golden("t50-small")
    broken = shutil.copytree(sub, tmp_path / "sub")
    next(broken.rglob("*.png")).unlink()
    code, printed = cli_json("evaluate", str(broken), "--dataset", str(dataset))
    document = submitkit.evaluate(broken, dataset=dataset)
    assert code == 1 and document.scores is None and document.is_failure()
    same(document, printed)
    assert "N001" in {d.code.value for d in document.check.diagnostics}


def test_match_equals_the_command_json(tmp_path: Path) -> None:
    sub, dataset = golden("t50-small")
    unsup = sub.parent / "submission-unsup"
    cli_out, api_out = tmp_path / "cli.json", tmp_path / "api.json"
    code, printed = cli_json("match", str(unsup), "-o", str(cli_out), "--dataset", str(dataset))
    document = submitkit.match(unsup, output=api_out, dataset=dataset)
    assert code == 0 and document.mapping is not None
    same(document, printed, (api_out, cli_out))
    assert api_out.read_bytes() == cli_out.read_bytes()


def test_compare_equals_the_command_json(tmp_path: Path) -> None:
    sub, dataset = golden("t50-small")
    other = sub.parent / "submission-unsup"
    args = [str(sub), str(other), "--dataset", str(dataset), "--bootstrap", "40", "--seed", "3"]
    code, printed = cli_json("compare", *args)
    document = submitkit.compare(sub, other, dataset=dataset, bootstrap=40, seed=3)
    assert code == 0 and document.metrics
    same(document, printed)


def test_check_pack_and_fix_equal_the_commands_json(tmp_path: Path) -> None:
    code, printed = cli_json("check", str(VALID), "--manifest", str(MANIFEST))
    report = submitkit.check(VALID, manifest=MANIFEST)
    assert code == 0
    same(report, printed)

    flags = ["--manifest", str(MANIFEST), "--protocol", "semi"]
    cli_zip, api_zip = tmp_path / "cli.zip", tmp_path / "api.zip"
    code, printed = cli_json("pack", str(VALID), "-o", str(cli_zip), *flags)
    packed = submitkit.pack(VALID, output=api_zip, manifest=MANIFEST, protocol="semi")
    assert code == 0
    same(packed, printed, (api_zip, cli_zip))
    assert api_zip.read_bytes() == cli_zip.read_bytes()

    broken = EXAMPLES / "submissions" / "broken" / "L004-upper-case-extension"
    cli_fix, api_fix = tmp_path / "cli-fixed", tmp_path / "api-fixed"
    code, printed = cli_json("fix", str(broken), "-o", str(cli_fix), "--manifest", str(MANIFEST))
    fixed = submitkit.fix(broken, output=api_fix, manifest=MANIFEST)
    assert code == 0
    same(fixed, printed, (api_fix, cli_fix))


@pytest.mark.parametrize(
    ("command", "call"),
    [
        (
            ["evaluate", "no-such-folder", "--dataset", str(GOLDEN / "t50-small" / "dataset")],
            lambda: submitkit.evaluate("no-such-folder", dataset=GOLDEN / "t50-small" / "dataset"),
        ),
        (
            ["evaluate", str(GOLDEN / "t50-small" / "submission")],
            lambda: submitkit.evaluate(GOLDEN / "t50-small" / "submission"),
        ),
        (
            ["check", str(VALID), "--manifest", "no-such-manifest.json"],
            lambda: submitkit.check(VALID, manifest="no-such-manifest.json"),
        ),
        (
            ["compare", "a", "b", "--bootstrap", "1"],
            lambda: submitkit.compare("a", "b", bootstrap=1),
        ),
    ],
    ids=["missing-submission", "no-ground-truth", "missing-manifest", "one-resample"],
)
def test_failures_raise_the_error_the_command_prints(command: list[str], call: Any) -> None:
    printed = cli_error(*command)
    with pytest.raises(SubmitkitError) as caught:
        call()
    assert isinstance(caught.value, (UsageError, EnvironmentProblem))
    assert f"error: {caught.value.message}" in printed


def test_a_bad_keyword_is_named_as_a_keyword() -> None:
    with pytest.raises(UsageError, match=r"the argument split= = 'train'"):
        submitkit.check(VALID, split="train")


def test_unset_arguments_come_from_the_environment_as_the_commands_flags_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SUBMITKIT_MANIFEST", str(MANIFEST))
    monkeypatch.setenv("SUBMITKIT_PROTOCOL", "unsupervised")
    report = submitkit.check(VALID)
    code, printed = cli_json("check", str(VALID))
    assert code == 1 and "P004" in {d.code.value for d in report.diagnostics}
    same(report, printed)
    assert submitkit.check(VALID, protocol="semi").status.value == "PASSED"  # keywords win
