"""Bootstrap intervals and paired comparisons against a slow, obviously-correct reference.

The reference draws the same resamples (``resample_indices``), then, for each,
feeds the drawn images one by one, repeats included, into the official
``Accumulator`` and takes the quantiles of its scores: no matrices, no weights.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from submitkit.inputs.png import decode
from submitkit.scoring.bootstrap import (
    HEADLINE,
    paired_p_value,
    percentile_interval,
    replicate,
    replicate_many,
    resample_indices,
)
from submitkit.scoring.counts import PerImageCounts
from submitkit.scoring.metrics import Accumulator, ImageCounts, count_image

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"


def _counted(case: str, k: int) -> tuple[list[str], list[ImageCounts]]:
    from PIL import Image

    root = GOLDEN / case
    names = [
        line.split()[0][: -len(".JPEG")]
        for line in (root / "names.txt").read_text().splitlines()
        if line.strip()
    ]
    gt_dir = root / "dataset" / f"ImageNetS{k}" / "validation-segmentation"
    counts = []
    for name in names:
        gt = decode(np.asarray(Image.open(gt_dir / f"{name}.png")))
        pred = decode(np.asarray(Image.open(root / "submission" / f"{name}.png")))
        counts.append(count_image(gt, pred, k))
    return names, counts


def _reference(
    images: list[ImageCounts], k: int, samples: int, seed: int
) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {m: [] for m in HEADLINE}
    out.update({f"IoU{c}": [] for c in range(k + 1)})
    for chunk in resample_indices(len(images), samples, seed):
        for drawn in chunk:
            acc = Accumulator(k)
            for i in drawn:
                acc.add(images[int(i)])
            scores = acc.scores()
            for m in HEADLINE:
                value = getattr(scores, m)
                out[m].append(float("nan") if value is None else value)
            for c, iou in enumerate(scores.IoUs):
                out[f"IoU{c}"].append(iou)
    return out


@pytest.mark.parametrize(("case", "k"), [("t50-small", 50), ("t919-small", 919), ("t50-real", 50)])
def test_intervals_match_the_slow_reference(case: str, k: int) -> None:
    names, images = _counted(case, k)
    counts = PerImageCounts.from_images(k, names, images)
    fast = replicate(counts, 60, seed=7)
    slow = _reference(images, k, 60, seed=7)
    for metric in HEADLINE:
        np.testing.assert_allclose(fast.metrics[metric], slow[metric], rtol=1e-9, atol=1e-9)
        assert percentile_interval(fast.metrics[metric], 0.9) == pytest.approx(
            percentile_interval(np.array(slow[metric]), 0.9), abs=1e-9
        )
    for c in range(k + 1):
        np.testing.assert_allclose(fast.ious[:, c], slow[f"IoU{c}"], atol=1e-9)


def test_a_seed_gives_the_same_intervals_and_another_seed_other_ones() -> None:
    names, images = _counted("t50-small", 50)
    counts = PerImageCounts.from_images(50, names, images)
    one = replicate(counts, 120, seed=3).metrics["mIoU"]
    again = replicate(counts, 120, seed=3).metrics["mIoU"]
    other = replicate(counts, 120, seed=4).metrics["mIoU"]
    assert np.array_equal(one, again)
    assert not np.array_equal(one, other)


def test_the_list_order_does_not_move_the_intervals() -> None:
    # The manifest and the official list name the same images in different orders:
    # the resamples are drawn over the images sorted by name, so both give one interval.
    names, images = _counted("t50-small", 50)
    listed = PerImageCounts.from_images(50, names, images)
    shuffled = [int(i) for i in np.random.default_rng(11).permutation(len(names))]
    other = PerImageCounts.from_images(
        50, [names[i] for i in shuffled], [images[i] for i in shuffled]
    )
    for metric in HEADLINE:
        assert np.array_equal(
            replicate(listed, 80, seed=2).metrics[metric],
            replicate(other, 80, seed=2).metrics[metric],
            equal_nan=True,
        )
    a, b = replicate_many([other, listed], 80, seed=2)
    assert np.all(b.metrics["mIoU"] - a.metrics["mIoU"] == 0)


def test_the_interval_holds_the_point_estimate_when_classes_have_enough_images() -> None:
    # Ten copies of each image: every class is held by at least ten images, so a
    # resample rarely misses one (a missed class scores 0, which biases mIoU down).
    names, images = _counted("t50-real", 50)
    copies = [
        PerImageCounts.from_images(50, [f"{n}#{i}" for n in names], images) for i in range(10)
    ]
    counts = PerImageCounts.concat(50, copies)
    acc = Accumulator(50)
    for image in images:
        acc.add(image)
    low, high = percentile_interval(replicate(counts, 400, seed=0).metrics["mIoU"], 0.95)
    assert low is not None and high is not None
    assert low < acc.scores().mIoU < high


def test_a_run_compared_with_itself_has_no_difference() -> None:
    names, images = _counted("t50-small", 50)
    counts = PerImageCounts.from_images(50, names, images)
    a, b = replicate_many([counts, counts], 200, seed=1)
    deltas = b.metrics["mIoU"] - a.metrics["mIoU"]
    assert np.all(deltas == 0)
    assert paired_p_value(deltas) == 1.0


def test_p_value_is_small_when_every_resample_agrees_on_the_sign() -> None:
    assert paired_p_value(np.full(999, -2.0)) == pytest.approx(2 / 1000)
    assert paired_p_value(np.array([-1.0, 1.0] * 50)) == 1.0


def test_select_reorders_and_keeps_every_cell() -> None:
    names, images = _counted("t50-small", 50)
    counts = PerImageCounts.from_images(50, names, images)
    reordered = counts.select(list(reversed(names)))
    assert reordered.names == list(reversed(names))
    assert int(reordered.pixels.sum()) == int(counts.pixels.sum())
    assert np.array_equal(reordered.confusion(), counts.confusion())
    assert np.array_equal(reordered.accurate, counts.accurate[::-1])
    with pytest.raises(KeyError):
        counts.select(["n0/absent"])
