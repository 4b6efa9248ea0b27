"""The ground-truth cache: the same scores, never stale, safe when damaged or shared."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import submitkit
from submitkit.inputs.png import decode as decode_ids
from submitkit.inputs.png import encode as encode_ids
from submitkit.scoring import truth_cache as tc
from submitkit.scoring.metrics import boundary_mask
from submitkit.scoring.truth_cache import ENV_VAR, TruthCache, cache_root, decode, encode

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"


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
    """``submitkit.evaluate`` of the case, with the user's ground-truth cache or --no-cache."""
    return submitkit.evaluate(
        root / "submission", dataset=root / "dataset", cache=cached, jobs=jobs
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
    path.write_bytes(b"SKGT0002" + b"\xff" * 40)
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


@pytest.mark.parametrize("relative", ["cache", "./cache", "~/cache"])
def test_a_relative_xdg_cache_home_is_ignored_as_the_spec_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, relative: str
) -> None:
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", relative)
    assert cache_root() == tmp_path / "home" / ".cache" / "submitkit"


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


# --- a cache that can be wrong only by being absent ------------------------------------

D004 = "D004"


def _cache_file(root: Path) -> Path:
    return TruthCache.for_folder(gt_dir(root)).path


def _warned(evaluation) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.message for d in evaluation.warnings if d.code.value == D004]


def _layout(path: Path) -> tuple[int, int, int]:
    """Where the index, the run values and the run lengths of a cache file start."""
    data = path.read_bytes()
    _magic, size, _sum = tc._HEAD.unpack(data[: tc._HEAD.size])
    total = json.loads(data[tc._HEAD.size : tc._HEAD.size + size])["runs"]
    values = tc._HEAD.size + size
    return tc._HEAD.size, values, values + tc._padded(total * 2)


def _flip(path: Path, offset: int, bit: int = 0) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1 << bit
    path.write_bytes(bytes(data))


@pytest.fixture()
def cached(case: Path) -> tuple[Path, object]:
    """The case with a full cache, and the scores of --no-cache."""
    reference = run(case, cached=False).scores
    assert run(case).truth_from_cache == 0
    return case, reference


def _served_right(case: Path, reference: object, *, expect_warning: bool = True) -> None:
    """The next run scores as --no-cache, warns once (or not), and the one after it is all hits."""
    again = run(case)
    assert again.scores == reference
    assert len(_warned(again)) == (1 if expect_warning else 0)
    after = run(case)
    assert after.truth_from_cache == 16 and after.scores == reference and not _warned(after)


@pytest.mark.parametrize("which", ["value", "length"])
@pytest.mark.parametrize("bit", [0, 7])
def test_one_flipped_bit_in_the_runs_never_changes_a_score(
    cached: tuple[Path, object], which: str, bit: int
) -> None:
    case, reference = cached
    path = _cache_file(case)
    _index, values, lengths = _layout(path)
    # The first run of every entry: each one's payload is damaged, lengths kept intact.
    index = json.loads(path.read_bytes()[_index:values])["entries"]
    for _digest, start, *_rest in index.values():
        offset = values + 2 * start if which == "value" else lengths + 4 * start
        _flip(path, offset, bit)
    _served_right(case, reference)


def test_the_run_values_flipped_by_the_issue_probe_score_as_no_cache(
    cached: tuple[Path, object],
) -> None:
    """Every cached run value with one bit flipped (lengths intact): 100.0 and 15.15 before."""
    case, reference = cached
    path = _cache_file(case)
    _index, values, lengths = _layout(path)
    data = bytearray(path.read_bytes())
    for offset in range(values, lengths, 2):
        data[offset] ^= 1
    path.write_bytes(bytes(data))
    damaged = run(case)
    assert damaged.scores == reference and damaged.truth_from_cache == 0
    assert len(_warned(damaged)) == 1


def _rewrite_index(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Replace the index by ``change(index)``, with a valid checksum: only its shape is wrong."""
    data = path.read_bytes()
    _magic, size, _sum = tc._HEAD.unpack(data[: tc._HEAD.size])
    index = json.loads(data[tc._HEAD.size : tc._HEAD.size + size])
    header = json.dumps(change(index)).encode()
    header += b" " * (tc._padded(tc._HEAD.size + len(header)) - tc._HEAD.size - len(header))
    head = tc._HEAD.pack(tc._MAGIC, len(header), hashlib.blake2b(header, digest_size=16).digest())
    path.write_bytes(head + header + data[tc._HEAD.size + size :])


def _first(index: dict) -> list:  # type: ignore[type-arg]
    return next(iter(index["entries"].values()))


def _set(entry_field: int, value: object):  # type: ignore[no-untyped-def]
    def change(index: dict) -> dict:  # type: ignore[type-arg]
        _first(index)[entry_field] = value
        return index

    return change


INDEX_DAMAGE = {
    "not an object": lambda index: [index],
    "no version": lambda index: {k: v for k, v in index.items() if k != "version"},
    "another version": lambda index: {**index, "version": 1},
    "runs a string": lambda index: {**index, "runs": "7"},
    "runs negative": lambda index: {**index, "runs": -1},
    "entries a list": lambda index: {**index, "entries": list(index["entries"])},
    "entry not a list": lambda index: {**index, "entries": {"a": {"digest": 1}}},
    "entry too short": _set(slice(0, 6), [1, 2]),
    "start negative": _set(1, -3),
    "start a float": _set(1, 0.5),
    "count a bool": _set(2, True),
    "count zero": _set(2, 0),
    "beyond the runs": _set(1, 10**12),
    "huge count": _set(2, 10**30),
    "height a string": _set(3, "375"),
    "shape swapped": _set(slice(3, 5), [500, 333]),
    "checksum missing": _set(5, None),
    "digest a number": _set(0, 5),
}


@pytest.mark.parametrize("damage", sorted(INDEX_DAMAGE))
def test_every_shape_of_damaged_index_is_ignored_and_rebuilt(
    cached: tuple[Path, object], damage: str
) -> None:
    case, reference = cached
    _rewrite_index(_cache_file(case), INDEX_DAMAGE[damage])
    _served_right(case, reference)


@pytest.mark.parametrize(
    "damage",
    ["index checksum", "index bytes", "truncated", "longer", "huge index", "empty", "foreign"],
)
def test_bad_bytes_anywhere_are_ignored_and_rebuilt(
    cached: tuple[Path, object], damage: str
) -> None:
    case, reference = cached
    path = _cache_file(case)
    index, _values, _lengths = _layout(path)
    data = path.read_bytes()
    if damage == "index checksum":
        _flip(path, index - 1)
    elif damage == "index bytes":
        _flip(path, index + 20, 3)
    elif damage == "truncated":
        path.write_bytes(data[:-4])
    elif damage == "longer":
        path.write_bytes(data + b"\0" * 8)
    elif damage == "huge index":
        path.write_bytes(tc._HEAD.pack(tc._MAGIC, 2**63, b"\0" * 16) + data[index:])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(b"PK\x03\x04 not a cache at all" * 100)
    _served_right(case, reference)


def test_a_cache_of_the_previous_format_is_rebuilt(cached: tuple[Path, object]) -> None:
    case, reference = cached
    path = _cache_file(case)
    path.write_bytes(b"SKGT0001" + path.read_bytes()[8:])
    _served_right(case, reference)


def _in_thread(case: Path):  # type: ignore[no-untyped-def]
    """A run that must finish: a FIFO opened for reading would block it for ever."""
    box: list[object] = []
    worker = threading.Thread(target=lambda: box.append(run(case)), daemon=True)
    worker.start()
    worker.join(timeout=300)
    assert not worker.is_alive(), "evaluate hung on the cache"
    return box[0]


@pytest.mark.parametrize("kind", ["fifo", "link"])
def test_a_fifo_or_link_where_the_cache_file_belongs_is_warned_once_and_replaced(
    cached: tuple[Path, object], kind: str
) -> None:
    case, reference = cached
    path = _cache_file(case)
    kept = path.with_name("kept.bin")
    path.rename(kept)
    before = kept.read_bytes()
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(kept)
    first = _in_thread(case)
    assert first.scores == reference and first.truth_from_cache == 0
    assert len(_warned(first)) == 1
    assert stat.S_ISREG(os.lstat(path).st_mode)  # rebuilt in its place
    assert kept.read_bytes() == before  # a link's target is never written through
    second = _in_thread(case)
    assert second.scores == reference and second.truth_from_cache > 0
    assert not _warned(second)


def test_a_folder_where_the_cache_file_belongs_is_ignored_and_left_alone(
    cached: tuple[Path, object],
) -> None:
    case, reference = cached
    path = _cache_file(case)
    path.unlink()
    path.mkdir()
    (path / "someone's").write_text("kept")
    for _ in range(2):  # never removed, so warned about on each run
        evaluation = _in_thread(case)
        assert evaluation.scores == reference and evaluation.truth_from_cache == 0
        assert len(_warned(evaluation)) == 1
    assert (path / "someone's").read_text() == "kept"


def test_an_absent_cache_is_not_warned_about(case: Path) -> None:
    first = run(case)
    assert not _warned(first) and first.truth_from_cache == 0
    assert not _warned(run(case))


def test_the_command_warns_once_and_prints_the_no_cache_score(
    cached: tuple[Path, object],
) -> None:
    case, _reference = cached
    path = _cache_file(case)
    _index, values, _lengths = _layout(path)
    _flip(path, values)

    def evaluate_cli(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
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
                *extra,
            ],
            capture_output=True,
            text=True,
            env={**os.environ},
            check=False,
        )

    damaged = evaluate_cli()
    fresh = evaluate_cli("--no-cache")
    assert damaged.returncode == fresh.returncode == 0, damaged.stderr
    assert (damaged.stdout + damaged.stderr).count(D004) == 1
    scores = [line for line in fresh.stdout.splitlines() if "mIoU" in line]
    assert scores and all(line in damaged.stdout for line in scores)
