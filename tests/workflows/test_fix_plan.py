"""What `fix` decides before it writes, from names and arrays alone: no file is read.

The plan (``fix_plan``) places every entry of a submission held in memory; the
mask repair (``fix_masks``) turns one label map into the ids to write. Each
test asserts the exact repair (kind, path, target, detail, code).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from submitkit.benchmark.tracks import Split
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.errors import UsageError
from submitkit.inputs.config import RunContext
from submitkit.inputs.layout import read_layout
from submitkit.inputs.manifest import Manifest, manifest_from_names
from submitkit.inputs.png import LabelMap, PngFault
from submitkit.inputs.source import Entry, MemberRef, Source
from submitkit.workflows.fix_masks import (
    MaskJob,
    left_out,
    not_imagenet1k,
    repair_mask,
)
from submitkit.workflows.fix_plan import FixPlan, TextCopy, match_applied, plan_fix, refuse_options
from submitkit.workflows.fix_read import FixInput, FixOptions
from submitkit.workflows.fix_result import Change, ChangeKind
from submitkit.workflows.relabel import Relabel, match_relabel

FISH, SHARK = "n01440764", "n01443537"
STEM = "ILSVRC2012_val_00000293"
KIND = ChangeKind


def _read(
    *names: str, manifest: Manifest | None = None, diagnostics: list[Diagnostic] | None = None
) -> FixInput:
    """A submission of ``names`` held in memory, as fix's read stage would describe it."""
    source = Source(Path("sub"), "folder", [Entry(n, 100) for n in names], diagnostics or [])
    layout = read_layout(source)
    notes = {d.path: d for d in layout.diagnostics}
    return FixInput(Path("sub"), source, layout, None, manifest, notes, RunContext())


def _listing(*keys: str) -> Manifest:
    return manifest_from_names(50, Split.validation, keys, categories=[FISH, SHARK])


def _plan(*names: str, manifest: Manifest | None = None, **options: bool) -> FixPlan:
    return plan_fix(_read(*names, manifest=manifest), FixOptions(**options))  # type: ignore[arg-type]


def _job(key: str, name: str, expected: tuple[int, int] | None = None) -> MaskJob:
    return MaskJob(key, name, name, MemberRef("sub", name, False), expected)


# --- where each file goes -------------------------------------------------------------


def test_a_mask_in_another_wnid_folder_is_moved_where_the_list_puts_it() -> None:
    plan = _plan(f"{FISH}/{STEM}.png", "method.txt", manifest=_listing(f"{SHARK}/{STEM}"))
    assert [(j.key, j.name) for j in plan.masks] == [(f"{SHARK}/{STEM}", f"{FISH}/{STEM}.png")]
    assert plan.first == [
        Change(
            kind=KIND.moved_wnid,
            path=f"{FISH}/{STEM}.png",
            target=f"{SHARK}/{STEM}.png",
            detail=f"-> {SHARK}/{STEM}.png",
        )
    ]
    assert plan.texts == [TextCopy("method.txt", "method.txt", "method.txt")]
    assert plan.last == []


def test_a_flat_mask_goes_into_its_wnid_folder() -> None:
    plan = _plan(f"{STEM}.png", manifest=_listing(f"{SHARK}/{STEM}"))
    assert plan.masks[0].key == f"{SHARK}/{STEM}"
    assert [(c.kind, c.path, c.target) for c in plan.first] == [
        (KIND.moved_flat, f"{STEM}.png", f"{SHARK}/{STEM}.png")
    ]


def test_a_mask_in_place_makes_no_change_and_carries_its_size() -> None:
    listing = manifest_from_names(
        50, Split.validation, [f"{SHARK}/{STEM}"], sizes={f"{SHARK}/{STEM}": (375, 500)}
    )
    plan = _plan(f"{SHARK}/{STEM}.png", manifest=listing)
    assert plan.first == [] and plan.last == []
    assert plan.masks[0].expected == (375, 500)


def test_an_enclosing_folder_is_flattened_and_junk_dropped() -> None:
    plan = _plan("sub/.DS_Store", f"sub/{SHARK}/{STEM}.png", "sub/method.txt")
    assert plan.first == [
        Change(
            kind=KIND.flattened, path="sub/", detail="the contents of 'sub/' now sit at the root"
        )
    ]
    assert [(j.key, j.name, j.shown) for j in plan.masks] == [
        (f"{SHARK}/{STEM}", f"{SHARK}/{STEM}.png", f"sub/{SHARK}/{STEM}.png")
    ]
    assert plan.texts == [TextCopy("method.txt", "method.txt", "sub/method.txt")]
    assert plan.last == [
        Change(
            kind=KIND.dropped,
            path="sub/.DS_Store",
            detail="operating-system or editor junk",
            code=Code.JUNK_FILE,
        )
    ]


def test_without_a_list_the_well_named_copy_wins_over_a_misnamed_one() -> None:
    plan = _plan(f"{SHARK}/{STEM}.png", f"{SHARK}/{STEM}.PNG")
    assert [j.name for j in plan.masks] == [f"{SHARK}/{STEM}.png"]
    assert plan.last == [
        Change(
            kind=KIND.dropped,
            path=f"{SHARK}/{STEM}.PNG",
            detail=f"a second copy of {SHARK}/{STEM}.png, which was kept",
            code=Code.BAD_EXTENSION,
        )
    ]


def test_a_misnamed_mask_alone_is_written_under_its_own_name() -> None:
    plan = _plan(f"{SHARK}/{STEM}.PNG")
    assert [(j.key, j.name, j.target) for j in plan.masks] == [
        (f"{SHARK}/{STEM}", f"{SHARK}/{STEM}.PNG", f"{SHARK}/{STEM}.png")
    ]
    assert plan.last == []


def test_drop_extra_sets_aside_an_image_not_in_the_split() -> None:
    other = "ILSVRC2012_val_00000001"
    names = (f"{SHARK}/{STEM}.png", f"{SHARK}/{other}.png")
    listing = _listing(f"{SHARK}/{STEM}")
    kept = _plan(*names, manifest=listing)
    assert [j.name for j in kept.masks] == sorted(names)
    dropped = _plan(*names, manifest=listing, drop_extra=True)
    assert [j.name for j in dropped.masks] == [f"{SHARK}/{STEM}.png"]
    assert dropped.first == [
        Change(
            kind=KIND.extra_dropped,
            path=f"{SHARK}/{other}.png",
            detail="not an image of this split",
            code=Code.EXTRA_PREDICTION,
        )
    ]


def test_a_misnamed_method_file_is_carried_over_under_its_official_name() -> None:
    plan = _plan(f"{SHARK}/{STEM}.png", "Method.txt")
    assert plan.texts == [TextCopy("Method.txt", "method.txt", "Method.txt")]
    assert plan.last == []


def test_apply_match_bakes_match_json_in_instead_of_copying_it() -> None:
    names = (f"{SHARK}/{STEM}.png", "method.txt", "match.json")
    assert [t.final for t in _plan(*names).texts] == ["method.txt", "match.json"]
    plan = _plan(*names, apply_match=True)
    assert [t.final for t in plan.texts] == ["method.txt"]
    assert plan.baked_match == "match.json"
    assert match_applied(plan, 3) == [
        Change(
            kind=KIND.match_applied,
            path="match.json",
            detail="the ids of 3 masks were mapped through it and it was dropped; "
            "boundary scores (mBIoU) now use the mapped ids",
        )
    ]
    assert match_applied(_plan(*names), 3) == []


def test_a_stray_file_is_dropped_with_the_layouts_finding() -> None:
    plan = _plan(f"{SHARK}/{STEM}.png", f"{SHARK}/notes.txt")
    assert plan.last == [
        Change(
            kind=KIND.dropped,
            path=f"{SHARK}/notes.txt",
            detail=f"{SHARK}/notes.txt is not a prediction",
            code=Code.STRAY_FILE,
        )
    ]


def test_a_duplicated_zip_member_is_dropped_saying_which_copy_was_kept() -> None:
    duplicate = Code.ZIP_DUPLICATE_ENTRY.at("method.txt", "method.txt is stored twice", "")
    read = _read(f"{SHARK}/{STEM}.png", diagnostics=[duplicate])
    assert plan_fix(read, FixOptions()).last == [
        Change(
            kind=KIND.dropped,
            path="method.txt",
            detail="method.txt is stored twice; one copy (the one Python's zipfile reads) was kept",
            code=Code.ZIP_DUPLICATE_ENTRY,
        )
    ]


def test_options_that_need_the_list_or_each_other_are_refused() -> None:
    with pytest.raises(UsageError, match="--drop-extra needs the split's list of images"):
        refuse_options(FixOptions(drop_extra=True), has_list=False)
    with pytest.raises(UsageError, match="--from imagenet1k needs the split's list of images"):
        refuse_options(FixOptions(from_labels="imagenet1k"), has_list=False)
    with pytest.raises(UsageError, match="--apply-match and --from imagenet1k both relabel"):
        refuse_options(FixOptions(apply_match=True, from_labels="imagenet1k"), has_list=True)
    refuse_options(FixOptions(drop_extra=True), has_list=True)


# --- what each mask becomes -------------------------------------------------------------


def test_an_rgb_mask_in_place_is_copied_as_it_is() -> None:
    ids = np.array([[0, 1], [2, 3]], dtype=np.int32)
    fixed = repair_mask(_job(f"{SHARK}/{STEM}", f"{SHARK}/{STEM}.png"), LabelMap(ids, None), None)
    assert fixed.changes == [] and not fixed.rewrite
    assert fixed.counts is None
    np.testing.assert_array_equal(fixed.ids, ids)


def test_a_grayscale_mask_is_encoded_anew_with_its_ids() -> None:
    ids = np.array([[0, 7], [7, 300]], dtype=np.int64)
    job = _job(f"{SHARK}/{STEM}", f"{SHARK}/{STEM}.png")
    fixed = repair_mask(job, LabelMap(ids, "grayscale", "16-bit grayscale PNG"), None)
    assert fixed.changes == [
        Change(
            kind=KIND.grayscale,
            path=f"{SHARK}/{STEM}.png",
            target=f"{SHARK}/{STEM}.png",
            detail="16-bit grayscale PNG",
        )
    ]
    assert fixed.rewrite
    np.testing.assert_array_equal(fixed.ids, ids)


def test_a_misnamed_npy_mask_is_renamed_and_written_as_png() -> None:
    ids = np.zeros((2, 2), dtype=np.int64)
    job = _job(f"{SHARK}/{STEM}", f"{SHARK}/{STEM}.npy")
    fixed = repair_mask(job, LabelMap(ids, "npy", "int64 array"), None)
    assert [(c.kind, c.detail) for c in fixed.changes] == [
        (KIND.renamed, f"{SHARK}/{STEM}.npy -> {SHARK}/{STEM}.png"),
        (KIND.npy, "int64 array"),
    ]
    assert fixed.rewrite


def test_a_mapped_mask_takes_the_tables_ids() -> None:
    ids = np.array([[0, 1], [1, 2]], dtype=np.int32)
    job = _job(f"{SHARK}/{STEM}", f"{SHARK}/{STEM}.png")
    fixed = repair_mask(job, LabelMap(ids, None), match_relabel({0: 0, 1: 5, 2: 9}))
    np.testing.assert_array_equal(fixed.ids, [[0, 5], [5, 9]])
    assert fixed.rewrite and fixed.changes == []


def test_an_unmapped_id_leaves_the_mask_out_with_the_match_code() -> None:
    ids = np.array([[0, 1], [2, 4]], dtype=np.int32)
    job = _job(f"{SHARK}/{STEM}", f"{SHARK}/{STEM}.png")
    with pytest.raises(PngFault) as raised:
        repair_mask(job, LabelMap(ids, None), match_relabel({0: 0, 1: 5}))
    assert raised.value.code is Code.MATCH_UNMAPPED_ID
    assert raised.value.message == "uses ids match.json has no key for (2, 4)"
    assert left_out(job, raised.value) == Change(
        kind=KIND.left_out,
        path=f"{SHARK}/{STEM}.png",
        detail="uses ids match.json has no key for (2, 4)",
        code=Code.MATCH_UNMAPPED_ID,
    )


def test_a_mask_with_swapped_axes_is_transposed_not_resized() -> None:
    ids = np.arange(24, dtype=np.int32).reshape(4, 6)
    job = _job(f"{SHARK}/{STEM}", f"{SHARK}/{STEM}.png", expected=(6, 4))
    fixed = repair_mask(job, LabelMap(ids, None), None)
    assert [(c.kind, c.detail) for c in fixed.changes] == [
        (KIND.transposed, "6\u00d74 -> 4\u00d76 (axes swapped; transposed, no pixel altered)")
    ]
    np.testing.assert_array_equal(fixed.ids, ids.T)
    assert fixed.rewrite


def test_a_small_mask_is_resized_nearest_neighbour() -> None:
    ids = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    job = _job(f"{SHARK}/{STEM}", f"{SHARK}/{STEM}.png", expected=(4, 6))
    fixed = repair_mask(job, LabelMap(ids, None), None)
    assert [(c.kind, c.detail) for c in fixed.changes] == [
        (KIND.resized, "3\u00d72 -> 6\u00d74 (scale 2.000, nearest-neighbour)")
    ]
    np.testing.assert_array_equal(fixed.ids, np.repeat(np.repeat(ids, 2, axis=0), 2, axis=1))


def test_masks_already_on_the_tracks_ids_raise_the_imagenet1k_doubt() -> None:
    table = np.arange(1001, dtype=np.int32)
    relabel = Relabel(table, Code.ID_OUT_OF_RANGE, "above 1000", count=True)
    own = np.zeros(1001, dtype=np.int64)
    own[1:51] = 10
    doubt = not_imagenet1k(own, relabel, Path("out"), 50)
    assert doubt is not None and doubt.code is Code.ID_OUT_OF_RANGE
    assert doubt.message.startswith("100.0% of the labelled pixels held ids 1..50")
    spread = np.zeros(1001, dtype=np.int64)
    spread[1:1001] = 10
    assert not_imagenet1k(spread, relabel, Path("out"), 50) is None
