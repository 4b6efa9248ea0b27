from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.core.diagnostics import Code
from submitkit.core.errors import EnvironmentProblem
from submitkit.inputs.manifest import (
    Manifest,
    ManifestSources,
    load_manifest,
    official_categories,
    official_names,
    toolbox_data_dir,
)


def fake_dataset(root: Path, images: dict[str, tuple[int, int]], split: str = "validation") -> Path:
    for key, (height, width) in images.items():
        path = root / "ImageNetS50" / split / f"{key}.JPEG"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (width, height), (9, 9, 9)).save(path, quality=50)
    return root


@pytest.mark.parametrize("k", [50, 300, 919])
def test_official_lists(toolbox: Path, k: int) -> None:
    data = toolbox_data_dir(toolbox)
    info = TRACKS[k]
    categories = official_categories(data, info)
    assert len(categories) == k and categories == sorted(categories)
    for split in Split:
        names = official_names(data, info, split)
        assert len(names) == info.count(split) == len(set(names))
        assert all(n.split("/")[0] in set(categories) for n in names)
        assert not any(n.endswith((".JPEG", ".png")) for n in names)


def test_toolbox_root_or_data_folder(toolbox: Path) -> None:
    assert toolbox_data_dir(toolbox) == toolbox_data_dir(toolbox / "data")


def test_toolbox_without_lists(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentProblem, match="data/categories"):
        toolbox_data_dir(tmp_path)


def test_dataset_only_manifest_warns_and_reads_sizes(tmp_path: Path) -> None:
    fake_dataset(tmp_path, {"n1/a": (30, 40), "n2/b": (5, 7)})
    manifest, diags = ManifestSources(dataset=tmp_path).build(50, Split.validation)
    assert manifest.images == {"n1/a": (30, 40), "n2/b": (5, 7)}
    assert manifest.categories == []  # 2 of 50 folders cannot number the classes
    assert [d.code for d in diags] == [Code.NAMES_FROM_DATASET]


def test_track_folder_accepted_as_dataset(tmp_path: Path) -> None:
    fake_dataset(tmp_path, {"n1/a": (3, 4)})
    manifest, _ = ManifestSources(dataset=tmp_path / "ImageNetS50").build(50, Split.validation)
    assert manifest.images == {"n1/a": (3, 4)}


def test_toolbox_plus_partial_dataset(toolbox: Path, tmp_path: Path) -> None:
    first = official_names(toolbox_data_dir(toolbox), TRACKS[50], Split.test)[:3]
    fake_dataset(tmp_path, {name: (8, 6) for name in first}, split="test")
    manifest, diags = ManifestSources(toolbox, tmp_path).build(50, Split.test)
    assert len(manifest.images) == 1682
    assert [manifest.images[n] for n in first] == [(8, 6)] * 3
    assert [d.code for d in diags] == [Code.DATASET_INCOMPLETE]
    assert "1679" in diags[0].message


def test_unreadable_jpeg_reported(tmp_path: Path) -> None:
    fake_dataset(tmp_path, {"n1/a": (3, 4)})
    (tmp_path / "ImageNetS50" / "validation" / "n1" / "b.JPEG").write_bytes(b"not a jpeg")
    manifest, diags = ManifestSources(dataset=tmp_path).build(50, Split.validation)
    assert manifest.images["n1/b"] is None
    assert Code.DATASET_UNREADABLE_IMAGE in [d.code for d in diags]


def test_manifest_round_trip(tmp_path: Path) -> None:
    manifest = Manifest(
        track=50, split=Split.test, categories=["n1"], images={"n1/a": (1, 2), "n1/b": None}
    )
    manifest.save(tmp_path / "m.json")
    assert load_manifest(tmp_path / "m.json") == manifest


def test_broken_manifest_file(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text('{"track": 51}')
    with pytest.raises(EnvironmentProblem, match="not a submitkit manifest"):
        load_manifest(tmp_path / "m.json")


def test_a_partial_copy_does_not_number_the_classes(tmp_path: Path) -> None:
    # Two of the 50 category folders: their positions say nothing of their class ids.
    root = fake_dataset(tmp_path, {"n01443537/a": (10, 12), "n09999999/b": (10, 12)})
    manifest, _ = ManifestSources(dataset=root).build(50, Split.validation)
    assert manifest.categories == []
    assert sorted(manifest.images) == ["n01443537/a", "n09999999/b"]


def test_all_category_folders_give_the_official_order(tmp_path: Path) -> None:
    wnids = [f"n{i:08d}" for i in range(50, 0, -1)]
    root = fake_dataset(tmp_path, {f"{w}/x{w}": (4, 4) for w in wnids})
    manifest, _ = ManifestSources(dataset=root).build(50, Split.validation)
    assert manifest.categories == sorted(wnids)


def test_a_manifest_from_a_partial_copy_warns_wherever_it_is_used(tmp_path: Path) -> None:
    root = fake_dataset(tmp_path, {"n01443537/a": (10, 12)})
    written, _ = ManifestSources(dataset=root).build(50, Split.validation)
    written.save(tmp_path / "m.json")
    _, diags = ManifestSources(manifest=tmp_path / "m.json").build(50, Split.validation)
    assert [d.code for d in diags] == [Code.NAMES_FROM_DATASET]
    assert "lists 1 images where the official validation list has 752" in diags[0].message
