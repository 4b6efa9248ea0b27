"""The ImageNet-1k class order: ``LOC_synset_mapping.txt``, read and validated.

Each line is ``<wnid> <names>``; line i (0-based) is ImageNet-1k class index
i. The file ships with the ImageNet (Kaggle ILSVRC) download, usually beside
the dataset, so a dataset copy is searched for it when no path is given. A
wrong list would silently relabel every pixel, so anything but 1,000 distinct
wnids that include every class of the track is refused.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from submitkit.benchmark.imagenet1k import CLASSES
from submitkit.core.errors import UsageError
from submitkit.inputs.layout import is_wnid

SYNSET_FILE = "LOC_synset_mapping.txt"
_HINT = (
    "give --synsets LOC_synset_mapping.txt (from the ImageNet download: 1,000 lines "
    "'<wnid> <names>' in sorted-wnid order)"
)


def find_synsets(dataset: Path | None) -> Path | None:
    """``LOC_synset_mapping.txt`` in a dataset copy, its track folders or its parent."""
    if dataset is None:
        return None
    places = [dataset, dataset.parent, *sorted(dataset.glob("ImageNetS*"))]
    return next((p / SYNSET_FILE for p in places if (p / SYNSET_FILE).is_file()), None)


def read_synsets(path: Path | None, categories: Collection[str]) -> list[str]:
    """The 1,000 wnids in ImageNet-1k index order; ``UsageError`` if unusable."""
    if path is None:
        raise UsageError(
            f"--from imagenet1k needs the ImageNet-1k class order ({SYNSET_FILE})", _HINT
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"cannot read {path}: {why}", _HINT) from exc
    lines = [line.split() for line in text.splitlines() if line.strip()]
    wnids = [fields[0] for fields in lines]
    bad = next((i for i, w in enumerate(wnids) if not is_wnid(w)), None)
    if bad is not None:
        raise UsageError(f"{path} line {bad + 1} does not start with a wnid: {wnids[bad]!r}", _HINT)
    if len(wnids) != CLASSES or len(set(wnids)) != CLASSES:
        raise UsageError(
            f"{path} lists {len(set(wnids))} distinct wnids in {len(wnids)} lines, "
            f"not the {CLASSES} ImageNet-1k classes",
            _HINT,
        )
    lacking = sorted(set(categories) - set(wnids))
    if lacking:
        raise UsageError(
            f"{path} lacks {len(lacking)} classes of the track (e.g. {', '.join(lacking[:3])}): "
            "it is not the ImageNet-1k class list",
            _HINT,
        )
    return wnids
