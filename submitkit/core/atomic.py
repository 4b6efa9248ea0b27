"""The one atomic writer: files and folders appear complete or not at all.

A temporary file (or folder) beside the target, renamed into place once
complete; on any exception, Ctrl-C included, it is removed. Every command that
writes (pack, fix, evaluate's CSV and plot, preview, manifest) goes through it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from submitkit.core.errors import UsageError


def check_target(path: Path, *, replace: bool, exists_hint: str) -> None:
    """Refuse, before any long work, an output the atomic writer could not put at ``path``.

    UsageError when ``path`` exists and may not be replaced, when it is a folder
    (only files are replaced), or when the folder it goes in cannot take a
    new file. That folder is created when missing, so its nearest existing
    ancestor is the one judged: it must be a folder that takes a new file.
    Permissions alone do not say so (root, read-only mounts, pseudo file
    systems): an empty file is created there and removed at once, as the
    writer itself will do.
    """
    if path.exists() or path.is_symlink():
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


def _temporary(path: Path) -> Path:
    # Not tempfile.mkstemp/mkdtemp: their private 0600/0700 modes would stick to
    # the output after the rename; open("xb") and os.mkdir honour the umask.
    return path.parent / f".{path.name}.{secrets.token_hex(6)}.part"


def _commit(tmp: Path, path: Path, overwrite: bool) -> None:
    if not overwrite and (path.exists() or path.is_symlink()):
        raise FileExistsError(f"{path} appeared while it was being written; nothing was replaced")
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


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with atomic_output(path) as handle:
        handle.write(data)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))
