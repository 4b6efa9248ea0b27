from __future__ import annotations

from submitkit.benchmark.tracks import Split
from submitkit.checks.names import count_findings, duplicate_findings, name_findings
from submitkit.core.diagnostics import Code

EXPECTED = ["n1/a", "n1/b", "n2/c", "n2/d"]


def preds(*keys: str) -> dict[str, str]:
    return {k: k + ".png" for k in keys}


def test_all_present() -> None:
    assert name_findings(preds(*EXPECTED), [], EXPECTED) == []


def test_missing_and_extra() -> None:
    found = name_findings(preds("n1/a", "n1/b", "n2/c", "n2/zz"), [], EXPECTED)
    assert [(d.code, d.path) for d in found] == [
        (Code.EXTRA_PREDICTION, "n2/zz.png"),
        (Code.MISSING_PREDICTION, "n2/d.png"),
    ]


def test_wrong_folder_is_not_also_missing() -> None:
    found = name_findings(preds("n1/a", "n1/b", "n2/c", "n1/d"), [], EXPECTED)
    assert [(d.code, d.path) for d in found] == [(Code.WRONG_FOLDER, "n1/d.png")]
    assert "n2/" in found[0].message


def test_misnamed_is_not_also_missing() -> None:
    assert name_findings(preds("n1/a", "n1/b", "n2/c"), ["n2/d"], EXPECTED) == []


def test_duplicate_stem() -> None:
    found = duplicate_findings(preds("n1/a", "n2/a"))
    assert [d.code for d in found] == [Code.DUPLICATE_STEM, Code.DUPLICATE_STEM]
    assert {d.path for d in found} == {"n1/a.png", "n2/a.png"}


def test_count_against_table() -> None:
    assert count_findings(1682, 50, Split.test) == []
    (diag,) = count_findings(1681, 50, Split.test)
    assert diag.code is Code.COUNT_MISMATCH and "1682" in diag.message
