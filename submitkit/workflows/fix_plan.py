"""Which file of a submission goes where in the repaired copy, decided before any is written.

A pure function of what ``fix_read`` learnt (the layout, the split's list,
the layout's findings per file) and the options: the masks to write and
where (see ``relocate``), the enclosing folder flattened, the copies and
extras set aside, method.txt and match.json carried over (or match.json
baked in), and why every other file has no place in the copy. Nothing is
read here beyond names (``relocate`` compares the bytes of rival copies of
one image); ``fix_write`` carries the plan out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.errors import UsageError
from submitkit.inputs.layout import MASK_SUFFIX, MATCH_FILE, METHOD_FILE, Layout, is_junk
from submitkit.inputs.manifest import ImageSize
from submitkit.workflows.fix_masks import MaskJob
from submitkit.workflows.fix_read import FixInput, FixOptions
from submitkit.workflows.fix_result import Change, ChangeKind
from submitkit.workflows.relocate import Setaside, Where, Why, place

_PREDICTION_SUFFIXES = (".png", ".jpg", ".jpeg", ".npy", ".bmp", ".tif", ".tiff", ".gif", ".webp")
_KEPT = "; one copy (the one Python's zipfile reads) was kept"

_MOVED = {
    Where.other_wnid: ChangeKind.moved_wnid,
    Where.flat: ChangeKind.moved_flat,
    Where.nested: ChangeKind.moved_nested,
}


@dataclass(frozen=True)
class TextCopy:
    """method.txt or match.json carried into the copy under its official name."""

    name: str
    """Entry name in the (flattened) source."""
    final: str
    """``method.txt`` or ``match.json``."""
    shown: str
    """Path as the summary shows it (enclosing folder included)."""


@dataclass
class FixPlan:
    """Every file of the submission accounted for, in the order the changes are listed."""

    masks: list[MaskJob] = field(default_factory=list)
    """The predictions to write, by image."""
    first: list[Change] = field(default_factory=list)
    """The folder flattened, the moves and the set-asides: listed before the masks' changes."""
    texts: list[TextCopy] = field(default_factory=list)
    """method.txt and match.json copied (renamed to their official names)."""
    baked_match: str | None = None
    """match.json applied to the masks and dropped (``--apply-match``): its shown path."""
    last: list[Change] = field(default_factory=list)
    """Every other file: why it has no place in the copy. Listed last."""


def refuse_options(options: FixOptions, has_list: bool) -> None:
    """A usage error for options that cannot be carried out (nothing is written then)."""
    if (options.drop_extra or options.from_labels) and not has_list:
        flag = "--drop-extra" if options.drop_extra else f"--from {options.from_labels}"
        raise UsageError(
            f"{flag} needs the split's list of images",
            "give --toolbox DIR (the official toolbox), --manifest FILE or --dataset DIR",
        )
    if options.apply_match and options.from_labels:
        raise UsageError(
            f"--apply-match and --from {options.from_labels} both relabel the masks",
            "give only one of them",
        )


def plan_fix(read: FixInput, options: FixOptions) -> FixPlan:
    """Where every file of the submission goes in the copy, or why it does not."""
    layout = read.layout
    plan = FixPlan()
    if layout.enclosing:
        detail = f"the contents of {layout.enclosing!r} now sit at the root"
        plan.first.append(Change(kind=ChangeKind.flattened, path=layout.enclosing, detail=detail))
    expected = read.manifest.images if read.manifest is not None else None
    plan.masks, moves, consumed = _place(layout, expected, options.drop_extra)
    plan.first += moves
    used = {layout.source.prefix + name for name in consumed}
    for name, final in ((layout.method, METHOD_FILE), (layout.match, MATCH_FILE)):
        if name is None:
            continue
        used.add(layout.source.prefix + name)
        if final == MATCH_FILE and options.apply_match:
            plan.baked_match = layout.enclosing + name
        else:
            plan.texts.append(TextCopy(name, final, layout.enclosing + name))
    unused = [entry.name for entry in read.source.entries if entry.name not in used]
    plan.last += [_unshipped(name, layout, read.notes) for name in unused]
    # Unsafe or duplicated zip members never reached the listing; say what became of them.
    plan.last += [_unlisted(diag) for diag in read.source.diagnostics]
    return plan


def _place(
    layout: Layout, expected: Mapping[str, ImageSize | None] | None, drop_extra: bool
) -> tuple[list[MaskJob], list[Change], set[str]]:
    """The masks to write, the moves and set-asides, and every entry accounted for.

    Without a list of the split's images, each well-named prediction stays where
    it is (a correctly named copy wins over a misnamed one of the same image).
    With one, each goes where the list puts its stem (see ``relocate``).
    """
    shown = layout.enclosing
    if expected is None:
        chosen = dict(layout.predictions)
        for key, name in layout.misnamed.items():
            chosen.setdefault(key, name)
        masks = [
            MaskJob(k, n, shown + n, layout.source.ref(n), None) for k, n in sorted(chosen.items())
        ]
        return masks, [], set(chosen.values())
    placement = place(layout, expected, drop_extra=drop_extra)
    masks, changes = [], []
    for move in placement.moves:
        target = move.key + MASK_SUFFIX
        if move.where in _MOVED:
            kind, path = _MOVED[move.where], shown + move.name
            changes.append(Change(kind=kind, path=path, target=target, detail=f"-> {target}"))
        ref = layout.source.ref(move.name)
        masks.append(MaskJob(move.key, move.name, shown + move.name, ref, expected.get(move.key)))
    changes += [_setaside_change(aside, shown) for aside in placement.setaside]
    return masks, changes, placement.consumed


def _setaside_change(aside: Setaside, shown: str) -> Change:
    if aside.why is Why.extra:
        kind, code = ChangeKind.extra_dropped, Code.EXTRA_PREDICTION
    elif aside.why is Why.copy:
        kind, code = ChangeKind.dropped, Code.DUPLICATE_STEM
    else:
        kind, code = ChangeKind.left_out, Code.DUPLICATE_STEM
    return Change(kind=kind, path=shown + aside.name, detail=aside.detail, code=code)


def _unshipped(name: str, layout: Layout, notes: Mapping[str, Diagnostic]) -> Change:
    """Why an input file has no place in the output."""
    if is_junk(name):
        detail = "operating-system or editor junk"
        return Change(kind=ChangeKind.dropped, path=name, detail=detail, code=Code.JUNK_FILE)
    prefix = layout.source.prefix
    inner = name[len(prefix) :] if name.startswith(prefix) else name
    # Layout findings name the file as the user sees it; folder findings, inside the layout.
    diag = notes.get(name) or notes.get(inner) or notes.get(inner.split("/", 1)[0] + "/")
    kept = next((layout.predictions.get(k) for k, n in layout.misnamed.items() if n == inner), None)
    if kept is not None:
        detail = f"a second copy of {kept}, which was kept"
        return Change(kind=ChangeKind.dropped, path=name, detail=detail, code=Code.BAD_EXTENSION)
    code = diag.code if diag else None
    if inner.lower().endswith(_PREDICTION_SUFFIXES):
        detail = diag.message if diag else "a prediction outside <wnid>/<stem>.png"
        return Change(kind=ChangeKind.left_out, path=name, detail=detail, code=code)
    detail = diag.message if diag else "not part of a submission"
    return Change(kind=ChangeKind.dropped, path=name, detail=detail, code=code)


def _unlisted(diag: Diagnostic) -> Change:
    """An unsafe or duplicated zip member, dropped from the copy."""
    detail = diag.message + (_KEPT if diag.code is Code.ZIP_DUPLICATE_ENTRY else "")
    return Change(kind=ChangeKind.dropped, path=diag.path, detail=detail, code=diag.code)


def match_applied(plan: FixPlan, masks: int) -> list[Change]:
    """match.json baked into ``masks`` masks and dropped, when ``--apply-match`` asked it."""
    if plan.baked_match is None:
        return []
    detail = (
        f"the ids of {masks} masks were mapped through it and "
        "it was dropped; boundary scores (mBIoU) now use the mapped ids"
    )
    return [Change(kind=ChangeKind.match_applied, path=plan.baked_match, detail=detail)]
