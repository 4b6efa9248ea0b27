"""`submitkit.Evaluator`: the official metrics from arrays, equal to `evaluate` on its images."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import submitkit
from submitkit.core.errors import InputError, SubmitkitError, UsageError
from submitkit.inputs.png import file_opener, read_official
from submitkit.scoring.bootstrap import HEADLINE
from submitkit.workflows.evaluate import EvaluationOutput

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"
TOLERANCE = 1e-3
ENTRIES = {
    "evaluate_submission": "submission",
    "evaluate_submission_unsup_with_match_json": "submission-unsup",
    "evaluate_submission_overcluster_with_match_json": "submission-overcluster",
}
CASES = ("t50-small", "t919-small", "t50-real")
SCORE_KEYS = (
    "Acc mIoU mBIoU FMeasure S MS ML L BS BMS BML BL IoUs BIoUs".split()  # noqa: SIM905
)


def _k(case: str) -> int:
    return 919 if "919" in case else 50


def _truth(case: str) -> Path:
    return GOLDEN / case / "dataset" / f"ImageNetS{_k(case)}" / "validation-segmentation"


@cache
def _document(case: str, folder: str) -> EvaluationOutput:
    return submitkit.evaluate(GOLDEN / case / folder, dataset=GOLDEN / case / "dataset", jobs=1)


@cache
def _pairs(case: str, folder: str) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(prediction, ground truth, name) of every image, in the order evaluate counted them."""
    counts = _document(case, folder).counts
    assert counts is not None
    read = lambda p: read_official(file_opener(p))  # noqa: E731
    return [
        (read(GOLDEN / case / folder / f"{n}.png"), read(_truth(case) / f"{n}.png"), n)
        for n in counts.names
    ]


def _match(case: str, folder: str) -> dict[int, int] | None:
    path = GOLDEN / case / folder / "match.json"
    if not path.is_file():
        return None
    return {int(k): int(v) for k, v in json.loads(path.read_text()).items()}


def _fed(
    case: str, folder: str, images: slice = slice(None), named: bool = True
) -> submitkit.Evaluator:
    evaluator = submitkit.Evaluator(track=_k(case))
    match = _match(case, folder)
    for pred, gt, name in _pairs(case, folder)[images]:
        evaluator.update(pred, gt, match=match, name=name if named else None)
    return evaluator


def _close(ours: Any, theirs: Any, tolerance: float) -> bool:
    if theirs is None or ours is None:
        return ours is None and theirs is None
    return bool(np.abs(np.asarray(ours) - np.asarray(theirs)).max() <= tolerance)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("entry", list(ENTRIES))
def test_equals_evaluate_and_the_official_evaluator(case: str, entry: str) -> None:
    folder = ENTRIES[entry]
    scores = _fed(case, folder).compute()
    expected = json.loads((GOLDEN / case / "expected.json").read_text())[entry]
    for metric, official in expected.items():
        assert _close(getattr(scores, metric), official, TOLERANCE), metric
    evaluated = _document(case, folder).scores
    assert evaluated is not None
    assert scores.model_dump(include=set(SCORE_KEYS)) == evaluated.model_dump(
        include=set(SCORE_KEYS)
    )
    assert scores.images == evaluated.images == len(_pairs(case, folder))


@pytest.mark.parametrize("case", CASES)
def test_evaluators_fed_disjoint_images_merge_into_one_fed_all(case: str) -> None:
    folder = "submission-overcluster"
    whole = _fed(case, folder).compute()
    half = len(_pairs(case, folder)) // 2
    first, second = _fed(case, folder, slice(None, half)), _fed(case, folder, slice(half, None))
    added = first + second
    assert len(added) == len(_pairs(case, folder)) and len(first) == half
    assert added.compute() == whole
    assert first.merge(second) is first
    assert first.compute() == whole


def test_intervals_are_evaluates_for_the_same_seed() -> None:
    case, folder = "t50-real", "submission"
    evaluated = submitkit.evaluate(
        GOLDEN / case / folder, dataset=GOLDEN / case / "dataset", bootstrap=200, seed=5
    )
    scores = _fed(case, folder).compute(bootstrap=200, seed=5)
    assert scores.intervals is not None and set(scores.intervals) == set(HEADLINE)
    assert scores.intervals == evaluated.intervals
    assert scores.class_intervals is not None and len(scores.class_intervals) == 51
    assert [scores.class_intervals[row.id] for row in evaluated.classes] == [
        row.interval for row in evaluated.classes
    ]
    assert scores.bootstrap is not None and scores.bootstrap.samples == 200
    assert _fed(case, folder).compute(bootstrap=200, seed=6).intervals != scores.intervals
    assert _fed(case, folder).compute().intervals is None


def test_named_images_get_evaluates_intervals_in_any_order() -> None:
    case, folder = "t50-real", "submission"
    evaluated = submitkit.evaluate(
        GOLDEN / case / folder, dataset=GOLDEN / case / "dataset", bootstrap=200, seed=5
    )
    backwards = submitkit.Evaluator(track=_k(case))
    for pred, gt, name in reversed(_pairs(case, folder)):
        backwards.update(pred, gt, name=name)
    assert backwards.compute(bootstrap=200, seed=5).intervals == evaluated.intervals
    unnamed = _fed(case, folder, named=False).compute(bootstrap=200, seed=5)
    assert unnamed.intervals == _fed(case, folder, named=False).compute(200, 5).intervals
    half = len(_pairs(case, folder)) // 2
    split = _fed(case, folder, slice(None, half), named=False) + _fed(
        case, folder, slice(half, None), named=False
    )
    assert split.compute(bootstrap=200, seed=5).intervals == unnamed.intervals


def test_reset_forgets_every_image_and_anything_asarray_takes_is_accepted() -> None:
    evaluator = submitkit.Evaluator(track=50)
    evaluator.update([[1, 1], [0, 2]], np.array([[1, 1], [0, 3]], dtype=np.uint16))
    assert len(evaluator) == 1 and evaluator.compute().images == 1
    evaluator.reset()
    assert len(evaluator) == 0
    with pytest.raises(UsageError, match="no image was counted"):
        evaluator.compute()


GOOD = np.zeros((4, 6), dtype=np.int64)


@pytest.mark.parametrize(
    ("prediction", "truth", "match", "message"),
    [
        (
            np.zeros((4, 5), dtype=np.int64),
            GOOD,
            None,
            "prediction is 5\u00d74 but",
        ),
        (np.zeros((2, 4, 6), dtype=np.int64), GOOD, None, r"shape \(2, 4, 6\), not H x W"),
        (GOOD.astype(np.float32), GOOD, None, "prediction has dtype float32, not integers"),
        (GOOD.astype(bool), GOOD, None, "prediction has dtype bool, not integers"),
        (GOOD, GOOD.astype(np.float64), None, "ground truth has dtype float64"),
        (GOOD + 51, GOOD, None, "prediction holds ids 51, outside 0..50"),
        (GOOD - 1, GOOD, None, r"prediction holds ids -1, outside 0..50"),
        (GOOD, GOOD + 999, None, "ground truth holds ids 999, outside 0..50 and 1000"),
        (GOOD + 7, GOOD, {0: 0, 6: 1}, "the match has no key for predicted ids 7"),
        (GOOD, GOOD, {0: 0, 6: 51}, "match: match maps 6 to 51, outside 0..50"),
        (GOOD, GOOD, {0: 0, 70000: 1}, "not an encodable id"),
        (np.zeros((0, 3), dtype=np.int64), np.zeros((0, 3), dtype=np.int64), None, "empty"),
        ("not ids", GOOD, None, "dtype <U7, not integers"),
    ],
    ids=[
        "other-size",
        "three-axes",
        "float",
        "bool",
        "float-truth",
        "above-k",
        "negative",
        "truth-id",
        "unmapped",
        "match-class",
        "match-key",
        "empty",
        "text",
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    prediction: Any, truth: Any, match: dict[int, int] | None, message: str
) -> None:
    evaluator = submitkit.Evaluator(track=50)
    with pytest.raises(InputError, match=message) as caught:
        evaluator.update(prediction, truth, match=match)
    assert isinstance(caught.value, SubmitkitError) and caught.value.hint
    assert len(evaluator) == 0


def test_ignored_pixels_need_no_match_key_and_tracks_are_checked() -> None:
    evaluator = submitkit.Evaluator(track=50)
    truth = np.full((4, 6), 1000, dtype=np.int64)
    truth[0] = 3
    prediction = np.full((4, 6), 9, dtype=np.int64)
    prediction[0] = 5
    evaluator.update(prediction, truth, match={0: 0, 5: 3})
    assert evaluator.compute().IoUs[3] == pytest.approx(100.0)
    with pytest.raises(UsageError, match="51 is not a track"):
        submitkit.Evaluator(track=51)
    with pytest.raises(InputError, match="track 919 into track 50"):
        evaluator.merge(submitkit.Evaluator(track=919))
    with pytest.raises(UsageError, match="at least 2 resamples"):
        evaluator.compute(bootstrap=1)
