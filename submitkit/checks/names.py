"""Which predictions a submission has against which it should have."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping

from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.inputs.manifest import ManifestSources

MOSTLY = 0.9
"""Share of the predictions another list must hold for N006 to name it."""
COUNT_TOLERANCE = 0.1
"""How far a prediction count may stray from a split's size and still identify it."""


def _stem(key: str) -> str:
    return key.split("/", 1)[1]


def duplicate_findings(predictions: Mapping[str, str]) -> list[Diagnostic]:
    """The same image stem predicted in more than one wnid folder."""
    folders: dict[str, list[str]] = defaultdict(list)
    for key in predictions:
        folders[_stem(key)].append(key)
    diags = []
    for stem, keys in folders.items():
        if len(keys) > 1:
            paths = [predictions[k] for k in sorted(keys)]
            for path in paths:
                diags.append(
                    Code.DUPLICATE_STEM.at(
                        path,
                        f"{stem} is predicted {len(paths)} times: {', '.join(paths)}",
                        "keep only the copy in the wnid folder of the source image",
                    )
                )
    return diags


def name_findings(
    predictions: Mapping[str, str],
    misnamed: Collection[str],
    expected: Collection[str],
    elsewhere: Mapping[str, str] | None = None,
) -> list[Diagnostic]:
    """Missing, extra, duplicated and misplaced predictions against an expected list.

    ``predictions`` maps ``wnid/stem`` to the entry name; ``misnamed`` holds the
    keys already reported for a wrong extension, which are not reported missing
    again; ``expected`` holds the ``wnid/stem`` names of the split.
    ``elsewhere`` maps stems to prediction files outside any wnid folder (flat,
    nested, in a folder that is not a category): an image predicted there is
    misplaced, not missing.
    """
    diags = duplicate_findings(predictions)
    expected_set = set(expected)
    home = {_stem(key): key for key in expected_set}
    placed_elsewhere: set[str] = set()
    for key, path in predictions.items():
        if key in expected_set:
            continue
        right = home.get(_stem(key))
        if right is not None and right in predictions:
            continue  # a second copy beside the right one: DUPLICATE_STEM says it all
        if right is not None:
            placed_elsewhere.add(right)
            diags.append(
                Code.WRONG_FOLDER.at(
                    path,
                    f"{path} belongs in {right.split('/', 1)[0]}/: the split's list files this "
                    "image there (test images do not always sit in their ImageNet label's folder)",
                    f"move it to {right}.png; fix moves every misplaced prediction (the "
                    "command closes the report)",
                )
            )
        else:
            diags.append(
                Code.EXTRA_PREDICTION.at(
                    path,
                    f"{path} is not an image of this split",
                    "remove it; check that --track and --split are the ones you submit to",
                )
            )
    covered = placed_elsewhere | set(misnamed)
    missing = [key for key in expected if key not in predictions and key not in covered]
    return diags + _missing_findings(missing, elsewhere or {})


def _missing_findings(missing: list[str], elsewhere: Mapping[str, str]) -> list[Diagnostic]:
    """An expected image without its prediction: misplaced where a stray file predicts it."""
    diags: list[Diagnostic] = []
    for key in missing:
        stray = elsewhere.get(_stem(key))
        if stray is not None:
            diags.append(
                Code.WRONG_FOLDER.at(
                    stray,
                    f"{stray} predicts {key}, which belongs in {key.split('/', 1)[0]}/",
                    f"move it to {key}.png; fix moves every misplaced prediction (the "
                    "command closes the report)",
                )
            )
        else:
            diags.append(
                Code.MISSING_PREDICTION.at(
                    f"{key}.png",
                    f"no prediction for {key}",
                    "write a mask for every image of the split (all-zero if you must)",
                )
            )
    return diags


def count_findings(found: int, k: int, split: Split) -> list[Diagnostic]:
    """With no list of names, the count of predictions against the official table."""
    want = TRACKS[k].count(split)
    if found == want:
        return []
    return [
        Code.COUNT_MISMATCH.at(
            "",
            f"{found} predictions, but {TRACKS[k].name} {split.value} has {want} images",
            "give --toolbox (or --dataset) to find out which images are missing or extra",
        )
    ]


def _stems(names: Collection[str]) -> set[str]:
    return {name.split("/", 1)[-1] for name in names}


def _label(k: int, split: Split) -> str:
    return f"{TRACKS[k].name} {split.value}"


def best_other_list(
    stems: set[str],
    sources: ManifestSources,
    exclude: tuple[int, Split] | None,
    whole: bool = False,
) -> tuple[tuple[int, Split], int] | None:
    """The official list (other than ``exclude``) holding most of ``stems``, if it holds
    at least :data:`MOSTLY` of them (and, with ``whole``, they cover :data:`MOSTLY` of
    it); on equal hits the list closest in size."""
    best: tuple[tuple[int, Split], int, int] | None = None
    for pair in sources.candidates():
        if pair == exclude:
            continue
        listed = sources.names(*pair)
        hits = len(stems & _stems(listed))
        gap = abs(len(listed) - len(stems))
        enough = hits >= MOSTLY * len(stems) and (not whole or hits >= MOSTLY * len(listed))
        if enough and (best is None or (hits, -gap) > (best[1], -best[2])):
            best = (pair, hits, gap)
    return None if best is None else (best[0], best[1])


def other_split_finding(
    predictions: Collection[str],
    expected: Collection[str],
    target: tuple[int, Split],
    sources: ManifestSources,
) -> Diagnostic | None:
    """N006: the predictions are (mostly) the images of another split or track.

    Fires when fewer than half of the predictions belong to the split checked,
    or when they cover less than half of it and are another official list as a
    whole (the 50-track validation images checked as the 300 track's, whose list
    holds them); then one finding replaces a missing or extra finding per image.
    """
    stems = _stems(predictions)
    inside = len(stems & _stems(expected))
    if not stems or (inside >= len(stems) / 2 and inside >= len(expected) / 2):
        return None
    n, checking = len(stems), _label(*target)
    hint = "check against the split (and track) you mean to submit, or predict its images"
    other = best_other_list(stems, sources, target, whole=inside >= len(stems) / 2)
    if other is not None:
        (k, split), hits = other
        listed = len(sources.names(k, split))
        share = "" if hits == n else f" ({hits} of them)"
        return Code.OTHER_SPLIT.at(
            "",
            f"these {n} names are the {_label(k, split)} list{share} ({listed} images); "
            f"you are checking {checking}",
            f"{hint}: --track {k} --split {split.value}",
        )
    sizes = [
        (k, s)
        for k in TRACKS
        for s in Split
        if (k, s) != target and abs(n - TRACKS[k].count(s)) <= COUNT_TOLERANCE * TRACKS[k].count(s)
    ]
    if len(stems & _stems(expected)) == 0 and len(sizes) == 1:
        k, split = sizes[0]
        return Code.OTHER_SPLIT.at(
            "",
            f"none of these {n} predictions is an image of {checking}; {n} is the size of "
            f"{_label(k, split)}",
            f"{hint} (give --toolbox to compare the names with every official list)",
        )
    return None
