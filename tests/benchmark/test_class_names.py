"""Readable class names ship with submitkit: reports name every class without the devkit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from submitkit.benchmark.class_names import class_names
from submitkit.workflows.evaluate import synset_names

REPO = Path(__file__).resolve().parents[2]


def test_the_table_names_every_imagenet_1k_class_in_index_order() -> None:
    names = class_names()
    assert len(names) == 1000 and list(names) == sorted(names)
    assert names["n01440764"] == "tench" and names["n01443537"] == "goldfish"
    assert all(name and "\t" not in name and "," not in name for name in names.values())


def test_every_track_category_has_a_name(toolbox: Path) -> None:
    for k in (50, 300, 919):
        listed = toolbox / "data" / "categories" / f"ImageNetS_categories_im{k}.txt"
        wnids = listed.read_text().split()
        assert len(wnids) == k and all(class_names().get(w) for w in wnids)


def test_a_synset_list_given_overrides_the_shipped_names(tmp_path: Path) -> None:
    assert synset_names(tmp_path)["n01443537"] == "goldfish"
    given = tmp_path / "synsets.txt"
    given.write_text("n01443537 golden fish, Carassius auratus\nn10000000 made up\n")
    names = synset_names(tmp_path, given)
    assert names["n01443537"] == "golden fish" and names["n10000000"] == "made up"
    assert names["n01440764"] == "tench"


def test_the_table_is_package_data(tmp_path: Path) -> None:
    # A wheel must carry the table: pyproject names it as package data.
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"benchmark/class_names.txt"' in pyproject
    probe = "from submitkit.benchmark.class_names import class_names; print(len(class_names()))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert done.stdout.strip() == "1000"
