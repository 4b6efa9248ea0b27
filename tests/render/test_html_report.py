"""The HTML report: self-contained, escaped, and working in a real headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import invoke_cli
from tests.golden_lists import golden_manifest

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def write_report(tmp_path: Path, case: str, *extra: str) -> Path:
    out = tmp_path / "report.html"
    result = invoke_cli(
        [
            "evaluate",
            str(GOLDEN / case / "submission"),
            "--dataset",
            str(GOLDEN / case / "dataset"),
            # The case's own lists: its classes get their wnids (and names).
            "--manifest",
            str(golden_manifest(case, tmp_path)),
            "--html",
            str(out),
            "--quiet",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="module")
def report_919(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(tmp_path_factory.mktemp("html"), "t919-small", "--bootstrap", "50")


def test_the_page_is_self_contained(report_919: Path) -> None:
    page = report_919.read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page
    assert not re.search(r"""(src|href)=['"]?(https?:)?//""", page)
    assert re.search(r"src='data:image/png;base64,", page)


def test_every_class_of_the_919_track_has_a_row(report_919: Path) -> None:
    page = report_919.read_text(encoding="utf-8")
    assert len(re.findall(r"<tr data-id=", page)) == 920
    assert "Worst images" in page and "Largest confusions" in page
    assert "percentile bootstrap over images, 50 resamples" in page


def test_text_from_data_is_escaped(tmp_path: Path) -> None:
    synsets = tmp_path / "synsets.txt"
    synsets.write_text("n10000000 <script>alert(1)</script>, x\n")
    page = write_report(tmp_path, "t50-small", "--synsets", str(synsets)).read_text()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def chromium() -> str:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no headless Chromium on PATH: `apt-get install -y chromium` to run this test")


def browse(page: Path, query: str, tmp_path: Path, *args: str) -> str:
    done = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
            f"{page.as_uri()}?{query}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def rows_of(dom: str) -> list[dict[str, str]]:
    rows = re.findall(r"<tr (data-id=[^>]*)>", dom)
    return [dict(re.findall(r'data-(\w+)="([^"]*)"', attrs)) for attrs in rows]


def test_the_table_sorts_in_chromium(report_919: Path, tmp_path: Path) -> None:
    dom = browse(report_919, "sort=iou&dir=desc", tmp_path, "--dump-dom")
    assert 'data-sorted="iou:desc"' in dom
    ious = [float(r["iou"]) for r in rows_of(dom)]
    assert len(ious) == 920
    assert ious == sorted(ious, reverse=True)
    assert ious[0] > ious[-1]

    dom = browse(report_919, "sort=wnid", tmp_path, "--dump-dom")
    assert 'data-sorted="wnid:asc"' in dom
    wnids = [r["wnid"] for r in rows_of(dom)]
    assert wnids == sorted(wnids)


def test_the_filter_hides_other_rows_in_chromium(report_919: Path, tmp_path: Path) -> None:
    dom = browse(report_919, "filter=n10000000", tmp_path, "--dump-dom")
    shown = re.findall(r"<tr data-id=[^>]*>", dom)
    visible = [row for row in shown if " hidden" not in row]
    assert len(visible) == 1 and 'data-wnid="n10000000"' in visible[0]
    assert "1 of 920 classes" in dom


def test_a_screenshot_shows_the_page(report_919: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    browse(report_919, "sort=iou", tmp_path, f"--screenshot={shot}", "--window-size=1280,1600")
    with Image.open(shot) as im:
        assert im.size == (1280, 1600)
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50
