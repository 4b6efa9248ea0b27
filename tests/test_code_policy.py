"""The catalogue carries each code's policy; commands read it, never the code's letter."""

from __future__ import annotations

from submitkit.core.diagnostics import Code, Severity
from submitkit.workflows.score import blocks_scoring


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
