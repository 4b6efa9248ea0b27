"""`submitkit evaluate` and `submitkit match` as a user runs them."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from submitkit.inputs.match_json import load_match
from tests.conftest import Cli, invoke_cli

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def expected(case: str) -> dict[str, dict[str, float]]:
    data: dict[str, dict[str, float]] = json.loads((GOLDEN / case / "expected.json").read_text())
    return data


def run_json(*args: str) -> tuple[int, dict[str, object]]:
    result = invoke_cli([*args, "--format", "json", "--quiet"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else {}


def copy_masks(source: Path, target: Path) -> Path:
    """The prediction folders of a golden submission, without its match.json."""
    for folder in source.iterdir():
        if folder.is_dir():
            shutil.copytree(folder, target / folder.name)
    return target


def zip_folder(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return out


@pytest.mark.parametrize("case", ["t50-small", "t919-small", "t50-real"])
def test_evaluate_cli_matches_official(case: str) -> None:
    code, out = run_json(
        "evaluate", str(GOLDEN / case / "submission"), "--dataset", str(GOLDEN / case / "dataset")
    )
    assert code == 0
    official = expected(case)["evaluate_submission"]
    scores = out["scores"]
    assert isinstance(scores, dict)
    for key in ("mIoU", "Acc", "mBIoU", "S", "MS", "ML", "L", "BS", "BMS", "BML", "BL"):
        assert scores[key] == pytest.approx(official[key], abs=1e-3), key
    classes = out["classes"]
    assert isinstance(classes, list)
    ious = [row["IoU"] for row in classes]
    assert ious == sorted(ious), "worst classes first"


def test_evaluate_with_external_match_from_a_zip(tmp_path: Path) -> None:
    case = GOLDEN / "t50-small"
    masks = copy_masks(case / "submission-unsup", tmp_path / "masks")
    archive = zip_folder(masks, tmp_path / "unsup.zip")
    code, out = run_json(
        "evaluate",
        str(archive),
        "--dataset",
        str(case / "dataset"),
        "--match",
        str(case / "submission-unsup" / "match.json"),
    )
    assert code == 0 and out["matched"] is True
    official = expected("t50-small")["evaluate_submission_unsup_with_match_json"]
    scores = out["scores"]
    assert isinstance(scores, dict)
    assert scores["mIoU"] == pytest.approx(official["mIoU"], abs=1e-3)


def test_evaluate_refuses_a_broken_submission(tmp_path: Path, cli: Cli) -> None:
    case = GOLDEN / "t50-small"
    masks = copy_masks(case / "submission", tmp_path / "s")
    victim = sorted(masks.rglob("*.png"))[0]
    Image.fromarray(np.zeros((3, 3), dtype=np.uint8)).save(victim)
    result = cli(["evaluate", str(masks), "--dataset", str(case / "dataset"), "--quiet"])
    assert result.exit_code == 1
    assert "M003" in result.stdout and victim.name in result.stdout
    assert "mIoU" not in result.stdout


def test_evaluate_needs_the_dataset(tmp_path: Path, cli: Cli) -> None:
    result = cli(["evaluate", str(GOLDEN / "t50-small" / "submission")])
    assert result.exit_code == 2


def test_evaluate_per_image_csv_and_plot(tmp_path: Path, cli: Cli) -> None:
    case = GOLDEN / "t50-small"
    csv_path, plot_path = tmp_path / "rows.csv", tmp_path / "iou.png"
    result = cli(
        [
            "evaluate",
            str(case / "submission"),
            "--dataset",
            str(case / "dataset"),
            "--per-image",
            str(csv_path),
            "--plot",
            str(plot_path),
            "--quiet",
        ],
    )
    assert result.exit_code == 0
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("name,") and len(lines) == 1 + 48
    with Image.open(plot_path) as image:
        assert image.format == "PNG" and image.width > 200


def test_match_writes_a_checked_match_json(tmp_path: Path) -> None:
    case = GOLDEN / "t50-small"
    masks = copy_masks(case / "submission-unsup", tmp_path / "masks")
    out = tmp_path / "match.json"
    code, report = run_json("match", str(masks), "--dataset", str(case / "dataset"), "-o", str(out))
    assert code == 0
    mapping, diags = load_match(out.read_bytes(), "match.json", 50)
    assert diags == [] and mapping is not None
    candidates = report["candidates"]
    assert isinstance(candidates, list)
    chosen = next(c for c in candidates if c["chosen"])
    assert chosen["level"] == "image" and chosen["many_to_one"] is False
    # The official matching's total: same agreement, whichever optimum was picked.
    official = {
        int(k): v
        for k, v in expected("t50-small")["image_level_hungarian_match_of_submission_unsup"].items()
    }
    code, scored = run_json(
        "evaluate", str(masks), "--dataset", str(case / "dataset"), "--match", str(out)
    )
    assert code == 0
    scores = scored["scores"]
    assert isinstance(scores, dict)
    assert scores["mIoU"] == pytest.approx(chosen["mIoU"], abs=1e-9)
    assert len(mapping) == len(official)


def test_match_refuses_to_overwrite(tmp_path: Path, cli: Cli) -> None:
    case = GOLDEN / "t50-small"
    out = tmp_path / "match.json"
    out.write_text("{}")
    args = ["match", str(case / "submission"), "--dataset", str(case / "dataset"), "-o", str(out)]
    assert cli(args).exit_code == 2
    assert out.read_text() == "{}"


def test_overclustering_needs_the_unsupervised_protocol(tmp_path: Path, cli: Cli) -> None:
    case = GOLDEN / "t50-small"
    masks = copy_masks(case / "submission-overcluster", tmp_path / "oc")
    out = tmp_path / "m.json"
    base = ["match", str(masks), "--dataset", str(case / "dataset"), "-o", str(out), "--quiet"]
    refused = cli([*base, "--clusters", "100", "--protocol", "semi"])
    assert refused.exit_code == 2 and not out.exists()
    code, report = run_json(*base, "--clusters", "100", "--protocol", "unsupervised")
    assert code == 0
    candidates = report["candidates"]
    assert isinstance(candidates, list)
    assert [c["many_to_one"] for c in candidates if c["chosen"]] == [True]
    mapping, _ = load_match(out.read_bytes(), "match.json", 50)
    assert mapping is not None and len(mapping) == 101
    assert len(set(mapping.values()) - {0}) < 100  # many ids share a class


def test_evaluate_on_the_shipped_example(cli: Cli) -> None:
    result = cli(
        [
            "evaluate",
            str(EXAMPLES / "submissions" / "valid"),
            "--dataset",
            str(EXAMPLES / "dataset"),
            "--manifest",
            str(EXAMPLES / "manifest.json"),
            "--quiet",
        ],
    )
    assert result.exit_code == 0 and "mIoU" in result.stdout


@pytest.mark.parametrize("command", ["evaluate", "match"])
def test_a_truncated_mask_with_an_intact_header_gives_no_result(
    tmp_path: Path, command: str, cli: Cli
) -> None:
    # The header stage passes it; the one decoding pass must say it cannot read it.
    case = GOLDEN / "t50-small"
    masks = copy_masks(case / "submission-unsup", tmp_path / "masks")
    victim = sorted(masks.rglob("*.png"))[0]
    data = victim.read_bytes()
    victim.write_bytes(data[: max(60, len(data) // 2)])
    out = tmp_path / "match.json"
    args = [command, str(masks), "--dataset", str(case / "dataset"), "--quiet"]
    if command == "match":
        args += ["-o", str(out)]
    result = cli(args)
    assert result.exit_code == 1, result.output
    assert "M002" in result.stdout and victim.name in result.stdout
    assert "nan" not in result.stdout and "mIoU" not in result.stdout
    assert not out.exists()


SEMI_METHOD = (
    "Method name: PASS\nTraining data: ImageNet-S50 train\nTraining scheme: SSL\n"
    "Networks: ResNet-50\nPaper/Project link: null\nProtocol: semi\n"
    "Method description: Pixel-level self-supervised learning, then clustering.\n"
)


def declared_semi(source: Path, target: Path) -> Path:
    """The masks of ``source`` with a method.txt that declares the semi-supervised protocol."""
    copy_masks(source, target)
    (target / "method.txt").write_text(SEMI_METHOD)
    return target


def test_evaluate_reports_the_protocol_method_txt_declares(tmp_path: Path, cli: Cli) -> None:
    # No --protocol: the run is held to semi, and says so everywhere, not only in its check.
    case = GOLDEN / "t50-small"
    sub = declared_semi(case / "submission", tmp_path / "sub")
    code, out = run_json("evaluate", str(sub), "--dataset", str(case / "dataset"))
    assert code == 0
    check = out["check"]
    assert isinstance(check, dict) and check["protocol"] == "semi"
    assert out["protocol"] == "semi"
    table = cli(["evaluate", str(sub), "--dataset", str(case / "dataset"), "--format", "markdown"])
    assert table.exit_code == 0
    assert table.stdout.strip().splitlines()[2].startswith("| sub | semi | ImageNet-S50 | 48 |")


def test_overclustering_is_refused_for_a_submission_declared_semi(tmp_path: Path, cli: Cli) -> None:
    # The declared protocol rules as if typed: no many-to-one match.json for a semi submission.
    case = GOLDEN / "t50-small"
    masks = declared_semi(case / "submission-overcluster", tmp_path / "oc")
    out = tmp_path / "m.json"
    base = ["match", str(masks), "--dataset", str(case / "dataset"), "-o", str(out), "--quiet"]
    typed = cli([*base, "--clusters", "100", "--protocol", "semi"])
    declared = cli([*base, "--clusters", "100"])
    assert typed.exit_code == declared.exit_code == 2
    assert "semi-supervised protocol does not admit" in declared.stderr
    assert not out.exists()
