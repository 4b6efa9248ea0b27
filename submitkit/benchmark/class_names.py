"""Readable class names: the WordNet lemma of each ImageNet-1k wnid, shipped as data.

Reports show a name beside each wnid without the ImageNet devkit: the table in
``class_names.txt`` (written by ``scripts/make_class_names.py``, which says where
the facts come from) covers the 1,000 ImageNet-1k classes, so every class of
every ImageNet-S track. A synset list the user gives still takes precedence.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

TABLE = "class_names.txt"


@cache
def class_names() -> dict[str, str]:
    """wnid -> its first WordNet lemma (``n01440764`` -> ``tench``)."""
    text = resources.files(__package__ or "submitkit.benchmark").joinpath(TABLE).read_text("utf-8")
    names: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            wnid, _, lemmas = line.partition("\t")
            names[wnid] = lemmas.split(",")[0].strip()
    return names
