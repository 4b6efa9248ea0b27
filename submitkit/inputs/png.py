"""The one PNG reader: every mask, prediction or ground truth, is read here.

This is the only module that knows the ImageNet-S id encoding
(``id = R + 256 * G``, ``B = 0``) and what each PNG fault is called. It
judges a file from its first bytes (signature and IHDR) before reading it
whole, so a huge or hostile file is never read or decoded; it decodes pixels
as the official evaluator does (``np.array(Image.open(p))``); and it turns
every failure into a :class:`PngFault` with the code, message and fix hint
that ``check``, ``evaluate``, ``match``, ``fix``, ``pack`` and ``preview``
all print alike.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from submitkit.benchmark.ids import MAX_ENCODABLE
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.runs import run_histogram, runs
from submitkit.inputs import fast_png
from submitkit.inputs.pixel_memory import WordArray, rgbx_words

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HEAD_BYTES = 64
"""What is read of a file before judging it: signature (8) + IHDR chunk (25), with room."""

MAX_DECODE_PIXELS = 64 * 1000 * 1000
"""No ImageNet image comes near this; a larger IHDR is not decoded (a PNG bomb)."""

SLACK_BYTES = 16 * 1024 * 1024
"""What a mask may hold beyond its worst-case pixel data (metadata, odd chunking)."""

ENCODING = "R = id % 256, G = id // 256, B = 0"
"""The encoding, as hints spell it out."""

IdArray = npt.NDArray[np.integer[Any]]
"""H x W ids: int32 where computed, uint8 or uint16 (the narrowest) where decoded."""
Opener = Callable[[], AbstractContextManager[IO[bytes]]]
"""Opens one file for binary reading (a folder file or a zip member), as a context manager."""

_X = "\N{MULTIPLICATION SIGN}"
_COLOURS_LIMIT = 1 << 16

# (bit depth, colour type) -> the PIL mode Image.open gives, as in PIL's own table.
_PIL_MODES = {
    (1, 0): "1",
    (2, 0): "L",
    (4, 0): "L",
    (8, 0): "L",
    (16, 0): "I;16",
    (8, 2): "RGB",
    (16, 2): "RGB",
    (1, 3): "P",
    (2, 3): "P",
    (4, 3): "P",
    (8, 3): "P",
    (8, 4): "LA",
    (16, 4): "RGBA",
    (8, 6): "RGBA",
    (16, 6): "RGBA",
}
_COLOUR_NAMES = {0: "grayscale", 2: "RGB", 3: "palette", 4: "grayscale+alpha", 6: "RGBA"}
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


# --- the encoding -------------------------------------------------------------------


def encode(ids: npt.NDArray[np.integer]) -> npt.NDArray[np.uint8]:
    """Turn an H x W array of ids into the H x W x 3 uint8 RGB encoding."""
    arr = np.asarray(ids)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D id array, got shape {arr.shape}")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) > MAX_ENCODABLE):
        raise ValueError(f"ids must lie in 0..{MAX_ENCODABLE}")
    wide = arr.astype(np.uint32, copy=False)
    rgb = np.zeros((*arr.shape, 3), dtype=np.uint8)
    rgb[..., 0] = wide & 0xFF
    rgb[..., 1] = wide >> 8
    return rgb


def decode(rgb: npt.NDArray[np.uint8]) -> IdArray:
    """Turn an H x W x 3 RGB array back into ids (the blue channel is ignored).

    The widening to int32 comes *before* the multiplication: the official
    loader multiplies the uint8 channel by 256, which overflows on NumPy 2.
    """
    arr = np.asarray(rgb)
    if arr.ndim != 3 or arr.shape[2] < 2:
        raise ValueError(f"expected an H x W x 3 array, got shape {arr.shape}")
    out = arr[..., 1].astype(np.int32)
    out <<= 8
    out |= arr[..., 0]
    return out


def encode_png(ids: npt.NDArray[np.integer], *, optimize: bool = False) -> bytes:
    """The official encoding of an id map, as PNG bytes (``optimize``: smallest lossless)."""
    return rgb_png(encode(ids), optimize=optimize)


def rgb_png(rgb: npt.NDArray[np.uint8], *, optimize: bool = False) -> bytes:
    """An H x W x 3 uint8 array as PNG bytes; ``optimize`` picks the smallest lossless form."""
    buffer = io.BytesIO()
    params: dict[str, object] = {"optimize": True, "compress_level": 9} if optimize else {}
    Image.fromarray(rgb).save(buffer, format="PNG", **params)
    return buffer.getvalue()


# --- the header ---------------------------------------------------------------------


@dataclass(frozen=True)
class PngHeader:
    """The IHDR chunk of a PNG."""

    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlace: int

    @property
    def mode(self) -> str:
        """The mode PIL opens this PNG in (``RGB`` even for 16-bit RGB, which PIL truncates)."""
        return _PIL_MODES[(self.bit_depth, self.colour_type)]

    @property
    def kind(self) -> str:
        """A human description such as ``grayscale (mode L, 8-bit)``."""
        colour = _COLOUR_NAMES[self.colour_type]
        return f"{colour} (mode {self.mode}, {self.bit_depth}-bit)"

    @property
    def pixels(self) -> int:
        return self.width * self.height

    @property
    def official(self) -> bool:
        """8-bit RGB: the only form the official evaluator reads correctly."""
        return (self.bit_depth, self.colour_type) == (8, 2)

    @property
    def max_file_bytes(self) -> int:
        """The most bytes a PNG of this header can sensibly hold.

        Deflate never expands data by more than a few bytes per 16 KiB block, so
        twice the raw scanlines plus a fixed slack is far above any honest file.
        """
        row = 1 + -(-self.width * _CHANNELS[self.colour_type] * self.bit_depth // 8)
        return 2 * row * self.height + SLACK_BYTES


def describe_format(head: bytes) -> str:
    """What a file that is not a PNG is, judged from its first bytes."""
    if not head:
        return "an empty file (0 bytes)"
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "a WebP image"
    if head.startswith(b"version https://git-lfs"):
        return "a Git LFS pointer (text), not the image it stands for"
    if _looks_like_text(head):
        lowered = head.lstrip().lower()
        if lowered.startswith((b"<!doctype html", b"<html")):
            return "an HTML page (a failed download?)"
        return f"text, starting {head[:32].decode('utf-8', 'replace')!r}"
    shown = " ".join(f"{b:02X}" for b in head[:8])
    return f"unknown binary data (first bytes {shown})"


_MAGIC = (
    (b"\xff\xd8\xff", "a JPEG image (starts FF D8 FF)"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"BM", "a BMP image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\x93NUMPY", "a NumPy .npy array"),
    (b"PK\x03\x04", "a zip archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
)


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character cut at the end of the head is still text.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(c.isprintable() or c in "\t\r\n" for c in text)


def parse_png_header(head: bytes) -> PngHeader | str:
    """The IHDR of a PNG from its first bytes, or why it cannot be read.

    Returns a reason (str) when the bytes start like a PNG but the header is
    truncated or damaged; callers first check the signature with
    ``head.startswith(PNG_SIGNATURE)``.
    """
    if len(head) < 33:
        return f"truncated: the file ends after {len(head)} bytes, inside the PNG header"
    length, ctype = struct.unpack(">I4s", head[8:16])
    if ctype != b"IHDR" or length != 13:
        return f"the first chunk is {ctype!r} of {length} bytes, not a 13-byte IHDR"
    body = head[16:29]
    (crc,) = struct.unpack(">I", head[29:33])
    # PIL refuses a header with a bad checksum, so the evaluator would too.
    if zlib.crc32(head[12:29]) != crc:
        return "the IHDR checksum is wrong (the header is damaged)"
    width, height, depth, ctype_n, _compression, _filter, interlace = struct.unpack(
        ">IIBBBBB", body
    )
    if width == 0 or height == 0:
        return f"the header declares an empty image ({width}{_X}{height})"
    if (depth, ctype_n) not in _PIL_MODES:
        return f"the header declares an invalid colour type {ctype_n} with bit depth {depth}"
    if interlace > 1:
        return f"the header declares an unknown interlace method {interlace}"
    return PngHeader(width, height, depth, ctype_n, interlace)


# --- faults -------------------------------------------------------------------------


class PngFault(Exception):
    """A mask the official evaluator would choke on or misread: its code, message and hint."""

    def __init__(self, code: Code, message: str, hint: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint

    def at(self, path: str) -> Diagnostic:
        """This fault as a finding about ``path``."""
        return self.code.at(path, self.message, self.hint)


def not_png(head: bytes) -> PngFault:
    """NOT_PNG for a file whose first bytes are something else, saying what it is."""
    what = describe_format(head)
    if head.startswith(b"\xff\xd8\xff"):
        hint = (
            "JPEG compression has already altered the ids: re-export the id map from your "
            f"predictions as a lossless 8-bit RGB PNG ({ENCODING})"
        )
    elif head.startswith(b"\x93NUMPY"):
        hint = (
            "encode the array as an 8-bit RGB PNG: "
            "Image.fromarray(submitkit.inputs.png.encode(np.load(f))).save(p)"
        )
    elif head.startswith(b"version https://git-lfs"):
        hint = "fetch the real files (`git lfs pull`) before packing the submission"
    else:
        hint = f"save each prediction as an 8-bit RGB PNG with {ENCODING}"
    return PngFault(Code.NOT_PNG, f"not a PNG: the file is {what}", hint)


def judge_head(head: bytes) -> PngHeader:
    """The header of a file from its first bytes; raises PngFault if it is no usable PNG."""
    if not head.startswith(PNG_SIGNATURE):
        if head.startswith(b"\x89PNG"):
            raise PngFault(
                Code.CORRUPT_PNG,
                "the PNG signature is damaged (line endings converted by a text-mode "
                "transfer, e.g. FTP ASCII mode or git autocrlf)",
                "copy the files in binary mode, or regenerate them",
            )
        raise not_png(head)
    header = parse_png_header(head)
    if isinstance(header, str):
        raise PngFault(Code.CORRUPT_PNG, f"damaged PNG: {header}", "regenerate the file")
    return header


def too_many_pixels(header: PngHeader) -> PngFault | None:
    """CORRUPT_PNG for a header that declares far more pixels than any ImageNet image."""
    if header.pixels <= MAX_DECODE_PIXELS:
        return None
    return PngFault(
        Code.CORRUPT_PNG,
        f"the header declares {header.width}{_X}{header.height} pixels, far more than any "
        "ImageNet image; not decoded",
        "regenerate the file at the size of its source image",
    )


def too_large(header: PngHeader) -> PngFault:
    """MASK_TOO_LARGE: the file holds far more bytes than its pixels could need."""
    limit = header.max_file_bytes
    return PngFault(
        Code.MASK_TOO_LARGE,
        f"the file is larger than {limit:,} bytes, far more than a "
        f"{header.width}{_X}{header.height} PNG needs; not read further",
        "regenerate the file; a mask holds nothing but its pixels",
    )


def mode_fault(header: PngHeader) -> PngFault | None:
    """Mode and bit-depth problems, judged from IHDR alone; None for 8-bit RGB."""
    ct, depth = header.colour_type, header.bit_depth
    bad_mode = f"{header.kind} PNG"
    if ct == 0:
        if depth == 16:
            how = (
                "the ids need both bytes: a = np.array(Image.open(p)).astype(np.int64); "
                "Image.fromarray(np.stack([a % 256, a // 256, a * 0], -1).astype(np.uint8))"
                ".save(p)"
            )
        else:
            how = (
                "ids < 256 go to R: a = np.array(Image.open(p)); "
                "Image.fromarray(np.stack([a, a * 0, a * 0], -1).astype(np.uint8)).save(p)"
            )
        return PngFault(
            Code.MODE_GRAYSCALE,
            f"{bad_mode}: the evaluator reads channel 1 of an RGB array and crashes",
            f"encode the ids as RGB ({ENCODING}); {how}",
        )
    if ct == 3:
        return PngFault(
            Code.MODE_PALETTE,
            f"{bad_mode}: the evaluator would see a 2-D array of palette indices and crash",
            "if the palette was attached only for viewing, the indices are the ids: "
            "a = np.array(Image.open(p)).astype(np.int64); "
            "Image.fromarray(np.stack([a % 256, a // 256, a * 0], -1).astype(np.uint8))"
            ".save(p); if instead the colours encode the ids, use "
            "Image.open(p).convert('RGB')",
        )
    if ct in (4, 6):
        if ct == 4:
            how = (
                "keep the gray channel as R: a = np.array(Image.open(p))[..., 0]; "
                "Image.fromarray(np.stack([a, a * 0, a * 0], -1).astype(np.uint8)).save(p)"
            )
        else:
            how = "Image.open(p).convert('RGB').save(p)"
        return PngFault(
            Code.MODE_ALPHA,
            f"{bad_mode}: masks must be plain 8-bit RGB, without alpha",
            f"if alpha is constant, drop it: {how}; if alpha varies, the file is likely a "
            f"blended visualisation: re-export the id map ({ENCODING})",
        )
    if depth == 16:
        return PngFault(
            Code.BIT_DEPTH_16,
            f"{bad_mode}: PIL keeps only the high byte of each 16-bit channel, "
            "so the evaluator would read wrong ids",
            "write a uint8 array: Image.fromarray(rgb.astype(np.uint8)) with "
            f"{ENCODING}; re-export rather than convert this file with PIL",
        )
    return None


def read_fault(exc: BaseException) -> PngFault:
    """Why the bytes of a file could not be read (a damaged zip member, a disk error)."""
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError)):
        return PngFault(
            Code.ZIP_CORRUPT,
            f"the zip member cannot be read: {exc}",
            "re-create the zip from the submission folder (`submitkit pack --help`)",
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return PngFault(
        Code.CORRUPT_PNG,
        f"the file cannot be read: {reason}",
        "check the file's permissions and disk",
    )


def decode_fault(exc: BaseException) -> PngFault:
    """CORRUPT_PNG for pixels PIL cannot decode (truncated data, bad CRC, a bomb)."""
    reason = str(exc) or type(exc).__name__
    return PngFault(Code.CORRUPT_PNG, f"PIL cannot decode the PNG: {reason}", "regenerate the file")


# --- reading, bounded ---------------------------------------------------------------


def read_png(opener: Opener) -> tuple[PngHeader, bytes]:
    """A PNG's header and bytes, judged from its first bytes before it is read whole.

    A file that is not a PNG, has a damaged header, declares a pixel count no
    ImageNet image has, or holds more bytes than its pixels could need is
    refused with a PngFault, having read at most what its header allows.
    Missing files raise FileNotFoundError or KeyError, left to the caller.
    """
    try:
        with opener() as handle:
            head = handle.read(HEAD_BYTES)
            header = judge_head(head)
            huge = too_many_pixels(header)
            if huge is not None:
                raise huge
            limit = header.max_file_bytes
            rest = handle.read(limit + 1 - len(head))
    except (PngFault, FileNotFoundError, KeyError):
        raise
    except Exception as exc:
        # Unreadable bytes are a finding about this file, never a reason to stop.
        raise read_fault(exc) from exc
    if len(head) + len(rest) > limit:
        raise too_large(header)
    return header, head + rest


def file_opener(path: Path) -> Opener:
    """An opener for a plain file."""

    def opener() -> IO[bytes]:
        return open(path, "rb")

    return opener


def read_head(opener: Opener) -> PngHeader:
    """The header alone, judged (quick checks: 64 bytes a file)."""
    try:
        with opener() as handle:
            head = handle.read(HEAD_BYTES)
    except (FileNotFoundError, KeyError):
        raise
    except Exception as exc:
        # As in read_png: a damaged member is a finding.
        raise read_fault(exc) from exc
    return judge_head(head)


# --- decoding -----------------------------------------------------------------------


def open_image(data: bytes) -> Image.Image:
    """The decoded PIL image of PNG bytes already judged by :func:`read_png`."""
    try:
        with warnings.catch_warnings():
            # The pixel count was judged from the header already.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=("PNG",))
            im.load()
    except Exception as exc:
        # PIL raises many types (SyntaxError, OSError, ValueError, zlib.error,
        # DecompressionBombError...): every one of them is this one fault.
        raise decode_fault(exc) from exc
    return im


@dataclass(frozen=True)
class Palette:
    """The distinct ids of a decoded 8-bit RGB mask and its non-zero blue pixels."""

    ids: tuple[int, ...]
    """Sorted distinct ids (R + 256 G)."""
    blue: int
    """Pixels whose blue channel is not 0."""
    colours: int | None
    """Distinct colours, None beyond 65,536."""


def rgb_image(data: bytes) -> Image.Image:
    """The decoded 8-bit RGB image of judged bytes; PngFault if PIL disagrees with the header."""
    im = open_image(data)
    if im.mode != "RGB":
        # The header said 8-bit RGB; a decoder that disagrees is a broken file.
        raise PngFault(
            Code.CORRUPT_PNG, f"PIL decodes the file as mode {im.mode}, not RGB", "regenerate it"
        )
    return im


class Pixels:
    """A decoded 8-bit RGB mask, asked for its ids and what the check judges of them.

    Everything a command asks of a mask's pixels comes from here, each part
    computed the first time it is asked: the ids (``R + 256 G``), the distinct
    ids and blue pixels the check judges, the pixels per id pack reports. All of
    it is read from one word a pixel (:mod:`~submitkit.inputs.pixel_memory`:
    the fast decoder's output, or PIL's own memory where it shares it), and from
    the runs of equal words: a label map's row is a few dozen runs, so the ids
    and the blue of the first pixel of each run answer for every pixel, in one
    comparison of neighbours. Made from a PIL image, or from words and a shape
    (:func:`decode_pixels` does either).
    """

    def __init__(
        self,
        image: Image.Image | None = None,
        *,
        words: WordArray | None = None,
        shape: tuple[int, int] | None = None,
    ) -> None:
        if words is not None and shape is not None:
            self.height, self.width = shape
        elif image is not None:
            self.height, self.width = image.height, image.width
        else:
            raise TypeError("Pixels needs an image, or words and their shape")
        self.image = image
        """The PIL image the words come from, None when another decoder made them."""
        self._words = words
        self._runs: tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]] | None = None
        self._dense = False
        """Noise-like: too many runs to count by; every pixel is counted instead."""
        self._ids: npt.NDArray[np.unsignedinteger[Any]] | None = None

    def _pixel_words(self) -> WordArray:
        if self._words is None:
            assert self.image is not None
            self._words = rgbx_words(self.image)
        return self._words

    def _word_runs(self) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.int64]] | None:
        """Each run's word and length, or None for a noise-like mask (see :func:`runs`)."""
        if self._runs is None and not self._dense:
            words = self._pixel_words()
            found = runs(words)
            if found is None:
                self._dense = True
            else:
                starts, lengths = found
                self._runs = words[starts], lengths
        return self._runs

    @property
    def wide(self) -> bool:
        """Whether some pixel has a green value, i.e. an id of 256 or more."""
        found = self._word_runs()
        words = found[0] if found is not None else self._pixel_words()
        return bool(np.any(words & np.uint32(0xFF00)))

    @property
    def ids(self) -> npt.NDArray[np.unsignedinteger[Any]]:
        """The H x W ids, read-only: uint8 when every id is below 256, else uint16."""
        if self._ids is None:
            # Casting a word down keeps its low bytes: R, or R and G, i.e. the id.
            if self._runs is not None:
                narrow = np.uint16 if self.wide else np.uint8
                ids = self._pixel_words().astype(narrow)
            else:
                # Without runs at hand, the 16-bit ids themselves tell whether they are wide.
                ids = self._pixel_words().astype(np.uint16)
                if ids.size and int(ids.max()) < 0x100:
                    ids = ids.astype(np.uint8)
            ids = ids.reshape(self.height, self.width)
            ids.flags.writeable = False
            self._ids = ids
        return self._ids

    @property
    def rgb(self) -> npt.NDArray[np.uint8]:
        """The H x W x 3 colours, as ``np.asarray`` of the PIL image gives them (a copy)."""
        quads = self._pixel_words().view(np.uint8).reshape(self.height, self.width, 4)
        return np.ascontiguousarray(quads[..., :3])

    def digest(self) -> str:
        """A SHA-256 of the shape and colours: equal exactly when two masks' pixels are.

        Hashed from the runs (a few kilobytes a mask) rather than every pixel:
        the runs with their pad byte masked off and neighbours of one colour
        joined are the one run-length form of the colours, so two masks share it
        exactly when their pixels are equal. A noise-like mask hashes its words.
        """
        colour = np.uint32(0xFFFFFF)
        found = self._word_runs()
        head = repr((self.height, self.width)).encode()
        if found is None:
            body = (self._pixel_words() & colour).astype("<u4").tobytes()
            return hashlib.sha256(b"words" + head + body).hexdigest()
        words, lengths = found
        words = words & colour
        first = np.flatnonzero(np.concatenate(([True], words[1:] != words[:-1])))
        joined = np.add.reduceat(lengths, first) if len(first) else lengths
        body = words[first].astype("<u4").tobytes() + joined.astype("<i8").tobytes()
        return hashlib.sha256(b"runs" + head + body).hexdigest()

    def counts(self) -> dict[int, int]:
        """Pixels per id."""
        found = self._word_runs()
        if found is None:
            binned = run_histogram(self.ids)
        else:
            words, lengths = found
            binned = np.bincount(words & np.uint32(0xFFFF), weights=lengths).astype(np.int64)
        return {int(i): int(binned[i]) for i in np.flatnonzero(binned)}

    def palette(self) -> Palette:
        """The distinct ids and the blue pixels, as the check judges them."""
        found = self._word_runs()
        blue_bits = np.uint32(0xFF0000)
        if found is None:
            ids = tuple(sorted(self.counts()))
            blue = int(np.count_nonzero(self._pixel_words() & blue_bits))
        else:
            words, lengths = found
            ids = tuple(int(i) for i in np.unique(words & np.uint32(0xFFFF)))
            blue = int(lengths[(words & blue_bits) != 0].sum())
        if not blue:
            return Palette(ids, 0, len(ids))
        # A visualisation: say how many colours it has (an id map has few), as
        # PIL's getcolors(65,536) would: None beyond that many.
        source = found[0] if found is not None else self._pixel_words()
        colours = len(np.unique(source & np.uint32(0xFFFFFF)))
        return Palette(ids, blue, None if colours > _COLOURS_LIMIT else colours)


def decode_pixels(header: PngHeader, data: bytes, *, fast: bool = True) -> Pixels:
    """The pixels of judged 8-bit RGB bytes; PngFault where Pillow cannot decode them.

    The fast decoder (:mod:`~submitkit.inputs.fast_png`) takes the files it is
    sure Pillow reads alike; every other file, and every file when ``fast`` is
    False or the decoder is not installed, is decoded by Pillow, whose verdict
    is the fault.
    """
    if fast and header.official and not header.interlace:
        words = fast_png.rgb_words(data, header.width, header.height)
        if words is not None:
            return Pixels(words=words, shape=(header.height, header.width))
    with rgb_image(data) as im:
        # The words outlive the image: shared memory is held by its capsule, else copied.
        return Pixels(words=rgbx_words(im), shape=(im.height, im.width))


def blue_fault(blue: int, pixels: int, colours: int | None) -> PngFault | None:
    """BLUE_NONZERO when some pixel has a blue value: a visualisation, not an id map."""
    if not blue:
        return None
    share = f" ({100 * blue / pixels:.1f}%)" if pixels else ""
    colours_text = f"{colours:,}" if colours is not None else f"over {_COLOURS_LIMIT:,}"
    return PngFault(
        Code.BLUE_NONZERO,
        f"{blue:,} pixels{share} have a non-zero blue channel ({colours_text} distinct "
        "colours): this looks like a colour visualisation, not an id map",
        f"save the raw ids instead of a coloured rendering: {ENCODING}",
    )


def read_official(opener: Opener) -> IdArray:
    """Read and decode one mask as the evaluator would: 8-bit RGB only, else PngFault."""
    header, data = read_png(opener)
    fault = mode_fault(header)
    if fault is not None:
        raise fault
    return decode_pixels(header, data).ids


def alpha_detail(data: bytes) -> str:
    """Whether a PNG's alpha is constant, which decides whether dropping it is safe."""
    try:
        with open_image(data) as im:
            alpha = im.getextrema()[-1]
    except PngFault:
        return ""
    if not isinstance(alpha, tuple):
        return ""
    lo, hi = alpha
    if lo == hi:
        return f"; alpha is {lo} everywhere, so dropping it loses nothing"
    return f"; alpha varies ({lo}..{hi}), so it is probably a blended visualisation"


# --- label maps in other forms (fix, preview) ---------------------------------------


@dataclass(frozen=True)
class LabelMap:
    """The ids of a PNG however they were stored, and how it departs from the encoding."""

    ids: IdArray
    stored_as: str | None
    """``grayscale``, ``palette``, ``alpha`` or ``npy`` when not an 8-bit RGB PNG, else None."""
    detail: str = ""
    """What the file was, for a summary of changes."""


def read_label_map(data: bytes, *, npy: bool = False) -> LabelMap:
    """The ids a PNG holds, where they are recoverable without guessing; else PngFault.

    Accepts the official 8-bit RGB PNG, grayscale PNGs (1/2/4/8/16-bit),
    palette PNGs (the index is the id) and PNGs with a constant alpha channel;
    with ``npy`` (fix and preview), NumPy ``.npy`` arrays of integer ids too.
    The one reader of label maps: the check judges the ids of a PNG in another
    mode with it, and fix writes what it reads.
    """
    if npy and data.startswith(NPY_MAGIC):
        return _read_npy(data)
    header = judge_head(data[:HEAD_BYTES])
    huge = too_many_pixels(header)
    if huge is not None:
        raise huge
    if len(data) > header.max_file_bytes:
        raise too_large(header)
    ct, depth = header.colour_type, header.bit_depth
    if depth == 16 and ct in (2, 4, 6):
        raise PngFault(
            Code.BIT_DEPTH_16,
            f"{header.kind}: how the ids sit in 16-bit colour channels is not defined; "
            "re-export as 8-bit RGB",
            "re-export the predictions as 8-bit RGB",
        )
    with open_image(data) as im:
        arr = np.asarray(im)
    kind = header.kind
    if ct == 2:
        return LabelMap(_rgb_ids(arr), None)
    if ct == 0:
        if depth in (2, 4):
            # PIL stretches 2- and 4-bit samples to 0..255; undo it to get the stored ids.
            arr = arr // (255 // (2**depth - 1))
        return LabelMap(checked_ids(arr.astype(np.int64)), "grayscale", kind)
    if ct == 3:
        return LabelMap(arr.astype(np.int32), "palette", kind)
    # ct 4 (LA) or 6 (RGBA), 8-bit: usable only if alpha says nothing.
    alpha = arr[..., -1]
    lo, hi = int(alpha.min()), int(alpha.max())
    if lo != hi:
        raise PngFault(
            Code.MODE_ALPHA,
            f"{kind} with varying alpha ({lo}..{hi}): probably a blended visualisation",
            f"re-export the id map ({ENCODING})",
        )
    detail = f"{kind}, alpha {lo} everywhere"
    if ct == 4:
        return LabelMap(arr[..., 0].astype(np.int32), "alpha", detail)
    return LabelMap(_rgb_ids(arr[..., :3]), "alpha", detail)


def _rgb_ids(rgb: npt.NDArray[np.uint8]) -> IdArray:
    blue = int(np.count_nonzero(rgb[..., 2]))
    if blue:
        share = 100 * blue / max(1, rgb.shape[0] * rgb.shape[1])
        raise PngFault(
            Code.BLUE_NONZERO,
            f"{blue:,} pixels ({share:.1f}%) have a non-zero blue channel: a colour "
            "visualisation, whose colours cannot be turned back into ids",
            f"save the raw ids instead of a coloured rendering: {ENCODING}",
        )
    return decode(rgb)


def checked_ids(ids: npt.NDArray[np.int64]) -> IdArray:
    """Ids as int32, or ID_OUT_OF_RANGE when they do not fit the RGB encoding."""
    if ids.size and (int(ids.min()) < 0 or int(ids.max()) > MAX_ENCODABLE):
        raise PngFault(
            Code.ID_OUT_OF_RANGE,
            f"ids {int(ids.min())}..{int(ids.max())} do not fit the RGB encoding "
            f"(0..{MAX_ENCODABLE})",
            f"ids must lie in 0..{MAX_ENCODABLE}",
        )
    return ids.astype(np.int32)


NPY_MAGIC = b"\x93NUMPY"


def _npy_fault(code: Code, message: str) -> PngFault:
    return PngFault(code, message, "re-export the prediction as an 8-bit RGB PNG")


def _read_npy(data: bytes) -> LabelMap:
    # NumPy arrays of integer ids (or whole floats), any (1, H, W) or (H, W, 1) shape.
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except Exception as exc:
        # A damaged header, a pickled object array, a truncated file: all unreadable.
        raise _npy_fault(Code.NOT_PNG, f"an unreadable .npy array: {exc}") from exc
    if not isinstance(arr, np.ndarray):
        raise _npy_fault(Code.NOT_PNG, "a .npy file that holds no array")
    # (1, H, W) and (H, W, 1) say the same as (H, W); more is a score volume.
    squeezed = arr.reshape([n for n in arr.shape if n != 1]) if arr.ndim > 2 else arr
    if squeezed.ndim != 2:
        raise _npy_fault(
            Code.NOT_PNG,
            f"a .npy array of shape {arr.shape}, not H{_X}W ids (logits need an argmax first)",
        )
    if squeezed.dtype == np.bool_ or np.issubdtype(squeezed.dtype, np.integer):
        ids = squeezed.astype(np.int64)
    elif np.issubdtype(squeezed.dtype, np.floating):
        if not (np.isfinite(squeezed).all() and (squeezed == np.round(squeezed)).all()):
            raise _npy_fault(Code.NOT_PNG, "a .npy array of non-integer floats: scores, not ids")
        ids = squeezed.astype(np.int64)
    else:
        raise _npy_fault(Code.NOT_PNG, f"a .npy array of {squeezed.dtype}, not integer ids")
    h, w = ids.shape
    return LabelMap(checked_ids(ids), "npy", f"{squeezed.dtype} array {w}{_X}{h}")
