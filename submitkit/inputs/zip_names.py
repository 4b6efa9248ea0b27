"""Zip member names as unzippers read them: normalised where they all agree, refused where not.

``./method.txt`` (written by Python's ``writestr`` and some archivers) is
``method.txt`` to every unzipper, so it is read as such. Names whose meaning
depends on the unzipper or the operating system are refused: control
characters, backslashes, absolute paths and ``..`` (where a file would land),
empty or ``.`` components inside a name, names that one file system would
merge (``A.png``/``a.png``, NFC/NFD spellings of one accented name), and a name
that is a file and also the folder of another member (``n01`` beside
``n01/a.png``), which no unzipper can extract.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict

from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.safetext import quoted

FIX = "re-create the zip from the submission folder (see `submitkit pack`)"


def normalised(name: str) -> str:
    """``name`` without its leading ``./`` components (``././a`` and ``./a`` are ``a``)."""
    while name.startswith("./"):
        name = name[2:]
    return name


def _has_control(name: str) -> bool:
    return any(c < " " or "\x7f" <= c <= "\x9f" for c in name)


def name_problem(raw: str) -> Diagnostic | None:
    """Why a stored member name is refused, or ``None`` when unzippers agree on it."""
    shown = quoted(raw)
    if _has_control(raw):
        return Code.ZIP_NAME_CONTROL.at(raw, f"member name {shown} holds control characters", FIX)
    if "\\" in raw or raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        return Code.ZIP_UNSAFE_PATH.at(
            raw, f"member path {shown} is absolute or uses backslashes", FIX
        )
    name = normalised(raw)
    parts = name.rstrip("/").split("/") if name.rstrip("/") else []
    if ".." in parts:
        return Code.ZIP_UNSAFE_PATH.at(raw, f"member path {shown} climbs out with '..'", FIX)
    if "" in parts or "." in parts or not raw or (not parts and not raw.endswith("/")):
        return Code.ZIP_NAME_NOT_CANONICAL.at(
            raw,
            f"member name {shown} has an empty or '.' component: unzippers disagree on "
            "the file it names",
            FIX,
        )
    return None


def folder_clash_findings(files: list[str], folders: list[str]) -> list[Diagnostic]:
    """Z012 for each file whose name is also a folder of the zip (of a member, or declared).

    ``ZipFile.extractall``, what the platform runs, stops on it whatever the
    order: writing ``n01/a.png`` under the file ``n01`` raises NotADirectoryError,
    writing the file ``n01`` over the folder raises IsADirectoryError.
    """
    under: dict[str, str] = {}
    for name in sorted([*files, *folders], reverse=True):
        parts = name.rstrip("/").split("/")
        if name.endswith("/"):
            under["/".join(parts)] = name
        for i in range(1, len(parts)):
            under["/".join(parts[:i])] = name
    diags: list[Diagnostic] = []
    for name in sorted(set(files) & set(under)):
        diags.append(
            Code.ZIP_FILE_AND_FOLDER.at(
                name,
                f"{quoted(name)} is a file and also the folder of {quoted(under[name])}: "
                "Python's ZipFile.extractall, which the platform runs to unzip an upload, "
                "stops with an error on it, and the submission is never scored",
                "remove or rename the file; " + FIX,
            )
        )
    return diags


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def collision_findings(names: list[str]) -> list[Diagnostic]:
    """Z009 for each group of names a case-insensitive or normalising file system merges."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name in names:
        groups[_fold(name)].append(name)
    diags: list[Diagnostic] = []
    for group in groups.values():
        distinct = sorted(set(group))
        if len(distinct) < 2:
            continue
        listed = ", ".join(quoted(n) for n in distinct)
        diags.append(
            Code.ZIP_NAME_COLLISION.at(
                distinct[0],
                f"members {listed} differ only in letter case or Unicode normalisation: "
                "on Windows and macOS they are one file",
                "keep one of them; names must differ in more than case",
            )
        )
    return diags
