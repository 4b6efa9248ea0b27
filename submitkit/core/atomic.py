"""The one atomic writer: files and folders appear complete or not at all.

A temporary file (or folder) beside the target, renamed into place once
complete; on any exception, Ctrl-C included, it is removed. Every command that
writes (pack, fix, evaluate's CSV and plot, preview, manifest, match, score,
bundle) goes through it.

And the one rule for where an output may go (:class:`Inputs`, :func:`check_target`):
never onto or under a path the same run reads (compared by real path), never
onto a device, FIFO or socket, never over a symbolic link. A run names its
inputs once; every output is judged against them before the work starts, and
the writer itself refuses to rename over anything but a regular file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from submitkit.core.errors import UsageError

_ELSEWHERE = "write the output somewhere else"


@dataclass(frozen=True)
class Inputs:
    """The files and folders one run reads: no output of the run may be one or lie under one.

    Built once per run (``Inputs.of(submission, dataset, manifest, …)``, ``None``
    skipped) and handed to :func:`check_target` for each of its outputs. Paths
    are compared by real path, so a link or ``..`` leads to the same answer.
    """

    paths: tuple[Path, ...] = ()

    @classmethod
    def of(cls, *paths: Path | None) -> Inputs:
        return cls(tuple(p for p in paths if p is not None))

    def adding(self, *paths: Path | None) -> Inputs:
        """These inputs and ``paths``: an output once claimed is not the target of another."""
        return Inputs.of(*self.paths, *paths)

    def holding(self, path: Path) -> Path | None:
        """The input that ``path`` is, or lies under (by real path), else None."""
        real = _real(path)
        for given in self.paths:
            root = _real(given)
            if real == root or root in real.parents:
                return given
        return None


NO_INPUTS = Inputs()
"""For writers whose run reads nothing a user gave (docs, schemas)."""


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _refuse_kind(path: Path) -> None:
    """A link, device, FIFO or socket at ``path`` is never written over."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there yet (the folder is judged next)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}", _ELSEWHERE) from exc
    if stat.S_ISLNK(mode):
        raise UsageError(
            f"{path} is a symbolic link: an output never replaces one or writes through it",
            "give the path of a regular file",
        )
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = "a device"
        if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket"
        raise UsageError(f"{path} is {kind}, not a file: it is never written over", _ELSEWHERE)


def check_target(
    path: Path, *, replace: bool, exists_hint: str, inputs: Inputs = NO_INPUTS
) -> None:
    """Refuse, before any long work, an output that could not or must not be put at ``path``.

    UsageError when ``path`` is, or lies under, one of the run's ``inputs``;
    when it is a link, a device, a FIFO or a socket; when it exists and may not
    be replaced, when it is a folder (only files are replaced), or when the
    folder it goes in cannot take a new file. That folder is created when
    missing, so its nearest existing ancestor is the one judged: it must be a
    folder that takes a new file. Permissions alone do not say so (root,
    read-only mounts, pseudo file systems): an empty file is created there and
    removed at once, as the writer itself will do.
    """
    held = inputs.holding(path)
    if held is not None:
        where = "is" if _real(path) == _real(held) else f"lies inside {held},"
        raise UsageError(
            f"{path} {where} an input this run reads: an output never replaces an input",
            _ELSEWHERE,
        )
    _refuse_kind(path)
    if path.exists():
        if not replace:
            raise UsageError(f"{path} already exists", exists_hint)
        if path.is_dir():
            raise UsageError(f"{path} is a folder", "give the name of a file to write")
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: {folder} is not a folder", "give another path")
    try:
        fd, probe = tempfile.mkstemp(prefix=".submitkit-probe-", dir=folder)
    except OSError as exc:
        raise UsageError(
            f"cannot write {path}: the folder {folder} does not take new files "
            f"({exc.strerror or exc})",
            "write the output elsewhere",
        ) from exc
    os.close(fd)
    os.unlink(probe)


_NAME_MAX = 255
"""Bytes in one file name on every common file system (ext4, XFS, APFS, NTFS in UTF-16 units)."""


def _temporary(path: Path) -> Path:
    # Not tempfile.mkstemp/mkdtemp: their private 0600/0700 modes would stick to
    # the output after the rename; open("xb") and os.mkdir honour the umask.
    # An output whose name is near the limit gets a shorter temporary name (a
    # hash of its own), so any name the file system takes can be written.
    token = secrets.token_hex(6)
    name = f".{path.name}.{token}.part"
    if len(os.fsencode(name)) > _name_max(path.parent):
        short = hashlib.blake2b(os.fsencode(path.name), digest_size=8).hexdigest()
        name = f".submitkit-{short}.{token}.part"
    return path.parent / name


def _name_max(folder: Path) -> int:
    try:
        return min(os.pathconf(folder, "PC_NAME_MAX"), _NAME_MAX)
    except (OSError, ValueError, AttributeError):
        return _NAME_MAX


def _commit(tmp: Path, path: Path, overwrite: bool) -> None:
    if not overwrite and (path.exists() or path.is_symlink()):
        raise FileExistsError(f"{path} appeared while it was being written; nothing was replaced")
    _refuse_kind(path)  # a link or device put there while the output was being written
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_output(path: Path, *, overwrite: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file that replaces ``path`` only when the block succeeds.

    The temporary file sits in the target's folder so the final rename never
    crosses file systems. Without ``overwrite``, an existing ``path`` at the end
    raises FileExistsError and is left alone.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path)
    try:
        with open(tmp, "xb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _commit(tmp, path, overwrite)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``path`` (which must not exist) on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path)
    os.mkdir(tmp)
    try:
        yield tmp
        if path.exists() or path.is_symlink():
            raise FileExistsError(
                f"{path} appeared while it was being written; nothing was replaced"
            )
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


class Swap:
    """An in-place replacement under way: ``new`` is written, then swapped in for the original."""

    def __init__(self, new: Path) -> None:
        self.new = new
        self.cancelled = False
        self.done = False

    def cancel(self) -> None:
        """Keep the original after all (nothing to change): ``new`` is removed, if written."""
        self.cancelled = True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


@contextlib.contextmanager
def atomic_swap(path: Path) -> Iterator[Swap]:
    """The one, narrow exception to "an output never replaces an input": an in-place mode.

    Only a command the user asked to work in place (``fix --in-place``) uses
    it. ``path`` itself is never written: the caller writes a new copy at
    ``Swap.new``, a fresh name beside it with the same suffix (through
    :func:`atomic_output` or :func:`atomic_folder`, which still judge it as an
    output), and only when the block succeeds is ``path`` renamed aside, the
    copy renamed in, and the original removed. On any exception, Ctrl-C
    included, the copy is removed and ``path`` is as it was.
    """
    _refuse_kind(path)
    if not path.exists():
        raise UsageError(f"{path} does not exist", "give the submission folder or zip to repair")
    token = secrets.token_hex(6)
    stem = hashlib.blake2b(os.fsencode(path.name), digest_size=6).hexdigest()
    swap = Swap(path.parent / f".submitkit-{stem}.{token}.new{path.suffix}")
    old = path.parent / f".submitkit-{stem}.{token}.old{path.suffix}"
    try:
        yield swap
        if swap.cancelled or not swap.new.exists():
            _remove(swap.new)
            return
        os.rename(path, old)
        try:
            os.rename(swap.new, path)
        except BaseException:
            os.rename(old, path)
            raise
        swap.done = True
    except BaseException:
        _remove(swap.new)
        raise
    try:
        _remove(old)
    except BaseException:
        _remove(old)  # interrupted while removing: finish, then let the interruption through
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_output(path) as handle:
        handle.write(data)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
