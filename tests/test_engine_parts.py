"""The engine's shared parts: the runner, the zip writer, raw histograms, the PNG reader."""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from submitkit.core.errors import UsageError
from submitkit.core.workers import resolve_workers, run_all, run_ordered, usable_cpus
from submitkit.core.zipwrite import DeterministicZip
from submitkit.inputs import png
from tests.conftest import png_bytes

# --- the runner ---------------------------------------------------------------------


def test_results_come_in_order_with_progress() -> None:
    steps: list[int] = []
    out = run_all(lambda x: x * x, list(range(500)), jobs=3, progress=steps.append)
    assert out == [x * x for x in range(500)]
    assert sum(steps) == 500 and len(steps) > 1


def test_work_runs_on_worker_threads_only_when_asked() -> None:
    main = threading.get_ident()
    serial = set(run_all(lambda _: threading.get_ident(), list(range(50)), jobs=1))
    parallel = set(run_all(lambda _: threading.get_ident(), list(range(200)), jobs=2))
    assert serial == {main}
    assert main not in parallel


def test_a_worker_exception_reaches_the_caller_and_stops_the_rest() -> None:
    done: list[int] = []

    def work(x: int) -> int:
        if x == 40:
            raise KeyboardInterrupt
        done.append(x)
        return x

    with pytest.raises(KeyboardInterrupt):
        run_all(work, list(range(10_000)), jobs=2, max_chunk=4)
    assert len(done) < 10_000


def test_breaking_out_early_stops_the_workers() -> None:
    for seen, _ in enumerate(run_ordered(lambda x: x, list(range(10_000)), jobs=2, max_chunk=8)):
        if seen == 10:
            break
    alive = [t for t in threading.enumerate() if t.name.startswith("submitkit-worker")]
    for thread in alive:
        thread.join(timeout=2)
    assert not any(t.is_alive() for t in alive)


def test_one_cpu_rule() -> None:
    assert resolve_workers(3) == 3
    assert resolve_workers(0) == usable_cpus() >= 1
    assert resolve_workers(0, io_bound=True) >= usable_cpus()
    with pytest.raises(UsageError):
        resolve_workers(-1)


# --- the deterministic zip writer ---------------------------------------------------


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with DeterministicZip(buffer) as archive:
        for name, data in entries.items():
            archive.add(name, data)
    return buffer.getvalue()


def test_same_entries_same_bytes() -> None:
    entries = {"a/b.png": b"\x89PNG" + bytes(100), "method.txt": b"Method name: x\n"}
    first, second = _zip_bytes(entries), _zip_bytes(entries)
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == list(entries)
    assert {(i.date_time, i.create_system, i.compress_type) for i in infos} == {
        ((1980, 1, 1, 0, 0, 0), 3, zipfile.ZIP_STORED)
    }
    assert {i.external_attr >> 16 & 0o777 for i in infos} == {0o644}


# --- the PNG reader -----------------------------------------------------------------


def test_encoding_round_trips(tmp_path: Path) -> None:
    ids = np.array([[0, 1, 255], [256, 919, 65535]])
    assert np.array_equal(png.decode(png.encode(ids)), ids)
    (tmp_path / "m.png").write_bytes(png_bytes(ids))
    back = png.read_official(png.file_opener(tmp_path / "m.png"))
    assert np.array_equal(back, ids)


def test_truncated_pixels_with_an_intact_header_are_a_fault(tmp_path: Path) -> None:
    data = png_bytes(np.random.default_rng(0).integers(0, 50, size=(60, 60)))
    (tmp_path / "m.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(png.PngFault) as caught:
        png.read_official(png.file_opener(tmp_path / "m.png"))
    assert caught.value.code.value == "M002"
