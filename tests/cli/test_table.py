"""`submitkit table`: several saved runs in one paper table, against a baseline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import invoke_cli

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden"
COLUMN_PT = 241.0
"""The text width of one column of a two-column paper (CVPR, IEEE: 3.33 in)."""


def _invoke(*args: str) -> tuple[int, str]:
    result = invoke_cli(list(args))
    return result.exit_code, result.stdout + result.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three runs of t50-real: counts of two submissions, the JSON of a third."""
    root = tmp_path_factory.mktemp("runs")
    case = GOLDEN / "t50-real"
    dataset = ["--dataset", str(case / "dataset"), "--quiet"]
    out = {"a": root / "a.json", "b": root / "b.json", "c": root / "c.json"}
    for key, folder in (("a", "submission"), ("b", "submission-overcluster")):
        code, text = _invoke(
            "evaluate", str(case / folder), *dataset, "--save-counts", str(out[key])
        )
        assert code == 0, text
    result = invoke_cli(["evaluate", str(case / "submission-unsup"), *dataset, "--format", "json"])
    out["c"].write_text(result.stdout, encoding="utf-8")
    return out


def _json(*args: str) -> dict[str, object]:
    code, text = _invoke("table", *args, "--format", "json")
    assert code == 0, text
    data: dict[str, object] = json.loads(text[: text.rindex("}") + 1])
    return data


def test_rows_are_named_and_differences_signed_with_intervals(runs: dict[str, Path]) -> None:
    data = _json(
        str(runs["a"]), str(runs["b"]), "--name", "PASS", "--name", "Ours", "--bootstrap", "200"
    )
    assert data["$schema"] == "table.schema.json" and data["baseline"] == "PASS"
    base, ours = data["runs"]  # type: ignore[misc]
    assert (base["name"], base["baseline"], ours["name"]) == ("PASS", True, "Ours")
    assert base["differences"] == {} and set(base["intervals"]) == {"mIoU", "Acc", "mBIoU"}
    diff = ours["differences"]["mBIoU"]
    assert diff["delta"] == pytest.approx(ours["values"]["mBIoU"] - base["values"]["mBIoU"])
    low, high = diff["interval"]
    assert low <= high and diff["significant"] is (low > 0 or high < 0)
    assert 0 < diff["p_value"] <= 1
    code, text = _invoke(
        "table", str(runs["a"]), str(runs["b"]), "--name", "PASS", "--name", "Ours"
    )
    assert code == 0
    line = next(row for row in text.splitlines() if row.startswith("| Ours"))
    assert re.search(r"\([+-]\d+\.\d\d \[-?\d+\.\d\d, -?\d+\.\d\d\]\)", line), line


def test_the_same_seed_gives_the_same_table_and_any_baseline(runs: dict[str, Path]) -> None:
    args = [str(runs["a"]), str(runs["b"]), "--bootstrap", "100", "--seed", "3"]
    assert _json(*args) == _json(*args)
    first = _json(*args)
    flipped = _json(*args, "--baseline", "2")
    assert flipped["baseline"] == "b"
    b_minus_a = first["runs"][1]["differences"]["mIoU"]  # type: ignore[index]
    a_minus_b = flipped["runs"][0]["differences"]["mIoU"]  # type: ignore[index]
    assert a_minus_b["delta"] == pytest.approx(-b_minus_a["delta"])
    assert a_minus_b["interval"] == pytest.approx(
        [-b_minus_a["interval"][1], -b_minus_a["interval"][0]]
    )


def test_an_evaluation_json_has_values_but_no_paired_interval(runs: dict[str, Path]) -> None:
    data = _json(str(runs["a"]), str(runs["c"]), "--columns", "mIoU,FMeasure")
    assert data["columns"] == ["mIoU", "FMeasure"]
    row = data["runs"][1]  # type: ignore[index]
    assert row["differences"]["mIoU"]["interval"] is None and row["intervals"] == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "only-one"], "1 --name for 2 runs"),
        (["--columns", "mIoU,nope"], "--columns takes metric names"),
        (["--baseline", "7"], "--baseline '7' names no run"),
    ],
)
def test_bad_options_are_usage_errors(runs: dict[str, Path], args: list[str], message: str) -> None:
    code, text = _invoke("table", str(runs["a"]), str(runs["b"]), *args)
    assert code == 2 and message in text


def test_a_file_that_is_no_run_is_an_environment_error(tmp_path: Path) -> None:
    other = tmp_path / "x.json"
    other.write_text('{"kind": "check"}', encoding="utf-8")
    code, text = _invoke("table", str(other))
    assert code == 2 and "holds no evaluation" in text


def _latex(runs: dict[str, Path], third: str = "Ours w/o x") -> str:
    code, text = _invoke(
        "table", str(runs["a"]), str(runs["b"]), str(runs["c"]),
        "--name", "PASS", "--name", "Ours (full)", "--name", third, "--format", "latex",
    )  # fmt: skip
    assert code == 0, text
    assert "% baseline: PASS; differences: run - baseline" in text
    return text[: text.index("% baseline")]


def _width(cell: str) -> float:
    """Points a cell takes in Computer Modern: \\small 4.5 pt a character, \\scriptsize 3.5."""
    small = re.sub(r"\{\\scriptsize [^}]*\}|\\[a-z]+|[{}$^@\[\]]|\\\\", "", cell)
    tiny = "".join(re.findall(r"\{\\scriptsize ([^}]*)\}", cell))
    if "\\begin{tabular}" in cell:
        top = re.search(r"\}\}([^\\]*)\\\\", cell)
        return max(4.5 * len(top.group(1) if top else ""), 3.5 * len(tiny))
    return 4.5 * len(small)


def test_latex_fits_one_column_of_a_two_column_paper(runs: dict[str, Path]) -> None:
    latex = _latex(runs)
    assert "\\resizebox" not in latex and latex.startswith("{\\small")
    rows = [line for line in latex.splitlines() if line.endswith("\\\\") and "&" in line]
    cells = [line[:-2].split(" & ") for line in rows]
    widths = [max(_width(row[i]) for row in cells) + 8 for i in range(len(cells[0]))]
    assert sum(widths) - 8 <= COLUMN_PT, widths


def test_latex_compiles(runs: dict[str, Path], tmp_path: Path) -> None:
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed: the LaTeX table is checked by its width estimate")
    kpsewhich = shutil.which("kpsewhich")
    if (
        kpsewhich is None
        or not subprocess.run(
            [kpsewhich, "booktabs.sty"], capture_output=True, text=True
        ).stdout.strip()
    ):
        pytest.skip("booktabs.sty is not installed (Debian: texlive-latex-recommended)")
    body = _latex(runs, third="λ=0.5 — é 中")  # names as people write them
    doc = (
        "\\documentclass[twocolumn]{article}\\usepackage{booktabs}\\begin{document}\n"
        f"\\sbox0{{{body}}}\\typeout{{TABLEWIDTH=\\the\\wd0 COLUMN=\\the\\columnwidth}}\n"
        "\\usebox0\\end{document}\n"
    )
    (tmp_path / "t.tex").write_text(doc, encoding="utf-8")
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "t.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    found = re.search(r"TABLEWIDTH=([\d.]+)pt\s*COLUMN=([\d.]+)pt", result.stdout)
    assert found and float(found.group(1)) <= float(found.group(2)), found


def test_latex_escape_keeps_what_pdflatex_reads_and_replaces_what_it_cannot() -> None:
    from submitkit.render.tables import latex_escape

    assert latex_escape("run_#2 50%") == "run\\_\\#2 50\\%"
    assert latex_escape("λ=0.5, Ω") == "$\\lambda$=0.5, $\\Omega$"
    assert latex_escape("Αé — ﬁ") == "Aé --- fi"
    assert latex_escape("中") == "?"
