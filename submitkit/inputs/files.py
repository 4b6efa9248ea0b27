"""Opening files safely: never through a link inside a submission, never a pipe, never unbounded.

A submission folder is untrusted: a file in it may be a symbolic link to a
credentials file, a named pipe that blocks the reader forever, or a gigabyte of
zeros named like a mask. Files *below* a submission root are opened one
component at a time without following any link (``O_NOFOLLOW`` on every
component), and only regular files are read. Files the user names on the
command line (``--manifest``, ``--match``, ``--method``, validate-files) are the
user's own choice and may be links, but they too must be regular files and are
read only up to a limit.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

from submitkit.core.errors import EnvironmentProblem

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_WALK_WITH_FDS = bool(_NOFOLLOW) and os.open in os.supports_dir_fd


class NotRegularFile(OSError):
    """The path names a link, a pipe, a socket or a device: it is not read."""


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def special_kind(mode: int) -> str | None:
    """What a non-regular file is (``"a named pipe (FIFO)"``), or ``None`` for a regular file."""
    return None if stat.S_ISREG(mode) else _kind(mode)


def _refuse(fd: int, path: str) -> None:
    kind = special_kind(os.fstat(fd).st_mode)
    if kind is not None:
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, f"{kind}, not read", path)


def name_parts(name: str) -> tuple[str, ...]:
    """The components of a relative POSIX name, as ``PurePosixPath(name).parts`` gives them.

    Empty and ``.`` components are dropped. A tenth of pathlib's cost: names are
    split several times per file of a listing of 27,000.
    """
    return tuple(p for p in name.split("/") if p not in ("", "."))


@contextmanager
def open_below(root: Path, name: str) -> Iterator[BinaryIO]:
    """Open ``root/name`` for reading without following a link in any component of ``name``.

    Raises ``OSError`` (``ELOOP`` for a link, :class:`NotRegularFile` for a pipe,
    device or socket) instead of reading anything but a regular file inside
    ``root``. The root itself is the user's choice and may be a link.
    """
    parts = name_parts(name)
    if not parts or ".." in parts or name.startswith("/"):
        raise OSError(errno.EINVAL, "not a plain relative path", name)
    fd = _open_walk(root, parts) if _WALK_WITH_FDS else _open_checked(root, parts)
    with os.fdopen(fd, "rb") as handle:
        yield handle


def _open_walk(root: Path, parts: tuple[str, ...]) -> int:
    flags = os.O_RDONLY | _CLOEXEC
    folder = os.open(root, flags | _DIRECTORY)
    try:
        for part in parts[:-1]:
            inner = os.open(part, flags | _DIRECTORY | _NOFOLLOW, dir_fd=folder)
            os.close(folder)
            folder = inner
        # O_NONBLOCK: opening a FIFO must not wait for a writer; fstat refuses it next.
        fd = os.open(parts[-1], flags | _NOFOLLOW | _NONBLOCK, dir_fd=folder)
    finally:
        os.close(folder)
    _refuse(fd, "/".join(parts))
    if _NONBLOCK:
        os.set_blocking(fd, True)
    return fd


def _open_checked(root: Path, parts: tuple[str, ...]) -> int:
    # Without openat (Windows): look at every component before opening the path.
    path = root
    for part in parts:
        path = path / part
        if stat.S_ISLNK(os.lstat(path).st_mode):
            raise OSError(errno.ELOOP, "a symbolic link, not followed", str(path))
    fd = os.open(path, os.O_RDONLY | _BINARY | _NONBLOCK)
    _refuse(fd, "/".join(parts))
    return fd


def read_bounded(handle: IO[bytes], limit: int) -> bytes | None:
    """At most ``limit`` bytes of ``handle``; ``None`` if it holds more (nothing more is read)."""
    data = handle.read(limit + 1)
    return None if len(data) > limit else data


def read_user_file(
    path: Path, limit: int, what: str, hint: str, *, oversize_ok: bool = False
) -> bytes:
    """The bytes of a file the user named, up to ``limit``; EnvironmentProblem otherwise.

    With ``oversize_ok``, a larger file gives its first ``limit + 1`` bytes, for a
    parser that reports the excess as a finding (J007, T010).
    """
    try:
        fd = os.open(path, os.O_RDONLY | _BINARY | _NONBLOCK | _CLOEXEC)
        _refuse(fd, str(path))
        if _NONBLOCK:
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(limit + 1) if oversize_ok else read_bounded(handle, limit)
    except NotRegularFile as exc:
        raise EnvironmentProblem(f"{what} {path} is {exc.strerror}", hint) from exc
    except OSError as exc:
        raise EnvironmentProblem(f"cannot read {what} {path}: {exc.strerror}", hint) from exc
    if data is None:
        raise EnvironmentProblem(
            f"{what} {path} is larger than {human_limit(limit)}, more than any {what} can be",
            hint,
        )
    return data


def read_user_text(path: Path, limit: int, what: str, hint: str) -> str:
    """``read_user_file`` decoded as UTF-8 (a byte order mark is allowed)."""
    data = read_user_file(path, limit, what, hint)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EnvironmentProblem(
            f"{what} {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}): is it the right file?",
            hint,
        ) from exc


def human_limit(n: int) -> str:
    """A size limit as written in messages and docs: ``64 KiB``, ``4 MiB``, ``16 GiB``."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} bytes"
