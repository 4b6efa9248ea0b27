"""The fast PNG decoder against Pillow: the same ids, the same faults, on every file.

Pillow is the reference (the official evaluator reads masks with it). Each
case decodes the same bytes twice, with the fast decoder allowed and with
Pillow alone, and asserts the same outcome: identical ids, or the same fault
code and message. The cases are real masks (every golden PNG), damaged and
crafted variants of a few masks (one kind per damage a transfer or a writer
can do, then seeded random ones), and the layouts the gate keeps from the fast
decoder are asserted to go to Pillow.
"""

from __future__ import annotations

import random
import re
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from submitkit.inputs import fast_png, png
from submitkit.inputs.png import PNG_SIGNATURE, PngFault, decode_pixels, encode_png

pytestmark = pytest.mark.skipif(
    not fast_png.available(),
    reason="pyspng or zlib-ng has no wheel for this platform: Pillow decodes everything",
)

GOLDEN = Path("/work/shared/golden")
RNG = np.random.default_rng(24)


def _blobs(height: int, width: int, top: int) -> np.ndarray:
    ids = np.zeros((height, width), dtype=np.int64)
    for _ in range(6):
        y, x = RNG.integers(0, height), RNG.integers(0, width)
        ids[y : y + height // 3, x : x + width // 4] = RNG.integers(0, top)
    return ids


BASES = [
    encode_png(_blobs(60, 80, 1000)),
    encode_png(_blobs(37, 53, 50), optimize=True),
    encode_png(RNG.integers(0, 1000, size=(20, 30))),
]
PLAIN = BASES[0]


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, at = [], 8
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        out.append((data[at + 4 : at + 8], data[at + 8 : at + 8 + length]))
        at += 12 + length
    return out


def build(parts: list[tuple[bytes, bytes]]) -> bytes:
    return PNG_SIGNATURE + b"".join(
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        for kind, body in parts
    )


def _raw(data: bytes) -> bytes:
    return zlib.decompress(b"".join(b for k, b in chunks(data) if k == b"IDAT"))


def with_idat(data: bytes, stream: bytes, split: int | None = None) -> bytes:
    parts = chunks(data)
    idat = (
        [(b"IDAT", stream)]
        if split is None
        else [(b"IDAT", stream[:split]), (b"IDAT", stream[split:])]
    )
    return build([parts[0], *idat, (b"IEND", b"")])


def outcome(data: bytes, fast: bool) -> tuple[str, object]:
    header = png.judge_head(data[: png.HEAD_BYTES])
    try:
        pixels = decode_pixels(header, data, fast=fast)
    except PngFault as fault:
        # PIL names the BytesIO it read, at its address: the one part that may differ.
        return "fault", (fault.code, re.sub("0x[0-9a-f]+", "0x", fault.message))
    return "ids", pixels.ids.astype(np.int64).tobytes() + repr(pixels.ids.shape).encode()


def assert_alike(data: bytes) -> None:
    assert outcome(data, fast=True) == outcome(data, fast=False)


def _bad_crc(data: bytes, index: int) -> bytes:
    parts = chunks(data)
    out = bytearray(data)
    at = 8 + sum(12 + len(b) for _, b in parts[: index + 1]) - 1
    out[at] ^= 0xFF
    return bytes(out)


CRAFTED: dict[str, Callable[[bytes], bytes]] = {
    "plain": lambda d: d,
    "truncated in the pixels": lambda d: d[: len(d) // 2],
    "truncated before IEND": lambda d: d[:-12],
    "IEND missing": lambda d: build([c for c in chunks(d) if c[0] != b"IEND"]),
    "bytes after IEND": lambda d: d + b"trailing",
    "IDAT checksum wrong": lambda d: _bad_crc(d, 1),
    "IEND checksum wrong": lambda d: _bad_crc(d, 2),
    "zlib checksum wrong": lambda d: with_idat(d, zlib.compress(_raw(d))[:-4] + b"\0\0\0\0"),
    "zlib stream cut": lambda d: with_idat(d, zlib.compress(_raw(d))[:-9]),
    "scanlines short": lambda d: with_idat(d, zlib.compress(_raw(d)[:-7])),
    "scanlines long": lambda d: with_idat(d, zlib.compress(_raw(d) + b"\0" * 9)),
    "bad filter byte": lambda d: with_idat(d, zlib.compress(b"\x07" + _raw(d)[1:])),
    "garbage after the stream": lambda d: with_idat(d, zlib.compress(_raw(d)) + b"xyz"),
    "IDAT split in two": lambda d: with_idat(d, zlib.compress(_raw(d)), split=7),
    "chunk between IDATs": lambda d: build(
        [
            chunks(d)[0],
            (b"IDAT", zlib.compress(_raw(d))[:9]),
            (b"tEXt", b"a\0b"),
            (b"IDAT", zlib.compress(_raw(d))[9:]),
            (b"IEND", b""),
        ]
    ),
    "short gAMA": lambda d: build([chunks(d)[0], (b"gAMA", b"\0\0"), *chunks(d)[1:]]),
    "short pHYs": lambda d: build([chunks(d)[0], (b"pHYs", b"\0" * 5), *chunks(d)[1:]]),
    "empty sRGB": lambda d: build([chunks(d)[0], (b"sRGB", b""), *chunks(d)[1:]]),
    "good gAMA sRGB pHYs tEXt": lambda d: build(
        [
            chunks(d)[0],
            (b"gAMA", struct.pack(">I", 45455)),
            (b"sRGB", b"\0"),
            (b"pHYs", struct.pack(">IIB", 2835, 2835, 1)),
            (b"tEXt", b"Software\0test"),
            *chunks(d)[1:],
        ]
    ),
    "broken iCCP": lambda d: build([chunks(d)[0], (b"iCCP", b"x\0\0junk"), *chunks(d)[1:]]),
    "broken zTXt": lambda d: build([chunks(d)[0], (b"zTXt", b"k\0\0junk"), *chunks(d)[1:]]),
    "tRNS": lambda d: build([chunks(d)[0], (b"tRNS", b"\0\1\0\2\0\3"), *chunks(d)[1:]]),
    "unknown critical chunk": lambda d: build([chunks(d)[0], (b"ABCD", b"x"), *chunks(d)[1:]]),
    "unknown ancillary chunk": lambda d: build([chunks(d)[0], (b"abCD", b"x"), *chunks(d)[1:]]),
    "second IHDR": lambda d: build([chunks(d)[0], chunks(d)[0], *chunks(d)[1:]]),
    "ancillary chunk after IDAT": lambda d: build(
        [*chunks(d)[:2], (b"tEXt", b"a\0b"), (b"IEND", b"")]
    ),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
@pytest.mark.parametrize("base", range(len(BASES)))
def test_crafted_files_decode_or_fail_as_with_pillow(name: str, base: int) -> None:
    assert_alike(CRAFTED[name](BASES[base]))


@pytest.mark.parametrize("seed", range(4))
def test_random_damage_decodes_or_fails_as_with_pillow(seed: int) -> None:
    rand = random.Random(seed)
    for _ in range(150):
        data = bytearray(rand.choice(BASES))
        for _ in range(rand.randint(1, 3)):
            at = rand.randrange(33, len(data))
            if rand.random() < 0.7:
                data[at] ^= 1 << rand.randrange(8)
            else:
                del data[at : at + rand.randint(1, 20)]
        assert_alike(bytes(data))


def test_the_plain_layout_takes_the_fast_path() -> None:
    header = png.judge_head(PLAIN)
    assert fast_png.rgb_words(PLAIN, header.width, header.height) is not None
    good = CRAFTED["good gAMA sRGB pHYs tEXt"](PLAIN)
    assert fast_png.rgb_words(good, header.width, header.height) is not None


@pytest.mark.parametrize(
    "name",
    [
        "zlib checksum wrong",
        "IDAT checksum wrong",
        "bytes after IEND",
        "short gAMA",
        "unknown ancillary chunk",
        "garbage after the stream",
        "scanlines long",
    ],
)
def test_what_the_gate_refuses_goes_to_pillow(name: str) -> None:
    header = png.judge_head(PLAIN)
    assert fast_png.rgb_words(CRAFTED[name](PLAIN), header.width, header.height) is None


_ADAM7 = (
    (0, 0, 8, 8),
    (0, 4, 8, 8),
    (4, 0, 8, 4),
    (0, 2, 4, 4),
    (2, 0, 4, 2),
    (0, 1, 2, 2),
    (1, 0, 2, 1),
)
"""(first row, first column, row step, column step) of the seven Adam7 passes."""


def interlaced(rgb: np.ndarray) -> bytes:
    """An Adam7-interlaced 8-bit RGB PNG (Pillow writes none), every row unfiltered."""
    h, w, _ = rgb.shape
    raw = b"".join(
        b"\0" + row.tobytes() for y0, x0, dy, dx in _ADAM7 if x0 < w for row in rgb[y0::dy, x0::dx]
    )
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)
    return build([(b"IHDR", ihdr), (b"IDAT", zlib.compress(raw)), (b"IEND", b"")])


def test_an_interlaced_mask_is_decoded_by_pillow_alike() -> None:
    data = interlaced(png.encode(_blobs(40, 50, 900)))
    assert png.judge_head(data).interlace == 1
    assert outcome(data, fast=False)[0] == "ids"
    assert_alike(data)


@pytest.mark.skipif(not GOLDEN.is_dir(), reason="the shared golden cases are not on this machine")
def test_every_golden_mask_gives_the_same_ids() -> None:
    files = sorted(GOLDEN.rglob("*.png"))
    assert files
    for path in files:
        data = path.read_bytes()
        if png.judge_head(data[: png.HEAD_BYTES]).official:
            assert_alike(data)


def test_a_mask_larger_than_one_inflate_step_takes_the_fast_path_alike() -> None:
    ids = _blobs(1300, 1200, 1000)  # 4.7 MB of scanlines: checked in several steps
    data = encode_png(ids)
    header = png.judge_head(data)
    assert header.height * (1 + 3 * header.width) > fast_png._INFLATE_STEP
    assert fast_png.rgb_words(data, header.width, header.height) is not None
    assert_alike(data)
    np.testing.assert_array_equal(decode_pixels(header, data).ids, ids)
