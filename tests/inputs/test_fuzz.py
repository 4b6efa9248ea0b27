"""Fuzzing with hypothesis: zip member names, PNG headers, and the escape function.

Example counts are bounded (a few dozen each) so the module stays fast; the
properties are the security rules of docs/security.md: nothing raises, no
finding carries a raw control character, every listed entry is a canonical
name that can be read back, and every PNG fault is a finding with its code.
"""

from __future__ import annotations

import struct
import unicodedata
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from submitkit.benchmark.tracks import Split
from submitkit.checks.staged import run_check
from submitkit.core.safetext import printable
from submitkit.inputs.config import RunContext
from submitkit.inputs.layout import read_layout
from submitkit.inputs.manifest import ManifestSources
from submitkit.inputs.source import open_source
from tests.probes.builders import zip_members

FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_PIECES = st.sampled_from(
    ["", ".", "..", "./", "/", "//", "\\", "n20000519", "a.png", "A.PNG", "method.txt",
     "match.json", "e\u0301", "\u00e9", "\x1b[31m", "\n", "\r", "\u202e", "\x00", "C:", "~"]
)  # fmt: skip
NAMES = st.one_of(
    st.lists(_PIECES, min_size=1, max_size=5).map("".join),
    st.text(min_size=1, max_size=24),
)


def _safe(text: str) -> bool:
    return not any(
        unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs") or c in "\u202a\u202b\u202c\u202d\u202e"
        for c in text
    )


@FAST
@given(names=st.lists(NAMES, min_size=1, max_size=6))
def test_zip_member_names(names: list[str], tmp_path_factory: pytest.TempPathFactory) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "s.zip"
    zip_members(path, [(name, name.encode("utf-8", "surrogatepass")) for name in names])
    source = open_source(path)
    layout = read_layout(source)
    for diag in [*source.diagnostics, *layout.diagnostics]:
        assert _safe(diag.path) and _safe(diag.message) and _safe(diag.hint), diag
    for entry in source.entries:
        parts = entry.name.split("/")
        assert "" not in parts and "." not in parts and ".." not in parts, entry.name
        assert not entry.name.startswith("./") and "\\" not in entry.name
        source.read(entry.name)  # every listed name reads back, whatever it was stored as


def _chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


IHDR = st.builds(
    lambda w, h, depth, colour, rest: struct.pack(">IIBB", w, h, depth, colour) + rest,
    st.integers(0, 2**32 - 1) | st.integers(0, 64),
    st.integers(0, 2**32 - 1) | st.integers(0, 64),
    st.sampled_from([0, 1, 2, 4, 8, 16, 3, 255]),
    st.sampled_from([0, 2, 3, 4, 6, 1, 7]),
    st.binary(min_size=0, max_size=4),
)
PNGS = st.one_of(
    st.builds(
        lambda ihdr, idat, tail: b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + idat + tail,
        IHDR,
        st.sampled_from([b"", _chunk(b"IDAT", zlib.compress(b"\x00" * 40)), b"\x00" * 7]),
        st.binary(max_size=16),
    ),
    st.binary(max_size=64).map(lambda tail: b"\x89PNG\r\n\x1a\n" + tail),
    st.binary(max_size=64),
)


@FAST
@given(data=PNGS)
def test_png_headers(data: bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("png")
    (root / "n20000519").mkdir()
    (root / "n20000519" / "ILSVRC2012_val_00023959.png").write_bytes(data)
    context = RunContext(ManifestSources(None, None, None), 50, Split.validation, jobs=1)
    run = run_check(root, context)
    for diag in run.report.diagnostics:
        assert _safe(diag.message), diag
    mask = [d for d in run.report.diagnostics if d.path.endswith(".png")]
    if not data.startswith(b"\x89PNG"):
        assert [d.code.value for d in mask] == ["M001"]
    elif not data.startswith(b"\x89PNG\r\n\x1a\n"):
        assert [d.code.value for d in mask] in (["M001"], ["M002"])
    assert all(d.code.value.startswith("M") for d in mask)


@settings(max_examples=200, deadline=None)
@given(text=st.text())
def test_printable_escapes_and_is_idempotent(text: str) -> None:
    shown = printable(text)
    assert _safe(shown)
    assert printable(shown) == shown
    if text.isprintable():
        assert shown == text


def test_root_reads_back_a_stored_dot_slash_name(tmp_path: Path) -> None:
    path = zip_members(tmp_path / "s.zip", [("./././method.txt", b"m")])
    source = open_source(path)
    assert [e.name for e in source.entries] == ["method.txt"]
    assert source.read("method.txt") == b"m"
