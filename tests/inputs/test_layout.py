from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from submitkit.core.diagnostics import Code
from submitkit.inputs.layout import folder_findings, is_junk, read_layout
from submitkit.inputs.source import open_source
from tests.conftest import png_bytes, write_tree, write_zip

MASK = png_bytes(np.zeros((3, 4), dtype=np.int32))


def layout_of(root: Path):  # type: ignore[no-untyped-def]
    return read_layout(open_source(root))


def codes(layout) -> list[Code]:  # type: ignore[no-untyped-def]
    return [d.code for d in layout.diagnostics]


def test_clean_layout(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"n01443537/a.png": MASK, "n01443537/b.png": MASK, "method.txt": "x", "match.json": "{}"},
    )
    layout = layout_of(tmp_path)
    assert codes(layout) == []
    assert layout.predictions == {
        "n01443537/a": "n01443537/a.png",
        "n01443537/b": "n01443537/b.png",
    }
    assert layout.method == "method.txt" and layout.match == "match.json"
    assert layout.shipped == ["match.json", "method.txt", "n01443537/a.png", "n01443537/b.png"]


def test_enclosing_folder_in_zip_is_looked_through(tmp_path: Path) -> None:
    zpath = write_zip(
        tmp_path / "s.zip",
        {"results/n01443537/a.png": MASK, "results/method.txt": "x", "__MACOSX/._a.png": "j"},
    )
    layout = layout_of(zpath)
    assert Code.ENCLOSING_FOLDER in codes(layout)
    enclosing = next(d for d in layout.diagnostics if d.code is Code.ENCLOSING_FOLDER)
    assert enclosing.path == "results/"
    assert layout.predictions == {"n01443537/a": "n01443537/a.png"}
    assert layout.source.read("n01443537/a.png") == MASK
    assert Code.JUNK_FILE in codes(layout)


def test_the_layout_makes_each_prediction_record_once(tmp_path: Path) -> None:
    """One record a prediction (key, ground-truth file, shown path, expected size), the one
    the check judges and the scoring pass reads; an image without one reads as missing."""
    zpath = write_zip(tmp_path / "s.zip", {"results/n01443537/a.png": MASK})
    layout = layout_of(zpath)
    found = layout.prediction("n01443537/a", (3, 4))
    assert (found.key, found.truth) == ("n01443537/a", "n01443537/a.png")
    assert (found.path, found.expected_size) == ("results/n01443537/a.png", (3, 4))
    with found.ref.open() as handle:
        assert handle.read() == MASK
    absent = layout.prediction("n01443537/b", (3, 4))
    assert (absent.key, absent.truth, absent.path) == ("n01443537/b",) + ("n01443537/b.png",) * 2
    assert absent.expected_size is None
    with pytest.raises(KeyError):
        absent.ref.open().__enter__()
    # Slots, no per-instance dict: the scoring pass pickles thousands to its workers.
    assert not hasattr(found, "__dict__")
    assert pickle.loads(pickle.dumps(found)) == found


def test_two_enclosing_levels(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a/b/n01443537/x.png": MASK, "a/b/method.txt": "m"})
    layout = layout_of(tmp_path)
    assert layout.enclosing == "a/b/"
    assert layout.method == "method.txt"


def test_findings_inside_an_enclosing_folder_name_the_file_as_it_is_stored(
    tmp_path: Path,
) -> None:
    zpath = write_zip(
        tmp_path / "s.zip",
        {"My Sub/n01443537/a.png": MASK, "My Sub/README.md": "x", "My Sub/n01443537/b.npy": "x"},
    )
    found = {d.code: d.path for d in layout_of(zpath).diagnostics}
    assert found == {
        Code.ENCLOSING_FOLDER: "My Sub/",
        Code.STRAY_FILE: "My Sub/README.md",
        Code.BAD_EXTENSION: "My Sub/n01443537/b.npy",
    }


def test_wnid_folder_alone_is_not_enclosing(tmp_path: Path) -> None:
    write_tree(tmp_path, {"n01443537/x.png": MASK})
    assert layout_of(tmp_path).enclosing == ""


def test_bad_extensions(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "n01443537/a.PNG": MASK,
            "n01443537/b.png.png": MASK,
            "n01443537/c.jpg": b"x",
            "n01443537/d": MASK,
            "n01443537/notes.txt": "x",
        },
    )
    layout = layout_of(tmp_path)
    bad = sorted(d.path for d in layout.diagnostics if d.code is Code.BAD_EXTENSION)
    assert bad == ["n01443537/a.PNG", "n01443537/b.png.png", "n01443537/c.jpg", "n01443537/d"]
    assert set(layout.misnamed) == {"n01443537/a", "n01443537/b", "n01443537/c", "n01443537/d"}
    assert [d.path for d in layout.diagnostics if d.code is Code.STRAY_FILE] == [
        "n01443537/notes.txt"
    ]
    assert layout.predictions == {}


def test_misnamed_text_files(tmp_path: Path) -> None:
    write_tree(tmp_path, {"n01443537/a.png": MASK, "method.txt.txt": "m", "Match.json": "{}"})
    layout = layout_of(tmp_path)
    assert Code.METHOD_MISNAMED in codes(layout) and Code.MATCH_MISNAMED in codes(layout)
    assert layout.method == "method.txt.txt"
    assert "method.txt.txt" not in layout.shipped


def test_nested_and_stray(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {"n01443537/a.png": MASK, "n01443537/sub/b.png": MASK, "README.txt": "hi", "c.png": MASK},
    )
    layout = layout_of(tmp_path)
    assert [d.path for d in layout.diagnostics if d.code is Code.NESTED_FILE] == [
        "n01443537/sub/b.png"
    ]
    assert sorted(d.path for d in layout.diagnostics if d.code is Code.STRAY_FILE) == [
        "README.txt",
        "c.png",
    ]


def test_junk_detection() -> None:
    assert is_junk(".DS_Store") and is_junk("n01443537/.DS_Store") and is_junk("__MACOSX/x")
    assert is_junk("Thumbs.db") and is_junk("method.txt~") and is_junk("n01/.a.png.swp")
    assert not is_junk("n01443537/a.png") and not is_junk("method.txt")


def test_unknown_folders(tmp_path: Path) -> None:
    write_tree(tmp_path, {"n01443537/a.png": MASK, "dog/b.png": MASK, "n99999999/c.png": MASK})
    layout = layout_of(tmp_path)
    found = folder_findings(layout, None)
    assert [(d.code, d.path) for d in found] == [(Code.UNKNOWN_FOLDER, "dog/")]
    assert "dog/b" not in layout.predictions
    layout = layout_of(tmp_path)
    found = folder_findings(layout, {"n01443537"})
    assert sorted(d.path for d in found) == ["dog/", "n99999999/"]
    assert list(layout.predictions) == ["n01443537/a"]
