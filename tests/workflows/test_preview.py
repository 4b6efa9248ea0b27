"""`submitkit preview` and the per-class IoU chart: what they draw, not just that they run."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from submitkit.benchmark.ids import IGNORE
from submitkit.benchmark.tracks import Split
from submitkit.core.errors import UsageError
from submitkit.inputs.config import RunContext
from submitkit.inputs.manifest import ManifestSources
from submitkit.workflows.preview import (
    class_colour,
    colourize,
    fit,
    overlay,
    plot_class_iou,
    preview_sheet,
    top_classes,
)
from tests.conftest import Cli, png_bytes, write_tree

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def _colours(pixels: np.ndarray) -> set[tuple[int, int, int]]:
    """The distinct RGB colours of an image (packed to one integer each: fast to unique)."""
    flat = pixels.reshape(-1, 3).astype(np.int64)
    packed = np.unique(flat[:, 0] << 16 | flat[:, 1] << 8 | flat[:, 2])
    return {(int(v >> 16), int(v >> 8 & 255), int(v & 255)) for v in packed}


def example_sources() -> ManifestSources:
    assert (EXAMPLES / "dataset").is_dir(), "examples missing: run examples/make_examples.py"
    return ManifestSources(dataset=EXAMPLES / "dataset", manifest=EXAMPLES / "manifest.json")


def test_class_colours_are_stable_and_distinct() -> None:
    colours = [class_colour(i) for i in range(1, 920)]
    assert colours == [class_colour(i) for i in range(1, 920)]
    # Neighbouring ids, the ones a model confuses most, must not look alike.
    for a, b in itertools.pairwise(colours[:51]):
        assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) > 60
    assert len(set(colours[:50])) == 50
    assert class_colour(IGNORE) not in colours[:50]


def test_colourize_and_overlay_paint_classes_only() -> None:
    ids = np.zeros((8, 8), dtype=np.int32)
    ids[2:6, 2:6] = 7
    rgb = colourize(ids)
    assert tuple(rgb[3, 3]) == class_colour(7)
    assert tuple(rgb[0, 0]) == (0, 0, 0)
    source = Image.new("RGB", (8, 8), (100, 100, 100))
    drawn = np.asarray(overlay(source, ids, (16, 16)))
    assert drawn.shape == (16, 16, 3)
    inside, outside = drawn[8, 8].astype(int), drawn[0, 0].astype(int)
    # Background keeps the (gray) source; the class is tinted towards its colour.
    assert len(set(outside.tolist())) == 1
    assert np.abs(inside - outside).sum() > 40
    # Class borders are outlined so regions read even where colours are close.
    assert tuple(drawn[4, 4]) == (255, 255, 255)


def test_top_classes_and_fit() -> None:
    ids = np.array([[0, 0, 0, 5], [5, 9, 0, 0]], dtype=np.int32)
    assert top_classes(ids, 2) == [(0, 62.5), (5, 25.0)]
    assert fit(62, 72, 300) == (258, 300)
    assert fit(1000, 500, 300) == (300, 150)


def test_sheet_of_the_valid_example(tmp_path: Path) -> None:
    out = tmp_path / "sheet.png"
    result = preview_sheet(
        EXAMPLES / "submissions" / "valid", out, RunContext(example_sources()), count=4, seed=1
    )
    assert result.split is Split.validation and result.track == 50
    assert len(result.shown) == 4 and result.total == 12
    assert result.with_sources == 4 and result.with_ground_truth == 4
    with Image.open(out) as im:
        assert im.mode == "RGB"
        width, height = im.size
        # Two tiles a row, each a prediction and a ground-truth panel of 300 px.
        assert width > 1200 and height > 2 * 300
        pixels = np.asarray(im)
    # The object classes of the shown images appear in their stable colours (tinted).
    assert (pixels.reshape(-1, 3) == 255).all(axis=1).mean() > 0.2  # white page
    assert len(_colours(pixels)) > 200


def test_sample_is_stable_for_a_seed(tmp_path: Path) -> None:
    sources = example_sources()
    sub = EXAMPLES / "submissions" / "valid"
    a = preview_sheet(sub, tmp_path / "a.png", RunContext(sources), count=5, seed=7)
    b = preview_sheet(sub, tmp_path / "b.png", RunContext(sources), count=5, seed=7)
    c = preview_sheet(sub, tmp_path / "c.png", RunContext(sources), count=5, seed=8)
    assert a.shown == b.shown != c.shown
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_without_dataset_the_masks_are_drawn_alone(tmp_path: Path) -> None:
    ids = np.zeros((20, 30), dtype=np.int32)
    ids[5:15, 5:25] = 12
    sub = write_tree(tmp_path / "sub", {"n01443537/ILSVRC2012_val_00000001.png": png_bytes(ids)})
    result = preview_sheet(
        sub, tmp_path / "s.png", RunContext(ManifestSources(), track=50, split=Split.test)
    )
    assert result.with_sources == 0 and result.with_ground_truth == 0
    with Image.open(tmp_path / "s.png") as im:
        pixels = np.asarray(im).reshape(-1, 3)
    # Without a source image the class is painted at full strength.
    assert (pixels == np.array(class_colour(12))).all(axis=1).sum() > 1000


def test_faulty_masks_become_notes_not_crashes(tmp_path: Path) -> None:
    gray = io.BytesIO()
    Image.fromarray(np.full((10, 10), 3, np.uint8), "L").save(gray, format="PNG")
    sub = write_tree(
        tmp_path / "sub",
        {
            "n01443537/ILSVRC2012_val_00000001.png": gray.getvalue(),
            "n01443537/ILSVRC2012_val_00000002.png": b"\xff\xd8\xff not really a jpeg",
        },
    )
    result = preview_sheet(
        sub, tmp_path / "s.png", RunContext(ManifestSources(), track=50, split=Split.test)
    )
    assert len(result.shown) == 2
    with Image.open(tmp_path / "s.png") as im:
        pixels = np.asarray(im).reshape(-1, 3)
    # The grayscale mask is still drawn with its id's colour; the JPEG gets a red note.
    assert (pixels == np.array(class_colour(3))).all(axis=1).sum() > 1000
    assert (pixels == np.array((190, 30, 30))).all(axis=1).any()


def test_bad_requests_are_usage_errors(tmp_path: Path) -> None:
    sub = write_tree(tmp_path / "sub", {"method.txt": "x"})
    with pytest.raises(UsageError, match="no prediction"):
        preview_sheet(sub, tmp_path / "s.png", RunContext(ManifestSources(), track=50))
    with pytest.raises(UsageError, match=r"\.png"):
        preview_sheet(sub, tmp_path / "s.jpg", RunContext(ManifestSources()))
    with pytest.raises(UsageError, match="count"):
        preview_sheet(sub, tmp_path / "s.png", RunContext(ManifestSources()), count=0)


def test_cli_preview(tmp_path: Path, cli: Cli) -> None:
    example_sources()
    out = tmp_path / "p.png"
    args = ["preview", str(EXAMPLES / "submissions" / "valid"), "-o", str(out)]
    ok = cli([*args, "--dataset", str(EXAMPLES / "dataset"), "--count", "2"])
    assert ok.exit_code == 0, ok.output
    assert "2 of 12 predictions" in ok.output and out.is_file()
    missing = cli(["preview", str(tmp_path / "nope"), "-o", str(out)])
    assert missing.exit_code == 2 and "Traceback" not in missing.output


# --- per-class IoU -----------------------------------------------------------------


def _bar_lengths(path: Path) -> list[int]:
    """The length of each coloured bar, top to bottom (gray, black and white are not bars)."""
    with Image.open(path) as im:
        saturated = np.asarray(im.convert("HSV"))[..., 1] > 100
    bars: list[int] = []
    previous = 0
    for row in saturated:
        n = int(row.sum())
        if n and not previous:
            bars.append(n)
        elif n:
            # The dashed mean line cuts some rows of a bar short: keep the longest.
            bars[-1] = max(bars[-1], n)
        previous = n
    return bars


def test_plot_class_iou_sorts_best_first(tmp_path: Path) -> None:
    out = tmp_path / "iou.png"
    names = ["0 other", "1 n01443537", "2 n01491361", "3 n01531178"]
    plot_class_iou([10.0, 90.0, 50.0, 0.0], names, out)
    bars = _bar_lengths(out)
    assert len(bars) == 4
    assert bars == sorted(bars, reverse=True)
    # Lengths are proportional to IoU: 90 vs 50 vs 10.
    assert abs(bars[0] / bars[1] - 90 / 50) < 0.05
    assert abs(bars[1] / bars[2] - 50 / 10) < 0.3


def test_plot_class_iou_profile_for_many_classes(tmp_path: Path) -> None:
    out = tmp_path / "iou919.png"
    rng = np.random.default_rng(0)
    ious = (rng.random(920) * 100).tolist()
    plot_class_iou(ious, [f"{i}" for i in range(920)], out, title="S919")
    with Image.open(out) as im:
        assert im.size[0] <= 1400 and im.size[1] <= 1200


def test_plot_class_iou_rejects_mismatched_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="names"):
        plot_class_iou([1.0, 2.0], ["a"], tmp_path / "x.png")
    with pytest.raises(ValueError, match="no classes"):
        plot_class_iou([], [], tmp_path / "x.png")


def _classes_drawn(path: Path) -> set[int]:
    """Ids whose exact class colour appears on a sheet drawn without source images."""
    with Image.open(path) as im:
        colours = _colours(np.asarray(im))
    return {i for i in range(1, 120) if class_colour(i) in colours}


def test_cluster_ids_are_drawn_mapped_through_match_json(tmp_path: Path) -> None:
    import shutil

    assert (EXAMPLES / "manifest.json").is_file(), "run examples/make_examples.py"
    # No dataset: prediction panels only, in full-strength class colours.
    sources = ManifestSources(manifest=EXAMPLES / "manifest.json")
    unsup = EXAMPLES / "submissions" / "valid-unsupervised"
    mapped = preview_sheet(unsup, tmp_path / "u.png", RunContext(sources), count=12)
    supervised = preview_sheet(
        EXAMPLES / "submissions" / "valid", tmp_path / "v.png", RunContext(sources), count=12
    )
    shutil.copytree(unsup, tmp_path / "raw")
    (tmp_path / "raw" / "match.json").unlink()
    raw = preview_sheet(tmp_path / "raw", tmp_path / "r.png", RunContext(sources), count=12)
    assert mapped.mapped and not supervised.mapped and not raw.mapped
    # Mapped to ground-truth ids, the clusters take the supervised run's class colours;
    # unmapped, they show as other classes.
    truth = _classes_drawn(tmp_path / "v.png")
    assert len(truth) >= 4
    assert _classes_drawn(tmp_path / "u.png") == truth
    assert _classes_drawn(tmp_path / "r.png") != truth


def test_preview_match_option_labels_ids_through_a_given_file(tmp_path: Path) -> None:
    import shutil

    sources = ManifestSources(manifest=EXAMPLES / "manifest.json")
    unsup = EXAMPLES / "submissions" / "valid-unsupervised"
    shutil.copytree(unsup, tmp_path / "raw")
    (tmp_path / "raw" / "match.json").unlink()
    given = preview_sheet(
        tmp_path / "raw",
        tmp_path / "g.png",
        RunContext(sources),
        count=12,
        match_file=unsup / "match.json",
    )
    supervised = preview_sheet(
        EXAMPLES / "submissions" / "valid", tmp_path / "v.png", RunContext(sources), count=12
    )
    assert given.mapped
    assert _classes_drawn(tmp_path / "g.png") == _classes_drawn(tmp_path / "v.png")
    assert supervised.shown == given.shown
    broken = tmp_path / "broken.json"
    broken.write_text('{"1": 2}')
    with pytest.raises(UsageError, match="J003"):
        preview_sheet(tmp_path / "raw", tmp_path / "b.png", RunContext(sources), match_file=broken)
