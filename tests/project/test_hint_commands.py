"""Every command a finding, summary or refusal prints runs as printed.

The commands are harvested (every backticked ``submitkit ...`` in the text output
and in the JSON hints) from what check, pack and evaluate say about every shipped
example and the golden cases, in a copy of them, then run there in the order
printed (a ``fix`` before the ``pack`` of its output), as a user pastes them. None
may be a usage error (exit 2), hold a placeholder, or drop the options the user gave.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.conftest import invoke_cli

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "fixtures" / "golden"
COMMAND = re.compile(r"`(submitkit [^`]+)`")
PLACEHOLDERS = {"SUB", "DS", "FILE", "OUT", "DIR", "PATH", "...", "N", "CMD", "SUBMISSION"}
INDEX: list[dict[str, Any]] = json.loads(
    (REPO / "examples" / "examples.json").read_text(encoding="utf-8")
)["examples"]


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[None]:
    with contextlib.chdir(folder):
        yield


def _invoke(args: list[str]) -> tuple[int, str]:
    result = invoke_cli([*args, "--quiet"] if args[0] != "--help" else args)
    return result.exit_code, result.stdout + result.stderr


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def _harvest(args: list[str], json_too: bool = True) -> list[str]:
    """The commands printed by ``submitkit ARGS`` as text, then in its JSON document."""
    _, out = _invoke(args)
    found = COMMAND.findall(out)
    if json_too:
        _, out = _invoke([*args, "--format", "json"])
        with contextlib.suppress(json.JSONDecodeError):
            found += [c for s in _strings(json.loads(out)) for c in COMMAND.findall(s)]
    return found


def _run_all(commands: list[str], done: set[str]) -> list[tuple[str, int, str]]:
    """Run each new command once, in order; the ones that were a usage error."""
    failed = []
    for shown in commands:
        if shown in done:
            continue
        done.add(shown)
        words = shlex.split(shown)
        assert not PLACEHOLDERS & set(words), shown
        code, out = _invoke(words[1:])
        if code == 2:
            failed.append((shown, code, out))
    return failed


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hints")
    shutil.copytree(REPO / "examples", root / "examples")
    for case in ("t50-small", "t919-small"):
        shutil.copytree(GOLDEN / case, root / case)
        clusters = root / f"{case}-clusters"
        shutil.copytree(GOLDEN / case / "submission-overcluster", clusters)
        (clusters / "match.json").unlink()
        unmatched = root / f"{case}-unmatched"
        shutil.copytree(GOLDEN / case / "submission-unsup", unmatched)
        (unmatched / "match.json").unlink()
    return root


def test_every_command_printed_about_the_examples_runs(workspace: Path) -> None:
    done: set[str] = set()
    failed = []
    with _inside(workspace):
        for entry in INDEX:
            sub = f"examples/submissions/{entry['name']}"
            given = ["--manifest", "examples/manifest.json", *entry["args"]]
            printed = _harvest(["check", sub, *given])
            failed += _run_all(printed, done)
            out = f"out/{entry['name'].replace('/', '-')}.zip"
            printed = _harvest(["pack", sub, *given, "-o", out], json_too=False)
            failed += _run_all(printed, done)
    assert len(done) > 20  # the harvest found the repair lines and refusals
    assert not failed, failed


def test_every_command_printed_about_the_golden_cases_runs(workspace: Path) -> None:
    done: set[str] = set()
    failed = []
    with _inside(workspace):
        for case in ("t50-small", "t919-small"):
            dataset = ["--dataset", f"{case}/dataset"]
            for sub in ("submission", "submission-unsup", "submission-overcluster"):
                for protocol in ([], ["--protocol", "unsupervised"]):
                    failed += _run_all(
                        _harvest(["check", f"{case}/{sub}", *dataset, *protocol]), done
                    )
            for protocol in ([], ["--protocol", "unsupervised"]):
                failed += _run_all(
                    _harvest(["check", f"{case}-clusters", *dataset, *protocol]), done
                )
                failed += _run_all(
                    _harvest(["pack", f"{case}-clusters", *dataset, *protocol, "-o", "p.zip"]),
                    done,
                )
            failed += _run_all(_harvest(["evaluate", f"{case}-unmatched", *dataset]), done)
    assert any(c.startswith("submitkit match ") for c in done), done
    assert not failed, failed


def test_cluster_ids_under_the_unsupervised_protocol_are_sent_to_match(workspace: Path) -> None:
    with _inside(workspace):
        args = ["check", "t50-small-clusters", "--dataset", "t50-small/dataset"]
        code, out = _invoke([*args, "--protocol", "unsupervised"])
        assert code == 1
        assert "--from imagenet1k" not in out
        (shown,) = [c for c in COMMAND.findall(out) if c.startswith("submitkit match")]
        # match.json, or match-2.json where an earlier command of this module wrote one.
        assert re.fullmatch(
            r"submitkit match t50-small-clusters --dataset t50-small/dataset --clusters 100 "
            r"-o match(-\d+)?\.json",
            shown,
        ), shown


def _one_example(tmp_path: Path, name: str) -> str:
    """A copy of one example and the manifest in ``tmp_path``; the copy's path there."""
    shutil.copy(REPO / "examples" / "manifest.json", tmp_path / "manifest.json")
    shutil.copytree(REPO / "examples" / "submissions" / name, tmp_path / "sub")
    return "sub"


GIVEN = ["--manifest", "manifest.json", "--protocol", "semi"]


def test_repair_lines_carry_the_users_sources_and_protocol(tmp_path: Path) -> None:
    sub = _one_example(tmp_path, "broken/M003-grayscale")
    with _inside(tmp_path):
        _, out = _invoke(["check", sub, *GIVEN])
        assert f"`submitkit fix sub -o sub-fixed {' '.join(GIVEN)}`" in out


def test_a_refusal_never_proposes_an_output_that_exists(tmp_path: Path) -> None:
    sub = _one_example(tmp_path, "broken/M004-palette")
    with _inside(tmp_path):
        Path("sub-fixed").mkdir()
        _, out = _invoke(["pack", sub, *GIVEN, "-o", "x.zip"])
        assert "`submitkit fix sub -o sub-fixed-2 " in out and "-o sub-fixed " not in out
        assert f"then `submitkit pack sub-fixed-2 {' '.join(GIVEN)}`" in out


def test_a_folder_name_with_a_space_is_one_shell_word(tmp_path: Path) -> None:
    _one_example(tmp_path, "broken/M005-rgba")
    with _inside(tmp_path):
        Path("sub").rename("my run")
        _, out = _invoke(["check", "my run", "--manifest", "manifest.json"])
        (shown,) = COMMAND.findall(out)
        assert shlex.split(shown)[2] == "my run" and "'my run'" in shown
        assert _run_all([shown], set()) == []


def test_E001_names_the_submission_and_dataset(workspace: Path) -> None:
    with _inside(workspace):
        _, out = _invoke(["evaluate", "t50-small-unmatched", "--dataset", "t50-small/dataset"])
        match, evaluate = COMMAND.findall(out)
        assert re.fullmatch(
            r"submitkit match t50-small-unmatched --dataset t50-small/dataset -o "
            r"(match(-\d+)?\.json)",
            match,
        ), out
        written = match.rsplit(" ", 1)[1]
        assert evaluate == (
            f"submitkit evaluate t50-small-unmatched --dataset t50-small/dataset --match {written}"
        )


def test_evaluate_on_test_predictions_says_what_it_does(tmp_path: Path) -> None:
    # 1,682 masks: the size of the 50 track's test split and of no validation split.
    image = Image.fromarray(np.zeros((2, 2, 3), np.uint8))
    for i in range(1682):
        path = tmp_path / "test50" / f"n{i % 50:08d}" / f"ILSVRC2012_test_{i:08d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(path)
    with _inside(tmp_path):
        code, out = _invoke(["evaluate", "test50", "--dataset", str(GOLDEN / "t50-small/dataset")])
        assert code == 2
        assert "ImageNet-S50's test images" in out and "919" not in out
        (shown,) = COMMAND.findall(out)
        assert shown == "submitkit check test50 --track 50 --split test"
        assert _run_all([shown], set()) == []
