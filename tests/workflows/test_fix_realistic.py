"""`fix` on realistic submissions built from the official lists, all three tracks.

Each submission makes the mistakes researchers make: predictions written under
the ImageNet label folder (first column of the test mapping) instead of the
ImageNet-S folder (second column), written flat or nested, mixed with the other
split, or holding ImageNet-1k class ids. One `fix` must turn each into a copy
that passes `check`, every mask's ids verified pixel for pixel against a
conversion computed here independently, and the input left byte for byte alone.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from submitkit.benchmark.tracks import Split
from submitkit.checks.report import Status
from submitkit.core.diagnostics import Code
from submitkit.core.errors import UsageError
from submitkit.inputs.config import RunContext
from submitkit.inputs.manifest import ManifestSources, manifest_from_names
from submitkit.inputs.png import decode
from submitkit.workflows.fix import ChangeKind, FixResult, fix_submission
from tests.conftest import invoke_cli, png_bytes

SHAPE = (6, 8)
MERGED = {
    "n04356056": "n04355933",
    "n04493381": "n02808440",
    "n03642806": "n03832673",
    "n04008634": "n03773504",
    "n03887697": "n15075141",
}
METHOD = """Method name: Fixture
Training data: ImageNet-S train
Training scheme: SSL+Sup
Networks: ResNet-18
Paper/Project link: null
Method description: a test fixture
"""

Ids = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Image_:
    """One image of a split: its ImageNet label folder and its ImageNet-S key."""

    label: str
    key: str

    @property
    def stem(self) -> str:
        return self.key.split("/", 1)[1]


def _lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines() if line.strip()]


def split_images(toolbox: Path, k: int, split: str) -> list[Image_]:
    rows = _lines(toolbox / "data" / "mapping" / f"ImageNetS_im{k}_mapping_{split}.txt")
    return [Image_(a.split("/")[0], b.rsplit(".", 1)[0]) for a, b in rows]


def categories(toolbox: Path, k: int) -> list[str]:
    return [r[0] for r in _lines(toolbox / "data/categories" / f"ImageNetS_categories_im{k}.txt")]


def sample(images: list[Image_], n: int) -> list[Image_]:
    """Up to n images, half of them filed under another folder than their label."""
    moved = [i for i in images if i.key.split("/")[0] != i.label][: n // 2]
    kept = [i for i in images if i.key.split("/")[0] == i.label][: n - len(moved)]
    return sorted(moved + kept, key=lambda i: i.key)


def ids_of(stem: str, high: int) -> Ids:
    rng = np.random.default_rng(int(stem.rsplit("_", 1)[1]))
    return rng.integers(0, high + 1, size=SHAPE)


def gray(ids: Ids) -> bytes:
    buffer = io.BytesIO()
    mode_ids = ids.astype(np.uint8) if ids.max() < 256 else ids.astype(np.uint16)
    Image.fromarray(mode_ids).save(buffer, format="PNG")
    return buffer.getvalue()


def synset_order(toolbox: Path) -> list[str]:
    """A synthetic ImageNet-1k class list: the 919, the five merged, fillers to 1000."""
    wnids = set(categories(toolbox, 919)) | set(MERGED)
    fillers = (f"n{9_000_000 + i:08d}" for i in range(1000))
    while len(wnids) < 1000:
        wnids.add(next(fillers))
    return sorted(wnids)


def write_synsets(path: Path, order: list[str]) -> Path:
    path.write_text("".join(f"{w} class {i}, a synthetic name\n" for i, w in enumerate(order)))
    return path


def expected_from_1k(ids1k: Ids, order: list[str], cats: list[str]) -> Ids:
    """The conversion, written out independently: index -> wnid -> merge -> position."""
    position = {w: i + 1 for i, w in enumerate(cats)}
    out = np.zeros_like(ids1k)
    for old in np.unique(ids1k):
        if old:
            wnid = order[int(old) - 1]
            out[ids1k == old] = position.get(MERGED.get(wnid, wnid), 0)
    return out


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def out_masks(result: FixResult) -> dict[str, Ids]:
    """Every written mask, asserting the official encoding."""
    root = Path(result.output)
    found: dict[str, Ids] = {}
    if result.output_container == "zip":
        with zipfile.ZipFile(root) as archive:
            blobs = {n: archive.read(n) for n in archive.namelist() if n.endswith(".png")}
    else:
        blobs = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.png")}
    for name, data in blobs.items():
        with Image.open(io.BytesIO(data)) as im:
            assert im.mode == "RGB", name
            rgb = np.asarray(im)
        assert not rgb[..., 2].any()
        found[name[: -len(".png")]] = decode(rgb).astype(np.int64)
    return found


def manifest_sources(
    tmp_path: Path, toolbox: Path, k: int, images: list[Image_]
) -> ManifestSources:
    manifest = manifest_from_names(
        k, Split.test, [i.key for i in images], categories=categories(toolbox, k)
    )
    path = tmp_path / f"manifest{k}.json"
    manifest.save(path)
    return ManifestSources(manifest=path)


def build(
    root: Path, images: list[Image_], place: Callable[[Image_], str], data: Callable[[str], bytes]
) -> Path:
    root.mkdir(parents=True)
    (root / "method.txt").write_text(METHOD)
    for image in images:
        target = root / place(image)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data(image.stem))
    return root


def assert_passes(result: FixResult) -> None:
    assert result.report is not None
    assert result.report.status is Status.passed, result.report.by_code
    assert result.exit_code == 0


def counts(result: FixResult) -> dict[ChangeKind, int]:
    return {kind: len(changes) for kind, changes in result.by_kind().items()}


# --- predictions under the ImageNet label folder -------------------------------------


@pytest.mark.parametrize("k", [300, 919])
def test_label_folders_are_moved_to_the_test_layout(toolbox: Path, tmp_path: Path, k: int) -> None:
    images = sample(split_images(toolbox, k, "test"), 120)
    moved = sum(1 for i in images if i.key.split("/")[0] != i.label)
    assert moved == 60
    sub = build(
        tmp_path / "sub", images, lambda i: f"{i.label}/{i.stem}.png", lambda s: gray(ids_of(s, k))
    )
    before = tree_hash(sub)
    result = fix_submission(
        sub, tmp_path / "out", RunContext(manifest_sources(tmp_path, toolbox, k, images), jobs=1)
    )
    assert tree_hash(sub) == before
    assert_passes(result)
    assert counts(result) == {ChangeKind.moved_wnid: moved, ChangeKind.grayscale: len(images)}
    masks = out_masks(result)
    assert sorted(masks) == [i.key for i in images]
    for image in images:
        np.testing.assert_array_equal(masks[image.key], ids_of(image.stem, k))


def test_track_50_full_test_split_from_the_toolbox_via_the_cli(
    toolbox: Path, tmp_path: Path
) -> None:
    """All 1,682 test images under their label folders; 291 must move."""
    images = split_images(toolbox, 50, "test")
    sub = build(
        tmp_path / "sub",
        images,
        lambda i: f"{i.label}/{i.stem}.png",
        lambda s: png_bytes(ids_of(s, 50)),
    )
    before = tree_hash(sub)
    out = tmp_path / "fixed.zip"
    cli = invoke_cli(["fix", str(sub), "-o", str(out), "--toolbox", str(toolbox), "-q"])
    assert cli.exit_code == 0, cli.output
    assert "moved from another wnid folder to the one the split's list names: 291" in cli.output
    assert tree_hash(sub) == before
    check = invoke_cli(["check", str(out), "--toolbox", str(toolbox), "-q"])
    assert check.exit_code == 0, check.output
    with zipfile.ZipFile(out) as archive:
        for image in images:
            with Image.open(io.BytesIO(archive.read(f"{image.key}.png"))) as im:
                got = decode(np.asarray(im))
            np.testing.assert_array_equal(got, ids_of(image.stem, 50))


# --- flat, nested, mixed ---------------------------------------------------------------


def _scattered(i: Image_) -> str:
    """A third flat, a third under the label folder, a third nested in run folders."""
    n = int(i.stem.rsplit("_", 1)[1]) % 3
    if n == 0:
        return f"{i.stem}.png"
    if n == 1:
        return f"{i.label}/{i.stem}.png"
    return f"outputs/epoch_100/{i.label}/{i.stem}.png"


@pytest.mark.parametrize("k", [50, 300, 919])
def test_flat_and_nested_layouts_are_placed(toolbox: Path, tmp_path: Path, k: int) -> None:
    images = sample(split_images(toolbox, k, "test"), 90)
    sub = build(tmp_path / "sub", images, _scattered, lambda s: png_bytes(ids_of(s, k)))
    result = fix_submission(
        sub, tmp_path / "out", RunContext(manifest_sources(tmp_path, toolbox, k, images), jobs=1)
    )
    assert_passes(result)
    found = counts(result)
    assert found[ChangeKind.moved_flat] == sum(1 for i in images if _scattered(i).count("/") == 0)
    assert found[ChangeKind.moved_nested] == sum(1 for i in images if _scattered(i).count("/") > 1)
    masks = out_masks(result)
    assert sorted(masks) == [i.key for i in images]
    for image in images:
        np.testing.assert_array_equal(masks[image.key], ids_of(image.stem, k))
    # Written masks are unchanged bytes: a move touches no pixel and no byte.
    assert result.unchanged == result.written


def test_flat_zip_of_a_whole_track_50_test_split(toolbox: Path, tmp_path: Path) -> None:
    images = split_images(toolbox, 50, "test")
    archive = tmp_path / "flat.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("predictions/method.txt", METHOD)
        for image in images:
            z.writestr(f"predictions/{image.stem}.png", png_bytes(ids_of(image.stem, 50)))
    result = fix_submission(
        archive, tmp_path / "out", RunContext(ManifestSources(toolbox=toolbox), jobs=1)
    )
    assert_passes(result)
    assert counts(result) == {ChangeKind.flattened: 1, ChangeKind.moved_flat: len(images)}
    assert sorted(out_masks(result)) == sorted(i.key for i in images)


def test_mixed_validation_and_test_needs_drop_extra(toolbox: Path, tmp_path: Path) -> None:
    test = split_images(toolbox, 50, "test")
    validation = split_images(toolbox, 50, "validation")
    sub = build(
        tmp_path / "sub",
        test + validation,
        lambda i: f"{i.key}.png",
        lambda s: png_bytes(ids_of(s, 50)),
    )
    sources = ManifestSources(toolbox=toolbox)
    kept = fix_submission(sub, tmp_path / "kept", RunContext(sources, split=Split.test, jobs=1))
    assert kept.report is not None and kept.exit_code == 1
    assert kept.report.by_code == {Code.EXTRA_PREDICTION.value: len(validation)}
    before = tree_hash(sub)
    result = fix_submission(
        sub, tmp_path / "out", RunContext(sources, split=Split.test, jobs=1), drop_extra=True
    )
    assert tree_hash(sub) == before
    assert_passes(result)
    assert counts(result) == {ChangeKind.extra_dropped: len(validation)}
    dropped = {c.path for c in result.by_kind()[ChangeKind.extra_dropped]}
    assert dropped == {f"{i.key}.png" for i in validation}
    assert all(c.code is Code.EXTRA_PREDICTION for c in result.by_kind()[ChangeKind.extra_dropped])
    assert sorted(out_masks(result)) == sorted(i.key for i in test)


def test_drop_extra_needs_the_lists(tmp_path: Path) -> None:
    sub = build(tmp_path / "sub", [], lambda i: "", lambda s: b"")
    with pytest.raises(UsageError, match="--drop-extra needs"):
        fix_submission(
            sub,
            tmp_path / "out",
            RunContext(ManifestSources(), track=50, split=Split.test),
            drop_extra=True,
        )


def test_copies_of_one_image_none_in_place_are_all_left_out(toolbox: Path, tmp_path: Path) -> None:
    images = sample(split_images(toolbox, 50, "test"), 10)
    sub = build(
        tmp_path / "sub", images, lambda i: f"{i.key}.png", lambda s: png_bytes(ids_of(s, 50))
    )
    first = images[0]
    (sub / f"{first.key}.png").unlink()
    (sub / "a").mkdir()
    (sub / "b").mkdir()
    (sub / "a" / f"{first.stem}.png").write_bytes(png_bytes(ids_of(first.stem, 50)))
    (sub / "b" / f"{first.stem}.png").write_bytes(png_bytes(ids_of(first.stem, 50) * 0))
    result = fix_submission(
        sub, tmp_path / "out", RunContext(manifest_sources(tmp_path, toolbox, 50, images), jobs=1)
    )
    left = result.by_kind()[ChangeKind.left_out]
    assert {c.path for c in left} == {f"a/{first.stem}.png", f"b/{first.stem}.png"}
    assert all(c.code is Code.DUPLICATE_STEM for c in left)
    assert result.report is not None and Code.MISSING_PREDICTION in result.report.codes()


# --- ImageNet-1k ids --------------------------------------------------------------------


def ids_1k(stem: str, order: list[str], cats: list[str]) -> Ids:
    """ImageNet-1k ids: classes of the track, merged sources, classes outside it, 0."""
    rng = np.random.default_rng(int(stem.rsplit("_", 1)[1]))
    inside = [order.index(w) + 1 for w in cats[:5]]
    merged = [order.index(w) + 1 for w in MERGED]
    outside = [i + 1 for i, w in enumerate(order) if w not in cats][:5]
    choices = np.array([0, *inside, *merged, *outside, *rng.integers(1, 1001, size=4)])
    return rng.choice(choices, size=SHAPE)


@pytest.mark.parametrize("k", [50, 300, 919])
def test_imagenet1k_ids_become_imagenet_s_ids(toolbox: Path, tmp_path: Path, k: int) -> None:
    order = synset_order(toolbox)
    synsets = write_synsets(tmp_path / "LOC_synset_mapping.txt", order)
    cats = categories(toolbox, k)
    images = sample(split_images(toolbox, k, "test"), 60)
    sub = build(
        tmp_path / "sub",
        images,
        lambda i: f"{i.label}/{i.stem}.png",
        lambda s: gray(ids_1k(s, order, cats)),
    )
    before = tree_hash(sub)
    result = fix_submission(
        sub,
        tmp_path / "out",
        RunContext(manifest_sources(tmp_path, toolbox, k, images), jobs=1),
        from_labels="imagenet1k",
        synsets=synsets,
    )
    assert tree_hash(sub) == before
    assert_passes(result)
    masks = out_masks(result)
    assert sorted(masks) == [i.key for i in images]
    other: dict[str, int] = {}
    for image in images:
        source = ids_1k(image.stem, order, cats)
        np.testing.assert_array_equal(masks[image.key], expected_from_1k(source, order, cats))
        for old in np.unique(source):
            wnid = order[int(old) - 1] if old else ""
            if old and MERGED.get(wnid, wnid) not in cats:
                other[wnid] = other.get(wnid, 0) + int((source == old).sum())
    reported = {
        c.path: int(c.detail.split(" ", 1)[0].replace(",", ""))
        for c in result.by_kind()[ChangeKind.to_other]
    }
    assert reported == other
    if k == 919:
        merged = {c.path for c in result.by_kind()[ChangeKind.merged]}
        assert merged == set(MERGED)
    assert counts(result)[ChangeKind.imagenet1k] == 1


def test_one_fix_repairs_every_mistake_at_once(toolbox: Path, tmp_path: Path) -> None:
    """Label folders, flat, nested, the other split mixed in, ImageNet-1k ids, grayscale."""
    order = synset_order(toolbox)
    cats = categories(toolbox, 919)
    test = sample(split_images(toolbox, 919, "test"), 60)
    validation = split_images(toolbox, 919, "validation")[:20]
    sub = build(
        tmp_path / "sub", test + validation, _scattered, lambda s: gray(ids_1k(s, order, cats))
    )
    (tmp_path / "data").mkdir()
    write_synsets(tmp_path / "data" / "LOC_synset_mapping.txt", order)
    before = tree_hash(sub)
    out = tmp_path / "fixed.zip"
    args = ["fix", str(sub), "-o", str(out), "--manifest", str(tmp_path / "m.json"), "-q"]
    manifest_sources(tmp_path, toolbox, 919, test).manifest.rename(tmp_path / "m.json")  # type: ignore[union-attr]
    cli = invoke_cli([*args, "--drop-extra", "--from", "imagenet1k"])
    assert cli.exit_code == 2 and "LOC_synset_mapping.txt" in cli.output
    assert not out.exists()
    synsets = str(tmp_path / "data" / "LOC_synset_mapping.txt")
    cli = invoke_cli([*args, "--drop-extra", "--from", "imagenet1k", "--synsets", synsets])
    assert cli.exit_code == 0, cli.output
    assert tree_hash(sub) == before
    for heading in (
        "moved from the root (flat layout) into its wnid folder",
        "moved out of nested or unknown folders into its wnid folder",
        "left out (--drop-extra): not images of this split: 20",
        "ImageNet-1k ids converted to ImageNet-S ids: 1",
        "grayscale label maps encoded as RGB: 60",
    ):
        assert heading in cli.output
    result = FixResult(
        submission=str(sub), output=str(out), container="folder", output_container="zip"
    )
    masks = out_masks(result)
    assert sorted(masks) == [i.key for i in test]
    for image in test:
        want = expected_from_1k(ids_1k(image.stem, order, cats), order, cats)
        np.testing.assert_array_equal(masks[image.key], want)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "0 distinct wnids"),
        ("n01440764 tench\n" * 1000, "1 distinct wnids"),
        ("tench n01440764\n", "does not start with a wnid"),
        ("".join(f"n{i:08d} x\n" for i in range(1000)), "lacks 50 classes"),
    ],
    ids=["empty", "repeated", "not-a-wnid", "not-imagenet"],
)
def test_malformed_synset_list_is_a_usage_error(
    toolbox: Path, tmp_path: Path, content: str, message: str
) -> None:
    images = sample(split_images(toolbox, 50, "test"), 4)
    sub = build(tmp_path / "sub", images, lambda i: f"{i.key}.png", lambda s: gray(ids_of(s, 3)))
    synsets = tmp_path / "LOC_synset_mapping.txt"
    synsets.write_text(content)
    args = ["fix", str(sub), "-o", str(tmp_path / "out"), "--toolbox", str(toolbox)]
    args += ["--track", "50", "--split", "test"]
    cli = invoke_cli([*args, "--from", "imagenet1k", "--synsets", str(synsets), "-q"])
    assert cli.exit_code == 2, cli.output
    assert message in cli.output
    assert not (tmp_path / "out").exists()


def test_synset_list_is_found_in_the_dataset_copy(toolbox: Path, tmp_path: Path) -> None:
    from submitkit.inputs.synsets import find_synsets

    dataset = tmp_path / "imagenet-s"
    (dataset / "ImageNetS50").mkdir(parents=True)
    assert find_synsets(dataset) is None
    path = write_synsets(dataset / "LOC_synset_mapping.txt", synset_order(toolbox))
    assert find_synsets(dataset) == path


def test_imagenet1k_ids_above_1000_are_left_out(toolbox: Path, tmp_path: Path) -> None:
    order = synset_order(toolbox)
    synsets = write_synsets(tmp_path / "LOC_synset_mapping.txt", order)
    images = sample(split_images(toolbox, 50, "test"), 4)
    sub = build(tmp_path / "sub", images, lambda i: f"{i.key}.png", lambda s: gray(ids_of(s, 3)))
    (sub / f"{images[0].key}.png").write_bytes(gray(np.full(SHAPE, 1001)))
    result = fix_submission(
        sub,
        tmp_path / "out",
        RunContext(manifest_sources(tmp_path, toolbox, 50, images), jobs=1),
        from_labels="imagenet1k",
        synsets=synsets,
    )
    (left,) = result.by_kind()[ChangeKind.left_out]
    assert left.code is Code.ID_OUT_OF_RANGE and "1001" in left.detail


def test_imagenet_s_ids_taken_for_imagenet1k_ones_fail_the_copy(
    toolbox: Path, tmp_path: Path
) -> None:
    # Masks that already hold ImageNet-S50 ids lose them all when read as ImageNet-1k ids.
    order = synset_order(toolbox)
    synsets = write_synsets(tmp_path / "LOC_synset_mapping.txt", order)
    images = sample(split_images(toolbox, 50, "test"), 6)
    sub = build(tmp_path / "sub", images, lambda i: f"{i.key}.png", lambda s: gray(ids_of(s, 50)))
    result = fix_submission(
        sub,
        tmp_path / "out",
        RunContext(manifest_sources(tmp_path, toolbox, 50, images), jobs=1),
        from_labels="imagenet1k",
        synsets=synsets,
    )
    assert result.report is not None and not result.passed
    (doubt,) = [d for d in result.report.diagnostics if d.code is Code.ID_OUT_OF_RANGE]
    assert "of the labelled pixels held ids 1..50, the ids of this track" in doubt.message
    assert doubt.hint.startswith("drop --from imagenet1k")
