"""No false positives on the golden cases: real toolbox-evaluated submissions.

Each golden case (tests/fixtures/golden, else /work/shared/golden) holds a small
synthetic ImageNet-S validation set and three submissions the official evaluator
scored: ground-truth ids, permuted cluster ids with match.json, and 2K cluster
ids (over-clustering) with match.json. They ship no method.txt, as PASS writes none
for validation predictions: T001 is the one warning they raise (validation predictions
are scored, not uploaded); no error, and anything else only where it is verifiably true.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import submitkit
from submitkit.benchmark.tracks import Split
from submitkit.inputs.manifest import Manifest, manifest_from_names
from submitkit.inputs.png import decode

REPO = Path(__file__).resolve().parents[2]
CANDIDATES = (REPO / "tests" / "fixtures" / "golden", Path("/work/shared/golden"))
GOLDEN = next((c for c in CANDIDATES if (c / "t50-small").is_dir()), None)
CASES = ("t50-small", "t50-real", "t919-small")
VARIANTS = ("submission", "submission-unsup", "submission-overcluster")


def _case_dir(case: str) -> Path:
    assert GOLDEN is not None, f"golden cases not found in {' or '.join(map(str, CANDIDATES))}"
    return GOLDEN / case


def _k(case: str) -> int:
    found = re.match(r"t(\d+)-", case)
    assert found is not None
    return int(found.group(1))


def _categories(k: int) -> list[str]:
    """The made-up wnids of a K-class golden case: n10000000 + 7919*i."""
    return [f"n{10000000 + 7919 * i:08d}" for i in range(k)]


def _manifest(case_dir: Path, k: int) -> Manifest:
    lines = (case_dir / "names.txt").read_text(encoding="utf-8").splitlines()
    names = [line.split()[0].rsplit(".", 1)[0] for line in lines if line.strip()]
    raw = json.loads((case_dir / "sizes.json").read_text(encoding="utf-8"))
    sizes = {name: (int(h), int(w)) for name, (h, w) in raw.items()}
    return manifest_from_names(k, Split.validation, names, sizes, _categories(k), "golden")


@pytest.fixture(params=CASES)
def case(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path, Path]:
    """(case name, case folder, manifest file) of one golden case."""
    name: str = request.param
    case_dir = _case_dir(name)
    path = tmp_path / f"{name}.manifest.json"
    _manifest(case_dir, _k(name)).save(path)
    return name, case_dir, path


def _used_ids(submission: Path) -> set[int]:
    used: set[int] = set()
    for mask in submission.glob("*/*.png"):
        with Image.open(mask) as image:
            used.update(int(i) for i in np.unique(decode(np.asarray(image.convert("RGB")))))
    return used


def _true_findings(submission: Path) -> set[str]:
    """The match.json findings a correct checker raises for a golden submission."""
    match_file = submission / "match.json"
    if not match_file.is_file():
        return set()
    match = {int(key): value for key, value in json.loads(match_file.read_text()).items()}
    expected = set()
    if set(match) - {0} - _used_ids(submission):
        expected.add("J005")  # the official match.py writes a key for every cluster id
    targets = [value for key, value in match.items() if key != 0]
    if len(targets) != len(set(targets)):
        expected.add("J006")
    return expected


@pytest.mark.parametrize("case_name", CASES)
def test_case_folders_follow_the_made_up_wnids(case_name: str) -> None:
    case_dir = _case_dir(case_name)
    k = _k(case_name)
    manifest = _manifest(case_dir, k)
    categories = set(_categories(k))
    assert len(manifest.images) == len(json.loads((case_dir / "sizes.json").read_text()))
    for variant in VARIANTS:
        folders = {p.name for p in (case_dir / variant).iterdir() if p.is_dir()}
        assert folders, variant
        assert folders <= categories, sorted(folders - categories)[:5]
    source_folders = {p.name for p in (case_dir / "dataset").glob(f"ImageNetS{k}/validation/*")}
    assert source_folders <= categories


@pytest.mark.parametrize("variant", VARIANTS)
def test_golden_submission_raises_only_t001(case: tuple[str, Path, Path], variant: str) -> None:
    name, case_dir, manifest = case
    submission = case_dir / variant
    protocol = "semi" if variant == "submission" else "unsupervised"
    report = submitkit.check(submission, manifest=manifest, protocol=protocol)
    errors = {d.code.value for d in report.diagnostics if d.severity.value == "error"}
    assert errors == set(), report.diagnostics
    assert report.exit_code == 0
    assert [d.path for d in report.diagnostics if d.code.value == "T001"] == ["method.txt"]
    # Nothing else may fail --strict: no other warning under the right protocol.
    warnings = {d.code.value for d in report.diagnostics if d.severity.value == "warning"}
    assert warnings == {"T001"}, report.diagnostics
    # Information is accepted only where it is true of the files.
    info = {d.code.value for d in report.diagnostics if d.severity.value == "info"}
    true = _true_findings(submission)
    assert info <= true, f"{name}/{variant}: false findings {info - true}"
    if variant == "submission-overcluster":
        assert "J006" in info  # over-clustering, legitimate under the unsupervised protocol
    assert report.track == _k(name)
    assert report.split is Split.validation
    assert (
        report.counts.predictions
        == report.counts.expected
        == len(json.loads((case_dir / "sizes.json").read_text()))
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_golden_submission_without_protocol(case: tuple[str, Path, Path], variant: str) -> None:
    _, case_dir, manifest = case
    report = submitkit.check(case_dir / variant, manifest=manifest)
    errors = {d.code.value for d in report.diagnostics if d.severity.value == "error"}
    assert errors == set()
    assert "T001" in {d.code.value for d in report.diagnostics if d.severity.value == "warning"}
    quick = submitkit.check(case_dir / variant, manifest=manifest, quick=True)
    assert {d.code.value for d in quick.diagnostics if d.severity.value == "error"} == set()


def test_golden_submission_against_its_dataset_copy(case: tuple[str, Path, Path]) -> None:
    """Sizes read from the case's JPEG headers: no M007, and the track found by names."""
    name, case_dir, _ = case
    report = submitkit.check(case_dir / "submission", dataset=case_dir / "dataset")
    assert report.codes() == {submitkit.Code("T001"), submitkit.Code("D001")}, report.diagnostics
    assert (report.track, report.split) == (_k(name), Split.validation)
