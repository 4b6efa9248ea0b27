"""Which predictions a submission has against which it should have."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping

from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.core.diagnostics import Code, Diagnostic


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
                    f"move it to {right}.png; `submitkit fix` moves every misplaced prediction",
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
    for key in expected:
        stray = (elsewhere or {}).get(_stem(key))
        if key not in predictions and key not in covered and stray is not None:
            diags.append(
                Code.WRONG_FOLDER.at(
                    stray,
                    f"{stray} predicts {key}, which belongs in {key.split('/', 1)[0]}/",
                    f"move it to {key}.png; `submitkit fix` moves every misplaced prediction",
                )
            )
        elif key not in predictions and key not in covered:
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
