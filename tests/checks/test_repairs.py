"""Reports point to the repair: closing lines, one hint per group, pack's refusal."""

from __future__ import annotations

import json
import os
from pathlib import Path

from submitkit.checks.names import name_findings
from submitkit.checks.repairs import GROUPS, NEEDS_LISTS, fix_suggestion, fixed_name, repair_lines
from submitkit.checks.report import Report
from submitkit.core.diagnostics import Code, Severity
from tests.conftest import Cli
from tests.workflows.test_fix_realistic import METHOD, build, gray, ids_of, sample, split_images


def test_every_code_fix_repairs_has_a_closing_line_and_no_other() -> None:
    assert set(GROUPS) == {c for c in Code if c.policy.fix_repairs}
    assert set(GROUPS) >= NEEDS_LISTS


def test_fix_policy_follows_what_fix_can_do() -> None:
    # Relocation and --drop-extra exist; 16-bit RGB and unmapped match ids stay unrepairable.
    assert Code.WRONG_FOLDER.policy.fix_repairs
    assert Code.EXTRA_PREDICTION.policy.fix_flag == "--drop-extra"
    assert Code.ID_OUT_OF_RANGE.policy.fix_flag == "--from imagenet1k"
    assert not Code.BIT_DEPTH_16.policy.fix_repairs
    assert not Code.MATCH_UNMAPPED_ID.policy.fix_repairs


def test_closing_lines_count_each_group_and_name_the_command() -> None:
    diags = [Code.MODE_GRAYSCALE.at(f"n0/{i}.png", "m", "h") for i in range(1682)]
    diags += [Code.EXTRA_PREDICTION.at("n0/x.png", "m", "h")]
    diags += [Code.MISSING_PREDICTION.at("n0/y.png", "m", "h")]
    report = Report(submission="runs/sub.zip", container="zip", diagnostics=diags)
    assert repair_lines(report) == [
        "1,682 masks are grayscale (M003): "
        "`submitkit fix runs/sub.zip -o runs/sub-fixed.zip` repairs them",
        "1 prediction is not an image of this split (N002): "
        "`submitkit fix runs/sub.zip -o runs/sub-fixed.zip --drop-extra` repairs it",
        "give fix the same --toolbox, --dataset or --manifest as this check",
    ]
    assert fix_suggestion(report) == (
        "`submitkit fix runs/sub.zip -o runs/sub-fixed.zip --drop-extra` repairs 1,683 of the "
        "1,684 errors; then `submitkit pack runs/sub-fixed.zip`"
    )


def test_nothing_to_repair_says_nothing() -> None:
    diags = [
        Code.MISSING_PREDICTION.at("n0/y.png", "m", "h"),
        Code.MATCH_UNUSED_KEY.at("match.json", "m", "h", Severity.info),
    ]
    report = Report(submission="sub", container="folder", diagnostics=diags)
    assert repair_lines(report) == [] and fix_suggestion(report) == ""


def test_fixed_name_keeps_the_container() -> None:
    assert fixed_name("sub/") == "sub-fixed"
    assert fixed_name("a/b.ZIP") == "a/b-fixed.zip"


def test_a_fixed_name_beside_a_255_byte_name_fits_the_file_system(tmp_path: Path) -> None:
    # `fix -o` to a 255-byte name: the closing hint's `-fixed` name must still be creatable.
    name = "\u00e9" * 100 + "o" * 51 + ".zip"
    assert len(os.fsencode(name)) == 255
    proposed = Path(fixed_name(str(tmp_path / name)))
    assert proposed.parent == tmp_path and proposed.name.endswith("-fixed.zip")
    assert len(os.fsencode(proposed.name)) <= 255
    proposed.write_bytes(b"")  # a name the file system takes


def test_text_report_ends_with_the_repair_and_gives_the_hint_once(
    toolbox: Path, tmp_path: Path, cli: Cli
) -> None:
    images = sample(split_images(toolbox, 50, "test"), 40)
    sub = build(tmp_path / "sub", images, lambda i: f"{i.key}.png", lambda s: gray(ids_of(s, 50)))
    manifest = tmp_path / "m.json"
    args = ["manifest", "--toolbox", str(toolbox), "--track", "50", "--split", "test"]
    assert cli([*args, "-o", str(manifest)]).exit_code == 0
    _trim_manifest(manifest, [i.key for i in images])
    result = cli(["check", str(sub), "--manifest", str(manifest), "-q"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert (
        lines[-1] == f"40 masks are grayscale (M003): `submitkit fix {sub} -o {sub}-fixed "
        f"--manifest {manifest}` repairs them"
    )
    assert sum(1 for line in lines if line.strip().startswith("fix: encode the ids")) == 1


def _trim_manifest(path: Path, keys: list[str]) -> None:
    data = json.loads(path.read_text())
    data["images"] = {k: data["images"][k] for k in keys}
    path.write_text(json.dumps(data))


def test_flat_predictions_are_reported_misplaced_not_missing(
    toolbox: Path, tmp_path: Path, cli: Cli
) -> None:
    images = sample(split_images(toolbox, 50, "test"), 6)
    sub = build(tmp_path / "sub", images, lambda i: f"{i.stem}.png", lambda s: gray(ids_of(s, 3)))
    args = ["check", str(sub), "--toolbox", str(toolbox), "--track", "50", "--split", "test"]
    result = cli([*args, "--format", "json", "-q"])
    report = json.loads(result.output)
    wrong = [d for d in report["diagnostics"] if d["code"] == "N004"]
    assert {d["path"] for d in wrong} == {f"{i.stem}.png" for i in images}
    assert all("belongs in" in d["message"] for d in wrong)
    missing = {d["path"] for d in report["diagnostics"] if d["code"] == "N001"}
    assert not missing & {f"{i.key}.png" for i in images}


def test_wrong_folder_message_explains_the_test_layout(toolbox: Path) -> None:
    image = next(i for i in split_images(toolbox, 50, "test") if i.key.split("/")[0] != i.label)
    written = f"{image.label}/{image.stem}"
    (diag,) = name_findings({written: f"{written}.png"}, [], [image.key])
    assert diag.code is Code.WRONG_FOLDER
    assert "source image's folder" not in diag.message
    assert "ImageNet label" in diag.message and "fix moves every misplaced" in diag.hint


def test_pack_refusal_names_fix(toolbox: Path, tmp_path: Path, cli: Cli) -> None:
    images = sample(split_images(toolbox, 50, "test"), 4)
    sub = build(tmp_path / "sub", images, lambda i: f"{i.key}.png", lambda s: gray(ids_of(s, 3)))
    (sub / "method.txt").write_text(METHOD)
    args = ["pack", str(sub), "--protocol", "free", "--track", "50", "--split", "test", "-q"]
    result = cli([*args, "-o", str(tmp_path / "up.zip")])
    assert result.exit_code == 1
    given = "--track 50 --split test --protocol free"
    assert f"`submitkit fix {sub} -o {sub}-fixed {given}` repairs 4 of the" in result.output
    assert f"then `submitkit pack {sub}-fixed {given}`" in result.output
    assert not (tmp_path / "up.zip").exists()


def test_imagenet1k_conversion_is_proposed_only_when_most_masks_need_it() -> None:
    from submitkit.checks.report import Counts

    def report(with_ids_above_k: int) -> Report:
        diags = [Code.ID_OUT_OF_RANGE.at(f"n0/{i}.png", "m", "h") for i in range(with_ids_above_k)]
        return Report(
            submission="sub",
            container="folder",
            diagnostics=diags,
            counts=Counts(masks_inspected=1682),
        )

    # A stray id in a few masks is a bug the conversion would bury, not ImageNet-1k labels.
    assert repair_lines(report(3)) == [] and fix_suggestion(report(3)) == ""
    (line,) = repair_lines(report(1600))
    assert line.startswith("1,600 masks use ids above K") and "--from imagenet1k" in line
