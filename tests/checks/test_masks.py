"""Tests of submitkit.checks.masks: one prediction PNG, and many of them in parallel."""

from __future__ import annotations

import contextlib
import io
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from PIL import Image

from submitkit.checks.masks import (
    MaskResult,
    id_findings,
    inspect_mask,
    inspect_masks,
    used_ids,
)
from submitkit.core.diagnostics import Code
from submitkit.inputs.layout import Prediction
from submitkit.inputs.png import PNG_SIGNATURE, encode, parse_png_header
from submitkit.inputs.source import MemberRef, forget_open_zips

NAME = "n01443537/ILSVRC2012_val_00047396.png"


# --- builders ---------------------------------------------------------------------------


def blobs(height: int = 30, width: int = 40, ids: tuple[int, ...] = (0, 7, 300)) -> np.ndarray:
    """A few rectangular regions, like a (coarse) prediction."""
    out = np.full((height, width), ids[0], dtype=np.int32)
    for i, value in enumerate(ids[1:], start=1):
        out[i * height // (len(ids) + 1) :, i * width // (len(ids) + 1) :] = value
    return out


def encoded(image: Image.Image, fmt: str = "PNG", **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def mask_png(ids: np.ndarray) -> bytes:
    return encoded(Image.fromarray(encode(ids)))


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def raw_png(width: int, height: int, depth: int, colour: int, *, pixels: bool = True) -> bytes:
    """A PNG written by hand, for what PIL cannot write (16-bit RGB, broken headers)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    out = PNG_SIGNATURE + chunk(b"IHDR", ihdr)
    if pixels:
        row = b"\x00" + bytes(-(-width * channels * depth // 8))
        out += chunk(b"IDAT", zlib.compress(row * height))
    return out + chunk(b"IEND", b"")


def folder_task(
    tmp_path: Path, data: bytes, expected: tuple[int, int] | None = None, name: str = NAME
) -> Prediction:
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return Prediction(MemberRef(str(tmp_path), name, False), name, expected)


def zip_tasks(
    path: Path, files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED
) -> list[Prediction]:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return [Prediction(MemberRef(str(path), name, True), name, None) for name in files]


def codes(result: MaskResult) -> list[Code]:
    return [d.code for d in result.diagnostics]


def only(result: MaskResult, code: Code) -> str:
    """The message of the single diagnostic of ``result``, which must have ``code``."""
    assert codes(result) == [code], result.diagnostics
    return result.diagnostics[0].message


# --- valid masks ------------------------------------------------------------------------


@pytest.mark.parametrize("quick", [False, True])
def test_valid_mask_in_a_folder(tmp_path: Path, quick: bool) -> None:
    ids = blobs(30, 40, (0, 7, 300, 919))
    result = inspect_mask(folder_task(tmp_path, mask_png(ids), (30, 40)), quick)
    assert result.diagnostics == []
    assert (result.width, result.height, result.mode) == (40, 30, "RGB")
    assert result.ids == (None if quick else (0, 7, 300, 919))


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
@pytest.mark.parametrize("quick", [False, True])
def test_valid_mask_in_a_zip(tmp_path: Path, compression: int, quick: bool) -> None:
    ids = blobs(12, 9, (0, 1, 256))
    (task,) = zip_tasks(tmp_path / "s.zip", {NAME: mask_png(ids)}, compression)
    result = inspect_mask(task, quick)
    assert result.diagnostics == []
    assert (result.width, result.height) == (9, 12)
    assert result.ids == (None if quick else (0, 1, 256))


def test_quick_mode_reads_only_the_head(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: MemberRef) -> bytes:
        raise AssertionError("quick mode read the whole file")

    monkeypatch.setattr(MemberRef, "read_bytes", refuse)
    (task,) = zip_tasks(tmp_path / "s.zip", {NAME: mask_png(blobs())})
    assert inspect_mask(task, quick=True).diagnostics == []
    assert inspect_mask(folder_task(tmp_path, mask_png(blobs())), quick=True).ids is None


@pytest.mark.parametrize(
    ("mode", "depth", "colour"),
    [
        ("1", 1, 0),
        ("L", 8, 0),
        ("I;16", 16, 0),
        ("RGB", 8, 2),
        ("P", 8, 3),
        ("LA", 8, 4),
        ("RGBA", 8, 6),
    ],
)
def test_header_mode_agrees_with_pil(mode: str, depth: int, colour: int) -> None:
    image = Image.new(mode, (5, 3))
    if mode == "P":
        image.putpalette(list(range(256)) * 3)  # a full palette keeps PIL at 8 bits
    data = encoded(image)
    header = parse_png_header(data[:64])
    assert not isinstance(header, str)
    assert (header.bit_depth, header.colour_type) == (depth, colour)
    assert (header.width, header.height) == (5, 3)
    assert header.mode == Image.open(io.BytesIO(data)).mode


# --- not a PNG, damaged PNG -------------------------------------------------------------


def _not_pngs() -> list[tuple[str, bytes, str]]:
    image = Image.new("RGB", (8, 8), (10, 0, 0))
    return [
        ("jpeg", encoded(image, "JPEG"), "JPEG"),
        ("gif", encoded(image, "GIF"), "GIF"),
        ("bmp", encoded(image, "BMP"), "BMP"),
        ("tiff", encoded(image, "TIFF"), "TIFF"),
        ("webp", encoded(image, "WEBP"), "WebP"),
        ("empty", b"", "empty file"),
        ("text", b"ids: 1 2 3\n", "text"),
        ("html", b"<!DOCTYPE html><html><body>404</body></html>", "HTML"),
        ("lfs", b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\n", "Git LFS"),
        ("npy", b"\x93NUMPY\x01\x00v\x00{'descr': '<i8'}", "NumPy"),
        ("binary", bytes(range(200, 256)) + bytes(range(0, 20)), "unknown binary"),
    ]


@pytest.mark.parametrize("quick", [False, True])
@pytest.mark.parametrize(("label", "data", "said"), _not_pngs(), ids=[c[0] for c in _not_pngs()])
def test_not_png_says_what_it_is(
    tmp_path: Path, label: str, data: bytes, said: str, quick: bool
) -> None:
    result = inspect_mask(folder_task(tmp_path, data), quick)
    assert said in only(result, Code.NOT_PNG)
    assert result.mode is None and result.ids is None


def test_jpeg_renamed_png_in_a_zip_is_not_png(tmp_path: Path) -> None:
    jpeg = encoded(Image.fromarray(encode(blobs())), "JPEG")
    (task,) = zip_tasks(tmp_path / "s.zip", {NAME: jpeg})
    for quick in (False, True):
        result = inspect_mask(task, quick)
        assert "JPEG" in only(result, Code.NOT_PNG)
        assert "lossless" in result.diagnostics[0].hint


def _damaged() -> list[tuple[str, bytes, str]]:
    good = mask_png(blobs())
    bad_crc = bytearray(good)
    bad_crc[20] ^= 0x01  # a width byte, so the IHDR checksum no longer matches
    wrong_first = PNG_SIGNATURE + chunk(b"tEXt", b"a\x00b" * 5) + good[8:]
    return [
        ("short", good[:20], "truncated"),
        ("crc", bytes(bad_crc), "checksum"),
        ("crlf", good.replace(b"\r\n", b"\r\r\n", 1), "signature is damaged"),
        ("zero-width", raw_png(0, 5, 8, 2, pixels=False), "empty image"),
        ("bad-depth", raw_png(4, 4, 4, 2, pixels=False), "invalid colour type"),
        ("first-chunk", wrong_first, "not a 13-byte IHDR"),
    ]


@pytest.mark.parametrize("quick", [False, True])
@pytest.mark.parametrize(("label", "data", "said"), _damaged(), ids=[c[0] for c in _damaged()])
def test_damaged_header_is_corrupt(
    tmp_path: Path, label: str, data: bytes, said: str, quick: bool
) -> None:
    result = inspect_mask(folder_task(tmp_path, data), quick)
    assert said in only(result, Code.CORRUPT_PNG)


def test_truncated_pixels_are_corrupt_only_in_full_mode(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    data = mask_png(rng.integers(0, 919, size=(40, 40)))
    task = folder_task(tmp_path, data[: len(data) // 2])
    assert inspect_mask(task, quick=True).diagnostics == []
    result = inspect_mask(task, quick=False)
    assert "PIL cannot decode" in only(result, Code.CORRUPT_PNG)
    assert result.ids is None


@pytest.mark.parametrize("quick", [False, True])
def test_absurd_header_size_is_not_decoded(tmp_path: Path, quick: bool) -> None:
    # A PNG bomb is judged from its header, so even the quick check names it.
    data = raw_png(20_000, 20_000, 8, 2, pixels=False)
    result = inspect_mask(folder_task(tmp_path, data), quick=quick)
    assert "far more than any ImageNet image" in only(result, Code.CORRUPT_PNG)


def test_a_file_far_larger_than_its_pixels_is_not_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from submitkit.inputs import png

    monkeypatch.setattr(png, "SLACK_BYTES", 1000)
    data = mask_png(blobs(4, 4)) + b"\0" * 100_000
    read: list[int] = []
    real_open = MemberRef.open

    @contextlib.contextmanager
    def counting(self: MemberRef):  # type: ignore[no-untyped-def]
        with real_open(self) as handle:
            real_read = handle.read

            def read_some(n: int = -1) -> bytes:
                read.append(n)
                return real_read(n)

            handle.read = read_some  # type: ignore[method-assign]
            yield handle

    monkeypatch.setattr(MemberRef, "open", counting)
    result = inspect_mask(folder_task(tmp_path, data), quick=False)
    assert "not read further" in only(result, Code.MASK_TOO_LARGE)
    assert all(0 <= n <= 2000 for n in read), read


def test_unreadable_file_is_a_finding(tmp_path: Path) -> None:
    task = Prediction(MemberRef(str(tmp_path), "n0/missing.png", False), "n0/missing.png", None)
    for quick in (False, True):
        result = inspect_mask(task, quick)
        assert "cannot be read" in only(result, Code.CORRUPT_PNG)


def test_zip_member_failing_its_crc_is_zip_corrupt(tmp_path: Path) -> None:
    data = mask_png(blobs())
    archive = tmp_path / "s.zip"
    (task,) = zip_tasks(archive, {NAME: data}, zipfile.ZIP_STORED)
    raw = bytearray(archive.read_bytes())
    at = raw.index(data) + len(data) - 20  # inside the pixels, not the PNG header
    raw[at] ^= 0xFF
    archive.write_bytes(bytes(raw))
    forget_open_zips()
    assert "cannot be read" in only(inspect_mask(task, quick=False), Code.ZIP_CORRUPT)


# --- modes and bit depths ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "said", "conversion"),
    [
        ("L", "mode L, 8-bit", "np.stack([a, a * 0, a * 0], -1)"),
        ("1", "mode 1, 1-bit", "np.stack([a, a * 0, a * 0], -1)"),
        ("I;16", "mode I;16, 16-bit", "a // 256"),
    ],
)
@pytest.mark.parametrize("quick", [False, True])
def test_grayscale(tmp_path: Path, mode: str, said: str, conversion: str, quick: bool) -> None:
    result = inspect_mask(folder_task(tmp_path, encoded(Image.new(mode, (6, 4)))), quick)
    assert said in only(result, Code.MODE_GRAYSCALE)
    assert conversion in result.diagnostics[0].hint
    # In full mode the ids are read too, as fix would read them, and judged.
    assert result.mode == mode and result.ids == (None if quick else (0,))


def test_grayscale_hint_conversion_gives_a_valid_mask(tmp_path: Path) -> None:
    ids = blobs(8, 8, (0, 3, 200)).astype(np.uint8)
    task = folder_task(tmp_path, encoded(Image.fromarray(ids, mode="L")))
    assert codes(inspect_mask(task, quick=False)) == [Code.MODE_GRAYSCALE]
    # The conversion the hint spells out, applied to the file:
    p = tmp_path / NAME
    a = np.array(Image.open(p))
    Image.fromarray(np.stack([a, a * 0, a * 0], -1).astype(np.uint8)).save(p)
    fixed = inspect_mask(task, quick=False)
    assert fixed.diagnostics == [] and fixed.ids == (0, 3, 200)


def test_palette(tmp_path: Path) -> None:
    image = Image.new("P", (6, 4))
    image.putpalette([0, 0, 0, 255, 0, 0] * 128)
    result = inspect_mask(folder_task(tmp_path, encoded(image)), quick=False)
    assert "palette" in only(result, Code.MODE_PALETTE)
    assert "indices are the ids" in result.diagnostics[0].hint


@pytest.mark.parametrize(
    ("alpha", "said"), [(None, "255 everywhere"), ("varying", "alpha varies (0..255)")]
)
def test_rgba_says_whether_alpha_is_constant(tmp_path: Path, alpha: str | None, said: str) -> None:
    rgba = np.zeros((4, 6, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    if alpha:
        rgba[0, 0, 3] = 0
    task = folder_task(tmp_path, encoded(Image.fromarray(rgba)))
    full = only(inspect_mask(task, quick=False), Code.MODE_ALPHA)
    assert said in full and "RGBA" in full
    assert said not in only(inspect_mask(task, quick=True), Code.MODE_ALPHA)


@pytest.mark.parametrize("depth", [8, 16])
def test_gray_alpha(tmp_path: Path, depth: int) -> None:
    result = inspect_mask(folder_task(tmp_path, raw_png(5, 5, depth, 4)), quick=False)
    assert "grayscale+alpha" in only(result, Code.MODE_ALPHA)


@pytest.mark.parametrize("quick", [False, True])
def test_sixteen_bit_rgb(tmp_path: Path, quick: bool) -> None:
    result = inspect_mask(folder_task(tmp_path, raw_png(5, 3, 16, 2)), quick)
    assert "16-bit" in only(result, Code.BIT_DEPTH_16)
    assert result.mode == "RGB" and result.ids is None


# --- sizes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "mask", "said"),
    [
        ((375, 500), (500, 375), "axes are swapped"),
        # mmsegmentation: the longer side to 1000 px.
        ((1500, 2000), (750, 1000), "downscaled large image"),
        ((2000, 1500), (1000, 750), "downscaled large image"),
        # PASS --max_res: height 1000, width int(1000 * W / H).
        ((1200, 3000), (1000, 2500), "downscaled large image"),
        ((1333, 1001), (1000, 750), "downscaled large image"),
        ((375, 500), (47, 63), "uniformly downscaled"),
        ((375, 500), (750, 1000), "uniformly upscaled"),
        ((375, 500), (375, 480), "crop/resize"),
        ((1500, 2000), (1000, 1000), "crop/resize"),
    ],
)
@pytest.mark.parametrize("quick", [False, True])
def test_size_mismatch(
    tmp_path: Path,
    source: tuple[int, int],
    mask: tuple[int, int],
    said: str,
    quick: bool,
) -> None:
    data = raw_png(mask[1], mask[0], 8, 2)
    result = inspect_mask(folder_task(tmp_path, data, source), quick)
    message = only(result, Code.SIZE_MISMATCH)
    assert said in message
    assert f"mask is {mask[1]}\u00d7{mask[0]} (W\u00d7H)" in message
    assert f"source image is {source[1]}\u00d7{source[0]}" in message
    hint = result.diagnostics[0].hint
    if "swapped" in said:
        assert "transpose" in hint
    else:
        assert "Image.NEAREST" in hint and f"resize(({source[1]}, {source[0]})" in hint


def test_matching_size_and_unknown_size_pass(tmp_path: Path) -> None:
    data = mask_png(blobs(30, 40))
    assert inspect_mask(folder_task(tmp_path, data, (30, 40)), quick=False).diagnostics == []
    assert inspect_mask(folder_task(tmp_path, data, None), quick=False).diagnostics == []


def test_size_mismatch_and_mode_are_both_reported(tmp_path: Path) -> None:
    task = folder_task(tmp_path, encoded(Image.new("L", (10, 20))), (10, 20))
    assert codes(inspect_mask(task, quick=True)) == [Code.SIZE_MISMATCH, Code.MODE_GRAYSCALE]


# --- pixels -----------------------------------------------------------------------------


def test_blue_channel_of_a_visualisation(tmp_path: Path) -> None:
    rgb = encode(blobs(10, 10, (0, 5)))
    rgb[:4, :, 2] = 128  # 40 pixels
    result = inspect_mask(folder_task(tmp_path, encoded(Image.fromarray(rgb))), quick=False)
    message = only(result, Code.BLUE_NONZERO)
    assert "40 pixels (40.0%)" in message and "visualisation" in message
    assert result.ids == (0, 5)
    assert inspect_mask(folder_task(tmp_path, encoded(Image.fromarray(rgb))), True).ids is None


def test_many_colours_take_the_numpy_path(tmp_path: Path) -> None:
    # Over 65536 colours: PIL's getcolors gives up and NumPy counts instead.
    rng = np.random.default_rng(7)
    rgb = rng.integers(0, 256, size=(300, 300, 3), dtype=np.uint8)
    result = inspect_mask(folder_task(tmp_path, encoded(Image.fromarray(rgb))), quick=False)
    assert codes(result) == [Code.BLUE_NONZERO]
    message = result.diagnostics[0].message
    assert f"{np.count_nonzero(rgb[..., 2]):,} pixels" in message
    assert "over 65,536 distinct colours" in message
    expected = np.unique(rgb[..., 0].astype(np.int64) + 256 * rgb[..., 1].astype(np.int64))
    assert result.ids == tuple(int(i) for i in expected)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=arrays(
        np.int32,
        array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=24),
        elements=st.integers(0, 919),
    )
)
def test_ids_round_trip_through_png(tmp_path: Path, ids: np.ndarray) -> None:
    task = folder_task(tmp_path, mask_png(ids), ids.shape)
    result = inspect_mask(task, quick=False)
    assert result.diagnostics == []
    assert result.ids == tuple(sorted({int(i) for i in ids.ravel()}))


# --- ids against K and match.json -------------------------------------------------------


def res(path: str, *ids: int) -> MaskResult:
    return MaskResult(path, 4, 4, "RGB", tuple(ids), [])


def test_ids_within_k_pass() -> None:
    assert id_findings([res("a", 0, 1, 50)], k=50, match_keys=None) == []


def test_ids_above_k() -> None:
    found = id_findings([res("a", 0, 51, 52), res("b", 0, 1)], k=50, match_keys=None)
    assert [(d.code, d.path) for d in found] == [(Code.ID_OUT_OF_RANGE, "a")]
    assert "51, 52" in found[0].message and "K=50" in found[0].message
    assert "300-class track" in found[0].hint


def test_long_id_lists_are_cut() -> None:
    (found,) = id_findings([res("a", *range(1001, 1021))], k=919, match_keys=None)
    assert found.message.endswith("1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008 (and 12 more)")


def test_ignore_label_in_a_prediction() -> None:
    found = id_findings([res("a", 0, 3, 1000)], k=50, match_keys=None)
    assert [d.code for d in found] == [Code.ID_IGNORE]
    found = id_findings([res("a", 0, 3, 1000)], k=50, match_keys=frozenset({0, 3}))
    assert [d.code for d in found] == [Code.ID_IGNORE]


def test_cluster_id_1000_mapped_by_match_json_is_fine() -> None:
    # With a thousand clusters or more, 1000 is just another cluster id.
    keys = frozenset(range(1839))
    assert id_findings([res("a", 0, 999, 1000, 1838)], k=919, match_keys=keys) == []


def test_ids_without_a_match_key() -> None:
    keys = frozenset({0, 1, 2, 700})
    found = id_findings([res("a", 0, 2, 700), res("b", 0, 3, 999)], k=50, match_keys=keys)
    assert [(d.code, d.path) for d in found] == [(Code.MATCH_UNMAPPED_ID, "b")]
    assert "3, 999" in found[0].message


def test_undecoded_masks_have_no_id_findings() -> None:
    quick = MaskResult("a", 4, 4, "RGB", None, [])
    assert id_findings([quick], k=50, match_keys=None) == []
    assert used_ids([quick, res("b", 0, 4), res("c", 4, 9)]) == {0, 4, 9}


# --- many masks -------------------------------------------------------------------------


def _mixed_files() -> dict[str, bytes]:
    rng = np.random.default_rng(3)
    files: dict[str, bytes] = {}
    for i in range(90):
        name = f"n{i % 3:08d}/ILSVRC2012_val_{i:08d}.png"
        kind = i % 6
        if kind == 0:
            data = encoded(Image.new("L", (5, 5)))
        elif kind == 1:
            data = encoded(Image.new("RGB", (5, 5)), "JPEG")
        else:
            ids = rng.integers(0, 1001, size=(int(rng.integers(2, 12)), 7))
            data = mask_png(ids)
        files[name] = data
    return files


@pytest.mark.parametrize("container", ["folder", "zip"])
@pytest.mark.parametrize("quick", [False, True])
def test_parallel_equals_serial(tmp_path: Path, container: str, quick: bool) -> None:
    files = _mixed_files()
    if container == "zip":
        tasks = zip_tasks(tmp_path / "s.zip", files)
    else:
        tasks = [folder_task(tmp_path, data, None, name) for name, data in files.items()]
    tasks = [Prediction(t.ref, t.path, (7, 7)) for t in tasks]
    serial_steps: list[int] = []
    parallel_steps: list[int] = []
    serial = inspect_masks(tasks, quick=quick, jobs=1, progress=serial_steps.append)
    parallel = inspect_masks(tasks, quick=quick, jobs=2, progress=parallel_steps.append)
    assert parallel == serial
    assert [r.path for r in parallel] == list(files)
    assert sum(serial_steps) == sum(parallel_steps) == len(tasks)
    assert len(parallel_steps) > 1  # progress comes per chunk, not once at the end
    found = {c for r in parallel for c in codes(r)}
    assert {Code.MODE_GRAYSCALE, Code.NOT_PNG, Code.SIZE_MISMATCH} <= found
    if not quick:
        assert any(r.ids for r in parallel)
        assert Code.ID_IGNORE in {d.code for d in id_findings(parallel, k=919, match_keys=None)}


def test_empty_task_list() -> None:
    steps: list[int] = []
    assert inspect_masks([], jobs=2, progress=steps.append) == []
    assert sum(steps) == 0


def test_a_reader_that_fails_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    class Failing(MemberRef):
        def open(self):  # type: ignore[no-untyped-def]
            raise MemoryError("no memory left")

    tasks = [
        Prediction(Failing(str(tmp_path), f"{i}.png", False), f"{i}.png", None) for i in range(70)
    ]
    results = inspect_masks(tasks, jobs=2)
    assert [codes(r) for r in results] == [[Code.CORRUPT_PNG]] * 70


@pytest.mark.parametrize(
    ("mode", "stored"),
    [("L", "grayscale"), ("P", "palette"), ("I;16", "grayscale"), ("RGBA", "constant alpha")],
)
def test_ids_of_a_mask_in_another_mode_are_judged_too(
    tmp_path: Path, mode: str, stored: str
) -> None:
    # fix turns such masks into RGB but cannot make an id above K right: say so at once.
    ids = blobs(ids=(0, 7, 77))
    if mode == "RGBA":
        rgba = np.dstack([encode(ids), np.full(ids.shape, 255, np.uint8)])
        image = Image.fromarray(rgba, "RGBA")
    elif mode == "P":
        image = Image.fromarray(ids.astype(np.uint8), "L").convert("P")
        image.putpalette([v for i in range(256) for v in (i, i, i)])
    else:
        image = Image.fromarray(ids.astype(np.uint16 if mode == "I;16" else np.uint8))
    result = inspect_mask(folder_task(tmp_path, encoded(image)), quick=False)
    assert result.ids == (0, 7, 77), stored
    (found,) = id_findings([result], k=50, match_keys=None)
    assert found.code is Code.ID_OUT_OF_RANGE and "77" in found.message
