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
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


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
