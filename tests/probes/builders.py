"""Hostile submissions, zips and configs, each written into a given scratch folder."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import stat
import struct
import warnings
import zipfile
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
MANIFEST = EXAMPLES / "manifest.json"
VALID = EXAMPLES / "submissions" / "valid"
MASK = "n20000519/ILSVRC2012_val_00023959.png"
"""A prediction of the valid example (and of the manifest)."""
SECRET = "AKIA-SECRET-CREDENTIAL-7f3a"
"""The content of the file outside every submission: it must never be printed."""


def valid_copy(root: Path, name: str = "sub") -> Path:
    """A copy of the valid example submission."""
    target = root / name
    shutil.copytree(VALID, target)
    return target


def secret_file(root: Path) -> Path:
    path = root / "outside" / "credentials"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"aws_secret_access_key = {SECRET}\n{SECRET}: yes\n", encoding="utf-8")
    return path


def replace_with_link(path: Path, target: Path | str) -> None:
    if path.exists() or path.is_symlink():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    os.symlink(target, path)


def make_socket(path: Path) -> None:
    """A UNIX socket file (a special file any user can create, unlike a device)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))


def sparse_file(path: Path, size: int) -> None:
    """A file of ``size`` bytes that takes no disk space (a hole)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(size)


def zip_members(path: Path, members: Iterable[tuple[str, bytes]]) -> Path:
    """A zip with members named exactly as given (no normalisation by the writer).

    Duplicate names are the point of some probes: zipfile's warning about them is muted.
    """
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore", UserWarning)
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data)
    return path


def valid_members(prefix: str = "") -> list[tuple[str, bytes]]:
    """The valid example's files as zip members, each name behind ``prefix``."""
    return [
        (prefix + p.relative_to(VALID).as_posix(), p.read_bytes())
        for p in sorted(VALID.rglob("*"))
        if p.is_file()
    ]


def with_declared_count(path: Path, count: int) -> Path:
    """Rewrite the end record of a zip to declare ``count`` members (a lying directory)."""
    data = bytearray(path.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, at + 8, min(count, 0xFFFF), min(count, 0xFFFF))
    path.write_bytes(bytes(data))
    return path


def with_bad_crc(path: Path, member: str) -> Path:
    """Flip one byte of ``member``'s stored data: its CRC check fails on reading."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    data = bytearray(path.read_bytes())
    at = info.header_offset
    name_len, extra_len = struct.unpack("<HH", data[at + 26 : at + 30])
    start = at + 30 + name_len + extra_len
    data[start + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def snapshot(root: Path) -> dict[str, str]:
    """Every entry below ``root`` (links not followed): its kind and content hash."""
    seen: dict[str, str] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                seen[rel] = "link:" + os.readlink(path)
            elif stat.S_ISREG(mode) and path.stat().st_size > 16 * 2**20:
                # A sparse giant: its size and time say enough, hashing it would be slow.
                info = path.stat()
                seen[rel] = f"big:{info.st_size}:{info.st_mtime_ns}"
            elif stat.S_ISREG(mode):
                seen[rel] = "file:" + _sha256(path)
            elif stat.S_ISDIR(mode):
                seen[rel] = "dir"
            else:
                seen[rel] = f"special:{stat.S_IFMT(mode)}"
    return seen


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
