"""A decoded 8-bit RGB image's pixels as NumPy words, shared with PIL where it allows.

PIL keeps an RGB image as four bytes a pixel (R, G, B and a pad byte). Read as
one little-endian 32-bit word a pixel, that memory answers everything the check
asks of a mask in one comparison of neighbours: runs of equal colours, their
ids (the low 16 bits) and their blue (the third byte). Copying it out first
(``np.asarray`` or ``tobytes``) cost as much again as counting the ids did.

Pillow 11.2 and later export an image's memory through the Arrow C data
interface (``__arrow_c_array__``): a fixed-size list of four bytes a pixel over
one buffer, kept alive by the capsule that carries it. :func:`rgbx_words` reads
that buffer where the export is offered and has the expected shape (PIL makes it
so for images stored in one block, i.e. all but the very largest); otherwise the
words are copied out of PIL in one piece. Either way the words hold the same
colours; only the pad byte is not promised, so callers mask it off.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

WordArray = npt.NDArray[np.uint32]
"""One ``<u4`` word a pixel, row after row: ``R | G << 8 | B << 16 | pad << 24``."""

_WORD = np.dtype("<u4")


class _ArrowSchema(ctypes.Structure):
    """``struct ArrowSchema`` of the Arrow C data interface."""


class _ArrowArray(ctypes.Structure):
    """``struct ArrowArray`` of the Arrow C data interface."""


_ArrowSchema._fields_ = (
    ("format", ctypes.c_char_p),
    ("name", ctypes.c_char_p),
    ("metadata", ctypes.c_char_p),
    ("flags", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("children", ctypes.POINTER(ctypes.POINTER(_ArrowSchema))),
    ("dictionary", ctypes.c_void_p),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
)
_ArrowArray._fields_ = (
    ("length", ctypes.c_int64),
    ("null_count", ctypes.c_int64),
    ("offset", ctypes.c_int64),
    ("n_buffers", ctypes.c_int64),
    ("n_children", ctypes.c_int64),
    ("buffers", ctypes.POINTER(ctypes.c_void_p)),
    ("children", ctypes.POINTER(ctypes.POINTER(_ArrowArray))),
    ("dictionary", ctypes.c_void_p),
    ("release", ctypes.c_void_p),
    ("private_data", ctypes.c_void_p),
)


def _capsule_reader() -> Any:
    """CPython's ``PyCapsule_GetPointer``; None where the interpreter offers no C API."""
    try:
        reader = ctypes.pythonapi.PyCapsule_GetPointer
    except AttributeError:
        return None
    reader.restype = ctypes.c_void_p
    reader.argtypes = (ctypes.py_object, ctypes.c_char_p)
    return reader


_capsule_pointer = _capsule_reader()


class _Shared:
    """PIL's buffer as NumPy sees it; holding it holds the capsule that keeps the buffer alive."""

    def __init__(self, address: int, words: int, capsule: object) -> None:
        self.__array_interface__ = {
            "version": 3,
            "shape": (words,),
            "typestr": _WORD.str,
            "data": (address, True),
        }
        self.capsule = capsule


def rgbx_words(image: Image.Image) -> WordArray:
    """The pixels of a loaded RGB image as a flat, read-only array of words (see module)."""
    if not image.width * image.height:
        return np.zeros(0, dtype=_WORD)
    words = _shared_words(image)
    if words is None:
        words = np.frombuffer(raw_bytes(image, "RGBX", 4), dtype=_WORD)
    words.flags.writeable = False
    return words


def _shared_words(image: Image.Image) -> WordArray | None:
    """The image's own memory as words, or None where PIL does not export it as expected."""
    if _capsule_pointer is None:
        return None
    try:
        schema_capsule, array_capsule = image.__arrow_c_array__()
        schema = _ArrowSchema.from_address(_capsule_pointer(schema_capsule, b"arrow_schema"))
        array = _ArrowArray.from_address(_capsule_pointer(array_capsule, b"arrow_array"))
    except Exception:
        # No export in this Pillow, or not for this image (stored in several blocks).
        return None
    pixels = image.width * image.height
    expected = (b"+w:4", 1, pixels, 0, 1)
    if (schema.format, schema.n_children, array.length, array.offset, array.n_children) != expected:
        return None
    byte_schema, bytes_ = schema.children[0].contents, array.children[0].contents
    found = (byte_schema.format, bytes_.length, bytes_.offset, bytes_.n_buffers)
    if found != (b"C", 4 * pixels, 0, 2) or not bytes_.buffers[1]:
        return None
    return np.asarray(_Shared(bytes_.buffers[1], pixels, array_capsule))


def raw_bytes(image: Image.Image, rawmode: str, width: int) -> bytes:
    """The image packed as ``rawmode`` (``width`` bytes a pixel), copied out in one piece.

    ``Image.tobytes`` asks PIL's raw encoder for 64 KB at a time and joins the
    pieces: a second copy and a Python loop per piece. Asking the same encoder
    once for everything halves the cost. The encoder is PIL's own
    (``Image._getencoder``, as ``tobytes`` uses it); should that ever be missing
    or answer otherwise, the public ``tobytes`` does the work.
    """
    size = image.width * image.height * width
    try:
        encoder = Image._getencoder(image.mode, "raw", rawmode)
    except Exception:
        # Not this PIL: the public way gives the same bytes.
        return image.tobytes("raw", rawmode)
    try:
        encoder.setimage(image.im, (0, 0, *image.size))
        _, status, data = encoder.encode(size + 1)
    finally:
        encoder.cleanup()
    if status != 1 or len(data) != size:
        return image.tobytes("raw", rawmode)
    return bytes(data)
