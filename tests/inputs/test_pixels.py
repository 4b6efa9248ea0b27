"""A decoded mask's ids, palette and counts, against a plain per-pixel reference.

Pixels reads PIL's memory through the Arrow export where Pillow offers it and
copies it otherwise; both ways must give the same answers as decoding the mask
with ``np.asarray`` and counting every pixel.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import numpy as np
import pytest
from PIL import Image

from submitkit.inputs import pixel_memory
from submitkit.inputs.png import Pixels, encode

RNG = np.random.default_rng(7)


def _blobs(height: int, width: int, top: int) -> np.ndarray:
    """A smooth label map: a few rectangles of ids below ``top`` on a background."""
    ids = np.zeros((height, width), dtype=np.int64)
    for _ in range(6):
        y, x = RNG.integers(0, height), RNG.integers(0, width)
        ids[y : y + height // 3, x : x + width // 4] = RNG.integers(0, top)
    return ids


MAPS = {
    "narrow": _blobs(60, 80, 50),
    "wide": _blobs(60, 80, 1000),
    "noise": RNG.integers(0, 1000, size=(40, 50)),
    "one pixel": np.array([[919]]),
}


def _reference(rgb: np.ndarray) -> tuple[np.ndarray, dict[int, int], int]:
    ids = rgb[..., 0].astype(np.int64) + 256 * rgb[..., 1].astype(np.int64)
    values, counts = np.unique(ids, return_counts=True)
    return (
        ids,
        dict(zip(values.tolist(), counts.tolist(), strict=True)),
        int(np.count_nonzero(rgb[..., 2])),
    )


@pytest.fixture(params=["shared", "copied"])
def memory(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test runs with PIL's memory shared and, again, with the export unavailable."""
    if request.param == "copied":
        monkeypatch.setattr(pixel_memory, "_shared_words", lambda image: None)
    yield request.param


@pytest.mark.parametrize("name", sorted(MAPS))
def test_ids_counts_and_palette_match_every_pixel(name: str, memory: str) -> None:
    rgb = encode(MAPS[name])
    rgb[::7, ::5, 2] = 3  # some blue, so the palette has blue pixels to count
    ids, counts, blue = _reference(rgb)
    with Image.fromarray(rgb) as image:
        pixels = Pixels(image)
        assert pixels.wide == bool(ids.max() > 255)
        np.testing.assert_array_equal(pixels.ids, ids)
        assert pixels.ids.dtype == (np.uint16 if pixels.wide else np.uint8)
        assert not pixels.ids.flags.writeable
        assert pixels.counts() == counts
        palette = pixels.palette()
    assert palette.ids == tuple(sorted(counts))
    assert palette.blue == blue
    assert palette.colours == len(np.unique(rgb.reshape(-1, 3), axis=0))


def test_a_clean_mask_has_no_blue_and_its_ids_as_colours(memory: str) -> None:
    rgb = encode(MAPS["wide"])
    with Image.fromarray(rgb) as image:
        palette = Pixels(image).palette()
    assert palette.blue == 0
    assert palette.colours == len(palette.ids) == len(np.unique(MAPS["wide"]))


def test_shared_words_outlive_the_image_they_came_from() -> None:
    image = Image.fromarray(encode(MAPS["wide"]))
    words = pixel_memory.rgbx_words(image)
    expected = words.copy()
    image.close()
    del image
    gc.collect()
    # New images of the same size would reuse freed memory.
    others = [Image.new("RGB", (80, 60), (9, 9, 9)) for _ in range(20)]
    np.testing.assert_array_equal(words, expected)
    assert others and not words.flags.writeable


def test_words_are_the_colours_whichever_way_they_are_read() -> None:
    rgb = encode(MAPS["noise"])
    rgb[..., 2] = RNG.integers(0, 256, size=rgb.shape[:2])
    expected = (
        rgb[..., 0].astype(np.uint32)
        | rgb[..., 1].astype(np.uint32) << 8
        | rgb[..., 2].astype(np.uint32) << 16
    ).ravel()
    with Image.fromarray(rgb) as image:
        shared = pixel_memory._shared_words(image)
        copied = np.frombuffer(pixel_memory.raw_bytes(image, "RGBX", 4), dtype="<u4")
    # Pillow 11.2 and later export their memory; older ones are always copied.
    assert (shared is not None) == hasattr(Image.Image, "__arrow_c_array__")
    if shared is not None:
        np.testing.assert_array_equal(shared & 0xFFFFFF, expected)
    np.testing.assert_array_equal(copied & 0xFFFFFF, expected)


def test_an_image_pil_keeps_in_several_blocks_is_copied() -> None:
    # PIL keeps images in blocks of 16 MB; this one (4 bytes a pixel) needs two.
    height, width = 2100, 2000
    with Image.new("RGB", (width, height), (5, 1, 0)) as image:
        image.putpixel((width - 1, height - 1), (7, 2, 0))
        assert pixel_memory._shared_words(image) is None
        palette = Pixels(image).palette()
    assert palette.ids == (5 + 256, 7 + 512)


@pytest.mark.parametrize("name", sorted(MAPS))
def test_digest_is_equal_exactly_for_equal_pixels(name: str, memory: str) -> None:
    rgb = encode(MAPS[name])
    with Image.fromarray(rgb) as image:
        digest = Pixels(image).digest()
    # The same colours as words with another pad byte hash alike...
    words = (
        rgb[..., 0].astype(np.uint32) | rgb[..., 1].astype(np.uint32) << 8 | np.uint32(0x7F000000)
    ).ravel()
    assert Pixels(words=words, shape=rgb.shape[:2]).digest() == digest
    # ...a single changed pixel, or another shape, does not.
    changed = rgb.copy()
    changed[-1, -1, 2] ^= 1
    with Image.fromarray(changed) as image:
        assert Pixels(image).digest() != digest
    if words.size > 1:
        assert Pixels(words=words, shape=(1, words.size)).digest() != digest
