"""Where things sit in a submission: wnid folders, method.txt, match.json, junk.

This stage only looks at names. It finds the predictions (``wnid/stem`` keys)
and the two text files, looks through enclosing folders (reporting them), and
reports every file that is misplaced, misnamed or junk.
"""

from __future__ import annotations

import re
from collections import defaultdict
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Protocol

from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.inputs.files import name_parts
from submitkit.inputs.source import Source

WNID = re.compile(r"^n\d{8}$")
METHOD_FILE = "method.txt"
MATCH_FILE = "match.json"
MASK_SUFFIX = ".png"

_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db"}
_JUNK_SUFFIXES = ("~", ".swp", ".swo", ".bak", ".orig", ".tmp")
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".npy", ".bmp", ".tif", ".tiff", ".gif", ".webp")
_MAX_ENCLOSING_DEPTH = 4


def is_junk(name: str) -> bool:
    """Operating-system and editor leftovers that must never be uploaded."""
    parts = name_parts(name)
    base = parts[-1].lower() if parts else ""
    return (
        any(p == "__MACOSX" or p.startswith(".") for p in parts)
        or base in _JUNK_NAMES
        or base.endswith(_JUNK_SUFFIXES)
    )


def looks_like_prediction(name: str) -> bool:
    """A file name with an image or array extension: a prediction, whatever its place."""
    return name.lower().endswith(_IMAGE_SUFFIXES)


def is_wnid(name: str) -> bool:
    return WNID.match(name) is not None


class Openable(Protocol):
    """A file that can be opened for reading: a submission member, a reader's file."""

    def open(self) -> AbstractContextManager[IO[bytes]]: ...


@dataclass(frozen=True, slots=True)
class Prediction:
    """One prediction as every stage names it, made once by the layout.

    The check judges it, the scoring pass reads it beside its ground truth and
    hands its result back under ``key``, so nothing downstream matches results to
    predictions by path. Small and flat: the scoring pass pickles thousands of
    them to its forked workers.
    """

    ref: Openable
    """Where its bytes are (a prediction the layout lacks reads as missing)."""
    path: str
    """Display path, relative to the submission root."""
    expected_size: tuple[int, int] | None
    """(height, width) of the source image; None if unknown."""
    key: str = ""
    """The image, ``wnid/stem`` (``""`` for a file judged alone, outside any layout)."""

    @property
    def truth(self) -> str:
        """Its ground truth's file in ``validation-segmentation``: ``wnid/stem.png``."""
        return self.key + MASK_SUFFIX


@dataclass
class Layout:
    """What the names of a submission say, after looking through enclosing folders."""

    source: Source
    """The source as seen from the real submission root."""
    enclosing: str = ""
    """The enclosing folder(s) looked through, ``""`` when the layout is right."""
    predictions: dict[str, str] = field(default_factory=dict)
    """``wnid/stem`` -> entry name, for every well-named prediction."""
    misnamed: dict[str, str] = field(default_factory=dict)
    """``wnid/stem`` -> entry name, for predictions with a wrong extension."""
    method: str | None = None
    match: str | None = None
    left_out: list[str] = field(default_factory=list)
    """Entries an upload must not carry (junk, stray files)."""
    folders: dict[str, int] = field(default_factory=dict)
    """Top-level prediction folders and how many predictions each holds."""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def prediction(self, key: str, expected_size: tuple[int, int] | None) -> Prediction:
        """The record of image ``key``'s prediction: the entry found, or, when there is
        none, the file where it belongs (it then reads as missing)."""
        name = self.predictions.get(key)
        if name is None:
            return Prediction(self.source.ref(key + MASK_SUFFIX), key + MASK_SUFFIX, None, key)
        return Prediction(self.source.ref(name), self.enclosing + name, expected_size, key)

    @property
    def shipped(self) -> list[str]:
        """Entries that belong in an upload: predictions, method.txt, match.json."""
        names = list(self.predictions.values())
        names += [n for n in (self.method, self.match) if n in (METHOD_FILE, MATCH_FILE)]
        return sorted(names)


def prediction_stem(name: str) -> str:
    """A file name without its image extensions (``x.png.png`` -> ``x``): the image's stem."""
    stem = name
    while stem.lower().endswith(_IMAGE_SUFFIXES):
        stem = stem[: stem.lower().rfind(".")]
    return stem


def _extension_problem(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".png") and prediction_stem(name) != name[: -len(".png")]:
        return "has a doubled extension"
    if lower.endswith(".png"):
        return "has an upper-case extension; the server's lookup is case-sensitive"
    if lower.endswith((".jpg", ".jpeg")):
        return "is a JPEG: lossy compression corrupts the ids"
    if lower.endswith(".npy"):
        return "is a NumPy array; the server reads PNG masks only"
    return "is not named <stem>.png"


def read_layout(source: Source) -> Layout:
    """Classify every entry of ``source``; see :class:`Layout`."""
    diags: list[Diagnostic] = []
    junk = [e.name for e in source.entries if is_junk(e.name)]
    for name in junk:
        diags.append(
            Code.JUNK_FILE.at(
                name, f"{name} is operating-system or editor junk", "delete it before zipping"
            )
        )
    enclosing = ""
    for _ in range(_MAX_ENCLOSING_DEPTH):
        real = [e for e in source.entries if not is_junk(e.name)]
        tops = {e.parts[0] for e in real if len(e.parts) > 1}
        at_root = [e for e in real if len(e.parts) == 1]
        if at_root or len(tops) != 1:
            break
        (top,) = tops
        if is_wnid(top):
            break
        enclosing += top + "/"
        source = source.descend(top)
    if enclosing:
        diags.append(
            Code.ENCLOSING_FOLDER.at(
                enclosing,
                f"everything sits inside the folder {enclosing!r}: the server expects the "
                "wnid folders and method.txt at the top of the uploaded zip",
                # No shell command here: the folder's name comes from the submission.
                f"zip what is inside {enclosing!r}, not the folder itself, or let "
                "pack write the zip (`submitkit pack --help`)",
            )
        )
    layout = Layout(source=source, enclosing=enclosing)
    layout.left_out.extend(junk)
    inner: list[Diagnostic] = []
    _classify(layout, [e.name for e in source.entries if not is_junk(e.name)], inner)
    # Paths are the user's: inside the enclosing folder, not relative to it.
    layout.diagnostics = diags + under(enclosing, inner)
    return layout


def under(enclosing: str, diags: list[Diagnostic]) -> list[Diagnostic]:
    """Findings about names inside the enclosing folder, with paths the user can open."""
    if not enclosing:
        return diags
    return [d.model_copy(update={"path": enclosing + d.path}) if d.path else d for d in diags]


def _classify(layout: Layout, names: list[str], diags: list[Diagnostic]) -> None:
    by_folder: dict[str, int] = defaultdict(int)
    for name in names:
        parts = name_parts(name)
        if len(parts) == 1:
            _root_file(layout, name, diags)
            continue
        folder = parts[0]
        if len(parts) > 2:
            diags.append(
                Code.NESTED_FILE.at(
                    name,
                    f"{name} is {len(parts) - 1} folders deep",
                    "put each prediction directly in its wnid folder: <wnid>/<stem>.png",
                )
            )
            layout.left_out.append(name)
            continue
        base = parts[1]
        key = f"{folder}/{base[: -len(MASK_SUFFIX)]}"
        if base.endswith(MASK_SUFFIX) and prediction_stem(base) == base[:-4] and base[:-4]:
            layout.predictions[key] = name
            by_folder[folder] += 1
        elif base.lower().endswith(_IMAGE_SUFFIXES) or "." not in base:
            stem = prediction_stem(base)
            layout.misnamed[f"{folder}/{stem}"] = name
            diags.append(
                Code.BAD_EXTENSION.at(
                    name,
                    f"{name} {_extension_problem(base)}",
                    f"save it as {folder}/{stem}.png (an 8-bit RGB PNG)",
                )
            )
            layout.left_out.append(name)
        else:
            diags.append(
                Code.STRAY_FILE.at(
                    name,
                    f"{name} is not a prediction",
                    "wnid folders hold only <stem>.png masks; move it out of the submission",
                )
            )
            layout.left_out.append(name)
    layout.folders = dict(sorted(by_folder.items()))


def _root_file(layout: Layout, name: str, diags: list[Diagnostic]) -> None:
    lower = name.lower()
    if name == METHOD_FILE:
        layout.method = name
    elif name == MATCH_FILE:
        layout.match = name
    elif lower.startswith("method") and lower.rstrip("~") in {
        "method",
        "method.txt.txt",
        "method.txt",
        "method.md",
        "method.text",
        "method.rtf",
    }:
        layout.method = layout.method or name
        layout.left_out.append(name)
        diags.append(
            Code.METHOD_MISNAMED.at(
                name,
                f"{name} looks like method.txt but is named differently",
                f"rename it to exactly {METHOD_FILE}",
            )
        )
    elif lower.startswith("match") and lower.endswith((".json", ".txt", ".json.txt")):
        layout.match = layout.match or name
        layout.left_out.append(name)
        diags.append(
            Code.MATCH_MISNAMED.at(
                name,
                f"{name} looks like match.json but is named differently",
                f"rename it to exactly {MATCH_FILE}",
            )
        )
    else:
        layout.left_out.append(name)
        where = (
            "predictions belong in their wnid folder: <wnid>/<stem>.png"
            if lower.endswith(_IMAGE_SUFFIXES)
            else "only method.txt and match.json belong at the root"
        )
        diags.append(Code.STRAY_FILE.at(name, f"{name} is outside the wnid folders", where))


def stray_predictions(layout: Layout) -> dict[str, str]:
    """Prediction files outside ``<wnid>/<stem>.png`` by stem: flat, nested, in odd folders."""
    misnamed = set(layout.misnamed.values())
    found: dict[str, str] = {}
    for name in layout.left_out:
        base = PurePosixPath(name).name
        if name not in misnamed and not is_junk(name) and looks_like_prediction(base):
            found.setdefault(prediction_stem(base), name)
    return found


def folder_findings(layout: Layout, categories: set[str] | None) -> list[Diagnostic]:
    """Top-level folders that are not wnids of the track; their files are set aside."""
    diags: list[Diagnostic] = []
    for folder, count in layout.folders.items():
        known = folder in categories if categories else is_wnid(folder)
        if known:
            continue
        what = "a category of this track" if categories else "shaped like a wnid (n + 8 digits)"
        diags.append(
            Code.UNKNOWN_FOLDER.at(
                folder + "/",
                f"folder {folder!r} ({count} masks) is not {what}",
                "name each folder after the wnid folder of its source images",
            )
        )
        for key in [k for k in layout.predictions if k.startswith(folder + "/")]:
            layout.left_out.append(layout.predictions.pop(key))
    return diags
