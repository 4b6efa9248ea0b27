"""`submitkit score INPUT OUTPUT`: the scoring program, as the platform runs it."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
import yaml
from PIL import Image

from submitkit.benchmark.protocols import Protocol
from submitkit.scoring.leaderboard import COLUMNS, leaderboard_columns
from submitkit.workflows.bundle import PROGRAM_ZIP
from tests.conftest import Cli, invoke_cli
from tests.server_helpers import (
    EXAMPLES,
    GOLDEN,
    build_bundle,
    method_txt,
    platform_input,
    rehearse,
)

CASES = ("t50-small", "t919-small", "t50-real")
ENTRIES = {
    "evaluate_submission": ("submission", Protocol.semi),
    "evaluate_submission_unsup_with_match_json": ("submission-unsup", Protocol.unsupervised),
    "evaluate_submission_overcluster_with_match_json": (
        "submission-overcluster",
        Protocol.unsupervised,
    ),
}


def _k(case: str) -> int:
    return int(json.loads((GOLDEN / case / "expected.json").read_text())["track"])


@pytest.fixture(scope="module")
def golden_bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bundles")
    return {
        case: build_bundle(root / f"{case}.zip", _k(case), GOLDEN / case / "dataset")
        for case in CASES
    }


@pytest.fixture(scope="module")
def example_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example")
    return build_bundle(
        root / "example.zip",
        50,
        EXAMPLES / "dataset",
        "--manifest",
        str(EXAMPLES / "manifest.json"),
    )


def _with_method(folder: Path, target: Path, protocol: Protocol, track: int) -> Path:
    shutil.copytree(folder, target)
    (target / "method.txt").write_text(method_txt(protocol, track))
    return target


def _evaluate_json(submission: Path, dataset: Path) -> dict[str, Any]:
    result = invoke_cli(
        ["evaluate", str(submission), "--dataset", str(dataset), "--format", "json", "-q"]
    )
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("entry", sorted(ENTRIES))
def test_score_gives_the_numbers_of_evaluate_and_the_official_toolbox(
    case: str, entry: str, golden_bundles: dict[str, Path], tmp_path: Path, cli: Cli
) -> None:
    folder, protocol = ENTRIES[entry]
    submission = _with_method(GOLDEN / case / folder, tmp_path / "sub", protocol, _k(case))
    input_dir = platform_input(golden_bundles[case], submission, tmp_path)
    result = cli(
        ["score", str(input_dir), str(tmp_path / "out"), "--protocol", protocol.value, "-q"]
    )
    assert result.exit_code == 0, result.output
    scores = json.loads((tmp_path / "out" / "scores.json").read_text())
    assert list(scores) == [c.key for c in leaderboard_columns()]
    evaluated = _evaluate_json(submission, GOLDEN / case / "dataset")["scores"]
    official = json.loads((GOLDEN / case / "expected.json").read_text())[entry]
    for column in COLUMNS:
        ours = evaluated[column.key]
        assert scores[column.key] == pytest.approx(ours if ours is not None else 0.0, abs=1e-5)
        if column.key in official:
            assert scores[column.key] == pytest.approx(official[column.key], abs=1e-3)
    # The interval columns: a bootstrap over the images, fixed seed, so always the same bounds.
    assert 0.0 <= scores["mIoU_low"] <= scores["mIoU_high"] <= 100.0
    text = (tmp_path / "out" / "scores.txt").read_text().splitlines()
    assert text[0] == f"mIoU: {scores['mIoU']:.6f}"
    page = (tmp_path / "out" / "detailed_results.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and f"{scores['mIoU']:.2f}" in page
    # The leaderboard's interval is on the page, and the title is said once.
    assert f"[{scores['mIoU_low']:.2f}, {scores['mIoU_high']:.2f}]" in page
    assert page.count("<h1>") == 1 and "Detailed results" in page
    assert str(input_dir) not in page and "manifest.json" not in page


def _broken_mask(submission: Path) -> str:
    victim = sorted(submission.rglob("*.png"))[0]
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8)).save(victim)
    return victim.relative_to(submission).as_posix()


def test_an_invalid_submission_gets_its_findings_and_no_score(
    golden_bundles: dict[str, Path], tmp_path: Path, cli: Cli
) -> None:
    submission = _with_method(
        GOLDEN / "t50-small" / "submission", tmp_path / "sub", Protocol.semi, 50
    )
    name = _broken_mask(submission)
    input_dir = platform_input(golden_bundles["t50-small"], submission, tmp_path)
    out = tmp_path / "out"
    result = cli(["score", str(input_dir), str(out), "--protocol", "semi"])
    assert result.exit_code == 1
    assert "M003" in result.stderr and name in result.stderr
    assert "no score" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert not out.exists()


def test_the_phase_protocol_is_checked_against_method_txt(
    example_bundle: Path, tmp_path: Path, cli: Cli
) -> None:
    # The shipped valid example declares "Protocol: semi".
    input_dir = platform_input(example_bundle, EXAMPLES / "submissions" / "valid", tmp_path)
    result = cli(["score", str(input_dir), str(tmp_path / "out"), "--protocol", "free"])
    assert result.exit_code == 1
    assert "P004" in result.stderr and not (tmp_path / "out").exists()


def test_an_enclosing_folder_left_by_the_unzip_is_looked_through(
    example_bundle: Path, tmp_path: Path, cli: Cli
) -> None:
    input_dir = platform_input(
        example_bundle, EXAMPLES / "submissions" / "valid", tmp_path, enclosing="my-upload"
    )
    result = cli(["score", str(input_dir), str(tmp_path / "out"), "--protocol", "semi"])
    assert result.exit_code == 0, result.output
    # The worker's own metadata file beside the folder changes nothing.
    assert (input_dir / "res" / "metadata").is_file()
    assert "L001" not in result.stderr and "L003" not in result.stderr
    assert "metadata" not in result.stderr
    assert "my-upload" in (tmp_path / "out" / "detailed_results.html").read_text()


def test_an_empty_upload_is_a_finding(example_bundle: Path, tmp_path: Path, cli: Cli) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    input_dir = platform_input(example_bundle, empty, tmp_path)
    result = cli(["score", str(input_dir), str(tmp_path / "out")])
    assert result.exit_code == 1 and "L009" in result.stderr


def test_an_output_that_is_a_file_is_refused_before_scoring(
    example_bundle: Path, tmp_path: Path, cli: Cli
) -> None:
    input_dir = platform_input(example_bundle, EXAMPLES / "submissions" / "valid", tmp_path)
    (tmp_path / "out").write_text("")
    result = cli(["score", str(input_dir), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "is a file: OUTPUT is the folder the scores are written into" in result.stderr


def test_a_missing_reference_is_an_environment_error(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "input" / "res").mkdir(parents=True)
    (tmp_path / "input" / "ref").mkdir()
    result = cli(["score", str(tmp_path / "input"), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "manifest.json" in result.stderr and "Traceback" not in result.stderr


# --- the rehearsal: the bundle's own scoring program, on the emulated worker -------

INVALID: dict[Protocol, tuple[str, dict[str, bool]]] = {
    Protocol.unsupervised: ("P001", {"supervised_pretrained_weights": True}),
    Protocol.distance: ("P001", {"label_generation_finetuning": True}),
    Protocol.semi: ("P001", {"extra_training_data": True}),
    Protocol.free: ("M003", {}),
}


@pytest.fixture(scope="module")
def protocol_bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[Protocol, Path]:
    root = tmp_path_factory.mktemp("protocols")
    return {
        protocol: build_bundle(
            root / f"{protocol.value}.zip",
            50,
            EXAMPLES / "dataset",
            "--manifest",
            str(EXAMPLES / "manifest.json"),
            protocol=protocol.value,
        )
        for protocol in Protocol
    }


def _example_submission(protocol: Protocol, target: Path) -> Path:
    source = "valid-unsupervised" if protocol is Protocol.unsupervised else "valid"
    shutil.copytree(EXAMPLES / "submissions" / source, target)
    (target / "method.txt").write_text(method_txt(protocol, 50))
    return target


def _zipped(folder: Path, out: Path, enclosing: str = "") -> Path:
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{enclosing}{path.relative_to(folder).as_posix()}")
    return out


def _participant_safe(text: str, *server: Path) -> None:
    """Nothing of the server's in what the participant reads."""
    assert "Traceback" not in text
    assert "/app/" not in text and "input/res" not in text and "input/ref" not in text
    assert "metadata" not in text and "--examples" not in text
    # The reference manifest's sources are the organiser's: the log names the images' count.
    assert "submitkit bundle" not in text
    for path in server:
        assert str(path) not in text


@pytest.mark.parametrize("protocol", list(Protocol))
def test_rehearsal_on_the_emulated_worker(
    protocol: Protocol, protocol_bundles: dict[Protocol, Path], tmp_path: Path
) -> None:
    bundle = protocol_bundles[protocol]
    valid = _example_submission(protocol, tmp_path / "valid")
    with zipfile.ZipFile(bundle) as archive:
        board = yaml.safe_load(archive.read("competition.yaml"))["leaderboards"][0]
    keys = [column["key"] for column in board["columns"]]
    for upload in (
        _zipped(valid, tmp_path / "root.zip"),
        _zipped(valid, tmp_path / "enclosed.zip", enclosing="my-predictions/"),
    ):
        ok = rehearse(bundle, upload)
        assert ok.exit_code == 0, ok.stderr
        scores = json.loads((ok.output / "scores.json").read_text())
        assert list(scores) == keys
        assert "L003" not in ok.stderr and "L008" not in ok.stderr
        _participant_safe(ok.stderr + ok.stdout)

    code, declarations = INVALID[protocol]
    invalid = _example_submission(protocol, tmp_path / "invalid")
    if declarations:
        (invalid / "method.txt").write_text(method_txt(protocol, 50, **declarations))
    else:
        _broken_mask(invalid)
    bad = rehearse(bundle, _zipped(invalid, tmp_path / "bad.zip"))
    assert bad.exit_code == 1
    assert code in bad.stderr and "no score" in bad.stderr
    _participant_safe(bad.stderr)
    assert bad.stdout == "" and not (bad.output / "scores.json").exists()


def _unloadable_numpy() -> bytes:
    """A numpy wheel whose import fails, as a wheel built for another platform would."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr("numpy/__init__.py", "raise ImportError('wrong ELF class: ELFCLASS32')\n")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        ("missing", "scoring program cannot start: missing dependency numpy: rebuild the bundle"),
        ("unloadable", "scoring program cannot start: cannot import numpy: wrong ELF class"),
    ],
)
def test_the_program_names_a_broken_dependency_in_one_line(
    damage: str, said: str, protocol_bundles: dict[Protocol, Path], tmp_path: Path
) -> None:
    bundle = protocol_bundles[Protocol.semi]
    with zipfile.ZipFile(bundle) as outer:
        program = zipfile.ZipFile(io.BytesIO(outer.read(PROGRAM_ZIP)))
        broken = io.BytesIO()
        with zipfile.ZipFile(broken, "w") as out:
            for info in program.infolist():
                if not info.filename.startswith("wheels/numpy-"):
                    out.writestr(info, program.read(info))
                elif damage == "unloadable":
                    out.writestr(info, _unloadable_numpy())
        members = {n: outer.read(n) for n in outer.namelist()}
    members[PROGRAM_ZIP] = broken.getvalue()
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(damaged, "w") as out:
        for name, data in members.items():
            out.writestr(name, data)
    valid = _example_submission(Protocol.semi, tmp_path / "valid")
    run = rehearse(damaged, _zipped(valid, tmp_path / "up.zip"))
    assert run.exit_code == 3
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith(said), line


def test_a_rehearsal_on_a_golden_case_gives_the_official_mIoU(
    golden_bundles: dict[str, Path], tmp_path: Path
) -> None:
    bundle = golden_bundles["t919-small"]
    valid = _with_method(
        GOLDEN / "t919-small" / "submission", tmp_path / "valid", Protocol.semi, 919
    )
    ok = rehearse(bundle, _zipped(valid, tmp_path / "up.zip"))
    assert ok.exit_code == 0, ok.stderr
    official = json.loads((GOLDEN / "t919-small" / "expected.json").read_text())
    scores = json.loads((ok.output / "scores.json").read_text())
    assert scores["mIoU"] == pytest.approx(official["evaluate_submission"]["mIoU"], abs=1e-3)


def test_the_shipped_ground_truth_is_read_and_nothing_is_written(
    example_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    from submitkit.workflows.codabench import REFERENCE_TRUTH, ShippedTruth

    monkeypatch.setenv("SUBMITKIT_CACHE_DIR", str(tmp_path / "user-cache"))
    hits: list[str] = []
    original = ShippedTruth.lookup

    def counted(self: ShippedTruth, name: str, data_digest: str) -> Any:
        found = original(self, name, data_digest)
        if found is not None:
            hits.append(name)
        return found

    monkeypatch.setattr(ShippedTruth, "lookup", counted)
    input_dir = platform_input(example_bundle, EXAMPLES / "submissions" / "valid", tmp_path)
    before = sorted(p.relative_to(input_dir).as_posix() for p in input_dir.rglob("*"))
    assert (input_dir / "ref" / REFERENCE_TRUTH).is_file()
    result = cli(
        ["score", str(input_dir), str(tmp_path / "out"), "--protocol", "semi", "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    # Every ground truth came from the bundle's cache: none decoded, none cached anew.
    assert len(hits) == 12
    assert sorted(p.relative_to(input_dir).as_posix() for p in input_dir.rglob("*")) == before
    assert not (tmp_path / "user-cache").exists()


def test_score_json_names_its_schema_and_speaks_to_the_participant(
    example_bundle: Path, tmp_path: Path, cli: Cli
) -> None:
    input_dir = platform_input(example_bundle, EXAMPLES / "submissions" / "valid", tmp_path)
    ok = cli(
        [
            *("score", str(input_dir), str(tmp_path / "out")),
            *("--protocol", "semi", "--format", "json", "-q"),
        ],
    )
    assert ok.exit_code == 0, ok.output
    document = json.loads(ok.stdout)
    assert document["$schema"] == "score.schema.json" and document["accepted"] is True
    jsonschema.validate(document, _score_schema())
    assert list(document["scores"]) == [c.key for c in leaderboard_columns()]
    assert document["report"]["submission"] == "submission.zip"
    assert str(input_dir) not in ok.stdout

    refused = cli(
        [
            *("score", str(input_dir), str(tmp_path / "out2")),
            *("--protocol", "free", "--format", "json", "-q"),
        ],
    )
    assert refused.exit_code == 1
    document = json.loads(refused.stdout)
    assert document["accepted"] is False and document["scores"] is None
    jsonschema.validate(document, _score_schema())
    assert "P004" in {d["code"] for d in document["report"]["diagnostics"]}


def test_an_organiser_error_names_no_server_folder(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "input" / "res").mkdir(parents=True)
    (tmp_path / "input" / "ref").mkdir()
    result = cli(["score", str(tmp_path / "input"), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "INPUT/ref holds no manifest.json" in result.stderr
    assert str(tmp_path) not in result.stderr


def _score_schema() -> dict[str, object]:
    schema: dict[str, object] = json.loads(
        (Path(__file__).parents[2] / "schemas" / "score.schema.json").read_text()
    )
    return schema
