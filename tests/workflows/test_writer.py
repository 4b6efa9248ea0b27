"""`submitkit.SubmissionWriter`: its output passes the check; it refuses with the check's codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import submitkit
from submitkit.core.errors import InputError, UsageError
from submitkit.inputs.png import file_opener, read_official
from submitkit.workflows.writer import WriteRefused
from tests.conftest import Cli

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "examples" / "manifest.json"
METHOD = {
    "method_name": "MiniMask",
    "training_data": "ImageNet-S50 train",
    "training_scheme": "SSL",
    "networks": "ResNet-18",
    "link": "https://example.org/minimask",
    "description": "Clusters of self-supervised features, matched on the validation set.",
}


def _images() -> dict[str, tuple[int, int]]:
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {name: (h, w) for name, (h, w) in data["images"].items()}


def _ids(h: int, w: int, top: int = 50) -> np.ndarray:
    return (np.arange(h * w, dtype=np.int64).reshape(h, w) // 7) % (top + 1)


def test_a_written_submission_passes_the_check(tmp_path: Path, cli: Cli) -> None:
    out = tmp_path / "sub"
    with submitkit.SubmissionWriter(
        out, track=50, split="validation", manifest=MANIFEST, method=METHOD, protocol="unsupervised"
    ) as writer:
        for i, (name, (h, w)) in enumerate(sorted(_images().items())):
            # stems, list paths and wnid/stem all name an image
            image = name.split("/")[1] if i % 2 else f"{name}.JPEG"
            assert writer.write(image, _ids(h, w)) == f"{name}.png"
            assert not out.exists()  # nothing appears before the writer closes
    summary = writer.close()
    assert summary.complete and summary.written == summary.expected == len(_images())
    report = submitkit.check(out, manifest=MANIFEST, protocol="unsupervised")
    assert report.status.value == "PASSED", report.diagnostics
    result = cli(
        ["check", str(out), "--manifest", str(MANIFEST), "--protocol", "unsupervised", "-q"]
    )
    assert result.exit_code == 0, result.stdout
    name, (h, w) = sorted(_images().items())[0]
    assert np.array_equal(read_official(file_opener(out / f"{name}.png")), _ids(h, w))


def test_ids_above_255_round_trip_and_match_json_is_written(tmp_path: Path) -> None:
    name, (h, w) = sorted(_images().items())[0]
    clusters = _ids(h, w, 300) * 200  # cluster ids up to 60,000: G carries the high byte
    match = {int(c): int(c) % 51 for c in np.unique(clusters)}
    with submitkit.SubmissionWriter(
        tmp_path / "sub", track=50, split="validation", manifest=MANIFEST, match=match
    ) as writer:
        writer.write(name, clusters)
    summary = writer.close()
    assert summary.match and summary.written == 1 and len(summary.missing) == len(_images()) - 1
    assert np.array_equal(read_official(file_opener(tmp_path / "sub" / f"{name}.png")), clusters)
    written = json.loads((tmp_path / "sub" / "match.json").read_text())
    assert {int(k): v for k, v in written.items()} == match


def _refusal(writer: submitkit.SubmissionWriter, image: str, ids: Any) -> str:
    with pytest.raises(WriteRefused) as caught:
        writer.write(image, ids)
    assert caught.value.message.startswith(caught.value.diagnostic.code.value + ": ")
    return caught.value.diagnostic.code.value


def test_refusals_carry_the_checks_codes(tmp_path: Path) -> None:
    name, (h, w) = sorted(_images().items())[0]
    stem = name.split("/")[1]
    writer = submitkit.SubmissionWriter(
        tmp_path / "sub", track=50, split="validation", manifest=MANIFEST
    )
    assert _refusal(writer, "ILSVRC2012_val_00000000", _ids(h, w)) == "N002"
    assert _refusal(writer, stem, _ids(h + 1, w)) == "M007"
    assert _refusal(writer, stem, _ids(h, w) + 51) == "M009"
    assert _refusal(writer, stem, np.full((h, w), 1000)) == "M010"
    assert _refusal(writer, stem, np.full((h, w), -1)) == "M009"
    assert _refusal(writer, stem, np.full((h, w), 70000)) == "M009"
    with pytest.raises(InputError, match="dtype float64"):
        writer.write(stem, _ids(h, w).astype(float))
    writer.write(stem, _ids(h, w))
    assert _refusal(writer, name, _ids(h, w)) == "N003"
    writer.abort()
    assert not (tmp_path / "sub").exists() and list(tmp_path.iterdir()) == []


def test_cluster_ids_are_bounded_by_the_declared_count_or_the_match(tmp_path: Path) -> None:
    name, (h, w) = sorted(_images().items())[0]
    with submitkit.SubmissionWriter(
        tmp_path / "a", track=50, split="validation", manifest=MANIFEST, clusters=100
    ) as writer:
        assert _refusal(writer, name, _ids(h, w, 101)) == "E002"
        writer.write(name, _ids(h, w, 100))
    with submitkit.SubmissionWriter(
        tmp_path / "b", track=50, split="validation", manifest=MANIFEST, match={0: 0, 1: 1}
    ) as writer:
        assert _refusal(writer, name, _ids(h, w, 2)) == "J004"


def test_an_error_leaves_nothing_and_an_existing_folder_is_never_written(tmp_path: Path) -> None:
    name, (h, w) = sorted(_images().items())[0]
    with (
        pytest.raises(RuntimeError),
        submitkit.SubmissionWriter(
            tmp_path / "sub", track=50, split="validation", manifest=MANIFEST
        ) as writer,
    ):
        writer.write(name, _ids(h, w))
        raise RuntimeError("training crashed")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "taken").mkdir()
    with pytest.raises(UsageError, match="already exists"):
        submitkit.SubmissionWriter(
            tmp_path / "taken", track=50, split="validation", manifest=MANIFEST
        )
    with pytest.raises(UsageError, match="needs the split's list"):
        submitkit.SubmissionWriter(tmp_path / "c", track=50, split="validation")
    with pytest.raises(UsageError, match="protocol"):
        submitkit.SubmissionWriter(
            tmp_path / "c", track=50, split="validation", manifest=MANIFEST, method=METHOD
        )


def test_test_split_masks_go_where_the_official_list_files_them(
    tmp_path: Path, toolbox: Path
) -> None:
    lines = (toolbox / "data" / "mapping" / "ImageNetS_im50_mapping_test.txt").read_text()
    pairs = [line.split() for line in lines.splitlines() if line.strip()]
    moved = next((a, b) for a, b in pairs if a.split("/")[0] != b.split("/")[0])
    out = tmp_path / "test-sub"
    with submitkit.SubmissionWriter(
        out, track=50, split="test", toolbox=toolbox, method=METHOD, protocol="unsupervised"
    ) as writer:
        for label_path, _ in pairs:  # written under the ImageNet label path (first column)
            writer.write(label_path, np.ones((3, 4), dtype=np.uint8))
    assert writer.close().complete
    listed = moved[1].removesuffix(".JPEG") + ".png"
    assert (out / listed).is_file() and not (out / moved[0].removesuffix(".JPEG")).exists()
    report = submitkit.check(out, toolbox=toolbox, track=50, split="test", protocol="unsupervised")
    assert report.status.value == "PASSED", report.diagnostics[:3]


def test_a_writer_dropped_without_closing_leaves_nothing(tmp_path: Path) -> None:
    import gc

    name, (h, w) = sorted(_images().items())[0]
    writer = submitkit.SubmissionWriter(
        tmp_path / "sub", track=50, split="validation", manifest=MANIFEST
    )
    writer.write(name, _ids(h, w))
    assert len(list(tmp_path.iterdir())) == 1  # the hidden temporary folder
    del writer
    gc.collect()
    assert list(tmp_path.iterdir()) == []
