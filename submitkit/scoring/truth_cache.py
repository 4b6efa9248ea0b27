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
under ``$SUBMITKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/submitkit``, else
``~/.cache/submitkit``. The file is written whole through the atomic writer, so
concurrent runs each see a complete file (the last rename wins, and a reader
keeps the file it opened); a damaged or foreign file is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from submitkit.core.atomic import atomic_output

ENV_VAR = "SUBMITKIT_CACHE_DIR"
"""Overrides where the cache lives (tests point it at a temporary folder)."""

_MAGIC = b"SKGT0001"
_HEAD = struct.Struct("<8sQ")
_VALUES, _LENGTHS = np.dtype("<u2"), np.dtype("<u4")

Runs = tuple[npt.NDArray[np.uint16], npt.NDArray[np.uint32]]


def cache_root() -> Path:
    """Where submitkit keeps caches: the env var, else the XDG cache folder."""
    configured = os.environ.get(ENV_VAR)
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "submitkit"


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


@dataclass
class TruthCache:
    """The cache file of one ground-truth folder. Picklable: workers open it lazily."""

    path: Path
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
        self._index = self._values = self._lengths = None

    def _open(self) -> dict[str, list[Any]]:
        if self._index is None:
            self._index, self._values, self._lengths = _read(self.path)
        return self._index

    def lookup(self, name: str, data_digest: str) -> Entry | None:
        """The entry of ``name`` if its digest is ``data_digest`` (else None: a miss)."""
        found = self._open().get(name)
        if found is None or found[0] != data_digest:
            return None
        _, start, count, height, width = found
        assert self._values is not None and self._lengths is not None
        runs = (self._values[start : start + count], self._lengths[start : start + count])
        if len(runs[1]) != count or int(runs[1].sum(dtype=np.int64)) != height * width:
            return None  # a damaged file: decode the PNG instead
        return Entry(data_digest, height, width, runs)

    def names(self) -> list[str]:
        return list(self._open())

    def update(self, new: dict[str, Entry]) -> None:
        """Write the cache again with ``new`` entries added (or replacing older ones)."""
        if not new:
            return
        keep: dict[str, Entry] = {}
        for name, (entry_digest, *_rest) in self._open().items():
            if name not in new:
                old = self.lookup(name, entry_digest)
                if old is not None:
                    keep[name] = old
        keep.update(new)
        _write(self.path, keep)
        self._index = self._values = self._lengths = None


def _read(path: Path) -> tuple[dict[str, list[Any]], Any, Any]:
    """Index and run arrays of a cache file; an absent or unusable file reads as empty."""
    empty: tuple[dict[str, list[Any]], Any, Any] = ({}, None, None)
    try:
        with path.open("rb") as handle:
            magic, size = _HEAD.unpack(handle.read(_HEAD.size))
            if magic != _MAGIC or _HEAD.size + size > os.fstat(handle.fileno()).st_size:
                return empty
            header = json.loads(handle.read(size))
        total = int(header["runs"])
        base = _HEAD.size + size
        values = np.memmap(path, dtype=_VALUES, mode="r", offset=base, shape=(total,))
        lengths = np.memmap(
            path, dtype=_LENGTHS, mode="r", offset=base + _padded(total * 2), shape=(total,)
        )
        return dict(header["entries"]), values, lengths
    except (OSError, ValueError, KeyError, TypeError, OverflowError, struct.error):
        return empty


def _padded(n: int) -> int:
    return (n + 7) // 8 * 8


def _write(path: Path, entries: dict[str, Entry]) -> None:
    index: dict[str, list[Any]] = {}
    start = 0
    for name, e in entries.items():
        count = len(e.runs[0])
        index[name] = [e.digest, start, count, e.height, e.width]
        start += count
    header = json.dumps({"version": 1, "runs": start, "entries": index}).encode("utf-8")
    header += b" " * (_padded(_HEAD.size + len(header)) - _HEAD.size - len(header))
    try:
        with atomic_output(path) as out:
            out.write(_HEAD.pack(_MAGIC, len(header)))
            out.write(header)
            for e in entries.values():
                out.write(e.runs[0].astype(_VALUES).tobytes())
            out.write(b"\0" * (_padded(start * 2) - start * 2))
            for e in entries.values():
                out.write(e.runs[1].astype(_LENGTHS).tobytes())
    except OSError:
        # A cache that cannot be written (read-only home, full disk) only costs speed.
        return
