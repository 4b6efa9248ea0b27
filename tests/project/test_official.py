"""Integration tests against the real official ImageNet-S lists.

The lists are found at $SUBMITKIT_TEST_TOOLBOX (CI: /work/shared/imagenet-s), else
at <repo>/../shared/imagenet-s; without them every test here is skipped, saying so.

Full-size synthetic test-split submissions (every image of the official list, as a
tiny mask) are built once per module for tracks 50 and 919 with a matching fake
dataset of tiny JPEGs, then checked clean and with single injected faults.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import submitkit
from submitkit.benchmark.tracks import MERGED_919_CLASSES, TRACKS, Split
from submitkit.checks.staged import resolve_target
from submitkit.inputs.manifest import ManifestSources
from submitkit.inputs.png import encode
from tests.conftest import invoke_cli

pytestmark = pytest.mark.official

COUNTS = {
    (50, Split.validation): 752,
    (50, Split.test): 1682,
    (300, Split.validation): 4097,
    (300, Split.test): 9088,
    (919, Split.validation): 12419,
    (919, Split.test): 27423,
}
PAIRS = list(COUNTS)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No [tool.submitkit] of a surrounding pyproject.toml, no SUBMITKIT_* settings."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("SUBMITKIT_") and key != "SUBMITKIT_TEST_TOOLBOX":
            monkeypatch.delenv(key)


# --- the lists ------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "split"), PAIRS, ids=[f"{k}-{s.value}" for k, s in PAIRS])
def test_manifest_from_the_toolbox(toolbox: Path, k: int, split: Split) -> None:
    manifest, diags = ManifestSources(toolbox=toolbox).build(k, split)
    assert diags == []
    assert (manifest.track, manifest.split) == (k, split)
    assert len(manifest.images) == COUNTS[k, split] == TRACKS[k].count(split)
    assert len(manifest.categories) == k
    assert manifest.categories == sorted(set(manifest.categories))
    assert not manifest.has_sizes
    categories = set(manifest.categories)
    for key in manifest.images:
        wnid, stem = key.split("/")
        assert wnid in categories, key
        assert stem.startswith("ILSVRC2012_val_"), key
    if k == 919:
        assert not categories & set(MERGED_919_CLASSES)
        assert set(MERGED_919_CLASSES.values()) <= categories


def test_track_categories_nest(toolbox: Path) -> None:
    sources = ManifestSources(toolbox=toolbox)
    cats = {k: set(sources.build(k, Split.validation)[0].categories) for k in TRACKS}
    assert cats[50] < cats[300] < cats[919]


@pytest.mark.parametrize(("k", "split"), PAIRS, ids=[f"{k}-{s.value}" for k, s in PAIRS])
def test_target_detected_from_a_full_list_of_names(toolbox: Path, k: int, split: Split) -> None:
    sources = ManifestSources(toolbox=toolbox)
    predictions = sources.names(k, split)
    target = resolve_target(predictions, sources, None, None)
    assert target is not None
    assert target[:2] == (k, split)
    # The 50 and 300 validation lists are subsets of larger ones: names alone tie there.
    assert target[2] in ("names", "count")


# --- full-size synthetic submissions ----------------------------------------------------


@dataclass
class Fixture:
    k: int
    submission: Path
    dataset: Path
    names: list[str]
    sizes: dict[str, tuple[int, int]]
    root: Path
    validation: list[str]
    """The validation names of the track, whose predictions do not belong here."""
    manifest: Path | None = None
    """Written by `submitkit manifest` (the full_manifests fixture)."""


def _png(ids: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(encode(ids)).save(buffer, format="PNG")
    return buffer.getvalue()


def _method(k: int) -> str:
    return (
        "Method name: Tiny\n"
        f"Training data: ImageNet-S{k} train\n"
        "Training scheme: SSL\n"
        "Networks: ResNet-50\n"
        "Paper/Project link: null\n"
        "Method description: every mask is background with one pixel of its class.\n"
    )


class _Blobs:
    """Distinct file contents written once, placed as hard links (creating 55k files
    with data is slow on some file systems; links are not)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True)
        self.paths: dict[bytes, Path] = {}

    def place(self, target: Path, data: bytes) -> None:
        blob = self.paths.get(data)
        if blob is None:
            blob = self.paths[data] = self.folder / str(len(self.paths))
            blob.write_bytes(data)
        try:
            os.link(blob, target)
        except OSError:
            target.write_bytes(data)


def build_fixture(root: Path, toolbox: Path, k: int) -> Fixture:
    """A tiny mask for every official test image, and a fake dataset of tiny JPEGs."""
    sources = ManifestSources(toolbox=toolbox)
    manifest, _ = sources.build(k, Split.test)
    class_id = {wnid: i + 1 for i, wnid in enumerate(manifest.categories)}
    submission = root / "submission"
    split_dir = root / "dataset" / TRACKS[k].folder / "test"
    blobs = _Blobs(root / "blobs")
    pngs: dict[tuple[int, int, int], bytes] = {}
    jpegs: dict[tuple[int, int], bytes] = {}
    sizes: dict[str, tuple[int, int]] = {}
    for wnid in {key.split("/", 1)[0] for key in manifest.images}:
        (submission / wnid).mkdir(parents=True)
        (split_dir / wnid).mkdir(parents=True)
    for i, key in enumerate(manifest.images):
        h, w = 3 + i % 3, 4 + i % 5
        sizes[key] = (h, w)
        cls = class_id[key.split("/", 1)[0]]
        if (h, w, cls) not in pngs:
            ids = np.zeros((h, w), dtype=np.int32)
            ids[h // 2, w // 2] = cls
            pngs[h, w, cls] = _png(ids)
        if (h, w) not in jpegs:
            buffer = io.BytesIO()
            Image.new("RGB", (w, h), (90, 120, 60)).save(buffer, format="JPEG", quality=50)
            jpegs[h, w] = buffer.getvalue()
        blobs.place(submission / f"{key}.png", pngs[h, w, cls])
        blobs.place(split_dir / f"{key}.JPEG", jpegs[h, w])
    (submission / "method.txt").write_text(_method(k), encoding="utf-8")
    validation = [n for n in sources.names(k, Split.validation) if n not in sizes]
    # Only into folders that exist, so that the fault stays one extra file.
    validation = [n for n in validation if (submission / n.split("/", 1)[0]).is_dir()]
    return Fixture(k, submission, root / "dataset", list(manifest.images), sizes, root, validation)


@pytest.fixture(scope="module")
def t50(toolbox: Path, tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build_fixture(tmp_path_factory.mktemp("official50"), toolbox, 50)


@pytest.fixture(scope="module")
def t919(toolbox: Path, tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build_fixture(tmp_path_factory.mktemp("official919"), toolbox, 919)


@pytest.fixture(scope="module")
def full_manifests(t50: Fixture, t919: Fixture, toolbox: Path) -> None:
    """`submitkit manifest` of each fixture: official names, sizes from its JPEG headers."""
    for fx in (t50, t919):
        fx.manifest = fx.root / "manifest.json"
        args = ["manifest", "-o", str(fx.manifest), "--track", str(fx.k), "--split", "test"]
        args += ["--toolbox", str(toolbox), "--dataset", str(fx.dataset), "--quiet"]
        result = invoke_cli(args)
        assert result.exit_code == 0, result.output


@pytest.fixture(params=[50, 919], ids=["track50", "track919"])
def full(request: pytest.FixtureRequest) -> Fixture:
    """Each full-size fixture in turn (919: 27423 masks, the slower one)."""
    fixture: Fixture = request.getfixturevalue(f"t{request.param}")
    return fixture


def cli_check(path: Path, toolbox: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    args = ["check", str(path), "--toolbox", str(toolbox), "--format", "json", "--quiet"]
    result = invoke_cli([*args, *extra])
    assert result.exit_code in (0, 1), (
        f"exit {result.exit_code}: {result.exception!r}\n{result.output}"
    )
    return result.exit_code, json.loads(result.stdout)


def test_full_submission_passes(full: Fixture, toolbox: Path) -> None:
    status, report = cli_check(full.submission, toolbox, "--dataset", str(full.dataset))
    assert status == 0, report["diagnostics"][:5]
    assert report["diagnostics"] == []
    assert (report["track"], report["split"]) == (full.k, "test")
    assert report["target"] == "names"
    counts = report["counts"]
    assert counts["predictions"] == counts["expected"] == counts["masks_inspected"]
    assert counts["predictions"] == COUNTS[full.k, Split.test]
    assert "mask sizes against the source images" in report["verified"]


@pytest.mark.usefixtures("full_manifests")
def test_manifest_command_reads_the_sizes(full: Fixture) -> None:
    assert full.manifest is not None
    manifest = json.loads(full.manifest.read_text(encoding="utf-8"))
    assert (manifest["track"], manifest["split"]) == (full.k, "test")
    assert len(manifest["categories"]) == full.k
    assert {key: tuple(size) for key, size in manifest["images"].items()} == full.sizes
    report = submitkit.check(full.submission, manifest=full.manifest, quick=True)
    assert report.exit_code == 0, report.diagnostics[:5]
    assert report.target == "manifest"


def test_target_detected_from_the_names(full: Fixture, toolbox: Path) -> None:
    report = submitkit.check(full.submission, toolbox=toolbox, quick=True)
    assert (report.track, report.split, report.target) == (full.k, Split.test, "names")
    assert report.exit_code == 0, report.diagnostics[:5]


# --- single injected faults -----------------------------------------------------------------


@contextlib.contextmanager
def _replaced(path: Path, data: bytes) -> Iterator[None]:
    # Unlink first: the file is a hard link shared with other masks.
    original = path.read_bytes()
    path.unlink()
    path.write_bytes(data)
    try:
        yield
    finally:
        path.unlink()
        path.write_bytes(original)


@contextlib.contextmanager
def missing(fx: Fixture, key: str) -> Iterator[str]:
    mask = fx.submission / f"{key}.png"
    aside = fx.root / "aside.png"
    shutil.move(mask, aside)
    try:
        yield f"{key}.png"
    finally:
        shutil.move(aside, mask)


@contextlib.contextmanager
def wrong_size(fx: Fixture, key: str) -> Iterator[str]:
    h, w = fx.sizes[key]
    with _replaced(fx.submission / f"{key}.png", _png(np.zeros((h, w + 1), np.int32))):
        yield f"{key}.png"


@contextlib.contextmanager
def grayscale(fx: Fixture, key: str) -> Iterator[str]:
    h, w = fx.sizes[key]
    buffer = io.BytesIO()
    Image.new("L", (w, h), 1).save(buffer, format="PNG")
    with _replaced(fx.submission / f"{key}.png", buffer.getvalue()):
        yield f"{key}.png"


@contextlib.contextmanager
def extra(fx: Fixture, key: str) -> Iterator[str]:
    """A prediction of the other split: a validation image of the same track."""
    del key
    name = f"{fx.validation[0]}.png"
    assert fx.validation[0] not in fx.sizes
    target = fx.submission / name
    target.write_bytes(_png(np.zeros((3, 4), np.int32)))
    try:
        yield name
    finally:
        target.unlink()


@contextlib.contextmanager
def enclosing_zip(fx: Fixture, key: str) -> Iterator[str]:
    del key
    archive = fx.root / "enclosing.zip"
    if not archive.exists():
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as out:
            for path in sorted(fx.submission.rglob("*")):
                if path.is_file():
                    rel = path.relative_to(fx.submission).as_posix()
                    out.write(path, f"submission/{rel}")
    yield "submission/"


FAULTS: dict[str, tuple[Callable[[Fixture, str], contextlib.AbstractContextManager[str]], str]] = {
    "missing": (missing, "N001"),
    "wrong-size": (wrong_size, "M007"),
    "grayscale": (grayscale, "M003"),
    "extra": (extra, "N002"),
    "enclosing-zip": (enclosing_zip, "L001"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.usefixtures("full_manifests")
def test_single_fault_fails_naming_the_file(full: Fixture, toolbox: Path, fault: str) -> None:
    inject, code = FAULTS[fault]
    key = full.names[(len(full.names) * (2 + list(FAULTS).index(fault))) // 9]
    with inject(full, key) as faulty:
        path = full.root / "enclosing.zip" if fault == "enclosing-zip" else full.submission
        if full.k == 50:
            status, report = cli_check(path, toolbox, "--dataset", str(full.dataset))
        else:
            # The 919 fixture is checked in full once (test_full_submission_passes). These
            # faults all show in file names and PNG headers, so --quick and a manifest of
            # the sizes (read once) keep 27k masks and 27k JPEG headers cheap here.
            status, report = cli_check(path, toolbox, "--manifest", str(full.manifest), "--quick")
    assert status == 1
    ours = [d for d in report["diagnostics"] if d["code"] == code]
    assert ours, report["diagnostics"][:5]
    assert any(faulty in d["path"] for d in ours), (faulty, ours)
    errors = {d["code"] for d in report["diagnostics"] if d["severity"] == "error"}
    assert errors == {code}, report["diagnostics"][:5]
    assert not [d for d in report["diagnostics"] if d["severity"] == "warning"]
