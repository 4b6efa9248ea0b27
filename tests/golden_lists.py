"""The lists a golden case implies: its manifest, with the category wnids the case was made from.

The golden cases' wnids are made up: ``n10000000`` and every 7919th number
after it, class id ``i`` being the ``i``-th of them (the fixture's README). Their
dataset copies hold folders for only some classes, so the class of a folder can
be told only from this list, as from the official one for real data.
"""

from __future__ import annotations

import json
from pathlib import Path

from submitkit.benchmark.tracks import Split
from submitkit.inputs.manifest import manifest_from_names

GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def golden_categories(k: int) -> list[str]:
    return [f"n{10000000 + 7919 * i:08d}" for i in range(k)]


def golden_manifest(case: str, folder: Path) -> Path:
    """The case's manifest (names, sizes, categories), written into ``folder``."""
    k = 919 if "919" in case else 50
    sizes = json.loads((GOLDEN / case / "sizes.json").read_text(encoding="utf-8"))
    listed = manifest_from_names(
        k,
        Split.validation,
        sorted(sizes),
        {name: (h, w) for name, (h, w) in sizes.items()},
        golden_categories(k),
        source=f"golden:{case}",
    )
    path = folder / f"{case}-manifest.json"
    listed.save(path)
    return path
