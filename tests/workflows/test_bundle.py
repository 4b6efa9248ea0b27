"""`submitkit bundle`: a Codabench competition bundle that references only itself."""

from __future__ import annotations

import json
import shlex
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from submitkit._version import __version__
from submitkit.benchmark.tracks import Split
from submitkit.scoring.leaderboard import leaderboard_columns
from submitkit.workflows.bundle import PROGRAM_ZIP, reference_zip_name
from submitkit.workflows.codabench import REFERENCE_MANIFEST, REFERENCE_MASKS
from tests.conftest import Cli
from tests.server_helpers import EXAMPLES, GOLDEN, build_bundle, member_zip

# Every track, from the shipped example and the golden data. No golden case is
# on the 300 track: its bundle reuses the t50-real ground truth (ids <= 50 are
# valid ids on the 300 track too).
SOURCES: dict[str, tuple[int, Path, tuple[str, ...]]] = {
    "example-50": (50, EXAMPLES / "dataset", ("--manifest", str(EXAMPLES / "manifest.json"))),
    "golden-t50-small": (50, GOLDEN / "t50-small" / "dataset", ()),
    "golden-t50-real-as-300": (
        300,
        GOLDEN / "t50-real" / "dataset" / "ImageNetS50" / "validation-segmentation",
        (),
    ),
    "golden-t919-small": (919, GOLDEN / "t919-small" / "dataset", ()),
}


@pytest.fixture(scope="module", params=sorted(SOURCES))
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    track, ground_truth, extra = SOURCES[request.param]
    out = tmp_path_factory.mktemp("bundle") / "imagenet-s.zip"
    return build_bundle(out, track, ground_truth, *extra)


def _competition(bundle: Path) -> dict[str, Any]:
    with zipfile.ZipFile(bundle) as archive:
        document: dict[str, Any] = yaml.safe_load(archive.read("competition.yaml"))
    return document


def test_competition_yaml_references_only_files_inside_the_bundle(built: Path) -> None:
    doc = _competition(built)
    with zipfile.ZipFile(built) as archive:
        members = set(archive.namelist())
    referenced = [doc["image"], doc["terms"], *(page["file"] for page in doc["pages"])]
    for task in doc["tasks"]:
        referenced += [task["scoring_program"], task["reference_data"]]
    referenced += [solution["path"] for solution in doc["solutions"]]
    referenced += [phase["starting_kit"] for phase in doc["phases"]]
    assert referenced and set(referenced) <= members, set(referenced) - members
    assert doc["version"] == 2 and doc["enable_detailed_results"] is True


def test_one_phase_per_split_with_every_official_metric(built: Path) -> None:
    doc = _competition(built)
    (phase,) = doc["phases"]
    (task,) = doc["tasks"]
    assert phase["tasks"] == [task["index"]] and phase["start"] == date(2026, 2, 1)
    assert task["scoring_program"] == PROGRAM_ZIP
    assert task["reference_data"] == reference_zip_name(Split.validation)
    (board,) = doc["leaderboards"]
    columns = leaderboard_columns()
    assert [c["key"] for c in board["columns"]] == [c.key for c in columns]
    assert [c["index"] for c in board["columns"]] == list(range(len(columns)))
    assert board["columns"][0]["key"] == "mIoU"


def test_the_scoring_program_runs_submitkit_score_for_the_protocol(built: Path) -> None:
    program = member_zip(built, PROGRAM_ZIP)
    names = set(program.namelist())
    metadata = yaml.safe_load(program.read("metadata.yaml"))
    command = shlex.split(str(metadata["command"]))
    assert command == ["python3", "$program/score.py", "$input", "$output", "--protocol", "semi"]
    assert {"score.py", "requirements.txt", "submitkit/cli/score.py"} <= names
    wheels = {n.split("/")[1].split("-")[0].lower() for n in names if n.startswith("wheels/")}
    # Derived from the declared dependencies: each one, and theirs.
    assert {"numpy", "scipy", "pillow", "pydantic", "pydantic_core", "packaging"} <= wheels


def test_the_reference_data_holds_the_manifest_and_every_mask(built: Path) -> None:
    reference = member_zip(built, reference_zip_name(Split.validation))
    manifest = json.loads(reference.read(REFERENCE_MANIFEST))
    masks = {n for n in reference.namelist() if n.startswith(REFERENCE_MASKS + "/")}
    assert masks == {f"{REFERENCE_MASKS}/{name}.png" for name in manifest["images"]}
    assert all(size is not None for size in manifest["images"].values())
    assert manifest["sources"] == [f"submitkit bundle {__version__}"]


def test_the_bundle_is_byte_identical_when_built_twice(tmp_path: Path) -> None:
    track, ground_truth, extra = SOURCES["example-50"]
    first = build_bundle(tmp_path / "a.zip", track, ground_truth, *extra)
    second = build_bundle(tmp_path / "b.zip", track, ground_truth, *extra)
    assert first.read_bytes() == second.read_bytes()


def test_dry_run_lists_and_writes_nothing(tmp_path: Path, cli: Cli) -> None:
    out = tmp_path / "b.zip"
    result = cli(
        [
            *("bundle", "-o", str(out), "--track", "50", "--protocol", "semi"),
            *("--ground-truth", str(EXAMPLES / "dataset")),
            *("--manifest", str(EXAMPLES / "manifest.json"), "--dry-run"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "would write" in result.stdout and "competition.yaml" in result.stdout
    assert "reference_validation.zip" in result.stdout
    assert "12 ground-truth masks" in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_incomplete_ground_truth_is_refused(tmp_path: Path, cli: Cli) -> None:
    # The example manifest names 12 images; a ground truth without one is incomplete.
    partial = tmp_path / "gt"
    source = EXAMPLES / "dataset" / "ImageNetS50" / "validation-segmentation"
    for mask in sorted(source.rglob("*.png"))[1:]:
        target = partial / mask.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(mask.read_bytes())
    result = cli(
        [
            *("bundle", "-o", str(tmp_path / "b.zip"), "--track", "50", "--protocol", "semi"),
            *("--ground-truth", str(partial), "--manifest", str(EXAMPLES / "manifest.json")),
        ],
    )
    assert result.exit_code == 2
    assert "lacks 1 of 12" in result.stderr and not (tmp_path / "b.zip").exists()


def test_no_ground_truth_is_a_usage_error(tmp_path: Path, cli: Cli) -> None:
    result = cli(
        [
            *("bundle", "-o", str(tmp_path / "b.zip"), "--track", "50"),
            *("--protocol", "free", "--ground-truth", "."),
        ],
    )
    assert result.exit_code == 2 and "ground-truth masks" in result.stderr


def test_a_manifest_of_another_track_is_refused(tmp_path: Path, cli: Cli) -> None:
    result = cli(
        [
            *("bundle", "-o", str(tmp_path / "b.zip"), "--track", "919", "--protocol", "free"),
            *(
                "--ground-truth",
                str(EXAMPLES / "dataset" / "ImageNetS50" / "validation-segmentation"),
            ),
            *("--manifest", str(EXAMPLES / "manifest.json")),
        ],
    )
    assert result.exit_code == 2 and "is for track 50" in result.stderr
