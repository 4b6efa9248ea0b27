"""N006: predictions of another split or track give one finding, not thousands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from submitkit.benchmark.tracks import TRACKS, Split
from submitkit.inputs.manifest import ManifestSources
from tests.conftest import invoke_cli

pytestmark = pytest.mark.official


def _tiny_tree(root: Path, names: list[str], suffix: str, fmt: str) -> Path:
    image = Image.fromarray(np.zeros((4, 4, 3), np.uint8))
    for name in names:
        path = root / f"{name}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path, format=fmt)
    return root


@pytest.fixture(scope="module")
def validation_50(toolbox: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    names = ManifestSources(toolbox=toolbox).names(50, Split.validation)
    return _tiny_tree(tmp_path_factory.mktemp("val50"), names, ".png", "PNG")


def _codes(*args: str) -> tuple[int, list[dict[str, str]]]:
    result = invoke_cli(["check", *args, "--quick", "--format", "json", "--quiet"])
    return result.exit_code, json.loads(result.stdout)["diagnostics"]


@pytest.mark.parametrize(
    ("flags", "checking"),
    [
        (["--split", "test", "--track", "50"], "ImageNet-S50 test"),
        (["--split", "test"], "ImageNet-S50 test"),
        (["--track", "300", "--split", "validation"], "ImageNet-S300 validation"),
    ],
)
def test_validation_predictions_checked_as_another_list(
    validation_50: Path, toolbox: Path, flags: list[str], checking: str
) -> None:
    code, diags = _codes(str(validation_50), "--toolbox", str(toolbox), *flags)
    assert code == 1
    names = [d for d in diags if d["code"].startswith("N")]
    assert [d["code"] for d in names] == ["N006"]
    assert "these 752 names are the ImageNet-S50 validation list" in names[0]["message"]
    assert f"you are checking {checking}" in names[0]["message"]


def test_the_right_split_has_no_n006(validation_50: Path, toolbox: Path) -> None:
    code, diags = _codes(str(validation_50), "--toolbox", str(toolbox), "--split", "validation")
    assert code == 0, "method.txt is missing: a warning for validation predictions"
    assert not [d for d in diags if d["code"].startswith("N")]


def test_a_partial_submission_still_lists_missing_images(
    validation_50: Path, toolbox: Path, tmp_path: Path
) -> None:
    names = ManifestSources(toolbox=toolbox).names(50, Split.validation)[:300]
    partial = _tiny_tree(tmp_path / "partial", names, ".png", "PNG")
    code, diags = _codes(
        str(partial), "--toolbox", str(toolbox), "--track", "50", "--split", "validation"
    )
    assert code == 1
    assert {d["code"] for d in diags if d["code"].startswith("N")} == {"N001"}


def test_a_test_only_dataset_is_not_blamed(
    validation_50: Path, toolbox: Path, tmp_path: Path
) -> None:
    test_names = ManifestSources(toolbox=toolbox).names(50, Split.test)
    dataset = tmp_path / "ds"
    _tiny_tree(dataset / TRACKS[50].folder / "test", test_names, ".JPEG", "JPEG")
    code, diags = _codes(str(validation_50), "--dataset", str(dataset))
    assert code == 1
    names = [d for d in diags if d["code"].startswith("N")]
    assert [d["code"] for d in names] == ["N006"]
    assert "none of these 752 predictions is an image of ImageNet-S50 test" in names[0]["message"]
    assert "752 is the size of ImageNet-S50 validation" in names[0]["message"]
