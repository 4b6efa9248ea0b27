"""A cache of decoded ground truth, so the second evaluation skips decoding it.

What is cached, per ground-truth mask: its ids *and* its boundary band, the one
thing scoring derives from the ground truth alone, as one run-length encoding
of ``2 * id + on_boundary`` over the flattened image. Ground-truth masks are a
few smooth regions, so an image of 190,000 pixels is a few thousand runs: the
752-image ImageNet-S50 set takes about 15 MB (the PNGs take 12 MB), the
12,419-image 919 set a few hundred MB, where raw uint16 arrays would take 5 GB.
Decoding is one ``np.repeat``, far cheaper than inflating and unfiltering a PNG
and recomputing the boundary.

Never stale: each entry carries the BLAKE2b digest of the PNG's bytes, and a
mask is served from the cache only when the bytes read now have that digest;
the bytes are read anyway (hashing 12 MB costs milliseconds), and size and
modification time alone would miss a same-size rewrite that keeps its mtime
(``cp -p``, ``rsync -t``, a restored backup).

One file per dataset copy (keyed by the ground-truth folder's resolved path)
under ``$SUBMITKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/submitkit`` (an absolute
path only: the XDG spec says a relative one is invalid and ignored), else
``~/.cache/submitkit``. The file is written whole through the atomic writer, so
concurrent runs each see a complete file (the last rename wins, and a reader
keeps the file it opened).

Wrong only by being absent: the index carries a checksum, and each entry a
checksum of its runs and its own shape, verified when it is served. Anything
that fails (a foreign or truncated file, bad bytes, a malformed index, a FIFO,
a folder or a link where the file belongs) is ignored, recorded once in
:attr:`TruthCache.problem` for the run to warn about, and the masks are decoded
from their PNGs; the file is rewritten with what was decoded (a link or FIFO
in its place is replaced; a folder is left alone). It is never an error and
never a number.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from submitkit.core.atomic import atomic_output
from submitkit.core.errors import SubmitkitError

ENV_VAR = "SUBMITKIT_CACHE_DIR"
"""Overrides where the cache lives (tests point it at a temporary folder)."""

_MAGIC = b"SKGT0002"
_HEAD = struct.Struct("<8sQ16s")
"""Magic, index length, the index's BLAKE2b-128 checksum."""
_SHAPE = struct.Struct("<QQQ")
"""Height, width and run count, hashed ahead of an entry's runs."""
_MAX_INDEX = 64 << 20
"""A larger index is not one submitkit wrote (12,419 entries take about 2 MB)."""
_VALUES, _LENGTHS = np.dtype("<u2"), np.dtype("<u4")

Runs = tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint32]]


def cache_root() -> Path:
    """Where submitkit keeps caches: the env var, else the XDG cache folder."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache") / "submitkit"


def digest(data: bytes) -> str:
    """The content key of a mask's PNG bytes."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def encode(ids: npt.NDArray[np.integer], edge: npt.NDArray[np.bool_]) -> Runs:
    """Run-length encode ``2 * id + edge`` over the flattened image (ids must be < 32768)."""
    key = (np.asarray(ids, dtype=np.int32) << 1) | edge
    flat = key.ravel()
    if flat.size == 0:
        return np.zeros(0, _VALUES), np.zeros(0, _LENGTHS)
    starts = np.concatenate(([0], np.flatnonzero(flat[1:] != flat[:-1]) + 1))
    lengths = np.diff(np.append(starts, flat.size))
    return flat[starts].astype(_VALUES), lengths.astype(_LENGTHS)


def decode(
    runs: Runs, height: int, width: int
) -> tuple[npt.NDArray[np.uint16], npt.NDArray[np.bool_]]:
    """Ids (H x W, uint16) and boundary flags back from :func:`encode`."""
    values, lengths = runs
    key = np.repeat(values.astype(np.uint16), lengths).reshape(height, width)
    edge = (key & np.uint16(1)).astype(bool)
    key >>= np.uint16(1)
    return key, edge


@dataclass(frozen=True)
class Entry:
    """One cached mask: the digest of its PNG bytes, its size and its runs."""

    digest: str
    height: int
    width: int
    runs: Runs


def _checksum(height: int, width: int, runs: Runs) -> str:
    """The checksum an entry carries: its shape and both arrays, byte for byte."""
    h = hashlib.blake2b(_SHAPE.pack(height, width, len(runs[0])), digest_size=16)
    h.update(np.ascontiguousarray(runs[0], dtype=_VALUES).tobytes())
    h.update(np.ascontiguousarray(runs[1], dtype=_LENGTHS).tobytes())
    return h.hexdigest()


@dataclass
class TruthCache:
    """The cache file of one ground-truth folder. Picklable: workers open it lazily."""

    path: Path
    problem: str | None = None
    """What was wrong with the file, the first time something was (for one warning)."""
    _index: dict[str, list[Any]] | None = field(default=None, repr=False)
    _values: npt.NDArray[np.uint16] | None = field(default=None, repr=False)
    _lengths: npt.NDArray[np.uint32] | None = field(default=None, repr=False)

    @classmethod
    def for_folder(cls, ground_truth: Path) -> TruthCache:
        key = hashlib.sha256(str(ground_truth.resolve()).encode("utf-8")).hexdigest()[:24]
        return cls(cache_root() / "ground-truth" / f"{key}.bin")

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path = state["path"]
        self.problem = None
        self._index = self._values = self._lengths = None

    def _note(self, problem: str) -> None:
        if self.problem is None:
            self.problem = problem

    def _open(self) -> dict[str, list[Any]]:
        if self._index is None:
            loaded = _read(self.path)
            self._index, self._values, self._lengths = loaded.index, loaded.values, loaded.lengths
            if loaded.problem is not None:
                self._note(loaded.problem)
        return self._index

    def lookup(self, name: str, data_digest: str) -> Entry | None:
        """The entry of ``name`` if its digest is ``data_digest`` and it verifies (else None)."""
        found = self._open().get(name)
        if found is None or found[0] != data_digest:
            return None
        _, start, count, height, width, checksum = found
        assert self._values is not None and self._lengths is not None
        runs = (self._values[start : start + count], self._lengths[start : start + count])
        if (
            _checksum(height, width, runs) != checksum
            or int(runs[1].sum(dtype=np.int64)) != height * width
        ):
            self._note(f"an entry fails its checksum ({name})")
            return None  # a damaged entry: the PNG is decoded instead
        return Entry(data_digest, height, width, runs)

    def names(self) -> list[str]:
        return list(self._open())

    def update(self, new: dict[str, Entry]) -> None:
        """Write the cache again with ``new`` entries added (or replacing older ones).

        Only entries that verify are kept: a damaged file is replaced by a sound one.
        """
        index = self._open()
        if not new:
            return
        keep: dict[str, Entry] = {}
        for name, (entry_digest, *_rest) in index.items():
            if name not in new:
                old = self.lookup(name, entry_digest)
                if old is not None:
                    keep[name] = old
        keep.update(new)
        _write(self.path, keep)
        self._index = self._values = self._lengths = None


@dataclass
class _Loaded:
    index: dict[str, list[Any]] = field(default_factory=dict)
    values: Any = None
    lengths: Any = None
    problem: str | None = None


def _read(path: Path) -> _Loaded:
    """Index and run arrays of a cache file; an absent or unusable file reads as empty.

    Opened without following a link and without blocking (a FIFO would wait
    forever for a writer), then judged by what it is before a byte is read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return _Loaded()
    except OSError as exc:
        return _Loaded(problem=f"cannot be opened ({exc.strerror or exc})")
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        return _Loaded(problem="is not a regular file")
    with open(fd, "rb") as handle:
        try:
            return _parse(handle, info.st_size)
        except (OSError, ValueError, OverflowError, struct.error) as exc:
            return _Loaded(problem=f"cannot be read ({exc})")


def _parse(handle: Any, size: int) -> _Loaded:
    head = handle.read(_HEAD.size)
    if len(head) < _HEAD.size or head[:8] != _MAGIC:
        return _Loaded(problem="is not a cache file of this submitkit")
    _magic, index_size, index_sum = _HEAD.unpack(head)
    if index_size > min(_MAX_INDEX, size - _HEAD.size):
        return _Loaded(problem="is truncated")
    raw = handle.read(index_size)
    if hashlib.blake2b(raw, digest_size=16).digest() != index_sum:
        return _Loaded(problem="has an index that fails its checksum")
    entries, total = _entries(json.loads(raw))
    base = _HEAD.size + index_size
    if size != base + _padded(total * 2) + total * 4:
        return _Loaded(problem="is truncated")
    if total == 0:
        return _Loaded(entries)
    values = np.memmap(handle, dtype=_VALUES, mode="r", offset=base, shape=(total,))
    offset = base + _padded(total * 2)
    lengths = np.memmap(handle, dtype=_LENGTHS, mode="r", offset=offset, shape=(total,))
    return _Loaded(entries, values, lengths)


def _whole(value: Any) -> bool:
    return type(value) is int and value >= 0


def _entries(header: Any) -> tuple[dict[str, list[Any]], int]:
    """The index's entries and run count, every field checked; ValueError when any is off."""
    if not isinstance(header, dict) or header.get("version") != 2:
        raise ValueError("not a version 2 index")
    total: Any = header.get("runs")
    entries: Any = header.get("entries")
    if not _whole(total) or not isinstance(entries, dict):
        raise ValueError("a malformed index")
    for name, entry in entries.items():
        if not (isinstance(entry, list) and len(entry) == 6):
            raise ValueError(f"a malformed entry ({name})")
        digest_, start, count, height, width, checksum = entry
        shaped = all(_whole(v) for v in (start, count, height, width))
        if not (shaped and isinstance(digest_, str) and isinstance(checksum, str)):
            raise ValueError(f"a malformed entry ({name})")
        if start + count > total or not 0 < count <= height * width:
            raise ValueError(f"an entry outside the runs ({name})")
    return dict(entries), int(total)


def _clear_stray(path: Path) -> None:
    """Unlink a link, FIFO or socket standing where the cache file belongs.

    The cache folder is submitkit's own, so its entry is ours to replace: the
    link itself goes, never what it points to. A folder is left alone (its
    contents may be someone's), and the cache stays off while it is there.
    """
    try:
        mode = os.lstat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            os.unlink(path)
    except OSError:
        return


def _padded(n: int) -> int:
    return (n + 7) // 8 * 8


def _write(path: Path, entries: dict[str, Entry]) -> None:
    index: dict[str, list[Any]] = {}
    start = 0
    for name, e in entries.items():
        count = len(e.runs[0])
        index[name] = [
            e.digest,
            start,
            count,
            e.height,
            e.width,
            _checksum(e.height, e.width, e.runs),
        ]
        start += count
    _clear_stray(path)
    header = json.dumps({"version": 2, "runs": start, "entries": index}).encode("utf-8")
    header += b" " * (_padded(_HEAD.size + len(header)) - _HEAD.size - len(header))
    try:
        with atomic_output(path) as out:
            out.write(
                _HEAD.pack(_MAGIC, len(header), hashlib.blake2b(header, digest_size=16).digest())
            )
            out.write(header)
            for e in entries.values():
                out.write(e.runs[0].astype(_VALUES).tobytes())
            out.write(b"\0" * (_padded(start * 2) - start * 2))
            for e in entries.values():
                out.write(e.runs[1].astype(_LENGTHS).tobytes())
    except (OSError, SubmitkitError):
        # A cache that cannot be written (read-only home, full disk, a FIFO or a
        # folder where the file belongs) only costs speed.
        return
