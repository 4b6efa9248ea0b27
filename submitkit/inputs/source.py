"""A submission as a list of entries, read from a folder or, in place, from a zip.

Zips are never extracted: members are read into memory one at a time. Unsafe
members (absolute or ``..`` paths, symlinks, encryption, exotic compression,
absurd sizes) are reported as diagnostics and excluded from the listing, so no
later stage ever touches them.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Literal

from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.errors import EnvironmentProblem
from submitkit.core.safetext import quoted
from submitkit.inputs.files import human_limit, name_parts, open_below, read_bounded, special_kind
from submitkit.inputs.zip_names import (
    collision_findings,
    folder_clash_findings,
    name_problem,
    normalised,
)

MAX_MEMBER_BYTES = 256 * 1024 * 1024
"""No mask or text file of a submission comes near this uncompressed size."""
MAX_TOTAL_BYTES = 16 * 1024 * 1024 * 1024
"""A full 919-track test submission decompresses to well under this."""
MAX_RATIO = 1000
"""Label maps compress well, but not a thousandfold beyond a small floor."""
RATIO_FLOOR_BYTES = 4 * 1024 * 1024
MAX_MEMBERS = 60_000
"""A full 919-class test submission has about 28,000 members."""
MAX_DIRECTORY_BYTES = 64 * 1024 * 1024
"""The central directory of 60,000 members with long names stays well under this."""
_ECD_ENTRIES_TOTAL = 4
_ECD_SIZE = 5

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
        return name_parts(self.name)


@dataclass(frozen=True)
class MemberRef:
    """A picklable handle on one file, so worker processes can read it themselves.

    A folder file is opened without following links (see ``inputs.files``):
    even a link planted after the listing is never read through.
    """

    container: str
    name: str
    in_zip: bool

    def read_bytes(self) -> bytes:
        if self.in_zip:
            return _open_zip(self.container).read(self.name)
        with open_below(Path(self.container), self.name) as handle:
            return handle.read()

    def read_head(self, n: int) -> bytes:
        """The first ``n`` bytes; a zip member is inflated only that far."""
        with self.open() as handle:
            return handle.read(n)

    def read_limited(self, limit: int) -> bytes | None:
        """The whole file if it holds at most ``limit`` bytes, else ``None`` (read no further)."""
        with self.open() as handle:
            return read_bounded(handle, limit)

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The file for reading, so a reader can judge its first bytes before reading on.

        A folder file is opened without following links (``open_below``). Zip
        reads are safe from several threads: every member handle re-seeks the
        shared archive file under the archive's lock.
        """
        if self.in_zip:
            with _open_zip(self.container).open(self.name) as member:
                yield member
        else:
            with open_below(Path(self.container), self.name) as handle:
                yield handle


def _open_zip(path: str) -> zipfile.ZipFile:
    # One handle per process and archive: reopening for each of 27k members
    # would re-read the central directory every time. The handle is believed
    # only for the same file: one replaced at that path (fix --in-place) is
    # opened afresh.
    info = os.stat(path)
    return _open_zip_file(path, info.st_ino, info.st_mtime_ns, info.st_size)


@lru_cache(maxsize=4)
def _open_zip_file(path: str, inode: int, mtime_ns: int, size: int) -> zipfile.ZipFile:
    return zipfile.ZipFile(path)


def forget_open_zips() -> None:
    """Drop cached zip handles (a worker process must never reuse its parent's)."""
    _open_zip_file.cache_clear()


if hasattr(os, "register_at_fork"):
    # A forked worker shares its parent's file offsets: it must open archives afresh.
    os.register_at_fork(after_in_child=forget_open_zips)


@dataclass
class Source:
    """The files of a submission and the container-level findings about them."""

    path: Path
    kind: Literal["folder", "zip"]
    entries: list[Entry]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    prefix: str = ""
    """A folder to read below (set when an enclosing folder is looked through)."""
    stored: dict[str, str] = field(default_factory=dict)
    """Zip member names as stored, where they differ from the entry name (``./a`` for ``a``)."""

    def ref(self, name: str) -> MemberRef:
        full = self.prefix + name
        return MemberRef(str(self.path), self.stored.get(full, full), self.kind == "zip")

    def read(self, name: str) -> bytes:
        return self.ref(name).read_bytes()

    def read_limited(self, name: str, limit: int) -> bytes | None:
        """The bytes of ``name`` if it holds at most ``limit`` of them, else ``None``."""
        return self.ref(name).read_limited(limit)

    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def descend(self, folder: str) -> Source:
        """The same source seen from inside ``folder`` (an enclosing folder)."""
        cut = folder.rstrip("/") + "/"
        inner = [Entry(e.name[len(cut) :], e.size) for e in self.entries if e.name.startswith(cut)]
        return Source(
            self.path, self.kind, inner, list(self.diagnostics), self.prefix + cut, self.stored
        )


def open_source(path: Path) -> Source:
    """List a submission folder or zip; raises EnvironmentProblem if it is neither."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise EnvironmentProblem(
                f"{path} is a symbolic link that loops back on itself",
                "give the submission folder or its .zip itself",
            ) from exc
        if path.is_symlink():
            raise EnvironmentProblem(
                f"{path} is a symbolic link to nothing", "give the submission folder or its .zip"
            ) from exc
        if exc.errno == errno.ENOENT:
            raise EnvironmentProblem(
                f"{path} does not exist", "give the submission folder or its .zip"
            ) from exc
        raise EnvironmentProblem(f"cannot read {path}: {exc.strerror}") from exc
    if stat.S_ISDIR(mode):
        return _folder_source(path)
    if stat.S_ISREG(mode):
        return _zip_source(path)
    raise EnvironmentProblem(
        f"{path} is {special_kind(mode)}, neither a folder nor a file",
        "give the submission folder or its .zip",
    )


def _folder_source(root: Path) -> Source:
    """Every regular file below ``root``; links, special files and giants become findings.

    Nothing is followed: a link (to a file or a folder, inside the submission or
    out of it) is reported as L010 and skipped, so no later stage can read
    through it. Listing uses ``lstat`` only, so a link loop cannot hang it.
    """
    entries: list[Entry] = []
    diags: list[Diagnostic] = []
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            with os.scandir(root / rel if rel else root) as listing:
                items = sorted(listing, key=lambda item: item.name)
        except OSError as exc:
            if not rel:
                raise EnvironmentProblem(f"cannot list {root}: {exc.strerror}") from exc
            diags.append(_unreadable_folder(rel, exc))
            continue
        for item in items:
            name = f"{rel}/{item.name}" if rel else item.name
            try:
                info = item.stat(follow_symlinks=False)
            except OSError as exc:  # vanished or unreadable since the listing
                diags.append(_unreadable_folder(name, exc))
                continue
            if stat.S_ISDIR(info.st_mode):
                stack.append(name)
            elif stat.S_ISLNK(info.st_mode):
                diags.append(_link_finding(root, name))
            elif not stat.S_ISREG(info.st_mode):
                diags.append(_special_finding(name, info.st_mode))
            elif info.st_size > MAX_MEMBER_BYTES:
                diags.append(_giant_finding(name, info.st_size))
            else:
                entries.append(Entry(name, info.st_size))
    entries.sort(key=lambda e: e.name)
    return Source(root, "folder", entries, diags)


def _link_finding(root: Path, name: str) -> Diagnostic:
    # Where a link points is judged from names alone: its target is never opened.
    link = root / name
    try:
        target = Path(os.path.realpath(link))
        inside = target.is_relative_to(Path(os.path.realpath(root)))
        os.stat(link)
    except OSError as exc:
        what = "loops back on itself" if exc.errno == errno.ELOOP else "points to nothing"
        message = f"{quoted(name)} is a symbolic link that {what}"
    else:
        where = "inside" if inside else "outside"
        message = f"{quoted(name)} is a symbolic link to a file {where} the submission"
    return Code.SYMLINK.at(
        name,
        message + "; links are never followed",
        "replace the link by a copy of what it points to (e.g. `cp -L`, `cp -rL` for a folder)",
    )


def _special_finding(name: str, mode: int) -> Diagnostic:
    return Code.SPECIAL_FILE.at(
        name,
        f"{quoted(name)} is {special_kind(mode)}, not a file: it is never opened",
        "remove it from the submission folder",
    )


def _giant_finding(name: str, size: int) -> Diagnostic:
    return Code.FILE_TOO_LARGE.at(
        name,
        f"{quoted(name)} holds {size:,} bytes, more than any file of a submission "
        f"(limit {human_limit(MAX_MEMBER_BYTES)}): it is not read",
        "a submission holds only masks, method.txt and match.json",
    )


def _unreadable_folder(name: str, exc: OSError) -> Diagnostic:
    return Code.UNREADABLE_ENTRY.at(
        name,
        f"{quoted(name)} cannot be listed or examined: {exc.strerror or exc}",
        "check its permissions; everything below it is left unchecked",
    )


def _zip_source(path: Path) -> Source:
    too_many = _too_many_members(path)
    if too_many is not None:
        return Source(path, "zip", [], [too_many])
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
        diag = Code.ZIP_CORRUPT.at(
            "",
            f"{quoted(path.name)} is not a readable zip archive",
            "give the submission folder, or re-create the zip (`submitkit pack --help`)",
        )
        return Source(path, "zip", [], [diag])
    except OSError as exc:
        raise EnvironmentProblem(f"cannot read {path}: {exc.strerror}") from exc
    with archive:
        infos = archive.infolist()
    diags, kept, folders = _members(infos)
    entries: list[Entry] = []
    stored: dict[str, str] = {}
    for name, copies in kept.items():
        if len(copies) > 1:
            # Which copy an unzipper keeps is up to the unzipper: say so once.
            spellings = sorted({quoted(c.filename) for c in copies})
            also = f" (as {', '.join(spellings)})" if len(spellings) > 1 else ""
            diags.append(
                Code.ZIP_DUPLICATE_ENTRY.at(
                    name,
                    f"{quoted(name)} appears {len(copies)} times in the zip{also}",
                    "re-create the zip from a folder (`submitkit pack --help`)",
                )
            )
        entries.append(Entry(name, copies[0].file_size))
        if copies[0].filename != name:
            stored[name] = copies[0].filename
    diags += collision_findings(list(kept))
    diags += folder_clash_findings(list(kept), folders)
    total = sum(e.size for e in entries)
    if total > MAX_TOTAL_BYTES:
        diags.append(
            Code.ZIP_TOO_LARGE.at(
                "",
                f"the zip declares {total / 2**30:.1f} GiB uncompressed "
                f"(limit {human_limit(MAX_TOTAL_BYTES)})",
                "a submission holds only masks, method.txt and match.json",
            )
        )
        entries = []
    entries.sort(key=lambda e: e.name)
    return Source(path, "zip", entries, diags, stored=stored)


def _members(
    infos: list[zipfile.ZipInfo],
) -> tuple[list[Diagnostic], dict[str, list[zipfile.ZipInfo]], list[str]]:
    """Refused members' findings, the files by normalised name (copies kept), the folders."""
    diags: list[Diagnostic] = []
    kept: dict[str, list[zipfile.ZipInfo]] = {}
    folders: list[str] = []
    for info in infos:
        problem = _member_problem(info)
        if problem is not None:
            diags.append(problem)
        elif not info.filename.endswith("/"):
            kept.setdefault(normalised(info.filename), []).append(info)
        else:
            folders.append(normalised(info.filename))
    return diags, kept, folders


def _too_many_members(path: Path) -> Diagnostic | None:
    """Z011 from the end record alone, before the central directory is parsed into memory."""
    try:
        with open(path, "rb") as handle:
            end = zipfile._EndRecData(handle)  # type: ignore[attr-defined]
    except (OSError, ValueError, EOFError, struct.error):
        return None  # unreadable: ZipFile says how
    if not end:
        return None
    count, size = end[_ECD_ENTRIES_TOTAL], end[_ECD_SIZE]
    if count <= MAX_MEMBERS and size <= MAX_DIRECTORY_BYTES:
        return None
    return Code.ZIP_TOO_MANY_MEMBERS.at(
        "",
        f"the zip declares {count:,} members in a {size:,}-byte directory "
        f"(limit {MAX_MEMBERS:,} members, {human_limit(MAX_DIRECTORY_BYTES)})",
        "a submission holds only masks, method.txt and match.json",
    )


def _member_problem(info: zipfile.ZipInfo) -> Diagnostic | None:
    name = info.filename
    problem = name_problem(name)
    if problem is not None:
        return problem
    if stat.S_ISLNK(info.external_attr >> 16):
        return Code.ZIP_SYMLINK.at(
            name,
            f"{quoted(name)} is a symbolic link",
            "zip the files themselves, not links to them",
        )
    if info.flag_bits & 0x1:
        return Code.ZIP_ENCRYPTED.at(
            name, f"{quoted(name)} is encrypted", "create the zip without a password"
        )
    if info.compress_type not in SUPPORTED_COMPRESSION:
        method = _COMPRESSION_NAMES.get(info.compress_type, f"method {info.compress_type}")
        return Code.ZIP_UNSUPPORTED_COMPRESSION.at(
            name,
            f"{quoted(name)} is compressed with {method}, which the server cannot read",
            "use plain deflate, e.g. pack (`submitkit pack --help`) or `zip -r`",
        )
    size = info.file_size
    if size > MAX_MEMBER_BYTES or (
        size > RATIO_FLOOR_BYTES and size > MAX_RATIO * max(info.compress_size, 1)
    ):
        return Code.ZIP_TOO_LARGE.at(
            name,
            f"{quoted(name)} declares {size:,} bytes uncompressed from {info.compress_size:,}",
            "a submission holds only masks, method.txt and match.json",
        )
    return None
