"""Every bundle `bundle` writes obeys Codabench's unpacker, re-stated from its source.

Read in codalab/codabench at c7dbc756 (2026-03):

- ``src/apps/competitions/unpackers/base_unpacker.py`` lines 115-135
  (``_validate_phase_ordering``): every phase but the last has an ``end``; a
  phase starts strictly after the previous one ends (equal is "Phases dates
  conflict"); line 324 (``_save_competition``): every phase gets
  ``leaderboards[0]``; lines 35-59 (``_get_data_key``): each path named by a
  task becomes a dataset of its own.
- ``src/apps/competitions/unpackers/v2.py`` lines 47-64 (pages exist, non-empty),
  66-108 (tasks: unique ``index``, a ``scoring_program``), 110-158 (solutions:
  ``index``, ``tasks`` naming known tasks, ``path``), 160-179 (terms), 181-239
  (phases sorted by ``index``, ``tasks`` required, ``starting_kit`` a path).
- ``src/apps/competitions/unpackers/utils.py`` lines 30-38 (``get_datetime``:
  any date becomes midnight, a YAML timestamp too since a datetime is a date
  (line 33 is tested first); only a string is parsed with its time of day).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import io
import itertools
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

from submitkit.benchmark.protocols import Protocol
from submitkit.benchmark.tracks import TRACKS
from submitkit.workflows.bundle_kit import README, SAMPLE, WHEEL, method_template
from tests.conftest import Cli
from tests.server_helpers import EXAMPLES, GOLDEN, build_bundle


def _when(value: Any) -> dt.datetime | None:
    """utils.py get_datetime: None stays None, any date (a datetime too) becomes
    midnight, a string is parsed (dateutil there; ISO strings only here)."""
    if not value:
        return None
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    assert isinstance(value, str)
    return dt.datetime.fromisoformat(value)


def unpack(bundle: Path) -> dict[str, Any]:
    """The V2 unpacker's checks, in its order; raises AssertionError where it would refuse."""
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        doc: dict[str, Any] = yaml.safe_load(archive.read("competition.yaml"))
        for page in doc["pages"]:
            assert page["file"] in names and archive.read(page["file"]), page
        tasks: dict[int, dict[str, Any]] = {}
        for task in doc["tasks"]:
            assert task["index"] not in tasks, "Duplicate task indexes"
            assert "scoring_program" in task, "does not have a scoring program"
            for kind in ("scoring_program", "reference_data"):
                assert task[kind] in names, f"Cannot find dataset: {task[kind]}"
            tasks[task["index"]] = task
        seen: set[int] = set()
        for solution in doc.get("solutions") or []:
            assert solution["index"] not in seen and all(t in tasks for t in solution["tasks"])
            assert solution["path"] in names
            seen.add(solution["index"])
        assert archive.read(doc["terms"]), "terms empty"
        Image.open(io.BytesIO(archive.read(doc["image"]))).verify()
        phases = sorted(doc["phases"], key=lambda p: p.get("index", 0))
        for phase in phases:
            assert phase["tasks"] and all(t in tasks for t in phase["tasks"])
            if "starting_kit" in phase:
                assert phase["starting_kit"] in names
        for before, after in itertools.pairwise(phases):
            end, start = _when(before.get("end")), _when(after["start"])
            assert end is not None, (
                f"Phase: {before['name']} must have an end time because it has a phase after it."
            )
            assert start is not None and start > end, "Phases must be sequential"
        board = doc["leaderboards"][0]
        keys = [c["key"] for c in board["columns"]]
        assert len(set(keys)) == len(keys) and all(len(k) <= 36 for k in keys)
        assert all(len(c["title"]) <= 36 for c in board["columns"])
        assert board["submission_rule"] in (
            "Add", "Add_And_Delete", "Add_And_Delete_Multiple",
            "Force_Last", "Force_Latest_Multiple", "Force_Best",
        )  # fmt: skip
        # Each path a task names is stored once per naming task: a reference zip once.
        references = [t["reference_data"] for t in doc["tasks"]]
        assert len(references) == len(set(references))
    return doc


@pytest.fixture(scope="module")
def two_phases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The t50-small golden ground truth stands in for both splits' masks.
    gt = GOLDEN / "t50-small" / "dataset" / "ImageNetS50" / "validation-segmentation"
    return build_bundle(
        tmp_path_factory.mktemp("two") / "b.zip",
        50,
        gt,
        *("--test-ground-truth", str(gt), "--final-start", "2026-03-01"),
        *("--end", "2026-04-01", "--max-submissions", "20", "--max-per-day", "2"),
        *("--contact-email", "organisers@example.org", "--rank", "best"),
        protocol="free",
    )


def test_a_development_and_a_final_phase_pass_the_unpacker(two_phases: Path) -> None:
    doc = unpack(two_phases)
    development, final = doc["phases"]
    assert development["name"].startswith("Development") and final["name"].startswith("Final")
    # A string: as a YAML timestamp Codabench would cut it to 2026-02-28 00:00.
    assert development["end"] == "2026-02-28 23:59:59"
    assert _when(development["end"]) == dt.datetime(2026, 2, 28, 23, 59, 59)
    assert final["start"] == dt.date(2026, 3, 1) and final["end"] == dt.date(2026, 4, 1)
    assert [t["reference_data"] for t in doc["tasks"]] == [
        "reference_validation.zip",
        "reference_test.zip",
    ]
    assert development["max_submissions"] == 20 and development["max_submissions_per_day"] == 2
    assert doc["contact_email"] == "organisers@example.org"
    assert doc["leaderboards"][0]["submission_rule"] == "Force_Best"
    assert [s["tasks"] for s in doc["solutions"]] == [[0], [1]]


def test_the_development_phase_keeps_its_last_day_on_codabench(two_phases: Path) -> None:
    """utils.py lines 33-35: an unquoted ``2026-02-28 23:59:59`` loads as a datetime,
    a date, and becomes 2026-02-28 00:00, closing the phase a day early; the
    quoted string reaches line 37's parser and keeps 23:59:59."""
    with zipfile.ZipFile(two_phases) as archive:
        text = archive.read("competition.yaml").decode()
    assert 'end: "2026-02-28 23:59:59"' in text
    development, final = unpack(two_phases)["phases"]
    gap = _when(final["start"]) - _when(development["end"])
    assert gap == dt.timedelta(seconds=1)


def test_a_single_phase_bundle_passes_the_unpacker(tmp_path: Path) -> None:
    out = build_bundle(
        tmp_path / "b.zip",
        50,
        EXAMPLES / "dataset",
        *("--manifest", str(EXAMPLES / "manifest.json")),
    )
    doc = unpack(out)
    assert len(doc["phases"]) == 1 and "end" not in doc["phases"][0]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--time-limit", "-5"), "--time-limit -5 is not between"),
        (("--max-per-day", "0"), "--max-per-day 0 is not between"),
        (("--max-per-day", "9", "--max-submissions", "3"), "exceeds --max-submissions"),
        (("--contact-email", "nobody"), "is not an e-mail address"),
        (("--end", "2026-01-01"), "is not after the last phase's start"),
        (("--docker-image", "python:3.9-slim"), "needs 3.10 or later"),
        (("--docker-image", "ubuntu:24.04"), "give --image-python X.Y"),
        (("--rank", "worst"), "neither last nor best"),
    ],
)
def test_numbers_and_dates_codabench_would_misread_are_refused(
    args: tuple[str, ...], said: str, tmp_path: Path, cli: Cli
) -> None:
    result = cli(
        [
            *("bundle", "-o", str(tmp_path / "b.zip"), "--track", "50", "--protocol", "semi"),
            *("--ground-truth", str(EXAMPLES / "dataset")),
            *("--manifest", str(EXAMPLES / "manifest.json"), "--start", "2026-02-01", *args),
        ],
    )
    assert result.exit_code == 2, result.output
    assert said in result.stderr and not (tmp_path / "b.zip").exists()


def test_a_truncated_ground_truth_mask_is_refused(tmp_path: Path, cli: Cli) -> None:
    source = EXAMPLES / "dataset" / "ImageNetS50" / "validation-segmentation"
    gt = tmp_path / "gt"
    for mask in sorted(source.rglob("*.png")):
        target = gt / mask.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(mask.read_bytes())
    victim = sorted(gt.rglob("*.png"))[0]
    victim.write_bytes(victim.read_bytes()[:-40])
    (tmp_path / "wheels").mkdir()  # not tmp_path: the output may not lie inside an input
    result = cli(
        [
            *("bundle", "-o", str(tmp_path / "b.zip"), "--track", "50", "--protocol", "semi"),
            *("--ground-truth", str(gt), "--manifest", str(EXAMPLES / "manifest.json")),
            *("--wheels-from", str(tmp_path / "wheels")),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "cannot be decoded" in result.stderr and victim.name in result.stderr
    assert not (tmp_path / "b.zip").exists()


@pytest.mark.parametrize("protocol", list(Protocol))
def test_each_protocol_template_passes_validate_files(
    protocol: Protocol, tmp_path: Path, cli: Cli
) -> None:
    method = tmp_path / "method.txt"
    method.write_text(method_template(TRACKS[50], protocol))
    result = cli(["validate-files", str(method), "--protocol", protocol.value, "--track", "50"])
    assert result.exit_code == 0, result.output


def test_the_starting_kit_commands_run_as_written(
    two_phases: Path, tmp_path: Path, cli: Cli
) -> None:
    with zipfile.ZipFile(two_phases) as outer:
        kit = zipfile.ZipFile(io.BytesIO(outer.read("starting_kit.zip")))
    kit.extractall(tmp_path)
    readme = (tmp_path / README).read_text()
    assert f"pip install {WHEEL}" in readme and (tmp_path / WHEEL).is_file()
    with zipfile.ZipFile(tmp_path / WHEEL) as wheel:
        assert "submitkit/cli/entry.py" in wheel.namelist()
    check = next(line for line in readme.splitlines() if line.startswith("submitkit check"))
    assert SAMPLE in check
    import os
    import shlex

    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = cli(shlex.split(check)[1:])
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output


def test_dry_run_json_names_its_schema_and_the_phases(tmp_path: Path, cli: Cli) -> None:
    gt = GOLDEN / "t50-small" / "dataset" / "ImageNetS50" / "validation-segmentation"
    result = cli(
        [
            *("bundle", "-o", str(tmp_path / "b.zip"), "--track", "50", "--protocol", "semi"),
            *("--ground-truth", str(gt), "--test-ground-truth", str(gt)),
            *("--start", "2026-02-01", "--time-limit", "1200", "--dry-run", "--format", "json"),
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["$schema"] == "bundle.schema.json" and document["written"] is False
    assert [p["split"] for p in document["phases"]] == ["validation", "test"]
    assert document["phases"][1]["start"] == "2026-03-03"
    assert any("600 s" in note for note in document["notes"])
    assert not (tmp_path / "b.zip").exists()


def test_rehearse_prints_each_phase_verdict(tmp_path: Path, cli: Cli) -> None:
    from tests.server_helpers import method_txt, wheelhouse

    submission = tmp_path / "sub.zip"
    with zipfile.ZipFile(submission, "w") as archive:
        folder = EXAMPLES / "submissions" / "valid"
        for path in sorted(folder.rglob("*.png")):
            archive.write(path, f"my-predictions/{path.relative_to(folder).as_posix()}")
        archive.writestr("my-predictions/method.txt", method_txt(Protocol.semi, 50))
    result = cli(
        [
            *("bundle", "-o", str(tmp_path / "b.zip"), "--track", "50", "--protocol", "semi"),
            *("--ground-truth", str(EXAMPLES / "dataset")),
            *("--manifest", str(EXAMPLES / "manifest.json"), "--start", "2026-02-01"),
            *("--wheels-from", str(wheelhouse()), "--rehearse", str(submission), "-q"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rehearsal, Development: scored: mIoU" in result.stdout


def test_every_declared_dependency_is_vendored_for_the_image_python(two_phases: Path) -> None:
    # Derived from the installed metadata, so a dependency added to pyproject is covered.
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    from submitkit.workflows.bundle_program import TargetPython

    target = TargetPython(sys.version_info[:2]).marker_environment()
    declared = {
        canonicalize_name(r.name)
        for r in map(Requirement, importlib.metadata.requires("submitkit") or [])
        if r.marker is None or r.marker.evaluate({**target, "extra": ""})
    }
    with zipfile.ZipFile(two_phases) as outer:
        program = zipfile.ZipFile(io.BytesIO(outer.read("scoring_program.zip")))
    wheels = {
        canonicalize_name(n.split("/")[1].split("-")[0])
        for n in program.namelist()
        if n.startswith("wheels/")
    }
    assert declared and declared <= wheels, declared - wheels


def test_a_pin_the_image_python_cannot_install_is_refused(tmp_path: Path, cli: Cli) -> None:
    from packaging.specifiers import SpecifierSet

    from submitkit.workflows.bundle_program import TargetPython, vendored_pins

    pins = vendored_pins(TargetPython(sys.version_info[:2]))
    older = (3, 10) if sys.version_info[:2] != (3, 10) else (3, 11)
    excluded = [
        p.name
        for p in pins
        if p.version
        and (needs := importlib.metadata.metadata(p.name)["Requires-Python"])
        and f"{older[0]}.{older[1]}.0" not in SpecifierSet(needs)
    ]
    if not excluded:
        pytest.skip(f"every installed dependency supports Python {older[0]}.{older[1]}")
    result = cli(
        [
            *("bundle", "-o", str(tmp_path / "b.zip"), "--track", "50", "--protocol", "semi"),
            *("--ground-truth", str(EXAMPLES / "dataset")),
            *("--manifest", str(EXAMPLES / "manifest.json")),
            *("--docker-image", f"python:{older[0]}.{older[1]}-slim"),
        ],
    )
    assert result.exit_code == 2
    assert f"the image runs Python {older[0]}.{older[1]}, which cannot install it" in (
        result.stderr
    )
    assert not (tmp_path / "b.zip").exists()


def test_the_kit_wheel_installs_and_runs(two_phases: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(two_phases) as outer:
        kit = zipfile.ZipFile(io.BytesIO(outer.read("starting_kit.zip")))
    kit.extract(WHEEL, tmp_path)
    install = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"),
            *("--target", str(tmp_path / "site"), str(tmp_path / WHEEL)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    assert (tmp_path / "site" / "submitkit" / "cli" / "entry.py").is_file()
    entry = (tmp_path / "site").glob("submitkit-*.dist-info/entry_points.txt")
    assert "submitkit = submitkit.cli.entry:main" in next(entry).read_text()


def test_a_program_run_by_another_python_says_so_in_one_line(
    two_phases: Path, tmp_path: Path
) -> None:
    with zipfile.ZipFile(two_phases) as outer:
        zipfile.ZipFile(io.BytesIO(outer.read("scoring_program.zip"))).extractall(tmp_path / "p")
    launcher = tmp_path / "p" / "score.py"
    here = repr(tuple(sys.version_info[:2]))
    launcher.write_text(launcher.read_text().replace(f"PYTHON = {here}", "PYTHON = (3, 99)"))
    run = subprocess.run(
        [sys.executable, "-I", "-S", str(launcher), str(tmp_path / "in"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 3
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("scoring program cannot start: this image runs Python")
    assert "--docker-image python:3.99-slim" in line


@pytest.mark.parametrize("enclosing", ["", "my-predictions/", "broken/"])
def test_every_phase_scores_on_the_emulated_worker(
    enclosing: str, tmp_path: Path, cli: Cli
) -> None:
    # t50-small's ground truth stands in for both splits, so one upload fits both phases.
    from tests.server_helpers import method_txt, wheelhouse

    case = GOLDEN / "t50-small"
    submission = tmp_path / "sub.zip"
    with zipfile.ZipFile(submission, "w") as archive:
        masks = sorted((case / "submission").rglob("*.png"))
        for path in masks[1:] if enclosing == "broken/" else masks:
            name = path.relative_to(case / "submission").as_posix()
            archive.write(path, enclosing + name)
        archive.writestr(enclosing + "method.txt", method_txt(Protocol.semi, 50))
    gt = case / "dataset" / "ImageNetS50" / "validation-segmentation"
    result = cli(
        [
            *("bundle", "-o", str(tmp_path / "b.zip"), "--track", "50", "--protocol", "semi"),
            *("--ground-truth", str(gt), "--test-ground-truth", str(gt)),
            *("--start", "2026-02-01", "--wheels-from", str(wheelhouse())),
            *("--rehearse", str(submission), "--format", "json", "-q"),
        ],
    )
    verdicts = json.loads(result.stdout)["rehearsal"]
    assert [v["phase"] for v in verdicts] == ["Development", "Final"]
    if enclosing == "broken/":
        # A missing mask: each phase refuses it with findings, exit 1, no traceback.
        assert result.exit_code == 1
        for verdict in verdicts:
            assert not verdict["accepted"] and verdict["exit_code"] == 1
            assert verdict["verdict"].endswith("no score: fix the errors above and submit again")
        return
    assert result.exit_code == 0, result.output
    assert all(v["accepted"] and v["verdict"].startswith("scored") for v in verdicts), verdicts


def test_the_pages_install_what_the_kit_carries(two_phases: Path) -> None:
    with zipfile.ZipFile(two_phases) as archive:
        doc = yaml.safe_load(archive.read("competition.yaml"))
        pages = {p["file"]: archive.read(p["file"]).decode() for p in doc["pages"]}
    installs = [
        line for text in pages.values() for line in text.split("`") if "pip install" in line
    ]
    assert installs == [f"pip install {WHEEL}"]
    submission = pages["pages/submission.md"]
    assert "Protocol: free" in submission


def test_the_semi_supervised_template_declares_its_annotations() -> None:
    text = method_template(TRACKS[50], Protocol.semi)
    assert "Fine-tuned with 1% annotations: yes" in text
