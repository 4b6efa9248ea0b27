"""The one function that makes a file name or file content safe to print.

Submissions are untrusted, and their names and first bytes end up in reports,
terminals and CI logs. A name like ``a\\x1b]0;pwned\\x07.png`` would retitle the
terminal, ``\\r`` would overwrite a line, and a right-to-left override would
make a log say something other than what it holds. Every name or content that
is quoted in a message goes through :func:`printable`; diagnostics and errors
apply it once more to their whole text, so nothing reaches an output raw.
"""

from __future__ import annotations

import unicodedata

_BIDI_AND_INVISIBLE = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2066\u2067\u2068\u2069\ufeff"
)
"""Format characters that reorder or hide text (the "Trojan Source" family)."""

_UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs", "Co", "Cn"})
"""Control characters, line and paragraph separators, surrogates, private and unassigned."""


def _unsafe(char: str) -> bool:
    if char.isascii():
        return char < " " or char == "\x7f"
    return char in _BIDI_AND_INVISIBLE or unicodedata.category(char) in _UNSAFE_CATEGORIES


def _escaped(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text: str, keep: str = "") -> str:
    """``text`` with every character that could steer a terminal or a log escaped.

    C0/C1 control characters, DEL, line separators, bidirectional overrides,
    invisible joiners, lone surrogates (undecodable bytes of a file name) and
    unassigned code points become ``\\xNN`` / ``\\uNNNN`` escapes; everything
    else, accented letters and CJK included, is kept. Idempotent: the escapes
    are plain ASCII, so applying it twice changes nothing more. ``keep`` names
    characters left as they are: a console keeps its own line breaks and tabs.
    """
    if text.isascii() and text.isprintable():
        return text
    return "".join(_escaped(c) if _unsafe(c) and c not in keep else c for c in text)


def quoted(text: str) -> str:
    """A name or a piece of content as a message quotes it: in double quotes, escaped."""
    return '"' + printable(text) + '"'
