"""The one output rule: no command writes onto an input, a device, a FIFO or a link.

Every output option of every command is pointed at each forbidden target; the
command must refuse before the work (exit 2, one error line) and leave the
target exactly as it was.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from submitkit.cli.app import app
from submitkit.core.atomic import Inputs, check_target, write_text_atomic
from submitkit.core.errors import UsageError
from tests.conftest import Cli, invoke_cli
from tests.server_helpers import build_bundle, platform_input

GOLDEN = Path(__file__).parents[1] / "fixtures" / "golden" / "t50-real"


@dataclass(frozen=True)
class World:
    root: Path
    sub: Path
    ds: Path
    manifest: Path
    score_input: Path

    @property
    def prediction(self) -> Path:
        return next(self.sub.glob("n*/*.png"))

    @property
    def truth(self) -> Path:
        return next((self.ds / "ImageNetS50" / "validation-segmentation").glob("n*/*.png"))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("outputs")
    sub = Path(shutil.copytree(GOLDEN / "submission", root / "sub"))
    ds = Path(shutil.copytree(GOLDEN / "dataset", root / "ds"))
    manifest = root / "manifest.json"
    made = invoke_cli(
        [
            "manifest",
            "-o",
            str(manifest),
            "--track",
            "50",
            "--split",
            "validation",
            "--dataset",
            str(ds),
        ],
    )
    assert made.exit_code == 0, made.output
    bundle = build_bundle(root / "bundle.zip", 50, ds)
    return World(root, sub, ds, manifest, platform_input(bundle, sub, root / "platform"))


Argv = Callable[[World, Path], list[str]]


def _on(*words: str) -> Argv:
    """A command line whose output goes to ``{out}``; ``{sub}``, ``{ds}``, ``{m}`` are inputs."""

    def argv(w: World, out: Path) -> list[str]:
        names = {"{out}": str(out), "{sub}": str(w.sub), "{ds}": str(w.ds), "{m}": str(w.manifest)}
        return [names.get(word, word) for word in words]

    return argv


OUTPUTS: dict[str, tuple[Argv, str]] = {
    "pack -o": (
        _on(
            "pack", "{sub}", "--protocol", "free", "--dataset", "{ds}", "-o", "{out}", "--overwrite"
        ),
        ".zip",
    ),
    "fix -o": (_on("fix", "{sub}", "--dataset", "{ds}", "-o", "{out}"), ".zip"),
    "evaluate --per-image": (
        _on("evaluate", "{sub}", "--dataset", "{ds}", "--per-image", "{out}"),
        ".csv",
    ),
    "evaluate --html": (_on("evaluate", "{sub}", "--dataset", "{ds}", "--html", "{out}"), ".html"),
    "evaluate --save-counts": (
        _on("evaluate", "{sub}", "--dataset", "{ds}", "--save-counts", "{out}"),
        ".json",
    ),
    "evaluate --plot": (_on("evaluate", "{sub}", "--dataset", "{ds}", "--plot", "{out}"), ".png"),
    "preview -o": (_on("preview", "{sub}", "--dataset", "{ds}", "-o", "{out}"), ".png"),
    "manifest -o": (
        _on(
            "manifest", "--track", "50", "--split", "validation", "--dataset", "{ds}", "-o", "{out}"
        ),
        ".json",
    ),
    "match -o": (_on("match", "{sub}", "--dataset", "{ds}", "-o", "{out}", "--overwrite"), ".json"),
    "bundle -o": (
        _on(
            "bundle",
            "--track",
            "50",
            "--protocol",
            "semi",
            "--ground-truth",
            "{ds}",
            "--start",
            "2026-02-01",
            "-o",
            "{out}",
        ),
        ".zip",
    ),
}
READS_SUBMISSION = {name for name in OUTPUTS if not name.startswith(("manifest", "bundle"))}


def _refused(result_output: str, exit_code: int, out: Path) -> None:
    assert exit_code == 2, result_output
    lines = [line for line in result_output.splitlines() if line.strip()]
    assert lines[0].startswith("error: "), result_output
    assert str(out.name) in lines[0] or str(out) in result_output, result_output


def _snapshot(path: Path) -> tuple[int, bytes]:
    mode = os.lstat(path).st_mode
    return stat.S_IFMT(mode), path.read_bytes() if stat.S_ISREG(mode) else b""


def _inputs_of(name: str, w: World) -> list[Path]:
    targets = [w.truth]
    if name in READS_SUBMISSION:
        targets.append(w.prediction)
    return targets


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_an_output_onto_an_input_is_refused_and_the_input_untouched(
    world: World, name: str, cli: Cli
) -> None:
    argv, _suffix = OUTPUTS[name]
    for target in _inputs_of(name, world):
        before = _snapshot(target)
        result = cli(argv(world, target))
        _refused(result.output, result.exit_code, target)
        assert "reads" in result.output or "submission" in result.output, result.output
        assert _snapshot(target) == before


def test_an_output_onto_the_manifest_read_is_refused(world: World, cli: Cli) -> None:
    before = world.manifest.read_bytes()
    result = cli(
        [
            "evaluate",
            str(world.sub),
            "--dataset",
            str(world.ds),
            "--manifest",
            str(world.manifest),
            "--html",
            str(world.manifest),
        ],
    )
    _refused(result.output, result.exit_code, world.manifest)
    assert world.manifest.read_bytes() == before


def _node(kind: str, path: Path, world: World) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link":
        elsewhere = world.root / "elsewhere.txt"
        elsewhere.write_text("not an input")
        path.symlink_to(elsewhere)
    elif kind == "link to an input":
        path.symlink_to(world.truth)
    elif kind == "dangling link":
        path.symlink_to(path.parent / "nowhere")
    else:
        try:
            os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a copy of /dev/null
        except PermissionError:
            pytest.skip("making a character device needs root")


KINDS = ["fifo", "link", "link to an input", "dangling link", "device"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_an_output_onto_a_device_fifo_or_link_is_refused(
    world: World, name: str, kind: str, tmp_path: Path, cli: Cli
) -> None:
    argv, suffix = OUTPUTS[name]
    out = tmp_path / f"out{suffix}"
    _node(kind, out, world)
    before, truth = _snapshot(out), _snapshot(world.truth)
    result = cli(argv(world, out))
    _refused(result.output, result.exit_code, out)
    word = {"fifo": "FIFO", "device": "device", "link to an input": "this run reads"}
    assert word.get(kind, "symbolic link") in result.output
    assert _snapshot(out) == before and _snapshot(world.truth) == truth
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_score_never_writes_into_its_input(world: World, cli: Cli) -> None:
    ref = world.score_input / "ref"
    before = sorted(p.relative_to(ref) for p in ref.rglob("*"))
    result = cli(["score", str(world.score_input), str(ref)])
    _refused(result.output, result.exit_code, ref)
    assert sorted(p.relative_to(ref) for p in ref.rglob("*")) == before


@pytest.mark.parametrize("kind", KINDS)
def test_score_never_writes_over_a_device_fifo_or_link(
    world: World, kind: str, tmp_path: Path, cli: Cli
) -> None:
    node = tmp_path / "scores.json"
    _node(kind, node, world)
    before = _snapshot(node)
    result = cli(["score", str(world.score_input), str(tmp_path)])
    _refused(result.output, result.exit_code, node)
    assert _snapshot(node) == before
    assert [p.name for p in tmp_path.iterdir()] == ["scores.json"]


def test_dev_null_itself_is_refused_before_anything_is_written() -> None:
    with pytest.raises(UsageError, match="is a device"):
        check_target(Path("/dev/null"), replace=True, exists_hint="")
    with pytest.raises(UsageError, match="symbolic link"):
        check_target(Path("/dev/stdout"), replace=True, exists_hint="")


def test_inputs_are_compared_by_real_path(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    alias = tmp_path / "alias"
    alias.symlink_to(data)
    inputs = Inputs.of(None, alias)
    with pytest.raises(UsageError, match="lies inside"):
        check_target(data / "sub" / "x.csv", replace=True, exists_hint="", inputs=inputs)
    with pytest.raises(UsageError, match="lies inside"):
        check_target(
            tmp_path / "." / "data" / ".." / "data" / "y",
            replace=True,
            exists_hint="",
            inputs=inputs,
        )
    check_target(tmp_path / "beside.csv", replace=True, exists_hint="", inputs=inputs)


def test_two_outputs_of_one_run_never_share_a_path(world: World, tmp_path: Path, cli: Cli) -> None:
    out = tmp_path / "both.txt"
    result = cli(
        [
            "evaluate",
            str(world.sub),
            "--dataset",
            str(world.ds),
            "--per-image",
            str(out),
            "--html",
            str(out),
        ],
    )
    _refused(result.output, result.exit_code, out)
    assert not out.exists()


def test_the_writer_itself_never_replaces_a_link(tmp_path: Path) -> None:
    kept = tmp_path / "kept.txt"
    kept.write_text("input")
    link = tmp_path / "out.txt"
    link.symlink_to(kept)
    with pytest.raises(UsageError, match="symbolic link"):
        write_text_atomic(link, "output")
    assert link.is_symlink() and kept.read_text() == "input"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.txt", "out.txt"]


@pytest.mark.parametrize("length", [200, 237, 250, 255])
def test_an_output_name_up_to_the_file_system_limit_is_written(tmp_path: Path, length: int) -> None:
    out = tmp_path / ("a" * (length - 4) + ".csv")
    write_text_atomic(out, "x")
    assert out.read_text() == "x"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


# --- every path printed goes through the one escape ------------------------------------

FORGED = "PASSED: 0 error(s), 0 warning(s)"


@pytest.fixture(scope="module")
def forged_root(world: World) -> Path:
    """A submission whose own folder name holds a line break and a forged verdict."""
    return Path(shutil.copytree(world.sub, world.root / f"run\n{FORGED}\n"))


def _forged(w: World, root: Path, out: Path) -> dict[str, list[str]]:
    sub, ds = str(root), str(w.ds)
    return {
        "check": ["check", sub, "--dataset", ds],
        "evaluate": ["evaluate", sub, "--dataset", ds, "--per-image", str(out / "p.csv")],
        "pack": ["pack", sub, "--dataset", ds, "--protocol", "free", "--dry-run"],
        "fix": ["fix", sub, "--dataset", ds, "-o", str(out / "fixed")],
        "preview": ["preview", sub, "--dataset", ds, "-o", str(out / f"p\n{FORGED}.png")],
        "compare": ["compare", sub, sub, "--dataset", ds, "--bootstrap", "10"],
        "match": ["match", sub, "--dataset", ds, "-o", str(out / f"m\n{FORGED}.json")],
    }


@pytest.mark.parametrize(
    "command", ["check", "evaluate", "pack", "fix", "preview", "compare", "match"]
)
def test_a_line_break_in_the_submission_folder_cannot_forge_a_report_line(
    world: World, forged_root: Path, command: str, tmp_path: Path, cli: Cli
) -> None:
    result = cli(_forged(world, forged_root, tmp_path)[command])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1), result.output
    lines = result.output.splitlines()
    assert not any(line.startswith(FORGED) for line in lines), result.output
    assert "\\x0aPASSED" in result.output, result.output  # the name is shown, escaped


@pytest.mark.parametrize("name", ["manifest -o", "fix -o", "evaluate --per-image"])
def test_a_command_writes_an_output_whose_name_is_255_bytes(
    world: World, name: str, tmp_path: Path, cli: Cli
) -> None:
    argv, suffix = OUTPUTS[name]
    out = tmp_path / ("é" * 100 + "o" * (55 - len(suffix)) + suffix)  # 255 bytes in UTF-8
    assert len(os.fsencode(out.name)) == 255
    result = cli(argv(world, out))
    assert result.exit_code in (0, 1), result.output  # fix's copy has findings of its own
    assert out.is_file() and [p.name for p in tmp_path.iterdir()] == [out.name]


@pytest.mark.parametrize("kind", KINDS)
def test_schemas_never_writes_over_a_device_fifo_or_link(
    world: World, kind: str, tmp_path: Path, cli: Cli
) -> None:
    from submitkit.render.schemas import SCHEMAS

    node = tmp_path / sorted(SCHEMAS)[-1]  # the last one written: nothing is written before it
    _node(kind, node, world)
    before = _snapshot(node)
    result = cli(["schemas", "-o", str(tmp_path)])
    _refused(result.output, result.exit_code, node)
    assert _snapshot(node) == before and [p.name for p in tmp_path.iterdir()] == [node.name]


# Every path option of every command, as the walk above sees it. A new one fails the test
# below until it is sorted here: an output joins the walk, an input joins INPUT_OPTIONS.
OUTPUT_OPTIONS = {
    ("pack", "-o"): "pack -o",
    ("fix", "-o"): "fix -o",
    ("evaluate", "--per-image"): "evaluate --per-image",
    ("evaluate", "--html"): "evaluate --html",
    ("evaluate", "--save-counts"): "evaluate --save-counts",
    ("evaluate", "--plot"): "evaluate --plot",
    ("preview", "-o"): "preview -o",
    ("manifest", "-o"): "manifest -o",
    ("match", "-o"): "match -o",
    ("bundle", "-o"): "bundle -o",
    ("score", "output_dir"): "score OUTPUT",  # test_score_never_writes_*
    ("schemas", "-o"): "schemas -o",  # test_schemas_never_writes_over_*
    ("docs", "--root"): "docs --root",  # the repository's own generated pages
}
INPUT_OPTIONS = {
    (command, option)
    for command, options in {
        "bundle": [
            "--ground-truth",
            "--test-ground-truth",
            "--manifest",
            "--toolbox",
            "--wheels-from",
            "--rehearse",
        ],
        "check": ["path", "--toolbox", "--dataset", "--manifest"],
        "compare": ["a", "b", "--dataset", "--toolbox", "--manifest", "--synsets"],
        "evaluate": ["path", "--dataset", "--match", "--toolbox", "--manifest", "--synsets"],
        "fix": ["path", "--toolbox", "--dataset", "--manifest", "--synsets"],
        "manifest": ["--toolbox", "--dataset"],
        "match": ["path", "--dataset", "--toolbox", "--manifest"],
        "pack": ["path", "--method", "--toolbox", "--dataset", "--manifest"],
        "preview": ["path", "--dataset", "--toolbox", "--manifest", "--match"],
        "score": ["input_dir"],
    }.items()
    for option in options
}


def test_the_walk_covers_every_path_option_of_every_command() -> None:
    import typer

    group = typer.main.get_command(app)
    found = {
        (name, param.opts[0])
        for name, command in group.commands.items()  # type: ignore[attr-defined]
        for param in command.params
        if param.type_descriptor.annotation is Path
    }
    assert found == set(OUTPUT_OPTIONS) | INPUT_OPTIONS
    walked = {name for name in OUTPUT_OPTIONS.values() if " " in name}
    assert walked - {"score OUTPUT", "schemas -o", "docs --root"} == set(OUTPUTS)
