"""Tests of submitkit.inputs.imagesize: sizes from headers must agree with PIL's."""

from __future__ import annotations

import builtins
import io
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from submitkit.inputs import imagesize
from submitkit.inputs.imagesize import jpeg_size, jpeg_sizes, png_size


def jpeg(width: int, height: int, mode: str = "RGB", **params: Any) -> bytes:
    buffer = io.BytesIO()
    # A gradient, so the encoder has real content to compress.
    image = Image.linear_gradient("L").resize((width, height)).convert(mode)
    image.save(buffer, format="JPEG", **params)
    return buffer.getvalue()


def pil_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        width, height = image.size
    return height, width


def write(tmp_path: Path, data: bytes, name: str = "img.JPEG") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def exif_with_orientation() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90: the stored size must still be reported
    exif[0x010E] = "x" * 60_000  # a large APP1 segment, to be skipped, not read
    return exif.tobytes()


VARIANTS: dict[str, bytes] = {
    "baseline": jpeg(500, 375),
    "portrait": jpeg(333, 500),
    "odd": jpeg(1, 7),
    "progressive": jpeg(640, 427, progressive=True),
    "optimized": jpeg(300, 200, optimize=True),
    "subsampling-444": jpeg(123, 45, subsampling=0),
    "low-quality": jpeg(400, 300, quality=5),
    "grayscale": jpeg(257, 129, "L"),
    "cmyk": jpeg(200, 100, "CMYK"),
    "exif-rotated": jpeg(320, 240, exif=exif_with_orientation()),
    "icc-profile": jpeg(64, 48, icc_profile=b"\x00" * 150_000),
    "comment": jpeg(90, 60, comment=b"made by a test"),
    "restart-markers": jpeg(96, 64, restart_marker_blocks=1),
    "dpi": jpeg(80, 40, dpi=(300, 300)),
    "large": jpeg(3100, 2100),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_jpeg_variants_agree_with_pil(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, VARIANTS[name])
    assert jpeg_size(path) == pil_size(path)


def test_exif_orientation_is_ignored(tmp_path: Path) -> None:
    assert jpeg_size(write(tmp_path, VARIANTS["exif-rotated"])) == (240, 320)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    width=st.integers(1, 1500),
    height=st.integers(1, 1500),
    progressive=st.booleans(),
    mode=st.sampled_from(["RGB", "L", "CMYK"]),
)
def test_random_jpegs_agree_with_pil(
    tmp_path: Path, width: int, height: int, progressive: bool, mode: str
) -> None:
    path = write(tmp_path, jpeg(width, height, mode, progressive=progressive))
    assert jpeg_size(path) == pil_size(path) == (height, width)


def test_large_app_segments_are_skipped_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = VARIANTS["icc-profile"]
    assert len(data) > 150_000
    path = write(tmp_path, data)
    read: list[int] = []

    class Counting(io.FileIO):
        def read(self, size: int | None = -1, /) -> bytes:
            chunk = super().read(size)
            read.append(len(chunk))
            return chunk

    def counting_open(file: Any, mode: str = "r", buffering: int = -1, **kw: Any) -> Any:
        assert mode == "rb"
        return Counting(file, "rb")

    monkeypatch.setattr(imagesize, "open", counting_open, raising=False)
    assert jpeg_size(path) == (48, 64)
    assert sum(read) < 4096


def test_plain_jpeg_is_answered_by_one_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, VARIANTS["baseline"])
    reads: list[int] = []
    real_open = builtins.open

    class Recording:
        def __init__(self, f: Any) -> None:
            self._f = f

        def __enter__(self) -> Recording:
            return self

        def __exit__(self, *exc: object) -> None:
            self._f.close()

        def read(self, size: int = -1) -> bytes:
            reads.append(size)
            return bytes(self._f.read(size))

        def seek(self, pos: int) -> int:
            return int(self._f.seek(pos))

    def counting_open(file: Any, mode: str = "r", buffering: int = -1, **kw: Any) -> Any:
        return Recording(real_open(file, mode, buffering, **kw))

    monkeypatch.setattr(imagesize, "open", counting_open, raising=False)
    assert jpeg_size(path) == (375, 500)
    assert len(reads) == 1 and 0 < reads[0] <= 4096


# --- hand-made JPEG streams ---------------------------------------------------------


def segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def sof(marker: int, height: int, width: int) -> bytes:
    return segment(marker, bytes([8]) + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00")


SOI = b"\xff\xd8"


@pytest.mark.parametrize("marker", [m for m in range(0xC0, 0xD0) if m not in (0xC4, 0xC8, 0xCC)])
def test_every_sof_marker(tmp_path: Path, marker: int) -> None:
    data = SOI + segment(0xE0, b"JFIF\x00" + bytes(9)) + sof(marker, 321, 123) + b"\xff\xda"
    assert jpeg_size(write(tmp_path, data)) == (321, 123)


@pytest.mark.parametrize("marker", [0xC4, 0xCC])
def test_dht_and_dac_are_not_frame_headers(tmp_path: Path, marker: int) -> None:
    # A DHT/DAC body that would read as a 2048 x 4096 frame if taken for a SOF.
    fake = segment(marker, bytes([8]) + struct.pack(">HH", 2048, 4096) + bytes(20))
    data = SOI + fake + sof(0xC0, 10, 20)
    path = write(tmp_path, data)
    assert jpeg_size(path) == (10, 20)
    assert pil_size(path) == (10, 20)


def test_fill_bytes_and_junk_between_segments(tmp_path: Path) -> None:
    real = VARIANTS["baseline"]
    at = real.index(b"\xff\xdb")  # the first DQT segment
    data = real[:at] + b"\x00junk\xff\xff\xff" + real[at:]
    path = write(tmp_path, data)
    assert jpeg_size(path) == pil_size(path) == (375, 500)


def test_standalone_markers_have_no_length(tmp_path: Path) -> None:
    data = SOI + b"\xff\xd0\xff\x01" + sof(0xC2, 5, 6)
    assert jpeg_size(write(tmp_path, data)) == (5, 6)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, world",
        SOI,
        SOI + b"\xff",
        SOI + segment(0xE0, bytes(14)),  # ends before any frame header
        SOI + segment(0xE0, bytes(14))[:10],  # cut inside a segment
        SOI + sof(0xC0, 10, 20)[:6],  # cut inside the frame header
        SOI + b"\xff\xda\x00\x08" + bytes(6) + sof(0xC0, 10, 20),  # scan before frame
        SOI + sof(0xC0, 0, 20),  # height in a DNL segment: unknown from the header
        SOI + segment(0x02, b"") + sof(0xC0, 10, 20),  # reserved marker: PIL refuses it
        SOI + b"\xff\xe0\x00\x01" + sof(0xC0, 10, 20),  # impossible segment length
    ],
)
def test_unreadable_headers_give_none(tmp_path: Path, data: bytes) -> None:
    assert jpeg_size(write(tmp_path, data)) is None


def test_truncated_real_jpeg(tmp_path: Path) -> None:
    real = VARIANTS["exif-rotated"]
    sof_at = real.index(b"\xff\xc0")
    assert jpeg_size(write(tmp_path, real[: sof_at + 5])) is None
    assert jpeg_size(write(tmp_path, real[: sof_at + 9])) == (240, 320)


def test_missing_file_and_folder_give_none(tmp_path: Path) -> None:
    assert jpeg_size(tmp_path / "nope.JPEG") is None
    assert jpeg_size(tmp_path) is None


# --- PNG ------------------------------------------------------------------------------


def png(width: int, height: int, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "I;16"])
def test_png_size_agrees_with_pil(tmp_path: Path, mode: str) -> None:
    path = write(tmp_path, png(37, 11, mode), "m.png")
    assert png_size(path) == pil_size(path) == (11, 37)


def test_png_under_a_jpeg_name_is_a_source_image(tmp_path: Path) -> None:
    path = write(tmp_path, png(50, 20), "n02105855_2933.JPEG")
    assert jpeg_size(path) == pil_size(path) == (20, 50)


def test_each_reader_refuses_the_other_format(tmp_path: Path) -> None:
    assert png_size(write(tmp_path, VARIANTS["baseline"])) is None
    broken = bytearray(png(5, 5))
    broken[12:16] = b"IDAT"
    assert png_size(write(tmp_path, bytes(broken), "b.png")) is None
    assert png_size(write(tmp_path, png(5, 5)[:20], "c.png")) is None


# --- many ----------------------------------------------------------------------------


@pytest.mark.parametrize("jobs", [0, 1, 4])
def test_jpeg_sizes_in_order(tmp_path: Path, jobs: int) -> None:
    paths = []
    expected: list[tuple[int, int] | None] = []
    for i in range(300):
        if i % 50 == 7:
            paths.append(tmp_path / f"missing{i}.JPEG")
            expected.append(None)
            continue
        width, height = 10 + i % 13, 5 + i % 17
        paths.append(write(tmp_path, jpeg(width, height), f"{i}.JPEG"))
        expected.append((height, width))
    steps: list[int] = []
    assert jpeg_sizes(paths, jobs=jobs, progress=steps.append) == expected
    assert sum(steps) == len(paths)


def test_jpeg_sizes_of_nothing() -> None:
    steps: list[int] = []
    assert jpeg_sizes([], progress=steps.append) == []
    assert steps == []
