"""Parity with the official ImageNet-S toolbox on the golden cases, through the Python API.

Each case in tests/fixtures/golden holds what the official evaluator.py and
match.py printed (expected.json). Every metric of every evaluation entry that
``submitkit.evaluate`` returns (the workflow `submitkit evaluate` runs, check
included) must agree to 1e-3; the matching ``submitkit.match`` writes must be
the official assignment itself (its tie-break), reach the official cost, and
agree with it wherever the optimum forces a pair.
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

import submitkit
from submitkit.inputs.match_json import write_match
from submitkit.scoring.matching import MatchStatistics, agreement_of, hungarian
from submitkit.scoring.metrics import Scores
from submitkit.workflows.evaluate import EvaluationOutput
from submitkit.workflows.match import MatchOutput

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"
TOLERANCE = 1e-3
EVALUATE_PREFIX = "evaluate_"
WITH_MATCH_SUFFIX = "_with_match_json"
HUNGARIAN_PREFIX = "image_level_hungarian_match_of_"


def _cases() -> list[str]:
    return sorted(p.name for p in GOLDEN.iterdir() if (p / "expected.json").is_file())


@cache
def _expected(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / case / "expected.json").read_text())
    return data


def _folder(entry_tail: str) -> str:
    # "submission_unsup" -> "submission-unsup": the entry names the folder it scored.
    return entry_tail.replace("_", "-")


def _evaluation_entries() -> list[tuple[str, str]]:
    return [
        (case, entry)
        for case in _cases()
        for entry in _expected(case)
        if entry.startswith(EVALUATE_PREFIX)
    ]


def _metric_params() -> list[Any]:
    params = []
    for case, entry in _evaluation_entries():
        for metric in _expected(case)[entry]:
            params.append(pytest.param(case, entry, metric, id=f"{case}-{entry}-{metric}"))
    return params


def _hungarian_params() -> list[Any]:
    return [
        pytest.param(case, entry, id=f"{case}-{entry}")
        for case in _cases()
        for entry in _expected(case)
        if entry.startswith(HUNGARIAN_PREFIX)
    ]


def _k(case: str) -> int:
    return int(_expected(case)["track"])


def _names(case: str) -> list[str]:
    # The official list format: "wnid/stem.JPEG wnid/stem.png".
    lines = (GOLDEN / case / "names.txt").read_text().splitlines()
    return [line.split()[1].removesuffix(".png") for line in lines if line.strip()]


@cache
def _evaluation(case: str, entry: str, jobs: int = 1) -> EvaluationOutput:
    """What a user gets from ``submitkit.evaluate`` (the submission's own match.json, if any)."""
    tail = entry.removeprefix(EVALUATE_PREFIX)
    folder = GOLDEN / case / _folder(tail.removesuffix(WITH_MATCH_SUFFIX))
    assert (folder / "match.json").is_file() == tail.endswith(WITH_MATCH_SUFFIX)
    return submitkit.evaluate(folder, dataset=GOLDEN / case / "dataset", cache=False, jobs=jobs)


def _matched(case: str, entry: str, output: Path) -> MatchOutput:
    folder = GOLDEN / case / _folder(entry.removeprefix(HUNGARIAN_PREFIX))
    return submitkit.match(folder, output=output, dataset=GOLDEN / case / "dataset", jobs=1)


def _our_mapping(case: str, entry: str, tmp: Path) -> dict[int, int]:
    document = _matched(case, entry, tmp / f"{case}-match.json")
    assert document.mapping is not None, document.check
    return {int(k): v for k, v in document.mapping.items()}


@cache
def _statistics(case: str, entry: str) -> MatchStatistics:
    """The agreement statistics ``submitkit.match`` scored its candidates from."""
    with tempfile.TemporaryDirectory() as tmp:
        document = _matched(case, entry, Path(tmp) / "match.json")
    assert document.statistics is not None, document.check
    return document.statistics


def _scores_with(case: str, entry: str, mapping: dict[int, int], match_file: Path) -> Scores:
    """``submitkit.evaluate`` of the entry's masks under ``mapping`` given as --match."""
    folder = GOLDEN / case / _folder(entry.removeprefix(HUNGARIAN_PREFIX))
    match_file.write_text(write_match(mapping))
    document = submitkit.evaluate(
        folder, dataset=GOLDEN / case / "dataset", match=match_file, cache=False, jobs=1
    )
    assert document.scores is not None, document.check
    return document.scores


def test_golden_cases_present() -> None:
    assert {"t50-small", "t919-small", "t50-real"} <= set(_cases())
    for case in _cases():
        kinds = {e for e in _expected(case) if e not in ("about", "track")}
        assert all(e.startswith((EVALUATE_PREFIX, HUNGARIAN_PREFIX)) for e in kinds), kinds
        assert len(_names(case)) > 0


@pytest.mark.parametrize(("case", "entry", "metric"), _metric_params())
def test_metric_matches_official(case: str, entry: str, metric: str) -> None:
    result = _evaluation(case, entry)
    assert result.scores is not None, result.check
    assert result.scores.images == len(_names(case))
    ours = getattr(result.scores, metric)
    official = _expected(case)[entry][metric]
    if isinstance(official, list):
        assert len(ours) == len(official) == _k(case) + 1
        diff = np.abs(np.asarray(ours) - np.asarray(official))
        assert diff.max() <= TOLERANCE, f"class {int(diff.argmax())}: {ours} vs {official}"
    else:
        assert ours is not None
        assert abs(ours - official) <= TOLERANCE, (ours, official)


@pytest.mark.parametrize(("case", "entry"), _evaluation_entries())
def test_parallel_run_is_identical(case: str, entry: str) -> None:
    serial, parallel = _evaluation(case, entry, 1), _evaluation(case, entry, 2)
    assert parallel.scores == serial.scores
    assert parallel.counts is not None and serial.counts is not None
    assert sorted(parallel.counts.names) == sorted(_names(case))
    assert parallel.model_dump(mode="json") == serial.model_dump(mode="json")


@pytest.mark.parametrize(("case", "entry"), _hungarian_params())
def test_match_writes_the_official_assignment(case: str, entry: str, tmp_path: Path) -> None:
    official = {int(k): int(v) for k, v in _expected(case)[entry].items()}
    assert _our_mapping(case, entry, tmp_path) == official
    written = json.loads((tmp_path / f"{case}-match.json").read_text())
    assert {int(k): v for k, v in written.items()} == official


@pytest.mark.parametrize(("case", "entry"), _hungarian_params())
def test_hungarian_reaches_official_cost(case: str, entry: str, tmp_path: Path) -> None:
    stats = _statistics(case, entry)
    official = {int(k): int(v) for k, v in _expected(case)[entry].items()}
    assert hungarian(stats.images).cost == -agreement_of(stats.images, official)
    ours = _our_mapping(case, entry, tmp_path)
    assert agreement_of(stats.images, ours) == agreement_of(stats.images, official)
    assert ours[0] == 0 == official[0]
    k = _k(case)
    assert set(ours) == set(range(k + 1)) == set(official)
    assert sorted(ours[i] for i in range(1, k + 1)) == list(range(1, k + 1))


def _forced_pairs(agreement: np.ndarray, mapping: dict[int, int]) -> list[tuple[int, int]]:
    """Pairs (id, class) of ``mapping`` that every optimal assignment contains."""
    a = agreement[1:, 1:]
    rows = np.flatnonzero(a.sum(axis=1))
    cols = np.flatnonzero(a.sum(axis=0))
    # With non-negative weights, zero rows and columns only pad the optimum: the
    # reduced rectangular problem has the same optimal value.
    sub = a[np.ix_(rows, cols)]
    r, c = linear_sum_assignment(sub, maximize=True)
    best = int(sub[r, c].sum())
    forced = []
    for i, j in mapping.items():
        if i == 0 or a[i - 1, j - 1] == 0:
            continue
        ri, cj = int(np.flatnonzero(rows == i - 1)[0]), int(np.flatnonzero(cols == j - 1)[0])
        without = sub.copy()
        without[ri, cj] = -(10**9)
        r2, c2 = linear_sum_assignment(without, maximize=True)
        if int(without[r2, c2].sum()) < best:
            forced.append((i, j))
    return forced


@pytest.mark.parametrize(("case", "entry"), _hungarian_params())
def test_hungarian_agrees_where_the_optimum_is_unique(
    case: str, entry: str, tmp_path: Path
) -> None:
    stats = _statistics(case, entry)
    official = {int(k): int(v) for k, v in _expected(case)[entry].items()}
    ours = _our_mapping(case, entry, tmp_path)
    forced = _forced_pairs(stats.images, official)
    assert forced, "expected some forced pairs in the golden case"
    assert [(i, ours[i]) for i, _ in forced] == forced

    # Scores follow: a class whose id is forced gets the same IoU under both maps.
    with_ours = _scores_with(case, entry, ours, tmp_path / "ours.json")
    with_official = _scores_with(case, entry, official, tmp_path / "official.json")
    for _, cls in forced:
        assert with_ours.IoUs[cls] == pytest.approx(with_official.IoUs[cls], abs=1e-9)
