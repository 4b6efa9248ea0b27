"""`submitkit fix`: repairs keep the ids pixel for pixel; what it cannot repair it leaves out."""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

import submitkit.workflows.fix as fixmod
from submitkit.benchmark.tracks import Split
from submitkit.checks.report import Status
from submitkit.core.diagnostics import Code
from submitkit.core.errors import SubmitkitError, UsageError
from submitkit.inputs.config import RunContext
from submitkit.inputs.manifest import ManifestSources, manifest_from_names
from submitkit.inputs.png import decode, encode, read_label_map
from submitkit.workflows.fix import (
    ChangeKind,
    FixResult,
    fix_submission,
    resize_nearest,
)
from tests.conftest import Cli, png_bytes, write_tree

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

METHOD = """Method name: Fixture
Training data: ImageNet-S50 train
Training scheme: SSL+Sup
Networks: ResNet-18
Paper/Project link: null
Method description: a test fixture
"""

SIZES = {
    "n01443537/ILSVRC2012_val_00000001": (30, 40),
    "n01443537/ILSVRC2012_val_00000002": (24, 24),
    "n01491361/ILSVRC2012_val_00000003": (35, 20),
    "n01491361/ILSVRC2012_val_00000004": (40, 30),
}
TARGET = "n01443537/ILSVRC2012_val_00000001"


def ids_for(key: str, high: int = 50, size: tuple[int, int] | None = None) -> npt.NDArray[np.int64]:
    """Deterministic blocky ids for one image, every id of 0..high likely present."""
    h, w = size or SIZES[key]
    rng = np.random.default_rng(abs(hash(key)) % 2**32)
    coarse = rng.integers(0, high + 1, size=(h // 4 + 1, w // 4 + 1))
    return np.kron(coarse, np.ones((4, 4), dtype=np.int64))[:h, :w]


def save(img: Image.Image, **params: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", **params)
    return buffer.getvalue()


def make_submission(
    root: Path, overrides: Mapping[str, bytes | None] | None = None, *, high: int = 50
) -> Path:
    """A valid submission of SIZES, with some files replaced (``None`` deletes)."""
    files: dict[str, bytes | str] = {"method.txt": METHOD}
    for key in SIZES:
        files[f"{key}.png"] = png_bytes(ids_for(key, high))
    for name, data in (overrides or {}).items():
        if data is None:
            files.pop(name, None)
        else:
            files[name] = data
    return write_tree(root, files)


def sources(tmp_path: Path, k: int = 50) -> ManifestSources:
    manifest = manifest_from_names(k, Split.validation, list(SIZES), dict(SIZES))
    path = tmp_path / f"manifest{k}.json"
    manifest.save(path)
    return ManifestSources(manifest=path)


def run_fix(tmp_path: Path, sub: Path, *, k: int = 50, out: str = "out", **kw: object) -> FixResult:
    return fix_submission(sub, tmp_path / out, RunContext(sources(tmp_path, k), jobs=1), **kw)  # type: ignore[arg-type]


def out_ids(result: FixResult, key: str = TARGET) -> npt.NDArray[np.int32]:
    """Decode one written mask, asserting it is in the official encoding."""
    out = Path(result.output)
    if result.output_container == "zip":
        with zipfile.ZipFile(out) as archive:
            data = archive.read(f"{key}.png")
    else:
        data = (out / f"{key}.png").read_bytes()
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "RGB"
        rgb = np.asarray(im)
    assert not rgb[..., 2].any()
    return decode(rgb)


def kinds(result: FixResult) -> dict[ChangeKind, int]:
    return {kind: len(changes) for kind, changes in result.by_kind().items()}


def assert_passes(result: FixResult) -> None:
    assert result.report is not None
    assert result.report.status is Status.passed, result.report.by_code
    assert result.exit_code == 0


# --- mode conversions -------------------------------------------------------------


def test_valid_submission_is_copied_byte_for_byte(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "sub")
    result = run_fix(tmp_path, sub)
    assert_passes(result)
    assert result.changes == []
    assert result.unchanged == result.written == 5
    for key in SIZES:
        name = f"{key}.png"
        assert (tmp_path / "out" / name).read_bytes() == (sub / name).read_bytes()


def test_grayscale_l_becomes_rgb_with_the_same_ids(tmp_path: Path) -> None:
    ids = ids_for(TARGET)
    gray = save(Image.fromarray(ids.astype(np.uint8), "L"))
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": gray})
    result = run_fix(tmp_path, sub)
    assert kinds(result) == {ChangeKind.grayscale: 1}
    np.testing.assert_array_equal(out_ids(result), ids)
    assert_passes(result)


def test_grayscale_16_bit_keeps_ids_above_255(tmp_path: Path) -> None:
    ids = ids_for(TARGET, high=919)
    assert ids.max() > 255
    gray16 = save(Image.fromarray(ids.astype(np.uint16)))
    with Image.open(io.BytesIO(gray16)) as im:
        assert im.mode in ("I;16", "I")
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": gray16}, high=919)
    result = run_fix(tmp_path, sub, k=919)
    assert kinds(result) == {ChangeKind.grayscale: 1}
    np.testing.assert_array_equal(out_ids(result), ids)
    assert_passes(result)


@pytest.mark.parametrize("bits", [1, 2, 4])
def test_low_bit_depth_grayscale_keeps_the_stored_ids(tmp_path: Path, bits: int) -> None:
    ids = ids_for(TARGET, high=2**bits - 1)
    if bits == 1:
        data = save(Image.fromarray(ids.astype(bool)))
    else:
        # PIL writes low-bit grayscale from the top bits of an 8-bit image.
        scaled = (ids * (255 // (2**bits - 1))).astype(np.uint8)
        data = save(Image.fromarray(scaled, "L"), bits=bits)
    assert data[24] == bits  # IHDR bit depth
    np.testing.assert_array_equal(read_label_map(data, npy=True).ids, ids)
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": data})
    result = run_fix(tmp_path, sub)
    np.testing.assert_array_equal(out_ids(result), ids)
    assert_passes(result)


def test_palette_index_is_the_id_and_colours_are_ignored(tmp_path: Path) -> None:
    ids = ids_for(TARGET)
    pal = Image.fromarray(ids.astype(np.uint8), "P")
    # A viewing palette with a non-zero blue everywhere: it must not matter.
    rng = np.random.default_rng(1)
    pal.putpalette(rng.integers(1, 256, size=256 * 3).astype(np.uint8).tolist())
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": save(pal)})
    result = run_fix(tmp_path, sub)
    assert kinds(result) == {ChangeKind.palette: 1}
    np.testing.assert_array_equal(out_ids(result), ids)
    assert_passes(result)


@pytest.mark.parametrize("alpha", [255, 0, 128])
def test_rgba_with_constant_alpha_becomes_rgb(tmp_path: Path, alpha: int) -> None:
    ids = ids_for(TARGET)
    rgba = np.concatenate([encode(ids), np.full((*ids.shape, 1), alpha, np.uint8)], axis=2)
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": save(Image.fromarray(rgba))})
    result = run_fix(tmp_path, sub)
    assert kinds(result) == {ChangeKind.alpha: 1}
    np.testing.assert_array_equal(out_ids(result), ids)
    assert_passes(result)


def test_la_with_constant_alpha_becomes_rgb(tmp_path: Path) -> None:
    ids = ids_for(TARGET)
    la = np.stack([ids.astype(np.uint8), np.full(ids.shape, 255, np.uint8)], axis=2)
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": save(Image.fromarray(la, "LA"))})
    result = run_fix(tmp_path, sub)
    assert kinds(result) == {ChangeKind.alpha: 1}
    np.testing.assert_array_equal(out_ids(result), ids)
    assert_passes(result)


@pytest.mark.parametrize(
    "array",
    [
        lambda ids: ids.astype(np.int64),
        lambda ids: ids.astype(np.uint8),
        lambda ids: ids.astype(np.float32),
        lambda ids: ids[None, :, :].astype(np.int32),
        lambda ids: ids[:, :, None].astype(np.uint16),
    ],
    ids=["int64", "uint8", "integral-float", "1xHxW", "HxWx1"],
)
def test_npy_array_becomes_a_png(tmp_path: Path, array: object) -> None:
    ids = ids_for(TARGET)
    buffer = io.BytesIO()
    np.save(buffer, array(ids))  # type: ignore[operator]
    sub = make_submission(
        tmp_path / "sub", {f"{TARGET}.png": None, f"{TARGET}.npy": buffer.getvalue()}
    )
    result = run_fix(tmp_path, sub)
    assert kinds(result) == {ChangeKind.renamed: 1, ChangeKind.npy: 1}
    np.testing.assert_array_equal(out_ids(result), ids)
    assert not (tmp_path / "out" / f"{TARGET}.npy").exists()
    assert_passes(result)


# --- sizes ------------------------------------------------------------------------


def test_half_size_mask_is_upscaled_nearest_neighbour(tmp_path: Path) -> None:
    full = ids_for(TARGET)
    half = full[::2, ::2]
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": png_bytes(half)})
    result = run_fix(tmp_path, sub)
    assert kinds(result) == {ChangeKind.resized: 1}
    (change,) = result.by_kind()[ChangeKind.resized]
    assert (
        "20\N{MULTIPLICATION SIGN}15 -> 40\N{MULTIPLICATION SIGN}30" in change.detail
        and change.path == f"{TARGET}.png"
    )
    fixed = out_ids(result)
    # Exactly 2x: every mask pixel becomes a 2x2 block of the same id.
    np.testing.assert_array_equal(fixed, np.kron(half, np.ones((2, 2), dtype=np.int64)))
    assert set(np.unique(fixed)) == set(np.unique(half))
    assert_passes(result)


def test_resize_never_invents_ids() -> None:
    ids = np.array([[1, 7], [300, 50]], dtype=np.int32)
    for shape in [(3, 5), (7, 2), (1, 1), (13, 17)]:
        resized = resize_nearest(ids, *shape)
        assert resized.shape == shape
        assert set(np.unique(resized)) <= {1, 7, 300, 50}


def test_every_resized_mask_is_reported(tmp_path: Path) -> None:
    overrides: dict[str, bytes | None] = {
        f"{key}.png": png_bytes(ids_for(key)[: SIZES[key][0] // 2 + 1, :]) for key in SIZES
    }
    sub = make_submission(tmp_path / "sub", overrides)
    result = run_fix(tmp_path, sub)
    assert kinds(result) == {ChangeKind.resized: 4}
    assert {c.path for c in result.changes} == {f"{key}.png" for key in SIZES}
    assert_passes(result)


def test_swapped_axes_are_transposed_when_that_is_the_exact_fit(tmp_path: Path) -> None:
    ids = ids_for(TARGET)  # 30 x 40
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": png_bytes(ids.T.copy())})
    result = run_fix(tmp_path, sub)
    assert kinds(result) == {ChangeKind.transposed: 1}
    np.testing.assert_array_equal(out_ids(result), ids)
    assert_passes(result)


def test_sizes_are_left_alone_without_a_sized_manifest(tmp_path: Path) -> None:
    half = ids_for(TARGET)[::2, ::2]
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": png_bytes(half)})
    manifest = manifest_from_names(50, Split.validation, list(SIZES))
    manifest.save(tmp_path / "m.json")
    result = fix_submission(
        sub, tmp_path / "out", RunContext(ManifestSources(manifest=tmp_path / "m.json"), jobs=1)
    )
    assert result.changes == []
    np.testing.assert_array_equal(out_ids(result), half)


# --- what is left out -------------------------------------------------------------


def _jpeg(ids: npt.NDArray[np.int64]) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(encode(ids)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (lambda ids: _jpeg(ids), Code.NOT_PNG),
        (lambda ids: save(Image.fromarray(encode(ids) | np.uint8(1))), Code.BLUE_NONZERO),
        (
            lambda ids: save(
                Image.fromarray(
                    np.concatenate(
                        [encode(ids), (ids[..., None] * 5 % 256).astype(np.uint8)], axis=2
                    )
                )
            ),
            Code.MODE_ALPHA,
        ),
        (lambda ids: png_bytes(ids)[:60], Code.CORRUPT_PNG),
        (lambda ids: b"not an image at all", Code.NOT_PNG),
    ],
    ids=["jpeg", "blue", "varying-alpha", "truncated", "text"],
)
def test_unrepairable_masks_are_left_out_and_reported(
    tmp_path: Path, data: object, code: Code
) -> None:
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": data(ids_for(TARGET))})  # type: ignore[operator]
    result = run_fix(tmp_path, sub)
    (left,) = result.by_kind()[ChangeKind.left_out]
    assert left.code is code and left.path == f"{TARGET}.png"
    assert not (tmp_path / "out" / f"{TARGET}.png").exists()
    assert result.report is not None and result.report.by_code == {"N001": 1}
    assert result.exit_code == 1


def test_16_bit_rgb_is_left_out(tmp_path: Path) -> None:
    # PIL cannot write 16-bit RGB: build the PNG by hand (IHDR depth 16, colour type 2).
    import struct
    import zlib

    h, w = SIZES[TARGET]
    raw = b"".join(b"\x00" + b"\x00\x05\x00\x00\x00\x00" * w for _ in range(h))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": png})
    result = run_fix(tmp_path, sub)
    (left,) = result.by_kind()[ChangeKind.left_out]
    assert left.code is Code.BIT_DEPTH_16


def test_non_integer_npy_is_left_out(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    np.save(buffer, ids_for(TARGET) + 0.5)
    sub = make_submission(
        tmp_path / "sub", {f"{TARGET}.png": None, f"{TARGET}.npy": buffer.getvalue()}
    )
    result = run_fix(tmp_path, sub)
    assert kinds(result)[ChangeKind.left_out] == 1


# --- match.json -------------------------------------------------------------------


def test_apply_match_bakes_the_mapping_and_drops_match_json(tmp_path: Path) -> None:
    clusters = {key: ids_for(key, high=80) for key in SIZES}
    rng = np.random.default_rng(3)
    match = {0: 0, **{c: int(rng.integers(0, 51)) for c in range(1, 81)}}
    files: dict[str, bytes | None] = {f"{k}.png": png_bytes(v) for k, v in clusters.items()}
    files["match.json"] = json.dumps({str(k): v for k, v in match.items()}).encode()
    sub = make_submission(tmp_path / "sub", files)
    result = run_fix(tmp_path, sub, apply_match=True)
    assert kinds(result) == {ChangeKind.match_applied: 1}
    (applied,) = result.by_kind()[ChangeKind.match_applied]
    assert applied.detail.startswith(f"the ids of {len(clusters)} masks were mapped")
    assert not (tmp_path / "out" / "match.json").exists()
    lut = np.array([match[i] for i in range(81)])
    for key, ids in clusters.items():
        np.testing.assert_array_equal(out_ids(result, key), lut[ids])
    assert_passes(result)


def test_apply_match_leaves_out_masks_with_unmapped_ids(tmp_path: Path) -> None:
    files: dict[str, bytes | None] = {"match.json": json.dumps({"0": 0, "1": 3}).encode()}
    files.update({f"{k}.png": png_bytes(ids_for(k, high=1)) for k in SIZES})
    files[f"{TARGET}.png"] = png_bytes(ids_for(TARGET, high=2))
    sub = make_submission(tmp_path / "sub", files)
    result = run_fix(tmp_path, sub, apply_match=True)
    (left,) = result.by_kind()[ChangeKind.left_out]
    assert left.code is Code.MATCH_UNMAPPED_ID and "2" in left.detail


def test_apply_match_needs_a_valid_match_json(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "sub")
    with pytest.raises(UsageError, match=r"no match\.json"):
        run_fix(tmp_path, sub, apply_match=True)
    (sub / "match.json").write_text('{"0": 3}')
    with pytest.raises(UsageError, match="cannot be applied"):
        run_fix(tmp_path, sub, apply_match=True)
    assert not (tmp_path / "out").exists()


def test_without_apply_match_match_json_is_copied(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "sub", {"match.json": b'{"0": 0}'})
    run_fix(tmp_path, sub)
    assert (tmp_path / "out" / "match.json").read_bytes() == b'{"0": 0}'


# --- layout -----------------------------------------------------------------------


def test_enclosing_folder_junk_and_extensions_in_a_zip(tmp_path: Path) -> None:
    ids = ids_for(TARGET)
    make_submission(tmp_path / "tree", {f"{TARGET}.png": None})
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted((tmp_path / "tree").rglob("*")):
            if path.is_file():
                z.write(path, "results/" + path.relative_to(tmp_path / "tree").as_posix())
        z.writestr(f"results/{TARGET}.PNG", png_bytes(ids))
        z.writestr("__MACOSX/results/._method.txt", b"junk")
        z.writestr("results/.DS_Store", b"junk")
        z.writestr("results/notes.md", b"stray")
    result = run_fix(tmp_path, archive)
    assert kinds(result) == {
        ChangeKind.flattened: 1,
        ChangeKind.dropped: 3,
        ChangeKind.renamed: 1,
    }
    (renamed,) = result.by_kind()[ChangeKind.renamed]
    assert renamed.path == f"results/{TARGET}.PNG" and renamed.target == f"{TARGET}.png"
    # A rename does not touch the bytes.
    assert (tmp_path / "out" / f"{TARGET}.png").read_bytes() == png_bytes(ids)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "method.txt",
        "n01443537",
        "n01491361",
    ]
    assert_passes(result)


def test_misnamed_method_txt_is_renamed(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "sub", {"method.txt": None, "method.txt.txt": METHOD})
    result = run_fix(tmp_path, sub)
    assert kinds(result) == {ChangeKind.renamed: 1}
    assert (tmp_path / "out" / "method.txt").read_text() == METHOD
    assert_passes(result)


def test_a_misnamed_second_copy_is_dropped_not_preferred(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.PNG": b"an old copy"})
    result = run_fix(tmp_path, sub)
    (dropped,) = result.by_kind()[ChangeKind.dropped]
    assert dropped.path == f"{TARGET}.PNG" and "second copy" in dropped.detail
    assert_passes(result)


def test_identical_misnamed_copies_keep_one_and_different_ones_none(tmp_path: Path) -> None:
    mask = png_bytes(ids_for(TARGET, 50))
    twins = {f"{TARGET}.png": None, f"{TARGET}.png.png": mask, f"{TARGET}.npy.png": mask}
    result = run_fix(tmp_path, make_submission(tmp_path / "same", twins), out="same-out")
    assert kinds(result) == {ChangeKind.dropped: 1, ChangeKind.renamed: 1}
    assert_passes(result)
    other = png_bytes(ids_for(TARGET, 50) * 0)
    rivals = {f"{TARGET}.png": None, f"{TARGET}.png.png": mask, f"{TARGET}.npy.png": other}
    result = run_fix(tmp_path, make_submission(tmp_path / "rivals", rivals), out="rivals-out")
    left = result.by_kind()[ChangeKind.left_out]
    folder = TARGET.split("/")[0]
    assert len(left) == 2 and all(f"2 times in {folder}/" in c.detail for c in left)


def test_nested_second_copy_is_dropped_for_the_one_in_place(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "sub", {f"n01443537/old/{TARGET[10:]}.png": b"x"})
    result = run_fix(tmp_path, sub)
    (dropped,) = result.by_kind()[ChangeKind.dropped]
    assert dropped.code is Code.DUPLICATE_STEM and "second copy" in dropped.detail
    assert_passes(result)


def test_nested_file_of_no_listed_image_is_left_out(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "sub", {"n01443537/old/ILSVRC2012_val_00099999.png": b"x"})
    result = run_fix(tmp_path, sub)
    (left,) = result.by_kind()[ChangeKind.left_out]
    assert left.code is Code.NESTED_FILE
    assert_passes(result)


def test_unreadable_method_txt_in_a_zip_is_left_out(tmp_path: Path) -> None:
    make_submission(tmp_path / "tree")
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as z:
        for path in sorted((tmp_path / "tree").rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(tmp_path / "tree").as_posix())
    data = bytearray(archive.read_bytes())
    data[data.find(b"Method name")] ^= 0xFF  # the CRC check now fails
    archive.write_bytes(bytes(data))
    result = run_fix(tmp_path, archive)
    (left,) = result.by_kind()[ChangeKind.left_out]
    assert left.path == "method.txt" and left.code is Code.ZIP_CORRUPT
    assert result.report is not None and "T001" in result.report.by_code


# --- the output -------------------------------------------------------------------


def test_zip_output_holds_the_repaired_submission(tmp_path: Path) -> None:
    ids = ids_for(TARGET)
    sub = make_submission(
        tmp_path / "sub", {f"{TARGET}.png": save(Image.fromarray(ids.astype(np.uint8), "L"))}
    )
    result = run_fix(tmp_path, sub, out="fixed.zip")
    assert result.output_container == "zip"
    with zipfile.ZipFile(tmp_path / "fixed.zip") as z:
        assert z.testzip() is None
        assert sorted(z.namelist()) == sorted(["method.txt", *(f"{k}.png" for k in SIZES)])
    np.testing.assert_array_equal(out_ids(result), ids)
    assert_passes(result)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_existing_output_is_refused(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "sub")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep").write_text("mine")
    with pytest.raises(UsageError, match="already exists"):
        run_fix(tmp_path, sub)
    assert (tmp_path / "out" / "keep").read_text() == "mine"
    with pytest.raises(UsageError, match="inside the submission"):
        fix_submission(sub, sub / "fixed", RunContext(ManifestSources(), jobs=1))


def test_an_interrupt_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = make_submission(
        tmp_path / "sub", {f"{TARGET}.png": save(Image.fromarray(np.zeros((30, 40), np.uint8)))}
    )

    def interrupted(ids: object) -> bytes:
        raise KeyboardInterrupt

    monkeypatch.setattr(fixmod.fix_write, "encode_png", interrupted)
    for out in ("out", "out.zip"):
        with pytest.raises(KeyboardInterrupt):
            run_fix(tmp_path, sub, out=out)
        assert not (tmp_path / out).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest50.json", "sub"]


def test_output_files_are_not_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        result = run_fix(tmp_path, make_submission(tmp_path / "sub"), out="o.zip")
    finally:
        os.umask(old)
    assert (Path(result.output).stat().st_mode & 0o777) == 0o644


def test_undecidable_track_stops_before_writing(tmp_path: Path) -> None:
    sub = make_submission(tmp_path / "sub")
    with pytest.raises(SubmitkitError, match="cannot tell"):
        fix_submission(sub, tmp_path / "out", RunContext(ManifestSources(), jobs=1))
    assert not (tmp_path / "out").exists()


# --- the command ------------------------------------------------------------------


def test_cli_exit_codes_and_summary(tmp_path: Path, cli: Cli) -> None:
    gray = save(Image.fromarray(ids_for(TARGET).astype(np.uint8), "L"))
    sub = make_submission(tmp_path / "sub", {f"{TARGET}.png": gray})
    manifest = manifest_from_names(50, Split.validation, list(SIZES), dict(SIZES))
    manifest.save(tmp_path / "m.json")
    args = ["fix", str(sub), "--manifest", str(tmp_path / "m.json"), "--jobs", "1"]
    ok = cli([*args, "-o", str(tmp_path / "a")])
    assert ok.exit_code == 0, ok.output
    assert "grayscale label maps encoded as RGB: 1" in ok.output
    assert ok.output.rstrip().endswith("PASSED: 0 error(s), 0 warning(s)")
    again = cli([*args, "-o", str(tmp_path / "a")])
    assert again.exit_code == 2
    (sub / f"{TARGET}.png").write_bytes(_jpeg(ids_for(TARGET)))
    bad = cli([*args, "-o", str(tmp_path / "b")])
    assert bad.exit_code == 1
    assert "LEFT OUT" in bad.output and "[M001]" in bad.output and "FAILED" in bad.output
    missing = cli(["fix", str(tmp_path / "nope"), "-o", str(tmp_path / "c")])
    assert missing.exit_code == 2 and "Traceback" not in missing.output


# --- the shipped examples ---------------------------------------------------------

_REPAIRABLE = {
    "broken/L001-enclosing-folder.zip": ChangeKind.flattened,
    "broken/L004-upper-case-extension": ChangeKind.renamed,
    "broken/L005-method-txt-txt": ChangeKind.renamed,
    "broken/M003-grayscale": ChangeKind.grayscale,
    "broken/M004-palette": ChangeKind.palette,
    "broken/M005-rgba": ChangeKind.alpha,
    "broken/M007-half-size": ChangeKind.resized,
    "warn/L002-ds-store": ChangeKind.dropped,
    "warn/L002-macosx.zip": ChangeKind.dropped,
    "warn/L003-stray-readme": ChangeKind.dropped,
}
_UNREPAIRABLE = {
    "broken/M001-jpeg-renamed-png": Code.NOT_PNG,
    "broken/M008-blue-channel": Code.BLUE_NONZERO,
    "broken/M006-16-bit": Code.BIT_DEPTH_16,
}


def _example(name: str) -> Path:
    path = EXAMPLES / "submissions" / name
    assert path.exists(), f"example {name} missing: run examples/make_examples.py"
    return path


def _example_sources() -> ManifestSources:
    return ManifestSources(dataset=EXAMPLES / "dataset", manifest=EXAMPLES / "manifest.json")


def _masks(root: Path) -> dict[str, npt.NDArray[np.int32]]:
    out = {}
    for path in sorted(root.rglob("*.png")):
        with Image.open(path) as im:
            out[path.relative_to(root).as_posix()] = decode(np.asarray(im.convert("RGB")))
    return out


@pytest.mark.parametrize("name", sorted(_REPAIRABLE))
def test_repairable_examples_pass_after_fix(tmp_path: Path, name: str) -> None:
    result = fix_submission(
        _example(name), tmp_path / "out", RunContext(_example_sources(), jobs=1)
    )
    assert _REPAIRABLE[name] in result.by_kind()
    assert ChangeKind.left_out not in result.by_kind()
    assert_passes(result)
    # Every broken example is the valid one plus one fault: the ids must be its ids,
    # except that a shrunken mask can only come back as its nearest-neighbour upscale.
    expected = _masks(_example("valid"))
    if _REPAIRABLE[name] is ChangeKind.resized:
        for key, small in _masks(_example(name)).items():
            if small.shape != expected[key].shape:
                expected[key] = resize_nearest(small, *expected[key].shape)
    fixed = _masks(tmp_path / "out")
    assert fixed.keys() == expected.keys()
    for key, ids in expected.items():
        np.testing.assert_array_equal(fixed[key], ids, err_msg=key)


@pytest.mark.parametrize("name", sorted(_UNREPAIRABLE))
def test_unrepairable_examples_are_left_out(tmp_path: Path, name: str) -> None:
    result = fix_submission(
        _example(name), tmp_path / "out", RunContext(_example_sources(), jobs=1)
    )
    (left,) = result.by_kind()[ChangeKind.left_out]
    assert left.code is _UNREPAIRABLE[name]
    assert result.report is not None and result.report.by_code == {"N001": 1}
    assert result.exit_code == 1


def test_unsupervised_example_with_apply_match(tmp_path: Path) -> None:
    sub = _example("valid-unsupervised")
    result = fix_submission(
        sub, tmp_path / "out", RunContext(_example_sources(), jobs=1), apply_match=True
    )
    assert kinds(result) == {ChangeKind.match_applied: 1}
    assert_passes(result)
    match = {int(k): v for k, v in json.loads((sub / "match.json").read_text()).items()}
    for key, ids in _masks(sub).items():
        mapped = np.vectorize(match.__getitem__)(ids)
        np.testing.assert_array_equal(_masks(tmp_path / "out")[key], mapped)


def test_a_name_too_long_for_the_file_system_is_left_out_alone(tmp_path: Path) -> None:
    # The zip can hold it; a folder on disk cannot (names stop at 255 bytes on every
    # common file system). The other files are written all the same.
    long_name = f"{TARGET.split('/')[0]}/ILSVRC2012_val_{'9' * 300}.png"
    files = _tree_files(make_submission(tmp_path / "sub"))
    files[long_name] = png_bytes(ids_for(TARGET, 50))
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for name, data in files.items():
            handle.writestr(name, data)
    result = fix_submission(archive, tmp_path / "out", RunContext(sources(tmp_path), jobs=1))
    (left,) = result.by_kind()[ChangeKind.left_out]
    assert left.path == long_name and "too long for this file system" in left.detail
    assert result.written == len(files) - 1


def _tree_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
