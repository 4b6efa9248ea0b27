from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from submitkit.core.diagnostics import Code
from submitkit.core.errors import EnvironmentProblem
from submitkit.inputs.source import MAX_MEMBER_BYTES, open_source
from tests.conftest import write_tree, write_zip


def zip_codes(path: Path) -> list[tuple[Code, str]]:
    return [(d.code, d.path) for d in open_source(path).diagnostics]


def test_folder_listing(tmp_path: Path) -> None:
    write_tree(tmp_path, {"n1/a.png": b"12", "method.txt": b"m"})
    source = open_source(tmp_path)
    assert source.kind == "folder"
    assert [(e.name, e.size) for e in source.entries] == [("method.txt", 1), ("n1/a.png", 2)]
    assert source.read("n1/a.png") == b"12"


def test_missing_path_is_environment_problem(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentProblem):
        open_source(tmp_path / "nope")


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "s.zip"
    path.write_bytes(b"PK nope")
    assert zip_codes(path) == [(Code.ZIP_CORRUPT, "")]


def test_unsafe_paths(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "s.zip",
        {"../evil.png": b"x", "/abs.png": b"x", "a\\b.png": b"x", "n1/ok.png": b"x"},
    )
    source = open_source(path)
    assert sorted(d.code for d in source.diagnostics) == [Code.ZIP_UNSAFE_PATH] * 3
    assert [e.name for e in source.entries] == ["n1/ok.png"]


def test_symlink_member(tmp_path: Path) -> None:
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("n1/link.png")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "target.png")
    assert zip_codes(path) == [(Code.ZIP_SYMLINK, "n1/link.png")]


def test_encrypted_member(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "s.zip", {"n1/a.png": b"x"})
    data = bytearray(path.read_bytes())
    # Set the "encrypted" general-purpose flag in the local and central headers.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x1
    path.write_bytes(bytes(data))
    assert zip_codes(path) == [(Code.ZIP_ENCRYPTED, "n1/a.png")]


def test_unsupported_compression(tmp_path: Path) -> None:
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_BZIP2) as archive:
        archive.writestr("n1/a.png", b"x" * 100)
    ((code, where),) = zip_codes(path)
    assert (code, where) == (Code.ZIP_UNSUPPORTED_COMPRESSION, "n1/a.png")
    assert "bzip2" in open_source(path).diagnostics[0].message


def test_deflate64_is_named(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "s.zip", {"n1/a.png": b"x"})
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = data.find(signature)
        data[at + offset] = 9  # Deflate64
    path.write_bytes(bytes(data))
    (diag,) = open_source(path).diagnostics
    assert diag.code is Code.ZIP_UNSUPPORTED_COMPRESSION and "Deflate64" in diag.message


def test_absurd_declared_size(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "s.zip", {"n1/a.png": b"x"})
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    data[at + 24 : at + 28] = (MAX_MEMBER_BYTES + 1).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert zip_codes(path) == [(Code.ZIP_TOO_LARGE, "n1/a.png")]


def test_duplicate_entries(tmp_path: Path) -> None:
    path = tmp_path / "s.zip"
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "w") as archive:
        archive.writestr("n1/a.png", b"1")
        archive.writestr("n1/a.png", b"2")
    assert zip_codes(path) == [(Code.ZIP_DUPLICATE_ENTRY, "n1/a.png")]
    assert [e.name for e in open_source(path).entries] == ["n1/a.png"]


def test_read_head_of_folder_file_and_zip_member(tmp_path: Path) -> None:
    write_tree(tmp_path / "f", {"n1/a.png": b"0123456789"})
    zpath = write_zip(tmp_path / "s.zip", {"n1/a.png": b"0123456789" * 1000})
    assert open_source(tmp_path / "f").ref("n1/a.png").read_head(4) == b"0123"
    assert open_source(zpath).ref("n1/a.png").read_head(4) == b"0123"


@pytest.mark.parametrize(
    ("members", "clash"),
    [
        (["n1", "n1/a.png"], "n1"),
        (["n1/a.png", "n1"], "n1"),
        (["n1/", "n1"], "n1"),
        (["n1", "n1/"], "n1"),
        (["method.txt", "a/n1", "a/n1/b/c.png"], "a/n1"),
        (["a/b/", "a"], "a"),
    ],
)
def test_a_file_that_is_also_a_folder_is_refused_as_extractall_refuses_it(
    tmp_path: Path, members: list[str], clash: str
) -> None:
    path = tmp_path / "s.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in members:
            archive.writestr(name, b"" if name.endswith("/") else b"x")
    found = [(c, p) for c, p in zip_codes(path) if c is Code.ZIP_FILE_AND_FOLDER]
    assert found == [(Code.ZIP_FILE_AND_FOLDER, clash)]
    with zipfile.ZipFile(path) as archive, pytest.raises(OSError):
        archive.extractall(tmp_path / "platform")  # what the platform does with it


def test_files_beside_folders_of_other_names_extract_and_pass(tmp_path: Path) -> None:
    path = tmp_path / "s.zip"
    members = ["n1/", "n1/a.png", "n10", "n1a/b.png", "n1.png"]
    with zipfile.ZipFile(path, "w") as archive:
        for name in members:
            archive.writestr(name, b"" if name.endswith("/") else b"x")
    assert Code.ZIP_FILE_AND_FOLDER not in {c for c, _ in zip_codes(path)}
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "platform")
