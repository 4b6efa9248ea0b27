"""A submission as a list of entries, read from a folder or, in place, from a zip.

Zips are never extracted: members are read into memory one at a time. Unsafe
members (absolute or ``..`` paths, symlinks, encryption, exotic compression,
absurd sizes) are reported as diagnostics and excluded from the listing, so no
later stage ever touches them.
"""

from __future__ import annotations

import os
import stat
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import IO, Literal

from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.errors import EnvironmentProblem

MAX_MEMBER_BYTES = 256 * 1024 * 1024
"""No mask or text file of a submission comes near this uncompressed size."""
MAX_TOTAL_BYTES = 16 * 1024 * 1024 * 1024
"""A full 919-track test submission decompresses to well under this."""
MAX_RATIO = 1000
"""Label maps compress well, but not a thousandfold beyond a small floor."""
RATIO_FLOOR_BYTES = 4 * 1024 * 1024

SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
_COMPRESSION_NAMES = {
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "LZMA",
    9: "Deflate64",
    93: "zstd",
    98: "PPMd",
    99: "AES (WinZip encryption)",
}


@dataclass(frozen=True)
class Entry:
    """One file of a submission: a POSIX path relative to the root, and its size."""

    name: str
    size: int

    @property
    def parts(self) -> tuple[str, ...]:
        return PurePosixPath(self.name).parts


@dataclass(frozen=True)
class MemberRef:
    """A picklable handle on one file, so worker processes can read it themselves."""

    container: str
    name: str
    in_zip: bool

    def read_bytes(self) -> bytes:
        if self.in_zip:
            return _open_zip(self.container).read(self.name)
        return (Path(self.container) / self.name).read_bytes()

    def read_head(self, n: int) -> bytes:
        """The first ``n`` bytes; a zip member is inflated only that far."""
        with self.open() as handle:
            return handle.read(n)

    def open(self) -> IO[bytes]:
        """The file for reading, so a reader can judge its first bytes before reading on.

        Zip reads are safe from several threads: every member handle re-seeks the
        shared archive file under the archive's lock.
        """
        if self.in_zip:
            return _open_zip(self.container).open(self.name)
        return open(Path(self.container) / self.name, "rb")


@lru_cache(maxsize=4)
def _open_zip(path: str) -> zipfile.ZipFile:
    # One handle per process and archive: reopening for each of 27k members
    # would re-read the central directory every time.
    return zipfile.ZipFile(path)


def forget_open_zips() -> None:
    """Drop cached zip handles (a worker process must never reuse its parent's)."""
    _open_zip.cache_clear()


@dataclass
class Source:
    """The files of a submission and the container-level findings about them."""

    path: Path
    kind: Literal["folder", "zip"]
    entries: list[Entry]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    prefix: str = ""
    """A folder to read below (set when an enclosing folder is looked through)."""

    def ref(self, name: str) -> MemberRef:
        return MemberRef(str(self.path), self.prefix + name, self.kind == "zip")

    def read(self, name: str) -> bytes:
        return self.ref(name).read_bytes()

    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def descend(self, folder: str) -> Source:
        """The same source seen from inside ``folder`` (an enclosing folder)."""
        cut = folder.rstrip("/") + "/"
        inner = [Entry(e.name[len(cut) :], e.size) for e in self.entries if e.name.startswith(cut)]
        return Source(self.path, self.kind, inner, list(self.diagnostics), self.prefix + cut)


def open_source(path: Path) -> Source:
    """List a submission folder or zip; raises EnvironmentProblem if it is neither."""
    if not path.exists():
        raise EnvironmentProblem(f"{path} does not exist", "give the submission folder or its .zip")
    if path.is_dir():
        return _folder_source(path)
    if path.is_file():
        return _zip_source(path)
    raise EnvironmentProblem(f"{path} is neither a folder nor a file")


def _folder_source(root: Path) -> Source:
    entries: list[Entry] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            items = list(os.scandir(folder))
        except OSError as exc:
            raise EnvironmentProblem(f"cannot list {folder}: {exc.strerror}") from exc
        for item in items:
            if item.is_dir():
                stack.append(Path(item.path))
            elif item.is_file():
                rel = Path(item.path).relative_to(root).as_posix()
                entries.append(Entry(rel, item.stat().st_size))
    entries.sort(key=lambda e: e.name)
    return Source(root, "folder", entries)


def _zip_source(path: Path) -> Source:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        diag = Code.ZIP_CORRUPT.at(
            "",
            f"{path.name} is not a readable zip archive",
            "give the submission folder, or re-create the zip (see `submitkit pack`)",
        )
        return Source(path, "zip", [], [diag])
    except OSError as exc:
        raise EnvironmentProblem(f"cannot read {path}: {exc.strerror}") from exc
    with archive:
        infos = archive.infolist()
    diags: list[Diagnostic] = []
    entries: list[Entry] = []
    counts = Counter(info.filename for info in infos)
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        problem = _member_problem(info)
        if problem is not None:
            diags.append(problem)
            continue
        if info.is_dir() or name in seen:
            continue
        seen.add(name)
        if counts[name] > 1:
            # Which copy an unzipper keeps is up to the unzipper: say so once.
            diags.append(
                Code.ZIP_DUPLICATE_ENTRY.at(
                    name,
                    f"{name} appears {counts[name]} times in the zip",
                    "re-create the zip from a folder (see `submitkit pack`)",
                )
            )
        total += info.file_size
        entries.append(Entry(name, info.file_size))
    if total > MAX_TOTAL_BYTES:
        diags.append(
            Code.ZIP_TOO_LARGE.at(
                "",
                f"the zip declares {total / 2**30:.1f} GiB uncompressed "
                f"(limit {MAX_TOTAL_BYTES / 2**30:.0f} GiB)",
                "a submission holds only masks, method.txt and match.json",
            )
        )
        entries = []
    entries.sort(key=lambda e: e.name)
    return Source(path, "zip", entries, diags)


def _member_problem(info: zipfile.ZipInfo) -> Diagnostic | None:
    name = info.filename
    fix = "re-create the zip from the submission folder (see `submitkit pack`)"
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return Code.ZIP_UNSAFE_PATH.at(
            name, f"member path {name!r} is absolute or uses backslashes", fix
        )
    if ".." in PurePosixPath(name).parts:
        return Code.ZIP_UNSAFE_PATH.at(name, f"member path {name!r} climbs out with '..'", fix)
    if stat.S_ISLNK(info.external_attr >> 16):
        return Code.ZIP_SYMLINK.at(
            name, f"{name} is a symbolic link", "zip the files themselves, not links to them"
        )
    if info.flag_bits & 0x1:
        return Code.ZIP_ENCRYPTED.at(
            name, f"{name} is encrypted", "create the zip without a password"
        )
    if info.compress_type not in SUPPORTED_COMPRESSION:
        method = _COMPRESSION_NAMES.get(info.compress_type, f"method {info.compress_type}")
        return Code.ZIP_UNSUPPORTED_COMPRESSION.at(
            name,
            f"{name} is compressed with {method}, which the server cannot read",
            "use plain deflate, e.g. `submitkit pack` or `zip -r`",
        )
    size = info.file_size
    if size > MAX_MEMBER_BYTES or (
        size > RATIO_FLOOR_BYTES and size > MAX_RATIO * max(info.compress_size, 1)
    ):
        return Code.ZIP_TOO_LARGE.at(
            name,
            f"{name} declares {size:,} bytes uncompressed from {info.compress_size:,}",
            "a submission holds only masks, method.txt and match.json",
        )
    return None
