"""`evaluate`'s research outputs and `compare`, run as a user runs them."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from submitkit.scoring.bootstrap import HEADLINE
from tests.conftest import invoke_cli
from tests.golden_lists import golden_manifest

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"
BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def golden(case: str) -> list[str]:
    return [str(GOLDEN / case / "submission"), "--dataset", str(GOLDEN / case / "dataset")]


def run(*args: str) -> tuple[int, str, str]:
    result = invoke_cli([*args, "--quiet"])
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> dict[str, object]:
    code, out, err = run(*args, "--format", "json")
    assert code == 0, out + err
    data: dict[str, object] = json.loads(out)
    return data


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory, toolbox: Path) -> Path:
    """376 small images over all 50 classes (7-8 each), a submission and a degraded copy."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import realistic_set
    finally:
        sys.path.remove(str(BENCHMARKS))
    root = tmp_path_factory.mktemp("realistic")
    realistic_set.build(root, toolbox, every=2, scale=0.15)
    return root


def test_bootstrap_intervals_in_json_are_deterministic_for_a_seed() -> None:
    args = [*golden("t50-real"), "--bootstrap", "200", "--seed", "5", "--level", "0.9"]
    first, again = run_json("evaluate", *args), run_json("evaluate", *args)
    assert first["intervals"] == again["intervals"]
    intervals = first["intervals"]
    assert isinstance(intervals, dict) and set(intervals) == set(HEADLINE)
    low, high = intervals["Acc"]
    assert low <= high
    assert first["bootstrap"] == {
        "samples": 200,
        "seed": 5,
        "level": 0.9,
        "unit": "image",
        "method": "percentile",
        "note": first["bootstrap"]["note"],  # type: ignore[index]
    }
    classes = first["classes"]
    assert isinstance(classes, list)
    assert all(len(c["interval"]) == 2 for c in classes)
    other = run_json("evaluate", *golden("t50-real"), "--bootstrap", "200", "--seed", "6")
    assert other["intervals"] != first["intervals"]


def test_text_shows_each_metric_with_its_interval() -> None:
    code, out, _ = run("evaluate", *golden("t50-small"), "--bootstrap", "100")
    assert code == 0
    assert "mIoU" in out and "34.76 [" in out
    assert "percentile bootstrap over images, 100 resamples, seed 0" in out


def test_without_bootstrap_there_are_no_intervals_but_always_confusions() -> None:
    data = run_json("evaluate", *golden("t50-small"))
    assert data["intervals"] is None and data["bootstrap"] is None
    confusions = data["confusions"]
    assert isinstance(confusions, list) and len(confusions) == 20
    top = confusions[0]
    # 48 of the 50 category folders: which class each is cannot be told, so no wnid.
    assert top["truth"]["wnid"] is None and top["pixels"] > 0
    assert 0 < top["share"] <= 100
    pixels = [c["pixels"] for c in confusions]
    assert pixels == sorted(pixels, reverse=True)
    classes = data["classes"]
    assert isinstance(classes, list)
    mistaken = [c for c in classes if c["mistaken_for"] is not None]
    assert mistaken and all(c["mistaken_for"]["truth"]["id"] == c["id"] for c in mistaken)


def named(case: str, folder: Path) -> list[str]:
    """The case with its own lists: its classes get their wnids."""
    return [*golden(case), "--manifest", str(golden_manifest(case, folder))]


def test_the_interval_does_not_depend_on_the_order_of_the_image_list(tmp_path: Path) -> None:
    # The bundled manifest and the official list name the same images in other orders.
    sorted_list = named("t50-real", tmp_path)
    manifest = json.loads(Path(sorted_list[-1]).read_text(encoding="utf-8"))
    manifest["images"] = dict(reversed(list(manifest["images"].items())))
    reversed_path = tmp_path / "reversed.json"
    reversed_path.write_text(json.dumps(manifest), encoding="utf-8")
    args = ["--bootstrap", "100", "--seed", "3"]
    one = run_json("evaluate", *sorted_list, *args)
    other = run_json("evaluate", *golden("t50-real"), "--manifest", str(reversed_path), *args)
    assert one["intervals"] == other["intervals"]


def test_confusions_flag_prints_the_largest_pairs(tmp_path: Path) -> None:
    code, out, _ = run("evaluate", *named("t50-small", tmp_path), "--confusions", "3")
    assert code == 0
    assert "largest confusions (3" in out
    assert "12 n10087109" in out and "31 n10237570" in out


def test_small_classes_are_flagged_with_the_rule_named() -> None:
    data = run_json("evaluate", *golden("t50-small"))
    classes = data["classes"]
    assert isinstance(classes, list)
    by_id = {c["id"]: c for c in classes}
    assert by_id[0]["images"] == 48 and not by_id[0]["small"]
    assert by_id[1]["images"] == 1 and by_id[1]["small"]
    code, out, _ = run("evaluate", *golden("t50-small"))
    assert code == 0
    assert "held by fewer than 5 validation images" in out


def test_missing_names_say_how_to_get_them() -> None:
    code, out, _ = run("evaluate", *golden("t50-small"))
    assert code == 0
    assert "give --synsets LOC_synset_mapping.txt" in out


def test_names_come_from_a_synset_list(tmp_path: Path) -> None:
    synsets = tmp_path / "LOC_synset_mapping.txt"
    synsets.write_text("n10000000 tench, Tinca tinca\n")
    data = run_json("evaluate", *named("t50-small", tmp_path), "--synsets", str(synsets))
    classes = data["classes"]
    assert isinstance(classes, list)
    assert {c["id"]: c["name"] for c in classes}[1] == "tench"


def test_markdown_and_latex_tables_have_one_row_per_run() -> None:
    code, out, _ = run(
        "evaluate", *golden("t50-small"), "--bootstrap", "50", "--format", "markdown"
    )
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0] == "| run | protocol | track | images | mIoU | Acc | FMeasure | mBIoU |"
    assert lines[2].startswith("| submission | - | ImageNet-S50 | 48 | 34.76 [")
    assert len(lines) == 3
    code, out, _ = run("evaluate", *golden("t50-small"), "--format", "latex", "--protocol", "semi")
    assert code == 0
    assert out.startswith("\\begin{tabular}{lllrrrrr}\n\\toprule\n")
    assert "submission & semi & ImageNet-S50 & 48 & 34.76 & 58.33 & 69.97 & 20.16 \\\\" in out


def test_latex_escapes_run_names(tmp_path: Path) -> None:
    sub = tmp_path / "my_run#2"
    shutil.copytree(GOLDEN / "t50-small" / "submission", sub)
    code, out, _ = run(
        "evaluate",
        str(sub),
        "--dataset",
        str(GOLDEN / "t50-small" / "dataset"),
        "--format",
        "latex",
    )
    assert code == 0
    assert "my\\_run\\#2 &" in out


def test_per_image_csv_names_the_predicted_label(tmp_path: Path) -> None:
    csv = tmp_path / "images.csv"
    code, _, _ = run("evaluate", *golden("t50-small"), "--per-image", str(csv))
    assert code == 0
    assert csv.read_text().splitlines()[0] == "name,height,width,mIoU,FMeasure,Acc,predicted_label"


def test_d001_says_what_the_count_of_a_local_copy_means() -> None:
    code, _, err = run("evaluate", *golden("t50-small"))
    assert code == 0
    assert "it holds 48 images where the official validation list has 752" in " ".join(err.split())


def golden_copy(tmp_path: Path) -> tuple[str, Path]:
    """t50-small's submission, and a copy of its dataset to damage."""
    sub, _, dataset = golden("t50-small")
    copy = tmp_path / "dataset"
    shutil.copytree(dataset, copy)
    return sub, copy


def test_a_lost_source_image_is_the_copy_s_fault_not_the_prediction_s(tmp_path: Path) -> None:
    sub, copy = golden_copy(tmp_path)
    lost = sorted((copy / "ImageNetS50" / "validation").rglob("*.JPEG"))[0]
    lost.unlink()
    code, _, err = run("evaluate", sub, "--dataset", str(copy))
    assert code == 0
    text = " ".join(err.split())
    assert "D002 warning" in text and lost.stem in text
    assert "N002" not in text and "--drop-extra" not in text


def test_ground_truth_alone_is_enough_to_score(tmp_path: Path) -> None:
    sub, copy = golden_copy(tmp_path)
    shutil.rmtree(copy / "ImageNetS50" / "validation")
    code, _, err = run("evaluate", sub, "--dataset", str(copy), "--track", "50")
    assert code == 0
    assert "lacks 48 of the 48 expected images" in " ".join(err.split())


def test_a_ground_truth_of_the_wrong_size_is_the_copy_s_fault(tmp_path: Path) -> None:
    from PIL import Image

    sub, copy = golden_copy(tmp_path)
    truth = sorted((copy / "ImageNetS50" / "validation-segmentation").rglob("*.png"))[0]
    with Image.open(truth) as image:
        image.resize((image.width + 3, image.height), Image.NEAREST).save(truth)
    code, _, err = run("evaluate", sub, "--dataset", str(copy), "--no-cache")
    assert code == 2
    text = " ".join(err.split())
    assert f"ground truth of {truth.parent.name}/{truth.stem} is" in text
    assert "the dataset copy is damaged" in text and "M007" not in text


def test_compare_a_run_with_itself_shows_no_change(tmp_path: Path) -> None:
    counts = tmp_path / "a.json"
    code, _, _ = run("evaluate", *golden("t50-small"), "--save-counts", str(counts))
    assert code == 0
    data = run_json("compare", str(counts), str(counts), "--bootstrap", "200")
    metrics = data["metrics"]
    assert isinstance(metrics, list)
    for m in metrics:
        assert m["delta"] in (0.0, None)
        assert m["p_value"] == 1.0
        assert m["interval"] in ([0.0, 0.0], [None, None])
    assert data["significant"] == []


def test_compare_a_counts_file_with_a_submission(tmp_path: Path) -> None:
    counts = tmp_path / "a.json"
    run("evaluate", *golden("t50-small"), "--save-counts", str(counts))
    sub, _, dataset = golden("t50-small")
    data = run_json("compare", str(counts), sub, "--dataset", dataset, "--bootstrap", "100")
    assert {m["metric"]: m["delta"] for m in data["metrics"]}["mIoU"] == 0  # type: ignore[index,union-attr]


def test_compare_shows_the_check_of_a_run_that_fails_it(tmp_path: Path) -> None:
    sub, _, dataset = golden("t50-small")
    broken = tmp_path / "broken"
    shutil.copytree(sub, broken)
    next(broken.rglob("*.png")).unlink()
    code, out, _ = run("compare", sub, str(broken), "--dataset", dataset)
    assert code == 1
    assert "N001" in out and "not compared: B failed the check" in " ".join(out.split())
    code, out, _ = run("compare", sub, str(broken), "--dataset", dataset, "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["kind"] == "compare" and data["metrics"] == []
    assert data["b"]["check"]["status"] == "FAILED" and data["a"]["scores"] is not None


def test_compare_refuses_zero_resamples_before_any_scoring(tmp_path: Path) -> None:
    code, _, err = run(
        "compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--bootstrap", "0"
    )
    assert code == 2
    assert "--bootstrap needs at least 2 resamples, not 0" in err


def test_compare_refuses_runs_over_different_images(tmp_path: Path) -> None:
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    run("evaluate", *golden("t50-small"), "--save-counts", str(one))
    run("evaluate", *golden("t50-real"), "--save-counts", str(two))
    code, _, err = run("compare", str(one), str(two))
    assert code == 2
    assert "scored different images" in " ".join(err.split())


def test_compare_rejects_a_json_that_is_not_a_counts_file(tmp_path: Path) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text('{"kind": "evaluation"}')
    code, _, err = run("compare", str(bogus), str(bogus))
    assert code == 2
    assert "--save-counts" in err


BAD_COUNTS = {
    "no evaluation": (lambda d: d.update(evaluation=None), "holds no usable evaluation"),
    "class above K": (lambda d: d["counts"]["cells"]["gt"].__setitem__(0, 51), "cells.gt"),
    "no track": (lambda d: d["counts"].update(k=0), "k is 0, not 50, 300 or 919"),
    "fractional pixels": (
        lambda d: d["counts"]["cells"]["pixels"].__setitem__(0, 1.5),
        "cells.pixels is not a list of whole numbers",
    ),
    "negative pixels": (
        lambda d: d["counts"]["cells"]["pixels"].__setitem__(0, -3),
        "cells.pixels holds a count below 1",
    ),
    "image out of range": (
        lambda d: d["counts"]["cells"]["image"].__setitem__(0, 10**6),
        "cells.image holds numbers outside",
    ),
    "f-measure above 1": (lambda d: d["counts"]["fmeasure"].__setitem__(0, 7), "fmeasure"),
    "other track": (lambda d: d["evaluation"].update(track=300), "no scores for track 50"),
}


@pytest.mark.parametrize("damage", sorted(BAD_COUNTS))
def test_compare_refuses_a_damaged_counts_file(tmp_path: Path, damage: str) -> None:
    good = tmp_path / "a.json"
    code, _, _ = run("evaluate", *golden("t50-small"), "--save-counts", str(good))
    assert code == 0
    data = json.loads(good.read_text())
    change, message = BAD_COUNTS[damage]
    change(data)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    code, _, err = run("compare", str(good), str(bad), "--bootstrap", "20")
    assert code == 2 and "Traceback" not in err and "internal error" not in err
    assert message in " ".join(err.split())


def test_compare_finds_a_degraded_copy_significantly_worse(realistic: Path) -> None:
    from realistic_set import DEGRADED_CLASSES  # type: ignore[import-not-found]

    common = ["--dataset", str(realistic / "dataset"), "--track", "50"]
    data = run_json("compare", str(realistic / "submission"), str(realistic / "degraded"), *common)
    by_metric = {m["metric"]: m for m in data["metrics"]}  # type: ignore[union-attr]
    miou = by_metric["mIoU"]
    assert miou["delta"] < -1
    assert miou["interval"][1] < 0
    assert miou["p_value"] < 0.01
    significant = data["significant"]
    assert isinstance(significant, list)
    assert set(DEGRADED_CLASSES) <= set(significant)
    drops = data["classes"]
    assert isinstance(drops, list)
    assert {c["id"] for c in drops[:5]} == set(DEGRADED_CLASSES)

    same = realistic / "same"
    if not same.exists():
        shutil.copytree(realistic / "submission", same)
    data = run_json("compare", str(realistic / "submission"), str(same), *common)
    assert all(m["p_value"] == 1.0 for m in data["metrics"])  # type: ignore[union-attr]
    assert data["significant"] == []


def test_compare_tables_show_both_runs_and_the_difference(tmp_path: Path) -> None:
    counts = tmp_path / "a.json"
    run("evaluate", *golden("t50-small"), "--save-counts", str(counts))
    code, out, _ = run("compare", str(counts), str(counts), "--format", "markdown")
    assert code == 0
    rows = out.strip().splitlines()
    assert len(rows) == 5
    assert rows[4].startswith("| B - A | - | ImageNet-S50 | 48 | 0.00 [0.00, 0.00]")
    assert rows[4].endswith("| p(mIoU) = 1.000 |")


def test_reports_name_each_class_without_a_synset_list(realistic: Path, tmp_path: Path) -> None:
    html = tmp_path / "report.html"
    common = ["--dataset", str(realistic / "dataset"), "--track", "50", "--html", str(html)]
    data = run_json("evaluate", str(realistic / "submission"), *common)
    classes = {c["wnid"]: c["name"] for c in data["classes"]}  # type: ignore[union-attr]
    assert classes["n01443537"] == "goldfish" and None not in set(classes.values()) - {"other"}
    confusions = data["confusions"]
    assert isinstance(confusions, list) and all(c["truth"]["name"] for c in confusions)
    assert "goldfish" in html.read_text(encoding="utf-8")
    code, out, _ = run("evaluate", str(realistic / "submission"), *common[:4], "--confusions", "3")
    assert code == 0 and "no class names" not in out
    worst = min(data["classes"][1:], key=lambda c: c["IoU"])  # type: ignore[index]
    assert f"{worst['wnid']} {worst['name']}" in " ".join(out.split())
