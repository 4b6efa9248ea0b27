"""The one deterministic zip writer: the same entries give the same bytes on any machine.

Used by ``pack``, ``fix`` and ``bundle``. A researcher who writes the same submission twice,
or a colleague on another operating system, gets a byte-identical zip and so
the same sha256 to quote. What would otherwise vary is fixed here:

* every timestamp is 1980-01-01 00:00:00, the earliest a zip can hold;
* every entry is a regular file with mode 0644, made on "Unix"
  (``create_system = 3``), whatever system writes it;
* every entry is *stored*: deflate output depends on the zlib build (zlib-ng,
  used by some distributions, compresses differently from zlib), and masks are
  PNGs, deflate streams already; text files are a few hundred bytes;
* entries go in the order the caller gives, which callers fix (sorted names).
"""

from __future__ import annotations

import io
import shutil
import stat
import zipfile
from types import TracebackType
from typing import BinaryIO

FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)
"""Every entry's timestamp, so a zip never depends on the clock."""
FILE_MODE = 0o644
UNIX = 3
"""``create_system`` of every entry."""


def entry_info(name: str) -> zipfile.ZipInfo:
    """The fixed header of one entry."""
    info = zipfile.ZipInfo(name, date_time=FIXED_DATE_TIME)
    info.create_system = UNIX
    info.create_version = 20
    info.extract_version = 20
    info.external_attr = (stat.S_IFREG | FILE_MODE) << 16
    info.compress_type = zipfile.ZIP_STORED
    return info


class DeterministicZip:
    """A zip written to an open binary file, one entry at a time."""

    def __init__(self, handle: BinaryIO) -> None:
        self._archive = zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED)

    def add(self, name: str, data: bytes) -> None:
        """Append one entry holding ``data``."""
        self._archive.writestr(entry_info(name), data)

    def add_file(self, name: str, source: BinaryIO) -> None:
        """Append one entry streamed from an open file (large members, zip64 allowed)."""
        with self._archive.open(entry_info(name), "w", force_zip64=True) as target:
            shutil.copyfileobj(source, target, 1 << 20)

    def close(self) -> None:
        """Write the central directory."""
        self._archive.close()

    def __enter__(self) -> DeterministicZip:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
            return
        # Failing (Ctrl-C in the middle of an entry, a full disk): the caller's atomic
        # writer discards the file, so no central directory is written. The archive is
        # only let go, so that neither closing it here nor its finaliser later raises
        # over the real error (zipfile refuses to close with an entry half written).
        self._archive.fp = None


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A whole deterministic archive of ``members`` (name -> bytes), in memory."""
    buffer = io.BytesIO()
    with DeterministicZip(buffer) as archive:
        for name, data in members.items():
            archive.add(name, data)
    return buffer.getvalue()
