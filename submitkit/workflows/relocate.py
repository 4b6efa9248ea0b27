"""Where each prediction belongs: found by its stem in the split's list, wherever it sits.

Stems (``ILSVRC2012_val_00047396``) are unique across the ILSVRC validation
images that both ImageNet-S splits are drawn from, so a file's stem alone says
which image it predicts and, through the split's list, which wnid folder it
belongs in. For the test split that folder is the second column of
``ImageNetS_im{K}_mapping_test.txt``, which is not always the image's ImageNet
label folder: a pipeline that writes predictions under the label puts thousands
of them in the wrong folder. This module only plans; ``fix`` reads and writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from enum import Enum

from submitkit.inputs.layout import (
    MASK_SUFFIX,
    Layout,
    is_junk,
    is_wnid,
    looks_like_prediction,
    prediction_stem,
)


class Where(str, Enum):
    """Where a prediction was found, when that is not its folder."""

    home = "home"
    """Already in its wnid folder (perhaps under a wrong extension)."""
    other_wnid = "other_wnid"
    """In another wnid folder (often the image's ImageNet label folder)."""
    flat = "flat"
    """At the root, in no folder at all."""
    nested = "nested"
    """Deeper than ``<wnid>/<file>``, or in a folder that is not a wnid."""


@dataclass(frozen=True)
class Move:
    """One prediction to write: the entry it is read from and the image it predicts."""

    name: str
    """Entry name, relative to the submission root (enclosing folders looked through)."""
    key: str
    """``wnid/stem`` of the image, where it is written."""
    where: Where


class Why(str, Enum):
    """Why a prediction-like entry is not written."""

    copy = "copy"
    """A second copy of an image whose other copy is written."""
    ambiguous = "ambiguous"
    """One of several copies of an image, none in place: which is meant cannot be told."""
    extra = "extra"
    """Not an image of the split (``--drop-extra``)."""


@dataclass(frozen=True)
class Setaside:
    """An entry that holds a prediction but is not written, and why."""

    name: str
    why: Why
    detail: str


@dataclass
class Placement:
    """The plan: what is written where, and what is set aside."""

    moves: list[Move] = field(default_factory=list)
    setaside: list[Setaside] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    """Entries predicting images that are not in the split, kept or set aside."""

    @property
    def consumed(self) -> set[str]:
        """Every entry this plan accounts for."""
        return {m.name for m in self.moves} | {s.name for s in self.setaside}


def where_found(name: str, key: str) -> Where:
    """How far ``name`` is from ``key``'s folder."""
    parts = name.split("/")
    if len(parts) == 1:
        return Where.flat
    if len(parts) == 2 and parts[0] == key.split("/", 1)[0]:
        return Where.home
    if len(parts) == 2 and is_wnid(parts[0]):
        return Where.other_wnid
    return Where.nested


def place(layout: Layout, expected: Collection[str], *, drop_extra: bool) -> Placement:
    """Plan every prediction-like entry of ``layout`` against the ``wnid/stem`` list.

    A file whose stem is an image of the split goes to that image's folder,
    wherever it was. Of several copies of one image, the one already in place
    wins; if none is, and they cannot be told apart by name, all are set aside
    (choosing one would be a guess). Files predicting other images are extras:
    ``drop_extra`` sets them all aside; otherwise a well-placed extra is written
    as it is (the check on the copy then reports it) and the rest stay with
    the layout's own findings.
    """
    home = {key.split("/", 1)[1]: key for key in expected}
    groups: dict[str, list[str]] = defaultdict(list)
    plan = Placement()
    skip = {layout.method, layout.match}
    for entry in layout.source.entries:
        name = entry.name
        if name in skip or is_junk(name):
            continue
        base = name.rpartition("/")[2]
        key = home.get(prediction_stem(base))
        if key is not None:
            groups[key].append(name)
        elif looks_like_prediction(base):
            plan.extras.append(name)
    for key in sorted(groups):
        _choose(key, sorted(groups[key]), plan, layout.source.read)
    _extras(layout, plan, drop_extra)
    return plan


def _choose(key: str, names: list[str], plan: Placement, read: Callable[[str], bytes]) -> None:
    exact = key + MASK_SUFFIX
    if exact in names:
        pool = [exact]
    else:
        at_home = [n for n in names if where_found(n, key) is Where.home]
        pngs = [n for n in names if n.endswith(MASK_SUFFIX)]
        pool = at_home or pngs or names
    if len(pool) > 1 and not _same_bytes(pool, read):
        listed = ", ".join(pool)
        folder, stem = key.split("/", 1)
        where = f"in {folder}/" if pool == at_home else f"outside {folder}/"
        detail = (
            f"{stem} is predicted {len(pool)} times {where} ({listed}), by different "
            "files: which copy is meant cannot be told"
        )
        plan.setaside += [Setaside(name, Why.ambiguous, detail) for name in names]
        return
    # One candidate, or identical copies of one file: keeping the first is no guess.
    kept = pool[0]
    plan.moves.append(Move(kept, key, where_found(kept, key)))
    for name in names:
        if name != kept:
            plan.setaside.append(
                Setaside(name, Why.copy, f"a second copy of {key}, kept from {kept}")
            )


def _same_bytes(names: list[str], read: Callable[[str], bytes]) -> bool:
    """Whether every file holds the same bytes (an unreadable one never does)."""
    try:
        first = read(names[0])
        return all(read(name) == first for name in names[1:])
    except Exception:
        # Unreadable copies are told apart later, as findings of their own.
        return False


def _extras(layout: Layout, plan: Placement, drop_extra: bool) -> None:
    placed = {name: key for key, name in layout.predictions.items()}
    # A correctly named copy wins over a misnamed one of the same image.
    placed.update({n: k for k, n in layout.misnamed.items() if k not in layout.predictions})
    for name in plan.extras:
        if drop_extra:
            plan.setaside.append(Setaside(name, Why.extra, "not an image of this split"))
        elif name in placed:
            plan.moves.append(Move(name, placed[name], Where.home))
    plan.moves.sort(key=lambda m: m.key)
