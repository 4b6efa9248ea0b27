"""The ground-truth cache: the same scores, never stale, safe when damaged or shared."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from submitkit.benchmark.ids import decode as decode_ids
from submitkit.benchmark.ids import encode as encode_ids
from submitkit.scoring.engine import evaluate
from submitkit.scoring.metrics import boundary_mask
from submitkit.scoring.truth_cache import ENV_VAR, TruthCache, cache_root, decode, encode

GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def names_of(case: str) -> list[str]:
    lines = (GOLDEN / case / "names.txt").read_text().splitlines()
    return [line.split()[0][: -len(".JPEG")] for line in lines if line.strip()]


@pytest.fixture()
def case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of t50-real (its ground truth gets rewritten) and a private cache."""
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "cache"))
    return Path(shutil.copytree(GOLDEN / "t50-real", tmp_path / "case"))


def gt_dir(root: Path) -> Path:
    return root / "dataset" / "ImageNetS50" / "validation-segmentation"


def run(root: Path, cached: bool = True, jobs: int = 1):  # type: ignore[no-untyped-def]
    folder = gt_dir(root)
    cache = TruthCache.for_folder(folder) if cached else None
    return evaluate(
        root / "submission", folder, names_of("t50-real"), 50, jobs=jobs, truth_cache=cache
    )


def test_runs_round_trip_ids_and_boundaries() -> None:
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 3, size=(40, 60)).repeat(3, axis=1)[:, :60] * 500
    edge = boundary_mask(ids)
    back_ids, back_edge = decode(encode(ids, edge), 40, 60)
    assert np.array_equal(back_ids, ids) and np.array_equal(back_edge, edge)


def test_the_second_evaluation_takes_the_ground_truth_from_the_cache(case: Path) -> None:
    first = run(case)
    second = run(case, jobs=2)
    assert first.truth_from_cache == 0
    assert second.truth_from_cache == 16
    assert second.scores == first.scores == run(case, cached=False).scores


def test_a_changed_mask_is_never_served_stale(case: Path) -> None:
    run(case)
    target = gt_dir(case) / f"{names_of('t50-real')[0]}.png"
    stat = target.stat()
    with Image.open(target) as im:
        ids = decode_ids(np.asarray(im))
    ids[: ids.shape[0] // 2] = 0
    Image.fromarray(encode_ids(ids)).save(target)
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime, as cp -p keeps it
    cached = run(case)
    assert cached.truth_from_cache == 15
    assert cached.scores == run(case, cached=False).scores


def test_a_damaged_cache_file_is_ignored_and_rewritten(case: Path) -> None:
    first = run(case)
    path = TruthCache.for_folder(gt_dir(case)).path
    path.write_bytes(b"SKGT0001" + b"\xff" * 40)
    again = run(case)
    assert again.truth_from_cache == 0 and again.scores == first.scores
    assert run(case).truth_from_cache == 16


def test_an_unwritable_cache_only_costs_speed(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = case / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv(ENV_VAR, str(blocker))
    assert run(case).scores == run(case, cached=False).scores


def test_the_cache_lives_where_the_user_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "submitkit"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"


def test_no_cache_writes_no_cache(case: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "submitkit",
            "evaluate",
            str(case / "submission"),
            "--dataset",
            str(case / "dataset"),
            "--no-cache",
            "--quiet",
        ],
        check=False,
        capture_output=True,
        env={**os.environ},
    )
    assert not (Path(os.environ[ENV_VAR]) / "ground-truth").exists()


def test_concurrent_runs_leave_a_complete_cache(case: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "submitkit",
        "evaluate",
        str(case / "submission"),
        "--dataset",
        str(case / "dataset"),
        "--quiet",
        "--jobs",
        "1",
        "--format",
        "json",
    ]
    procs = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ}
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len({o for o in outputs}) == 1
    leftovers = [
        p for p in (Path(os.environ[ENV_VAR]) / "ground-truth").iterdir() if p.suffix != ".bin"
    ]
    assert leftovers == []
    assert run(case).truth_from_cache == 16
