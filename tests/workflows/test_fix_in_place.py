"""`submitkit fix --in-place`: the submission repaired by an atomic swap, or left as it was."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest
from PIL import Image

import submitkit.core.atomic as atomic
import submitkit.workflows.fix as fixmod
from tests.conftest import Cli, invoke_cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
MANIFEST = str(EXAMPLES / "manifest.json")
GRAYSCALE = EXAMPLES / "submissions" / "broken" / "M003-grayscale"
VALID = EXAMPLES / "submissions" / "valid"
MASK = "n20000519/ILSVRC2012_val_00023959.png"


def _snapshot(path: Path) -> dict[str, bytes]:
    if path.is_file():
        return {path.name: path.read_bytes()}
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _fix(*args: str) -> tuple[int, str]:
    done = invoke_cli(["fix", *args, "--quiet"])
    return done.exit_code, done.output


def _broken_copy(tmp_path: Path) -> Path:
    sub = tmp_path / "M003-grayscale"
    shutil.copytree(GRAYSCALE, sub)
    return sub


def test_in_place_repair_leaves_a_passing_submission_at_the_same_path(
    tmp_path: Path, cli: Cli
) -> None:
    sub = _broken_copy(tmp_path)
    code, output = _fix(str(sub), "--in-place", "--manifest", MANIFEST)
    # Repaired and passing, but changed: exit 1, as a pre-commit fixer that changed files.
    assert code == 1, output
    assert "repaired in place" in output and "PASSED" in output
    assert os.listdir(tmp_path) == ["M003-grayscale"]  # no temporary, no original set aside
    with Image.open(sub / MASK) as im:
        assert im.mode == "RGB"
    checked = cli(["check", str(sub), "--manifest", MANIFEST, "--quiet"])
    assert checked.exit_code == 0, checked.output
    # Run again: nothing left to repair, the submission is not rewritten, exit 0.
    before = {p: p.stat().st_mtime_ns for p in sub.rglob("*")}
    code, output = _fix(str(sub), "--in-place", "--manifest", MANIFEST)
    assert code == 0, output
    assert "nothing to repair: left untouched" in output
    assert {p: p.stat().st_mtime_ns for p in sub.rglob("*")} == before
    assert os.listdir(tmp_path) == ["M003-grayscale"]


def test_in_place_repair_of_a_zip_keeps_it_a_zip(tmp_path: Path, cli: Cli) -> None:
    sub = _broken_copy(tmp_path)
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(sub.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(sub).as_posix())
    shutil.rmtree(sub)
    code, output = _fix(str(archive), "--in-place", "--manifest", MANIFEST)
    assert code == 1, output
    assert os.listdir(tmp_path) == ["sub.zip"]
    assert zipfile.is_zipfile(archive)
    checked = cli(["check", str(archive), "--manifest", MANIFEST, "--quiet"])
    assert checked.exit_code == 0, checked.output


@pytest.mark.parametrize(
    "extra",
    [
        ["-o", "elsewhere"],  # both: usage error
        ["--drop-extra"],  # needs the split's list, which is not given
    ],
)
def test_a_refusal_leaves_the_original_byte_identical(tmp_path: Path, extra: list[str]) -> None:
    sub = _broken_copy(tmp_path)
    before = _snapshot(sub)
    extra = [str(tmp_path / e) if e == "elsewhere" else e for e in extra]
    code, output = _fix(str(sub), "--in-place", *extra)
    assert code == 2, output
    assert _snapshot(sub) == before
    assert os.listdir(tmp_path) == ["M003-grayscale"]


def test_neither_output_nor_in_place_is_a_usage_error(tmp_path: Path) -> None:
    sub = _broken_copy(tmp_path)
    code, output = _fix(str(sub))
    assert code == 2
    assert "-o OUT" in output and "--in-place" in output


def test_ctrl_c_while_writing_leaves_the_original_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = _broken_copy(tmp_path)
    before = _snapshot(sub)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(fixmod.fix_write, "_write_all", interrupted)
    code, _ = _fix(str(sub), "--in-place", "--manifest", MANIFEST)
    assert code == 130
    assert _snapshot(sub) == before
    assert os.listdir(tmp_path) == ["M003-grayscale"]


def test_a_failed_swap_puts_the_original_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = _broken_copy(tmp_path)
    before = _snapshot(sub)
    real_rename = os.rename
    calls: list[str] = []

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(str(dst))
        if len(calls) == 2:  # the copy moving in: fail, as a full or vanished folder would
            raise KeyboardInterrupt
        real_rename(src, dst)

    with pytest.raises(KeyboardInterrupt), atomic.atomic_swap(sub) as swap:
        shutil.copytree(VALID, swap.new)
        monkeypatch.setattr(atomic.os, "rename", rename)
    assert calls[0] != str(sub) and calls[1] == str(sub)
    assert _snapshot(sub) == before
    assert os.listdir(tmp_path) == ["M003-grayscale"]
