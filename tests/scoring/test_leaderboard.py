"""The leaderboard columns and the small YAML writer behind competition.yaml."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from submitkit.scoring.leaderboard import (
    COLUMNS,
    interval_columns,
    leaderboard_scores,
    scores_txt,
)
from submitkit.scoring.metrics import Scores
from submitkit.workflows.competition_yaml import dump_yaml


def _scores(**overrides: float | None) -> Scores:
    values: dict[str, object] = {c.key: 10.0 + i for i, c in enumerate(COLUMNS)}
    values.update(IoUs=[1.0, 2.0], BIoUs=[0.5, 0.5], images=3)
    values.update(overrides)
    return Scores.model_validate(values)


def test_every_column_is_an_official_metric_and_mIoU_ranks() -> None:
    assert COLUMNS[0].key == "mIoU"
    assert all(c.key in Scores.model_fields for c in COLUMNS)
    assert all(c.sorting == "desc" for c in COLUMNS)


def test_an_empty_bucket_is_written_as_zero_and_named() -> None:
    values, empty = leaderboard_scores(_scores(L=None, BL=None))
    assert empty == ["L", "BL"] and values["L"] == 0.0 == values["BL"]
    assert list(values) == [c.key for c in COLUMNS]


def test_interval_bounds_get_their_own_keys() -> None:
    values, _ = leaderboard_scores(_scores(), {"mIoU": (9.5, 10.5)})
    assert values["mIoU_low"] == 9.5 and values["mIoU_high"] == 10.5
    assert [c.key for c in interval_columns(("mIoU",))] == ["mIoU_low", "mIoU_high"]


def test_scores_txt_is_one_key_value_line_each() -> None:
    assert scores_txt({"mIoU": 34.7579, "Acc": 58.0}) == "mIoU: 34.757900\nAcc: 58.000000\n"


@pytest.mark.parametrize(
    "value",
    ["yes", "2026-02-01", "1.0", "a: b", 'quote " and \\', "é ✓ 中", "- dash", "", "null"],
)
def test_yaml_strings_read_back_unchanged(value: str) -> None:
    document = {"title": value, "list": [value, {"key": value, "n": 3, "flag": True}]}
    assert yaml.safe_load(dump_yaml(document)) == document


def test_yaml_nesting_reads_back() -> None:
    document = {
        "version": 2,
        "phases": [{"index": 0, "tasks": [0], "empty": []}, {"index": 1, "tasks": [1, 2]}],
        "nothing": None,
        "start": date(2026, 2, 1),
        "mapping": {"inner": {"deep": 1.5}},
    }
    assert yaml.safe_load(dump_yaml(document)) == document
