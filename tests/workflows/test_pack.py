"""`submitkit pack`: reproducible zips that pass the check, refusals that write nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import stat
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
from PIL import Image
from typer.testing import Result

from submitkit.benchmark.protocols import Protocol
from submitkit.inputs.config import RunContext
from submitkit.inputs.manifest import ManifestSources
from submitkit.inputs.method_txt import parse_method
from submitkit.inputs.png import encode
from submitkit.workflows.pack import (
    PACK_DATE_TIME,
    MethodSource,
    plan_pack,
    with_declarations,
    write_pack,
)
from submitkit.workflows.preview_stats import ImageStats, build_preview
from tests.conftest import Cli, invoke_cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SUBMISSIONS = EXAMPLES / "submissions"
MANIFEST = EXAMPLES / "manifest.json"
PACK_SCHEMA = REPO / "schemas" / "pack.schema.json"
INDEX: dict[str, dict[str, Any]] = {
    entry["name"]: entry
    for entry in json.loads((EXAMPLES / "examples.json").read_text(encoding="utf-8"))["examples"]
}
BROKEN = sorted(name for name in INDEX if name.startswith("broken/"))
REPAIRED_BY_PACK = {"broken/L001-enclosing-folder.zip"}
"""Broken examples whose only fault packing fixes by design."""

METHOD_TOML = """\
method_name = "MiniMask"
training_data = "ImageNet-S50 train and train-semi"
training_scheme = "SSL+Sup"
networks = "ResNet-18"
link = "https://example.org/minimask"
description = "Self-supervised pre-training, then fine-tuning on train-semi."
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No [tool.submitkit] of a surrounding pyproject.toml, no SUBMITKIT_* settings."""
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("SUBMITKIT_"):
            monkeypatch.delenv(key)


def pack(*args: str | Path) -> Result:
    result = invoke_cli(
        ["pack", *map(str, args), "--manifest", str(MANIFEST), "--quiet", "--jobs", "1"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{result.exception!r}\n{result.output}"
    )
    return result


def check(path: Path, *args: str) -> Result:
    return invoke_cli(
        ["check", str(path), "--manifest", str(MANIFEST), "--quiet", "--jobs", "1", *args]
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    """Temporary files an interrupted write could leave behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def copy_example(name: str, to: Path) -> Path:
    source = SUBMISSIONS / name
    if source.is_dir():
        shutil.copytree(source, to)
    else:
        shutil.copyfile(source, to)
    return to


# --- reproducibility and layout ------------------------------------------------------


def test_same_submission_gives_byte_identical_zip(tmp_path: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    assert pack(SUBMISSIONS / "valid", "--protocol", "semi", "-o", first).exit_code == 0
    assert pack(SUBMISSIONS / "valid", "--protocol", "semi", "-o", second).exit_code == 0
    assert sha256(first) == sha256(second)
    # Repacking the packed zip is a fixed point: same entries, same bytes.
    third = tmp_path / "c.zip"
    assert pack(first, "--protocol", "semi", "-o", third).exit_code == 0
    assert sha256(third) == sha256(first)


def test_printed_sha256_and_size_match_the_file(tmp_path: Path) -> None:
    out = tmp_path / "v.zip"
    result = pack(SUBMISSIONS / "valid", "--protocol", "semi", "-o", out)
    assert result.exit_code == 0, result.output
    assert sha256(out) in result.output
    assert "13 entries" in result.output
    assert "every CRC OK" in result.output


def test_packed_zip_passes_the_full_check(tmp_path: Path) -> None:
    for name, protocol in (("valid", "semi"), ("valid-unsupervised", "unsupervised")):
        out = tmp_path / f"{name}.zip"
        assert pack(SUBMISSIONS / name, "--protocol", protocol, "-o", out).exit_code == 0
        result = check(out, "--protocol", protocol, "--strict")
        assert result.exit_code == 0, result.output
        assert "PASSED" in result.output


def test_zip_has_the_official_layout_and_fixed_metadata(tmp_path: Path) -> None:
    out = tmp_path / "u.zip"
    assert (
        pack(SUBMISSIONS / "valid-unsupervised", "--protocol", "unsupervised", "-o", out).exit_code
        == 0
    )
    with zipfile.ZipFile(out) as archive:
        infos = archive.infolist()
        assert archive.testzip() is None
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {"match.json", "method.txt"} <= set(names)
    masks = [n for n in names if n.endswith(".png")]
    assert len(masks) == 12 and all(n.count("/") == 1 and n.startswith("n") for n in masks)
    assert not any(info.is_dir() for info in infos)
    for info in infos:
        assert info.date_time == PACK_DATE_TIME
        assert stat.S_IMODE(info.external_attr >> 16) == 0o644
        # Stored, text included: deflate output varies with the zlib build.
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.create_system == 3
    # Masks are copied byte for byte.
    with zipfile.ZipFile(out) as archive:
        for name in masks:
            assert archive.read(name) == (SUBMISSIONS / "valid-unsupervised" / name).read_bytes()


def test_default_output_sits_beside_the_input(tmp_path: Path) -> None:
    folder = copy_example("valid", tmp_path / "run1")
    assert pack(folder, "--protocol", "semi").exit_code == 0
    assert (tmp_path / "run1-semi.zip").is_file()
    assert not any(p.suffix == ".zip" for p in folder.rglob("*"))
    assert pack(tmp_path / "run1-semi.zip", "--protocol", "semi").exit_code == 0
    assert (tmp_path / "run1-semi-semi.zip").is_file()


# --- refusals ----------------------------------------------------------------------


@pytest.mark.parametrize("name", BROKEN)
def test_broken_examples_are_refused_and_nothing_is_written(name: str, tmp_path: Path) -> None:
    out = tmp_path / "out.zip"
    result = pack(SUBMISSIONS / name, *INDEX[name]["args"], "-o", out)
    if name in REPAIRED_BY_PACK:
        assert result.exit_code == 0, result.output
        with zipfile.ZipFile(out) as archive:
            names = archive.namelist()
        assert "method.txt" in names and not any(n.startswith("submission/") for n in names)
        assert check(out, *INDEX[name]["args"]).exit_code == 0
        return
    assert result.exit_code == 1, result.output
    assert "nothing written" in result.output
    assert INDEX[name]["code"] in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_refused_json_result(tmp_path: Path) -> None:
    out = tmp_path / "out.zip"
    name = "broken/M003-grayscale"
    result = pack(SUBMISSIONS / name, *INDEX[name]["args"], "-o", out, "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["status"] == "refused" and document["path"] is None
    assert "M003" in document["report"]["by_code"]
    assert not out.exists()


def test_warnings_are_listed_and_junk_left_out(tmp_path: Path) -> None:
    for name in ("warn/L002-ds-store", "warn/L002-macosx.zip", "warn/L003-stray-readme"):
        out = tmp_path / (name.split("/")[1].removesuffix(".zip") + ".zip")
        result = pack(SUBMISSIONS / name, *INDEX[name]["args"], "-o", out)
        assert result.exit_code == 0, result.output
        assert "left out" in result.output
        with zipfile.ZipFile(out) as archive:
            names = archive.namelist()
        assert not any("DS_Store" in n or "MACOSX" in n or "README" in n for n in names)
        assert check(out, *INDEX[name]["args"], "--strict").exit_code == 0


def test_strict_refuses_check_warnings(tmp_path: Path) -> None:
    out = tmp_path / "out.zip"
    name = "warn/T004-placeholder"
    assert pack(SUBMISSIONS / name, *INDEX[name]["args"], "-o", out).exit_code == 0
    out.unlink()
    result = pack(SUBMISSIONS / name, *INDEX[name]["args"], "-o", out, "--strict")
    assert result.exit_code == 1 and not out.exists()


def test_missing_input_and_missing_protocol_are_usage_errors(tmp_path: Path) -> None:
    assert pack(tmp_path / "nope", "--protocol", "semi").exit_code == 2
    result = pack(SUBMISSIONS / "valid")
    assert result.exit_code == 2 and "--protocol" in result.output


# --- overwriting and interruption --------------------------------------------------


def test_existing_output_needs_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "out.zip"
    out.write_bytes(b"precious")
    result = pack(SUBMISSIONS / "valid", "--protocol", "semi", "-o", out)
    assert result.exit_code == 2 and "--overwrite" in result.output
    assert out.read_bytes() == b"precious"
    result = pack(SUBMISSIONS / "valid", "--protocol", "semi", "-o", out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(out)
    # Overwriting a zip packed moments ago must verify the new file, not a cached old one.
    other = pack(
        SUBMISSIONS / "valid-unsupervised", "--protocol", "unsupervised", "-o", out, "--overwrite"
    )
    assert other.exit_code == 0, other.output
    with zipfile.ZipFile(out) as archive:
        assert "match.json" in archive.namelist()


def test_output_inside_the_submission_or_replacing_it_is_refused(tmp_path: Path) -> None:
    folder = copy_example("valid", tmp_path / "sub")
    result = pack(folder, "--protocol", "semi", "-o", folder / "sub.zip")
    assert result.exit_code == 2 and not (folder / "sub.zip").exists()
    packed = tmp_path / "p.zip"
    assert pack(folder, "--protocol", "semi", "-o", packed).exit_code == 0
    assert pack(packed, "--protocol", "semi", "-o", packed, "--overwrite").exit_code == 2


@pytest.mark.parametrize("existing", [False, True])
def test_interrupted_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    import submitkit.workflows.pack as pack_module

    out = tmp_path / "out.zip"
    if existing:
        out.write_bytes(b"old")
    context = RunContext(ManifestSources(manifest=MANIFEST), protocol=Protocol.semi, jobs=1)
    plan = plan_pack(SUBMISSIONS / "valid", context)
    real = pack_module._process_mask
    calls = 0

    def interrupted(job: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise KeyboardInterrupt
        return real(job)

    monkeypatch.setattr(pack_module, "_process_mask", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_pack(plan, out, overwrite=existing)
    assert calls == 5
    assert leftovers(tmp_path) == []
    if existing:
        assert out.read_bytes() == b"old"
    else:
        assert not out.exists()


def test_failed_read_back_deletes_the_zip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from submitkit.core.errors import EnvironmentProblem

    out = tmp_path / "out.zip"
    context = RunContext(ManifestSources(manifest=MANIFEST), protocol=Protocol.semi, jobs=1)
    plan = plan_pack(SUBMISSIONS / "valid", context)
    import submitkit.core.zipwrite as zipwrite

    real = zipwrite.entry_info

    def corrupt(name: str) -> Any:
        # A different name than planned: the entry-list comparison must catch it.
        return real(name.upper() if name == "method.txt" else name)

    monkeypatch.setattr(zipwrite, "entry_info", corrupt)
    with pytest.raises(EnvironmentProblem, match="read-back"):
        write_pack(plan, out)
    assert not out.exists() and leftovers(tmp_path) == []


# --- method.txt ------------------------------------------------------------------------


def test_method_from_toml_file_supplies_a_missing_method_txt(tmp_path: Path) -> None:
    name = "warn/T001-no-method-txt"
    fields = tmp_path / "method.toml"
    fields.write_text(METHOD_TOML, encoding="utf-8")
    out = tmp_path / "out.zip"
    result = pack(SUBMISSIONS / name, "--protocol", "semi", "--method", fields, "-o", out)
    assert result.exit_code == 0, result.output
    assert "T001 error" not in result.output
    with zipfile.ZipFile(out) as archive:
        text = archive.read("method.txt")
    info, diags = parse_method(text, "method.txt")
    assert info is not None and diags == []
    assert info.protocol is Protocol.semi and info.track == 50
    assert info.fields["Method name"] == "MiniMask"
    assert check(out, "--protocol", "semi", "--strict").exit_code == 0
    assert not (SUBMISSIONS / name / "method.txt").exists()


def test_method_file_replaces_a_method_txt_declaring_another_protocol(tmp_path: Path) -> None:
    name = "broken/P004-declared-protocol"
    fields = tmp_path / "method.toml"
    fields.write_text(METHOD_TOML, encoding="utf-8")
    out = tmp_path / "out.zip"
    result = pack(SUBMISSIONS / name, "--protocol", "semi", "--method", fields, "-o", out)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert b"Protocol: semi" in archive.read("method.txt")


def test_method_file_that_breaks_the_protocol_is_a_usage_error(tmp_path: Path) -> None:
    fields = tmp_path / "method.toml"
    fields.write_text(METHOD_TOML, encoding="utf-8")
    out = tmp_path / "out.zip"
    # SSL+Sup names supervision, which the fully unsupervised protocol forbids.
    name = "valid-unsupervised"
    result = pack(SUBMISSIONS / name, "--protocol", "unsupervised", "--method", fields, "-o", out)
    assert result.exit_code == 2 and "P002" in result.output
    assert not out.exists()


def test_method_from_pyproject_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    project = tmp_path / "project"
    submission = copy_example("warn/T001-no-method-txt", project / "outputs" / "s50")
    (project / "pyproject.toml").write_text(
        "[tool.submitkit]\n"
        'submission = "outputs/s50"\n'
        f'manifest = "{MANIFEST.as_posix()}"\n'
        'protocol = "semi"\n'
        "\n[tool.submitkit.method]\n" + METHOD_TOML,
        encoding="utf-8",
    )
    monkeypatch.chdir(project)
    result = cli(["pack", "--quiet", "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "[tool.submitkit.method]" in result.output
    out = project / "outputs" / "s50-semi.zip"
    with zipfile.ZipFile(out) as archive:
        info, diags = parse_method(archive.read("method.txt"), "method.txt")
    assert info is not None and diags == [] and info.protocol is Protocol.semi
    assert not (submission / "method.txt").exists()


def test_declarations_are_added_to_the_packed_copy_only(tmp_path: Path) -> None:
    folder = copy_example("valid", tmp_path / "sub")
    original = (
        b"Method name: MiniMask\r\n"
        b"Training data: ImageNet-S50 train and train-semi\r\n"
        b"Training scheme: SSL+Sup\r\n"
        b"Networks: ResNet-18\r\n"
        b"Paper/Project link: null\r\n"
        b"Method description: pre-training,\r\nthen fine-tuning.\r\n"
    )
    (folder / "method.txt").write_bytes(original)
    out = tmp_path / "out.zip"
    result = pack(folder, "--protocol", "semi", "-o", out)
    assert result.exit_code == 0, result.output
    assert (folder / "method.txt").read_bytes() == original
    with zipfile.ZipFile(out) as archive:
        packed = archive.read("method.txt")
    assert packed == original.replace(
        b"Method description", b"Protocol: semi\r\nTrack: 50\r\nMethod description"
    )
    info, diags = parse_method(packed, "method.txt")
    assert info is not None and diags == [] and info.track == 50


def test_with_declarations_keeps_a_complete_file() -> None:
    complete = (SUBMISSIONS / "valid" / "method.txt").read_bytes()
    assert with_declarations(complete, Protocol.semi, 50) == complete
    partial = b"Protocol: semi\nMethod name: x\nMethod description: y\n"
    assert with_declarations(partial, Protocol.semi, 50) == (
        b"Protocol: semi\nMethod name: x\nTrack: 50\nMethod description: y\n"
    )


def test_plan_reports_where_method_txt_comes_from(tmp_path: Path) -> None:
    context = RunContext(ManifestSources(manifest=MANIFEST), protocol=Protocol.semi)
    plan = plan_pack(SUBMISSIONS / "valid", context)
    assert plan.method_source is MethodSource.submission and not plan.blocked
    assert plan.names[0] == "method.txt" and len(plan.names) == 13


# --- dry run, optimize, size limit, JSON ---------------------------------------------------


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    zipped = copy_example("warn/L002-macosx.zip", tmp_path / "in.zip")
    out = tmp_path / "out.zip"
    result = pack(zipped, "--protocol", "semi", "-o", out, "--dry-run")
    assert result.exit_code == 0, result.output
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in.zip"]
    assert "would write" in result.output and "13 entries" in result.output
    assert "Method name: MiniMask" in result.output
    assert "__MACOSX/" in result.output
    document = json.loads(
        pack(zipped, "--protocol", "semi", "-o", out, "--dry-run", "--format", "json").stdout
    )
    assert document["status"] == "dry-run" and document["sha256"] is None
    assert len(document["entries"]) == 13 and len(document["left_out"]) == 2
    assert not out.exists()


def _poorly_compressed(folder: Path) -> None:
    for mask in folder.glob("n*/*.png"):
        with Image.open(mask) as im:
            pixels = np.asarray(im)
        Image.fromarray(pixels).save(mask, compress_level=0)


def test_optimize_keeps_every_id_and_saves_bytes(tmp_path: Path) -> None:
    folder = copy_example("valid", tmp_path / "sub")
    _poorly_compressed(folder)
    plain, optimized = tmp_path / "plain.zip", tmp_path / "optimized.zip"
    assert pack(folder, "--protocol", "semi", "-o", plain).exit_code == 0
    result = pack(folder, "--protocol", "semi", "-o", optimized, "--optimize", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["optimized"] and document["optimize_saved"] > 0
    assert optimized.stat().st_size < plain.stat().st_size
    with zipfile.ZipFile(optimized) as archive:
        for name in archive.namelist():
            if not name.endswith(".png"):
                continue
            with Image.open(io.BytesIO(archive.read(name))) as im:
                assert im.mode == "RGB"
                packed_pixels = np.asarray(im)
            with Image.open(folder / name) as im:
                assert np.array_equal(packed_pixels, np.asarray(im))
    assert check(optimized, "--protocol", "semi", "--strict").exit_code == 0
    again = tmp_path / "again.zip"
    assert pack(folder, "--protocol", "semi", "-o", again, "--optimize").exit_code == 0
    assert sha256(again) == sha256(optimized)


def test_size_limit_warning_with_optimize_estimate(tmp_path: Path) -> None:
    folder = copy_example("valid", tmp_path / "sub")
    _poorly_compressed(folder)
    out = tmp_path / "out.zip"
    result = pack(folder, "--protocol", "semi", "-o", out, "--max-size", "0.001")
    assert result.exit_code == 0, result.output
    assert "exceeds the upload limit of 1.0 kB" in result.output
    assert "--optimize would save about" in result.output
    out.unlink()
    document = json.loads(
        pack(
            folder, "--protocol", "semi", "-o", out, "--max-size", "0.001", "--format", "json"
        ).stdout
    )
    assert document["over_limit"] and document["optimize_estimated"]
    assert document["optimize_saved"] > 0
    out.unlink()
    quiet = pack(folder, "--protocol", "semi", "-o", out)
    assert "exceeds" not in quiet.output


def test_json_result_follows_the_schema(tmp_path: Path) -> None:
    schema = json.loads(PACK_SCHEMA.read_text(encoding="utf-8"))
    out = tmp_path / "out.zip"
    result = pack(SUBMISSIONS / "valid", "--protocol", "semi", "-o", out, "--format", "json")
    document = json.loads(result.stdout)
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["status"] == "written"
    assert document["sha256"] == sha256(out) and document["size"] == out.stat().st_size
    assert document["verification"]["check_status"] == "PASSED"
    assert document["report"]["status"] == "PASSED"
    preview = document["preview"]
    assert preview["images"] == 12 and preview["k"] == 50
    shares = [c["pixel_share"] for c in preview["top_by_pixels"]]
    assert shares == sorted(shares, reverse=True) and all(0 < s < 1 for s in shares)


# --- the preview ------------------------------------------------------------------------


def _stats(name: str, ids: np.ndarray) -> ImageStats:
    values, counts = np.unique(ids, return_counts=True)
    rgb = encode(ids)
    digest = hashlib.sha256(repr(rgb.shape).encode() + rgb.tobytes()).hexdigest()
    return ImageStats(
        name,
        [int(v) for v in values],
        {int(v): int(c) for v, c in zip(values, counts, strict=True)},
        digest,
    )


def test_preview_counts_pixels_and_images() -> None:
    a = np.zeros((4, 5), dtype=np.int32)
    a[:2, :] = 3
    b = np.full((4, 5), 7, dtype=np.int32)
    c = np.zeros((2, 2), dtype=np.int32)
    preview = build_preview([_stats("x/a", a), _stats("x/b", b), _stats("x/c", c)], k=50)
    assert preview.images == 3 and preview.classes_predicted == 2
    assert preview.pixels == 44
    assert preview.top_by_pixels[0].id == 7 and preview.top_by_pixels[0].pixels == 20
    assert preview.all_other_images == 1 and preview.all_other_examples == ["x/c"]
    assert preview.warnings == []  # too few images to judge


def test_preview_maps_ids_through_match_json() -> None:
    a = np.array([[0, 11], [11, 12]], dtype=np.int32)
    preview = build_preview([_stats("x/a", a)], k=50, match={0: 0, 11: 4, 12: 4})
    assert preview.mapped and preview.classes_predicted == 1
    assert preview.top_by_pixels[0].id == 4 and preview.top_by_pixels[0].pixels == 3


def test_preview_warns_about_suspicious_distributions() -> None:
    rng = np.random.default_rng(0)
    same = rng.integers(0, 3, size=(8, 8)).astype(np.int32)
    images = [_stats(f"n0/{i}", same) for i in range(20)]
    preview = build_preview(images, k=919)
    text = " ".join(preview.warnings)
    assert "appears in 20 of 20 images" in text
    assert "pixel-identical" in text and preview.duplicate_masks == 20
    assert "only 2 of the track's 919 classes" not in text  # fewer images than K

    blank = [_stats(f"n0/{i}", np.zeros((3, 3), dtype=np.int32)) for i in range(15)]
    assert any('nothing but "other"' in w for w in build_preview(blank, k=50).warnings)

    few = [
        _stats(f"n0/{i}", np.array([[0, 1 + i % 2, 0, i + 100]], dtype=np.int32) % 3)
        for i in range(60)
    ]
    assert any("of the track's 50 classes" in w for w in build_preview(few, k=50).warnings)


def _varied(i: int) -> np.ndarray:
    ids = np.zeros((6, 6), dtype=np.int32)
    ids[i % 6, :] = 1 + i % 50
    return ids


def test_preview_of_a_varied_submission_has_no_warnings() -> None:
    images = [_stats(f"n{i}/img", _varied(i)) for i in range(60)]
    preview = build_preview(images, k=50)
    assert preview.warnings == [] and preview.classes_predicted == 50
    # One identical pair among many images is counted, but ImageNet has near-duplicate
    # images, so it is not worth a warning.
    images.append(_stats("n99/copy", _varied(0)))
    preview = build_preview(images, k=50)
    assert preview.duplicate_masks == 2 and preview.warnings == []


@pytest.mark.parametrize("limit", ["inf", "nan", "-5", "1e12"])
def test_an_impossible_size_limit_is_a_usage_error(tmp_path: Path, limit: str) -> None:
    folder = copy_example("valid", tmp_path / "sub")
    result = pack(folder, "--protocol", "semi", "-o", tmp_path / "o.zip", "--max-size", limit)
    assert result.exit_code == 2
    assert "Invalid value for '--max-size'" in result.output
    assert not (tmp_path / "o.zip").exists()
