"""Matching you can trust: the official tie-break, ties made visible, over-clustering.

The official dictionaries come from the golden cases (what evaluation/match.py
wrote) and from tests/fixtures/ties (the real `munkres` package run on
synthetic co-occurrence; see make_cases.py there).
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import submitkit
from submitkit.scoring.matching import MatchStatistics, agreement_of, many_to_one, mapped_miou
from submitkit.scoring.tiebreak import (
    munkres1_assignment,
    munkres1_mapping,
    official_assignment,
    official_mapping,
    pass_mapping,
)
from submitkit.scoring.ties import find_ties
from tests.conftest import Cli, invoke_cli

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"
TIES = Path(__file__).parents[1] / "fixtures" / "ties"
CASES = ["t50-small", "t50-real", "t919-small"]


@cache
def expected(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / case / "expected.json").read_text())
    return data


def names(case: str) -> list[str]:
    lines = (GOLDEN / case / "names.txt").read_text().splitlines()
    return [line.split()[1].removesuffix(".png") for line in lines if line.strip()]


@cache
def stats_of(case: str, folder: str, clusters: int | None = None) -> MatchStatistics:
    """The agreement statistics ``submitkit.match`` scores its candidates from."""
    many = clusters is not None and clusters > int(expected(case)["track"])
    with tempfile.TemporaryDirectory() as tmp:
        document = submitkit.match(
            GOLDEN / case / folder,
            output=Path(tmp) / "match.json",
            dataset=GOLDEN / case / "dataset",
            clusters=clusters,
            protocol="unsupervised" if many else None,
            jobs=1,
        )
    assert document.statistics is not None, document.check
    return document.statistics


def official_dict(case: str) -> dict[int, int]:
    raw = expected(case)["image_level_hungarian_match_of_submission_unsup"]
    return {int(k): int(v) for k, v in raw.items()}


def copy_masks(source: Path, target: Path) -> Path:
    for folder in source.iterdir():
        if folder.is_dir():
            shutil.copytree(folder, target / folder.name)
    return target


def run_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = invoke_cli([*args, "--format", "json", "--quiet"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


# --- the official tie-break ------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_official_tie_break_reproduces_the_official_dictionary(case: str) -> None:
    stats = stats_of(case, "submission-unsup")
    assert official_mapping(stats.images, stats.count) == official_dict(case)


def _tie_cases() -> list[Path]:
    return sorted(TIES.glob("*.json"))


def test_tie_cases_present() -> None:
    assert len(_tie_cases()) >= 5


@pytest.mark.parametrize("path", _tie_cases(), ids=lambda p: p.stem)
def test_official_tie_break_on_synthetic_ties(path: Path) -> None:
    case = json.loads(path.read_text())
    images = np.zeros((case["k"] + 1, case["k"] + 1), dtype=np.int64)
    for i, c, v in case["nonzero"]:
        images[i, c] = v
    ours = official_mapping(images, case["count"])
    assert {str(i): c for i, c in ours.items()} == case["expected"]
    assert find_ties(images, images, ours) is not None, "these cases are built to tie"


def test_official_assignment_breaks_ties_by_scan_order() -> None:
    # All costs equal: the warm start gives row i the first free column, i.e. column i.
    assert official_assignment(np.ones((4, 4))).tolist() == [0, 1, 2, 3]
    # A strict optimum is found whatever the order.
    cost = np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]])
    assert official_assignment(cost).tolist() == [1, 0, 2]
    with pytest.raises(ValueError):
        official_assignment(np.ones((3, 2)))


@pytest.mark.parametrize("mode", ["munkres3", "official"])
@pytest.mark.parametrize("case", CASES)
def test_cli_ties_official_writes_the_official_dictionary(
    case: str, mode: str, tmp_path: Path
) -> None:
    out = tmp_path / "match.json"
    code, report = run_json(
        "match",
        str(copy_masks(GOLDEN / case / "submission-unsup", tmp_path / "masks")),
        "--dataset",
        str(GOLDEN / case / "dataset"),
        "-o",
        str(out),
        "--ties",
        mode,
    )
    assert code == 0
    written = {int(k): v for k, v in json.loads(out.read_text()).items()}
    assert written == official_dict(case)
    image = next(c for c in report["candidates"] if c["level"] == "image")
    # "official" is the earlier name of the munkres 3.x tie-break: the document names the code.
    assert image["tie_break"] == "munkres3" and image["chosen"]


# --- munkres 1.x and PASS: dictionaries made by the real code (fixtures/ties/munkres1) --

MUNKRES1 = sorted((TIES / "munkres1").glob("*.json"))


def _case(path: Path) -> tuple[np.ndarray, dict[str, Any]]:
    case: dict[str, Any] = json.loads(path.read_text())
    images = np.zeros((case["k"] + 1, case["k"] + 1), dtype=np.int64)
    for i, c, v in case["nonzero"]:
        images[i, c] = v
    return images, case


def _slow_if_large(path: Path) -> Any:
    return pytest.param(path, marks=pytest.mark.slow) if "919" in path.stem else path


@pytest.mark.parametrize("path", [_slow_if_large(p) for p in MUNKRES1], ids=lambda p: p.stem)
def test_munkres1_and_pass_reproduce_the_real_dictionaries(path: Path) -> None:
    images, case = _case(path)
    ours = munkres1_mapping(images, case["count"])
    assert {str(i): c for i, c in ours.items()} == case["match_py"]
    assert {str(i): c for i, c in pass_mapping(images).items()} == case["pass"]


def test_the_modes_are_different_tie_breaks_and_agree_on_a_realistic_model() -> None:
    assert len(MUNKRES1) >= 6
    images, case = _case(TIES / "munkres1" / "collapsed-k50.json")
    three = official_mapping(images, case["count"])
    differ = sum(three[int(k)] != v for k, v in case["match_py"].items())
    assert differ == 22  # measured: munkres 3.0.0 and 1.1.4 on this degenerate model
    assert case["pass"] != case["match_py"]  # integer costs tie where float32 ones do not
    images, case = _case(TIES / "munkres1" / "realistic-k50.json")
    three = official_mapping(images, case["count"])
    assert {str(i): c for i, c in three.items()} == case["match_py"] == case["pass"]


def test_munkres1_assignment_on_small_matrices() -> None:
    # All costs equal: step 2 stars the first free zero of each row.
    assert munkres1_assignment(np.ones((4, 4))).tolist() == [0, 1, 2, 3]
    cost = np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]])
    assert munkres1_assignment(cost).tolist() == [1, 0, 2]
    with pytest.raises(ValueError):
        munkres1_assignment(np.ones((3, 2)))


@pytest.mark.parametrize("mode", ["munkres1", "pass"])
def test_cli_ties_names_the_code_it_reproduces(mode: str, tmp_path: Path) -> None:
    case = "t50-small"
    out = tmp_path / "match.json"
    code, report = run_json(
        "match",
        str(copy_masks(GOLDEN / case / "submission-unsup", tmp_path / "masks")),
        "--dataset",
        str(GOLDEN / case / "dataset"),
        "-o",
        str(out),
        "--ties",
        mode,
    )
    assert code == 0
    stats = stats_of(case, "submission-unsup")
    want = (
        munkres1_mapping(stats.images, stats.count)
        if mode == "munkres1"
        else pass_mapping(stats.images)
    )
    assert {int(k): v for k, v in json.loads(out.read_text()).items()} == want
    image = next(c for c in report["candidates"] if c["level"] == "image")
    assert image["tie_break"] == mode


def test_match_help_says_which_tie_break_is_default_and_why(cli: Cli) -> None:
    result = cli(["match", "--help"], env={"COLUMNS": "200"})
    text = " ".join(result.stdout.split())
    assert "munkres3" in text and "munkres1" in text and "pass" in text
    assert "default: what `pip install munkres` gives today" in text


def _background_as(folder: Path, source: Path, cluster: int) -> Path:
    from PIL import Image

    for path in source.rglob("*.png"):
        rgb = np.asarray(Image.open(path).convert("RGB")).astype(np.int64)
        ids = rgb[..., 0] + 256 * rgb[..., 1]
        ids[ids == 0] = cluster
        out = np.zeros(rgb.shape, np.uint8)
        out[..., 0], out[..., 1] = ids % 256, ids // 256
        target = folder / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(out).save(target)
    return folder


def test_a_background_cluster_mapped_to_a_class_is_e003(tmp_path: Path, cli: Cli) -> None:
    case = "t50-small"
    masks = _background_as(tmp_path / "bg", GOLDEN / case / "submission-overcluster", 88)
    args = ["match", str(masks), "--dataset", str(GOLDEN / case / "dataset")]
    args += ["--clusters", "100", "--protocol", "unsupervised", "-o", str(tmp_path / "m.json")]
    code, report = run_json(*args)
    assert code == 0
    (found,) = [d for d in report["check"]["diagnostics"] if d["code"] == "E003"]
    assert found["severity"] == "warning" and "id 88 is the background cluster" in found["message"]
    assert json.loads((tmp_path / "m.json").read_text())["88"] != 0
    # The note names the best candidate and the official one.
    (note,) = report["notes"]
    assert "the best on validation is the pixel-level many-to-one" in note
    assert "the official image-level Hungarian (evaluation/match.py) scores" in note
    text = cli([*args, "--overwrite", "--quiet"]).stdout
    assert "E003 warning: id 88 is the background cluster" in text


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("folder", ["submission-unsup", "submission-overcluster"])
def test_matching_the_golden_clusters_raises_no_e003(
    case: str, folder: str, tmp_path: Path
) -> None:
    # Their background is id 0, as the official matching expects: no cluster stands for it.
    k = int(expected(case)["track"])
    args = ["match", str(copy_masks(GOLDEN / case / folder, tmp_path / "m"))]
    args += ["--dataset", str(GOLDEN / case / "dataset"), "-o", str(tmp_path / "m.json")]
    if folder == "submission-overcluster":
        args += ["--clusters", str(2 * k), "--protocol", "unsupervised"]
    code, report = run_json(*args)
    assert code == 0
    assert "E003" not in {d["code"] for d in report["check"]["diagnostics"]}


# --- ties made visible -------------------------------------------------------------


def _brute_force(images: np.ndarray, pixels: np.ndarray) -> tuple[float, float, set[int]]:
    """mIoU range and moving classes over every optimal permutation (tiny K only)."""
    k = images.shape[0] - 1
    best, found = -1, []
    for perm in itertools.permutations(range(1, k + 1)):
        total = sum(int(images[i + 1, c]) for i, c in enumerate(perm))
        if total > best:
            best, found = total, [perm]
        elif total == best:
            found.append(perm)
    scores = [mapped_miou(pixels, {0: 0, **{i + 1: c for i, c in enumerate(p)}}) for p in found]
    moving = {c for i in range(k) if len({p[i] for p in found}) > 1 for c in (p[i] for p in found)}
    return min(scores), max(scores), moving


@pytest.mark.parametrize("seed", range(6))
def test_tie_search_is_exact_on_small_matrices(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = 6
    images = rng.integers(0, 3, size=(k + 1, k + 1))
    pixels = rng.integers(0, 50, size=(k + 1, k + 1))
    mapping = official_mapping(images, 10)
    low, high, moving = _brute_force(images, pixels)
    ties = find_ties(images, pixels, mapping)
    if not moving:
        assert ties is None
        return
    assert ties is not None
    assert set(ties.classes) == moving
    assert ties.mIoU_low == pytest.approx(low, abs=1e-9)
    assert ties.mIoU_high == pytest.approx(high, abs=1e-9)


def test_unique_optimum_has_no_ties() -> None:
    images = np.diag([0, 5, 4, 3]) + 1
    assert find_ties(images, images, official_mapping(images, 6)) is None


@pytest.mark.parametrize("case", CASES)
def test_golden_ties_bracket_the_official_score(case: str) -> None:
    stats = stats_of(case, "submission-unsup")
    official = official_dict(case)
    ties = find_ties(stats.images, stats.pixels, official)
    assert ties is not None, "the golden cases are small: most ids tie"
    score = mapped_miou(stats.pixels, official)
    assert ties.mIoU_low - 1e-9 <= score <= ties.mIoU_high + 1e-9
    assert ties.search.startswith("exact")


def test_match_reports_ties_in_text_and_json(tmp_path: Path, cli: Cli) -> None:
    case = GOLDEN / "t50-small"
    masks = copy_masks(case / "submission-unsup", tmp_path / "masks")
    base = ["match", str(masks), "--dataset", str(case / "dataset")]
    code, report = run_json(*base, "-o", str(tmp_path / "a.json"))
    assert code == 0
    ties = report["ties"]
    assert ties["classes"] and ties["mIoU_low"] < ties["mIoU_high"]
    assert "exact" in ties["search"]
    text = cli([*base, "-o", str(tmp_path / "b.json"), "--quiet"]).stdout
    assert "not unique" in text and "tie-break of evaluation/match.py under munkres 3.x" in text


# --- over-clustering ---------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("level", ["image", "pixel"])
def test_many_to_one_reaches_the_shipped_match(case: str, level: str) -> None:
    k = int(expected(case)["track"])
    stats = stats_of(case, "submission-overcluster", clusters=2 * k)
    matrix = stats.images if level == "image" else stats.pixels
    matching = many_to_one(matrix, level=level, tie_break=stats.pixels)  # type: ignore[arg-type]
    bound = expected(case)["evaluate_submission_overcluster_with_match_json"]["mIoU"]
    assert mapped_miou(stats.pixels, matching.mapping) >= bound - 1e-3
    # Never "other" for a cluster that shares an image (a pixel) with a class.
    overlaps = matrix[:, 1:].sum(axis=1) > 0
    assert all(
        matching.mapping[i] != 0 for i in np.flatnonzero(overlaps) if i > 0 and level == "image"
    )


def test_image_level_many_to_one_never_maps_everything_to_other() -> None:
    images = np.array([[9, 0, 0], [9, 3, 1], [9, 1, 4], [9, 2, 2]])
    pixels = np.array([[50, 0, 0], [50, 30, 1], [50, 1, 40], [50, 5, 9]])
    matching = many_to_one(images, level="image", tie_break=pixels)
    assert matching.mapping == {0: 0, 1: 1, 2: 2, 3: 2}
    assert agreement_of(images, matching.mapping) == 3 + 4 + 2


def test_overclustered_match_writes_a_good_matching(tmp_path: Path) -> None:
    case = GOLDEN / "t50-small"
    masks = copy_masks(case / "submission-overcluster", tmp_path / "oc")
    out = tmp_path / "m.json"
    base = ["match", str(masks), "--dataset", str(case / "dataset"), "-o", str(out)]
    code, report = run_json(*base, "--clusters", "100", "--protocol", "unsupervised")
    assert code == 0
    chosen = next(c for c in report["candidates"] if c["chosen"])
    bound = expected("t50-small")["evaluate_submission_overcluster_with_match_json"]["mIoU"]
    assert chosen["many_to_one"] and chosen["mIoU"] >= bound
    mapping = json.loads(out.read_text())
    assert len(mapping) == 101 and len(set(mapping.values()) - {0}) > 10
    higher = [c for c in report["candidates"] if c["mIoU"] > chosen["mIoU"]]
    assert bool(higher) == bool(report["notes"]), "a better matching not written is explained"
    # The mIoU printed is the one evaluate finds with the file written.
    code, scored = run_json(
        "evaluate", str(masks), "--dataset", str(case / "dataset"), "--match", str(out)
    )
    assert code == 0 and scored["scores"]["mIoU"] == pytest.approx(chosen["mIoU"], abs=1e-6)


def test_ids_above_k_without_clusters_write_nothing(tmp_path: Path, cli: Cli) -> None:
    case = GOLDEN / "t50-small"
    masks = copy_masks(case / "submission-overcluster", tmp_path / "oc")
    out = tmp_path / "m.json"
    result = cli(
        ["match", str(masks), "--dataset", str(case / "dataset"), "-o", str(out), "--quiet"]
    )
    assert result.exit_code == 1 and not out.exists()
    assert "E002" in result.stdout
    assert "ids up to 100 found, K = 50" in result.stdout
    assert "--clusters 100 --protocol unsupervised" in result.stdout
    code, document = run_json(
        "match", str(masks), "--dataset", str(case / "dataset"), "-o", str(out), "--clusters", "60"
    )
    assert code == 1 and not out.exists()
    assert document["kind"] == "match" and document["mapping"] is None
    report = document["check"]
    assert [d["code"] for d in report["diagnostics"] if d["code"] == "E002"] == ["E002"]


# --- unmatched ids in evaluate -------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_evaluate_warns_when_ids_look_unmatched(tmp_path: Path, jobs: str, cli: Cli) -> None:
    case = GOLDEN / "t50-small"
    masks = copy_masks(case / "submission-unsup", tmp_path / "masks")
    code, out = run_json("evaluate", str(masks), "--dataset", str(case / "dataset"), "--jobs", jobs)
    assert code == 0, "a warning: the score is still printed"
    warnings = out["warnings"]
    assert [w["code"] for w in warnings] == ["E001"]
    assert "submitkit match" in warnings[0]["hint"]
    text = cli(["evaluate", str(masks), "--dataset", str(case / "dataset"), "--quiet"])
    assert "E001" in text.stderr and "submitkit match" in text.stderr


@pytest.mark.parametrize("folder", ["submission", "submission-unsup"])
def test_evaluate_in_class_ids_or_matched_does_not_warn(folder: str) -> None:
    case = GOLDEN / "t50-small"
    code, out = run_json("evaluate", str(case / folder), "--dataset", str(case / "dataset"))
    assert code == 0 and out["warnings"] == []


def test_agreement_gathered_while_scoring_equals_the_match_pass() -> None:
    from submitkit.inputs.png import file_opener, read_official
    from submitkit.scoring.matching import AgreementPairs
    from submitkit.scoring.metrics import count_image

    case = "t50-small"
    gt_dir = GOLDEN / case / "dataset" / "ImageNetS50" / "validation-segmentation"
    pairs = AgreementPairs(50)
    for name in names(case):
        gt = read_official(file_opener(gt_dir / f"{name}.png"))
        pred = read_official(file_opener(GOLDEN / case / "submission-unsup" / f"{name}.png"))
        pairs.add_region(*count_image(gt, pred, 50).region())
    ours = pairs.statistics()
    reference = stats_of(case, "submission-unsup")
    assert np.array_equal(ours.images, reference.images)
    assert np.array_equal(ours.pixels, reference.pixels)
    assert ours.count == reference.count
