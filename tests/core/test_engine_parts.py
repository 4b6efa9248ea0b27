"""The engine's shared parts: the runner, the zip writer, raw histograms, the PNG reader."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from submitkit.checks.masks import inspect_masks
from submitkit.core.errors import UsageError
from submitkit.core.workers import can_fork, resolve_workers, run_all, run_ordered, usable_cpus
from submitkit.core.zipwrite import DeterministicZip
from submitkit.inputs import png
from submitkit.inputs.layout import Prediction
from submitkit.inputs.source import MemberRef
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


@pytest.mark.skipif(not can_fork(), reason="worker processes are forked on Linux only")
def test_forked_workers_get_items_unpickled_and_keep_a_bounded_window(tmp_path: Path) -> None:
    class Local:  # a local class cannot be pickled: it must reach the workers by the fork
        def __init__(self, n: int) -> None:
            self.n = n

    def work(item: Local) -> int:
        (tmp_path / str(item.n)).touch()
        return item.n

    items = [Local(n) for n in range(60)]
    run = run_ordered(work, items, jobs=2, max_chunk=1, window=4, processes=True)
    assert next(run) == 0
    time.sleep(1.0)  # a slow reader: the workers may not run ahead of the window
    started = len(list(tmp_path.iterdir()))
    assert [0, *run] == list(range(60))
    assert started <= 5  # the chunk read and the four in flight; Pool.imap would start all 60


@pytest.mark.skipif(not can_fork(), reason="worker processes are forked on Linux only")
def test_the_checks_pixel_stage_runs_in_worker_processes(tmp_path: Path) -> None:
    class Failing(MemberRef):
        def open(self):  # type: ignore[no-untyped-def]
            raise OSError(f"read in process {os.getpid()}")

    tasks = [
        Prediction(Failing(str(tmp_path), f"{i}.png", False), f"{i}.png", None) for i in range(40)
    ]
    messages = " ".join(d.message for r in inspect_masks(tasks, jobs=2) for d in r.diagnostics)
    # The fast decoder holds the GIL: on threads two workers decode no faster than one.
    assert "read in process" in messages and f"read in process {os.getpid()}" not in messages


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


# --- reproducible zips from pack and fix --------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _copy_with_other_metadata(source: Path, target: Path) -> Path:
    """The same content with other timestamps and permissions, as on another machine."""
    shutil.copytree(source, target)
    for i, path in enumerate(sorted(target.rglob("*"))):
        if path.is_file():
            path.chmod(0o600 if i % 2 else 0o664)
            os.utime(path, (1_000_000_000 + i, 1_700_000_000 - i))
    return target


def test_pack_and_fix_zips_are_reproducible(tmp_path: Path) -> None:
    from submitkit.benchmark.protocols import Protocol
    from submitkit.inputs.config import RunContext
    from submitkit.inputs.manifest import ManifestSources
    from submitkit.workflows.fix import fix_submission
    from submitkit.workflows.pack import plan_pack, write_pack

    sources = ManifestSources(manifest=EXAMPLES / "manifest.json")
    context = RunContext(sources, protocol=Protocol.semi, jobs=2)
    first = EXAMPLES / "submissions" / "valid"
    second = _copy_with_other_metadata(first, tmp_path / "elsewhere" / "valid")
    packed, fixed = [], []
    for n, sub in enumerate((first, second)):
        out = tmp_path / f"pack{n}.zip"
        write_pack(plan_pack(sub, context), out)
        packed.append(out.read_bytes())
        result = fix_submission(sub, tmp_path / f"fix{n}.zip", context.but(protocol=None))
        assert result.written > 0
        fixed.append((tmp_path / f"fix{n}.zip").read_bytes())
    assert packed[0] == packed[1]
    assert fixed[0] == fixed[1]


def test_pack_refuses_a_mask_it_cannot_decode(tmp_path: Path) -> None:
    from submitkit.benchmark.protocols import Protocol
    from submitkit.inputs.config import RunContext
    from submitkit.inputs.manifest import ManifestSources
    from submitkit.workflows.pack import plan_pack, write_pack

    sub = shutil.copytree(EXAMPLES / "submissions" / "valid", tmp_path / "sub")
    victim = sorted(sub.rglob("*.png"))[0]
    data = victim.read_bytes()
    victim.write_bytes(data[: max(60, len(data) // 2)])
    sources = ManifestSources(manifest=EXAMPLES / "manifest.json")
    plan = plan_pack(sub, RunContext(sources, protocol=Protocol.semi, jobs=2))
    assert not plan.blocked  # the header stage cannot see it...
    result = write_pack(plan, tmp_path / "out.zip")
    # ...the one decoding pass does, and nothing is written.
    assert result.status == "refused" and plan.blocked
    assert "M002" in {d.code.value for d in result.report.diagnostics}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]


def test_a_huge_file_named_as_a_mask_is_judged_without_reading_it_whole(tmp_path: Path) -> None:
    import resource

    from submitkit.checks.masks import inspect_mask
    from submitkit.inputs.source import MemberRef

    name = "n01443537/ILSVRC2012_val_00000001.png"
    path = tmp_path / name
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:
        handle.write(png_bytes(np.zeros((375, 500), dtype=np.int32)))
        handle.truncate(1 << 30)  # 1 GiB, sparse: no disk used
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = inspect_mask(Prediction(MemberRef(str(tmp_path), name, False), name, None), False)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert [d.code.value for d in result.diagnostics] == ["M011"]
    assert grown_mib < 256, f"memory grew by {grown_mib:.0f} MiB"
