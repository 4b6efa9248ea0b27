"""The catalogue carries each code's policy; commands read it, never the code's letter."""

from __future__ import annotations

from pathlib import Path

from submitkit.core.diagnostics import Code, Severity
from submitkit.workflows.validation import blocks_scoring


def test_method_findings_never_block_scoring_and_are_rejudged_by_pack() -> None:
    for code in Code:
        if code.policy.pack_rejudges:
            assert not code.policy.blocks_scoring, code


def test_blocking_follows_the_policy_not_the_letter() -> None:
    assert blocks_scoring(Code.MODE_GRAYSCALE.at("a.png", "m", "h"))
    assert not blocks_scoring(Code.METHOD_MISSING.at("method.txt", "m", "h"))
    assert not blocks_scoring(Code.METHOD_MISNAMED.at("Method.txt", "m", "h"))
    # A warning never blocks, whatever its code's policy.
    assert not blocks_scoring(Code.MODE_GRAYSCALE.at("a.png", "m", "h", Severity.warning))


def test_pack_repairs_exactly_the_layout_faults_it_leaves_behind() -> None:
    repaired = {c for c in Code if c.policy.pack_repairs}
    assert repaired == {Code.ENCLOSING_FOLDER, Code.JUNK_FILE, Code.STRAY_FILE}


def test_only_the_missing_description_is_lowered_on_validation() -> None:
    # Validation predictions are not submissions: the official evaluator reads no method.txt
    # there and PASS writes none; every other code is judged the same on every split.
    lowered = {c for c in Code if c.policy.on_validation is not None}
    assert lowered == {Code.METHOD_MISSING}
    policy = Code.METHOD_MISSING.policy
    assert policy.judge(Severity.error, "validation") is Severity.warning
    assert policy.judge(Severity.error, "test") is Severity.error
    assert policy.judge(Severity.error, None) is Severity.error
    # Lowering never raises a finding a rule already made milder.
    assert policy.judge(Severity.info, "validation") is Severity.info


def test_a_missing_method_txt_is_an_error_on_test_and_a_warning_on_validation(
    tmp_path: Path,
) -> None:
    import json

    import submitkit
    from submitkit.benchmark.tracks import Split
    from submitkit.inputs.manifest import manifest_from_names

    examples = Path(__file__).resolve().parents[2] / "examples"
    submission = examples / "submissions" / "warn" / "T001-no-method-txt"
    listed = json.loads((examples / "manifest.json").read_text(encoding="utf-8"))
    for split, severity, exit_code in (
        (Split.validation, Severity.warning, 0),
        (Split.test, Severity.error, 1),
    ):
        manifest = tmp_path / f"{split.value}.json"
        manifest_from_names(
            50, split, listed["images"], listed["images"], listed["categories"]
        ).save(manifest)
        report = submitkit.check(submission, manifest=manifest, protocol="semi", jobs=1)
        assert [(d.code, d.severity) for d in report.diagnostics] == [
            (Code.METHOD_MISSING, severity)
        ]
        assert report.exit_code == exit_code
