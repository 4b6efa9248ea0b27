"""Small, hand-computable checks of the metrics, the matchings and evaluate's edge cases."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image
from scipy import ndimage

from submitkit.benchmark.ids import IGNORE
from submitkit.core.diagnostics import Code
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.inputs.png import encode
from submitkit.scoring.engine import (
    Evaluation,
    MaskReader,
    ScorePass,
    evaluation_of,
    image_tasks,
    per_image_csv,
    score_pass,
    table_for,
)
from submitkit.scoring.matching import MatchStatistics, hungarian, many_to_one
from submitkit.scoring.metrics import (
    Accumulator,
    Scores,
    boundary_mask,
    boundary_width,
    count_image,
    match_table,
    size_bucket,
    size_percent,
)

Ids = npt.NDArray[np.int32]


def ids(rows: list[list[int]]) -> Ids:
    return np.asarray(rows, dtype=np.int32)


def accumulate(gt: Ids, pred: Ids, k: int, match: dict[int, int] | None = None) -> Accumulator:
    acc = Accumulator(k)
    table = None if match is None else match_table(match, k)
    acc.add(count_image(gt, pred, k, table))
    return acc


def scores(gt: Ids, pred: Ids, k: int, match: dict[int, int] | None = None) -> Scores:
    return accumulate(gt, pred, k, match).scores()


def reference_boundary(label_map: Ids, d: int) -> npt.NDArray[np.bool_]:
    """The toolbox's definition, literally: per id, mask minus its d-fold 3x3 erosion
    with the image padded by one ring of zeros (and a neutral border beyond)."""
    out = np.zeros(label_map.shape, dtype=bool)
    for v in np.unique(label_map):
        mask = label_map == v
        padded = np.pad(mask, 1)
        eroded = ndimage.binary_erosion(
            padded, structure=np.ones((3, 3), bool), iterations=d, border_value=1
        )[1:-1, 1:-1]
        out |= mask & ~eroded
    return out


# --- boundary --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("h", "w", "d"),
    [(375, 500, 19), (500, 375, 19), (1, 1, 1), (10, 10, 1), (30, 40, 2), (150, 200, 8)],
)
def test_boundary_width_formula(h: int, w: int, d: int) -> None:
    assert boundary_width(h, w) == d


def test_boundary_width_rounds_half_to_even_like_python() -> None:
    # 0.03 * 150 == 4.5 and 0.03 * 350 == 10.5: Python's round goes to the even neighbour.
    assert boundary_width(90, 120) == 4
    assert boundary_width(210, 280) == 10


def test_boundary_of_a_square_by_hand() -> None:
    m = np.zeros((6, 6), dtype=np.int32)
    m[1:5, 1:5] = 7
    expected = np.ones((6, 6), dtype=bool)
    expected[2:4, 2:4] = False  # only the square's inner 2x2 sees no other id within 1
    assert (boundary_mask(m, 1) == expected).all()
    assert boundary_mask(m, 2).all()


def test_boundary_of_a_uniform_image_is_the_border_band() -> None:
    m = np.zeros((8, 9), dtype=np.int32)
    got = boundary_mask(m, 2)
    assert got.sum() == 8 * 9 - 4 * 5
    assert not got[2:6, 2:7].any()


def test_boundary_equals_the_official_per_class_erosion() -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        h, w = (int(v) for v in rng.integers(1, 45, size=2))
        coarse = rng.integers(0, 4, size=(max(1, h // 6), max(1, w // 6)))
        blobby = np.kron(coarse, np.ones((6, 6), dtype=np.int64))[:h, :w]
        noise = rng.integers(0, 3, size=blobby.shape)
        label_map = np.where(rng.random(blobby.shape) < 0.1, noise + 5, blobby).astype(np.int32)
        for d in (1, 2, 3, 4, 7):
            assert (boundary_mask(label_map, d) == reference_boundary(label_map, d)).all()


def test_boundary_default_width_comes_from_the_image_size() -> None:
    m = np.zeros((40, 50), dtype=np.int32)
    m[10:30, 10:40] = 3
    assert (boundary_mask(m) == reference_boundary(m, boundary_width(40, 50))).all()


# --- Acc, FMeasure, IoU ----------------------------------------------------------


def test_all_zero_prediction_picks_class_1_and_scores_nothing() -> None:
    gt = ids([[1, 1, 0, 0]])
    pred = ids([[0, 0, 0, 0]])
    counts = count_image(gt, pred, 3)
    assert counts.image_label() == 1
    assert counts.accurate() is False
    assert scores(gt, pred, 3).Acc == 0.0


def test_image_label_takes_lowest_id_on_ties() -> None:
    gt = ids([[2, 2, 3, 3]])
    pred = ids([[3, 3, 2, 2]])
    counts = count_image(gt, pred, 3)
    assert counts.image_label() == 2
    assert counts.accurate() is True


def test_image_label_needs_pixels_in_both() -> None:
    counts = count_image(ids([[1, 1, 1, 0]]), ids([[2, 2, 2, 0]]), 3)
    assert counts.image_label() == 2
    assert counts.accurate() is False


def test_fmeasure_formula() -> None:
    gt = ids([[1, 1, 1, 1, 0, 0, 0, 0]])
    pred = ids([[0, 2, 2, 2, 2, 2, 2, 0]])  # 6 predicted, 3 of them right: P=1/2, R=3/4
    p, r = 0.5, 0.75
    expected = 1.3 * p * r / (0.3 * p + r)
    assert count_image(gt, pred, 3).fmeasure() == pytest.approx(expected, rel=1e-12)
    assert scores(gt, pred, 3).FMeasure == pytest.approx(100 * expected, rel=1e-12)


def test_fmeasure_of_empty_foreground_is_zero() -> None:
    assert count_image(ids([[0, 0]]), ids([[0, 0]]), 2).fmeasure() == 0.0


def test_absent_classes_count_zero_in_miou() -> None:
    gt = ids([[0, 0, 1, 1]])
    s = scores(gt, gt.copy(), 3)
    assert s.IoUs == pytest.approx([100, 100, 0, 0])
    assert s.mIoU == pytest.approx(50.0)


def test_iou_accumulates_over_images_before_dividing() -> None:
    acc = Accumulator(1)
    acc.add(count_image(ids([[1, 1, 0, 0]]), ids([[1, 0, 0, 0]]), 1))  # tp 1, gt 2, pred 1
    acc.add(count_image(ids([[1, 0, 0, 0]]), ids([[1, 1, 1, 0]]), 1))  # tp 1, gt 1, pred 3
    assert acc.scores().IoUs[1] == pytest.approx(100 * 2 / (3 + 4 - 2))


def test_ignore_pixels_are_not_scored() -> None:
    gt = ids([[1, 1, IGNORE, IGNORE]])
    pred = ids([[1, 1, 2, 2]])
    s = scores(gt, pred, 2)
    assert s.IoUs[1] == pytest.approx(100)
    assert s.IoUs[2] == 0.0
    assert s.FMeasure == pytest.approx(100)  # the two id-2 pixels would halve precision


def test_boundaries_are_taken_before_ignore_is_dropped() -> None:
    gt = np.full((10, 10), IGNORE, dtype=np.int32)
    gt[:, :5] = 1
    pred = np.ones((10, 10), dtype=np.int32)
    # d = 1. GT boundary of class 1: image border plus the column touching the ignore
    # region, 26 pixels. Predicted boundary in the scored half: the image border, 18.
    s = scores(gt, pred, 1)
    assert s.IoUs[1] == pytest.approx(100)
    assert s.BIoUs[1] == pytest.approx(100 * 18 / 26)


def test_prediction_ids_above_k_are_foreground_but_no_class() -> None:
    gt = ids([[1, 1, 0, 0]])
    pred = ids([[1, 7, 0, 0]])
    s = scores(gt, pred, 2)
    assert s.IoUs[1] == pytest.approx(50)
    assert s.FMeasure == pytest.approx(100)


def test_match_boundaries_use_the_unmapped_ids() -> None:
    gt = np.ones((10, 10), dtype=np.int32)
    pred = np.ones((10, 10), dtype=np.int32)
    pred[:, 5:] = 2  # two clusters, one class
    s = scores(gt, pred, 1, match={0: 0, 1: 1, 2: 1})
    assert s.IoUs[1] == pytest.approx(100)
    # Border ring (36) is on both boundaries; the split adds 16 predicted-only pixels.
    assert s.BIoUs[1] == pytest.approx(100 * 36 / 52)


def test_dense_and_compact_layouts_agree() -> None:
    rng = np.random.default_rng(3)
    gt = rng.integers(0, 6, size=(30, 40)).astype(np.int32)
    gt[:3] = IGNORE
    pred = rng.integers(0, 6, size=(30, 40)).astype(np.int32)
    small, large = scores(gt, pred, 60), scores(gt, pred, 919)  # dense vs compact rows
    assert small.IoUs == pytest.approx(large.IoUs[:61])
    assert small.BIoUs == pytest.approx(large.BIoUs[:61])
    assert (small.Acc, small.FMeasure, small.S, small.BS) == (
        large.Acc,
        large.FMeasure,
        large.S,
        large.BS,
    )


def _per_pixel(g: Ids, p: Ids, flags: npt.NDArray[np.uint8], ncol: int) -> dict[tuple, int]:
    """The joint histogram counted one pixel at a time: {(class, column, flags): pixels}."""
    keys, counts = np.unique(
        np.stack([g.ravel(), p.ravel(), flags.ravel()]).astype(np.int64), axis=1, return_counts=True
    )
    return {tuple(int(v) for v in key): int(n) for key, n in zip(keys.T, counts, strict=True)}


def _smooth(rng: np.random.Generator, top: int, shape: tuple[int, int]) -> Ids:
    out = np.zeros(shape, dtype=np.int32)
    for _ in range(5):
        y, x = rng.integers(0, shape[0]), rng.integers(0, shape[1])
        out[y : y + shape[0] // 3, x : x + shape[1] // 3] = rng.integers(0, top)
    return out


@pytest.mark.parametrize("k", [50, 919])
@pytest.mark.parametrize("kind", ["smooth", "noise"])
@pytest.mark.parametrize("matched", [False, True])
def test_joint_histogram_by_runs_equals_every_pixel_counted(
    k: int, kind: str, matched: bool
) -> None:
    from submitkit.scoring.metrics import class_ids, joint_histogram

    rng = np.random.default_rng(k)
    shape = (45, 70)
    if kind == "smooth":
        gt, pred = _smooth(rng, k + 1, shape), _smooth(rng, 2 * k, shape)
        gt[:4, :9] = IGNORE
    else:
        gt, pred = (rng.integers(0, k + 1, shape).astype(np.int32) for _ in range(2))
    flags = (
        rng.integers(0, 4, shape).astype(np.uint8) if kind == "noise" else np.zeros(shape, np.uint8)
    )
    flags[10:20, 5:40] = 3
    g16, p16 = gt.astype(np.uint16), pred.astype(np.uint16)
    table = match_table({i: i % (k + 1) for i in range(0, 2 * k, 2)}, k) if matched else None
    col = np.take(table, p16, mode="clip") if table is not None else class_ids(p16, k + 1)
    expected = _per_pixel(class_ids(g16, k + 1), col, flags, k + 3)
    col_of = (
        (lambda v: np.take(table, v, mode="clip"))
        if table is not None
        else (lambda v: class_ids(v, k + 1))
    )
    rows, conf = joint_histogram(
        g16, p16, k, k + 3, flags, row_of=lambda v: class_ids(v, k + 1), col_of=col_of
    )
    r, c, f = np.nonzero(conf)
    found = {
        (int(rows[a]), int(b), int(e)): int(conf[a, b, e]) for a, b, e in zip(r, c, f, strict=True)
    }
    assert found == expected
    # The public form (classes computed beforehand) gives the same histogram.
    rows2, conf2 = joint_histogram(class_ids(g16, k + 1), col, k, k + 3, flags)
    np.testing.assert_array_equal(rows2, rows)
    np.testing.assert_array_equal(conf2, conf)


def test_merge_equals_adding_in_sequence() -> None:
    rng = np.random.default_rng(5)
    pairs = [
        (
            rng.integers(0, 4, (12, 15)).astype(np.int32),
            rng.integers(0, 4, (12, 15)).astype(np.int32),
        )
        for _ in range(6)
    ]
    serial = Accumulator(3)
    for gt, pred in pairs:
        serial.add(count_image(gt, pred, 3))
    left, right = Accumulator(3), Accumulator(3)
    for i, (gt, pred) in enumerate(pairs):
        (left if i % 2 else right).add(count_image(gt, pred, 3))
    left.merge(right)
    assert left.scores() == serial.scores()


def test_no_image_is_an_error() -> None:
    with pytest.raises(ValueError):
        Accumulator(3).scores()


# --- size buckets ----------------------------------------------------------------


def test_size_percent_rounds_up() -> None:
    assert size_percent([5, 6, 51, 1], 100).tolist() == [5, 6, 51, 1]
    assert size_percent([51, 251, 501], 1000).tolist() == [6, 26, 51]
    assert size_percent([1], 10**7).tolist() == [1]


def test_size_bucket_thresholds() -> None:
    assert size_bucket([1, 5, 6, 25, 26, 50, 51, 100]).tolist() == [0, 0, 1, 1, 2, 2, 3, 3]


def test_buckets_collect_background_and_their_own_classes() -> None:
    gt = np.zeros((10, 10), dtype=np.int32)
    gt.flat[:5] = 1  # 5% -> S
    gt.flat[50:56] = 2  # 6% -> MS
    acc = accumulate(gt, gt.copy(), 2)
    assert acc.size_gt[0].tolist() == [89, 5, 0]
    assert acc.size_gt[1].tolist() == [89, 0, 6]
    assert not acc.size_gt[2:].any()
    s = acc.scores()
    small, medium_small = s.S, s.MS
    assert small == pytest.approx(100)
    assert medium_small == pytest.approx(100)
    assert s.ML is None and s.L is None and s.BML is None and s.BL is None


def test_sizes_count_only_scored_pixels() -> None:
    gt = np.full((10, 10), IGNORE, dtype=np.int32)
    gt[:5] = 0
    gt[0, :3] = 1  # 3 of 50 scored pixels: 6% -> MS (it would be 3% -> S of all 100)
    acc = accumulate(gt, gt.copy(), 1)
    assert acc.size_gt[1, 1] == 3
    assert acc.size_gt[0].sum() == 0


def test_bucket_score_skips_classes_without_ground_truth_there() -> None:
    gt = np.zeros((10, 10), dtype=np.int32)
    gt.flat[:60] = 1  # 60% -> L
    pred = gt.copy()
    pred.flat[90:] = 2  # class 2 predicted, never in the ground truth
    s = scores(gt, pred, 2)
    iou_bg = 30 / 40
    large = s.L
    assert large == pytest.approx(100 * (iou_bg + 1.0) / 2)  # class 2 does not count
    assert s.mIoU == pytest.approx(100 * (iou_bg + 1.0 + 0.0) / 3)  # but counts here


# --- matching --------------------------------------------------------------------


def test_match_statistics_by_hand() -> None:
    stats = MatchStatistics(k=2, clusters=3)
    stats.add(ids([[1, 1, 2, IGNORE]]), ids([[3, 3, 1, 2]]))  # id 2 only under ignore
    stats.add(ids([[0, 1, 1, 1]]), ids([[0, 3, 3, 9]]))  # id 9 > clusters: left out
    assert stats.count == 2
    assert stats.pixels.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 4, 0]]
    assert stats.images.tolist() == [[1, 1, 0], [0, 1, 1], [0, 0, 0], [1, 2, 1]]


def test_hungarian_is_not_greedy() -> None:
    agreement = np.array([[0, 0, 0], [0, 10, 9], [0, 8, 0]])
    m = hungarian(agreement, level="pixel")
    assert m.mapping == {0: 0, 1: 2, 2: 1}
    assert m.agreement == 17 and m.cost == -17
    assert m.json_object() == {"0": 0, "1": 2, "2": 1}


def test_hungarian_with_more_ids_than_classes_sends_the_rest_to_zero() -> None:
    agreement = np.array([[0, 0, 0], [0, 5, 0], [0, 0, 1], [0, 3, 4]])
    m = hungarian(agreement)
    assert m.mapping == {0: 0, 1: 1, 2: 0, 3: 2}
    assert m.agreement == 9


def test_many_to_one_sends_each_cluster_to_its_best_class() -> None:
    agreement = np.array(
        [
            [50, 1, 1],
            [0, 7, 3],  # -> 1
            [0, 6, 2],  # -> 1 as well: many-to-one
            [9, 0, 4],  # mostly background -> 0
            [0, 2, 2],  # tie -> lowest class
            [0, 0, 0],  # never seen -> 0
        ]
    )
    m = many_to_one(agreement)
    assert m.mapping == {0: 0, 1: 1, 2: 1, 3: 0, 4: 1, 5: 0}
    assert m.many_to_one and m.level == "pixel"
    assert m.agreement == 7 + 6 + 9 + 2


def test_pixel_and_image_levels_can_disagree() -> None:
    stats = MatchStatistics(k=2, clusters=2)
    # Many one-pixel images pair id 1 with class 2 and id 2 with class 1; two big
    # images pair them the other way. Images count presence, pixels count area.
    for _ in range(3):
        stats.add(ids([[2]]), ids([[1]]))
        stats.add(ids([[1]]), ids([[2]]))
    stats.add(np.full((10, 10), 1), np.full((10, 10), 1))
    stats.add(np.full((10, 10), 2), np.full((10, 10), 2))
    assert hungarian(stats.images, level="image").mapping == {0: 0, 1: 2, 2: 1}
    assert hungarian(stats.images, level="image").agreement == 6
    assert hungarian(stats.pixels, level="pixel").mapping == {0: 0, 1: 1, 2: 2}
    assert hungarian(stats.pixels, level="pixel").agreement == 200


def test_many_to_one_for_over_clustering() -> None:
    # Which of the two `match` writes is run_match's choice (--clusters above K), tested
    # through the command in test_ties_and_overclustering.py.
    stats = MatchStatistics(k=1, clusters=3)
    stats.add(ids([[1, 1, 0, 0]]), ids([[1, 2, 3, 3]]))
    m = many_to_one(stats.pixels, level="pixel", tie_break=stats.pixels)
    assert m.many_to_one
    assert m.mapping == {0: 0, 1: 1, 2: 1, 3: 0}
    assert not hungarian(stats.pixels, level="pixel").many_to_one


# --- the scoring pass: files, faults, parallelism ---------------------------------
#
# `submitkit.evaluate` and `submitkit.match` take official tracks only; these cases use
# K = 2 and names of their own, so they call the one pass those workflows run
# (score_pass, then evaluation_of) with the arguments the workflow hands it.


def evaluate(
    predictions: Path | MaskReader,
    ground_truth: Path,
    names: list[str],
    k: int,
    match: dict[int, int] | None = None,
    jobs: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Evaluation:
    table = table_for(match, k)
    tasks = image_tasks(predictions, names)
    passed = score_pass(tasks, ground_truth, k, table=table, jobs=jobs, progress=progress)
    return evaluation_of(passed, k, matched=match is not None)


def match_pass(predictions: Path, ground_truth: Path, names: list[str], k: int) -> ScorePass:
    return score_pass(image_tasks(predictions, names), ground_truth, k, clusters=k, jobs=1)


def png(label_map: Ids, mode: str = "RGB") -> bytes:
    im = Image.fromarray(encode(label_map))
    if mode != "RGB":
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def write(root: Path, name: str, data: bytes) -> None:
    path = root / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


NAMES = ["n00000001/a", "n00000002/b"]


@pytest.fixture
def dataset(tmp_path: Path) -> tuple[Path, Path]:
    gt_root, pred_root = tmp_path / "gt", tmp_path / "pred"
    gt = np.zeros((20, 30), dtype=np.int32)
    gt[5:15, 5:20] = 1
    gt[0, 0] = IGNORE
    pred = gt.copy()
    pred[0, 0] = 2
    for name in NAMES:
        write(gt_root, name, png(gt))
        write(pred_root, name, png(pred))
    return pred_root, gt_root


def test_evaluate_scores_and_rows(dataset: tuple[Path, Path]) -> None:
    pred_root, gt_root = dataset
    done: list[int] = []
    result = evaluate(pred_root, gt_root, NAMES, 2, jobs=1, progress=done.append)
    assert sum(done) == 2
    assert result.diagnostics == [] and result.scores is not None
    assert result.scores.IoUs == pytest.approx([100, 100, 0])
    assert [r.name for r in result.images] == NAMES
    row = result.images[0]
    assert (row.height, row.width, row.Acc, row.predicted_label) == (20, 30, True, 1)
    assert row.mIoU == pytest.approx(100) and row.FMeasure == pytest.approx(100)
    csv_text = per_image_csv(result.images).splitlines()
    assert csv_text[0] == "name,height,width,mIoU,FMeasure,Acc,predicted_label"
    assert csv_text[1] == "n00000001/a,20,30,100.0000,100.0000,1,1"


def test_size_mismatch_is_a_diagnostic(dataset: tuple[Path, Path]) -> None:
    pred_root, gt_root = dataset
    write(pred_root, NAMES[1], png(np.zeros((30, 20), dtype=np.int32)))
    result = evaluate(pred_root, gt_root, NAMES, 2, jobs=1)
    assert result.scores is None
    assert [d.code for d in result.diagnostics] == [Code.SIZE_MISMATCH]
    assert result.diagnostics[0].path == f"{NAMES[1]}.png"
    # The same message the check gives: one classifier of mask faults.
    assert "mask is 20\N{MULTIPLICATION SIGN}30 (W" in result.diagnostics[0].message
    assert [r.name for r in result.images] == NAMES[:1]


def test_missing_and_unreadable_predictions_are_diagnostics(dataset: tuple[Path, Path]) -> None:
    pred_root, gt_root = dataset
    (pred_root / f"{NAMES[0]}.png").unlink()
    write(pred_root, NAMES[1], png(np.zeros((20, 30), dtype=np.int32), mode="L"))
    codes = [d.code for d in evaluate(pred_root, gt_root, NAMES, 2, jobs=1).diagnostics]
    assert codes == [Code.MISSING_PREDICTION, Code.MODE_GRAYSCALE]
    write(pred_root, NAMES[1], b"\xff\xd8 not a png")
    codes = [d.code for d in evaluate(pred_root, gt_root, NAMES[1:], 2, jobs=1).diagnostics]
    assert codes == [Code.NOT_PNG]


def test_unmapped_id_is_a_diagnostic(dataset: tuple[Path, Path]) -> None:
    pred_root, gt_root = dataset
    # Id 2 sits only under the ignore pixel: the official evaluator never looks it up.
    ok = evaluate(pred_root, gt_root, NAMES, 2, match={0: 0, 1: 1}, jobs=1)
    assert ok.diagnostics == [] and ok.scores is not None and ok.matched
    clusters = np.zeros((20, 30), dtype=np.int32)
    clusters[5:15, 5:20] = 4
    write(pred_root, NAMES[0], png(clusters))
    bad = evaluate(pred_root, gt_root, NAMES, 2, match={0: 0, 1: 1}, jobs=1)
    assert bad.scores is None
    assert [d.code for d in bad.diagnostics] == [Code.MATCH_UNMAPPED_ID]
    assert "4" in bad.diagnostics[0].message


def test_unusable_arguments_raise(dataset: tuple[Path, Path], tmp_path: Path) -> None:
    pred_root, gt_root = dataset
    with pytest.raises(UsageError):
        evaluate(pred_root, gt_root, [], 2)
    with pytest.raises(UsageError):
        evaluate(pred_root, gt_root, NAMES, 2, match={0: 0, 1: 3})
    with pytest.raises(EnvironmentProblem):
        evaluate(pred_root, tmp_path / "nowhere", NAMES, 2)
    (gt_root / f"{NAMES[1]}.png").unlink()
    with pytest.raises(EnvironmentProblem, match="ground truth"):
        evaluate(pred_root, gt_root, NAMES, 2, jobs=1)
    with pytest.raises(EnvironmentProblem, match="ground truth"):
        evaluate(pred_root, gt_root, NAMES * 4, 2, jobs=2)


@dataclass(frozen=True)
class MemoryReader:
    """A picklable in-memory reader: the seam a zip reader plugs into."""

    files: dict[str, bytes]

    def read(self, name: str) -> bytes:
        return self.files[name]


def test_any_picklable_reader_works_in_parallel(dataset: tuple[Path, Path]) -> None:
    pred_root, gt_root = dataset
    reader = MemoryReader({f"{n}.png": (pred_root / f"{n}.png").read_bytes() for n in NAMES})
    names = NAMES * 5
    from_folder = evaluate(pred_root, gt_root, names, 2, jobs=1)
    from_memory = evaluate(reader, gt_root, names, 2, jobs=2)
    assert from_memory.scores == from_folder.scores
    missing = evaluate(MemoryReader({}), gt_root, NAMES, 2, jobs=2)
    assert [d.code for d in missing.diagnostics] == [Code.MISSING_PREDICTION] * 2


def test_the_match_pass_gathers_statistics(dataset: tuple[Path, Path]) -> None:
    pred_root, gt_root = dataset
    run = match_pass(pred_root, gt_root, NAMES, 2)
    assert run.findings == []
    assert run.statistics is not None
    assert run.statistics.count == 2
    # Every image shows ids {0, 1} and classes {0, 1}: all four pairs co-occur.
    assert run.statistics.images.tolist() == [[2, 2, 0], [2, 2, 0], [0, 0, 0]]
    assert run.statistics.pixels[1, 1] == 2 * 150
    assert hungarian(run.statistics.images).mapping == {0: 0, 1: 1, 2: 2}


def test_the_e001_bound_is_never_below_the_matched_miou() -> None:
    # matched_gain skips the assignment when the bound rules E001 out: it must never be lower.
    from submitkit.scoring.matching import _best_miou_bound, hungarian, mapped_miou

    rng = np.random.default_rng(11)
    for _ in range(200):
        k1 = int(rng.integers(2, 12))
        pixels = rng.integers(0, 50, size=(k1, k1)) * (rng.random((k1, k1)) < 0.4)
        images = (pixels > 0).astype(np.int64) * rng.integers(1, 4, size=(k1, k1))
        matched = mapped_miou(pixels, hungarian(images).mapping)
        assert _best_miou_bound(pixels) >= matched - 1e-9
