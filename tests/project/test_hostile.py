"""The hostile-input probe catalogue: each probe, its exact outcome, and what must never happen.

Every probe builds one hostile input in a scratch folder (tests/probes/builders.py),
runs one command on it, and asserts its code (or its one error line) and exit
status. Around every probe the same rules are checked: no traceback and no
uncaught exception, the secret outside the submission never printed, no raw
control character in any output, every input byte-identical afterwards, and
no file left behind. docs/security.md is the policy these probes hold.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from submitkit.inputs.match_json import MAX_MATCH_BYTES
from submitkit.inputs.method_txt import MAX_METHOD_BYTES
from submitkit.inputs.source import MAX_MEMBER_BYTES
from tests.conftest import Cli, run_submitkit
from tests.probes.builders import (
    MANIFEST,
    MASK,
    SECRET,
    make_socket,
    replace_with_link,
    secret_file,
    snapshot,
    sparse_file,
    valid_copy,
    valid_members,
    with_bad_crc,
    with_declared_count,
    zip_members,
)

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters no output may carry raw (tab and newline are the output's own)."""

Build = Callable[[Path], list[str]]

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="the probes make FIFOs, UNIX sockets and POSIX links"
)


@dataclass
class Probe:
    """One hostile input, the command run on it, and what it must give."""

    name: str
    build: Build
    exit: int
    codes: set[str] = field(default_factory=set)
    """Codes the JSON report must hold (``--format json`` is added)."""
    error: str | None = None
    """A regex the one ``error:`` line on stderr must match (exit 2)."""
    json: bool = True


def check_args(sub: Path, *extra: str) -> list[str]:
    return ["check", str(sub), "--manifest", str(MANIFEST), "--jobs", "1", "--quiet", *extra]


def pack_args(sub: Path, *extra: str) -> list[str]:
    return ["pack", str(sub), "--manifest", str(MANIFEST), "--protocol", "semi", *extra]


# --- folder probes: links, special files, giants -------------------------------------


def method_links_to_secret(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    replace_with_link(sub / "method.txt", secret_file(tmp))
    return check_args(sub)


def mask_links_to_secret(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    replace_with_link(sub / MASK, secret_file(tmp))
    return check_args(sub)


def folder_links_outside(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    outside = tmp / "outside" / "masks"
    outside.parent.mkdir(parents=True)
    (sub / "n20000519").rename(outside)
    os.symlink(outside, sub / "n20000519")
    return check_args(sub)


def link_inside(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    other = "ILSVRC2012_val_00039836.png"
    replace_with_link(sub / MASK, other)
    return check_args(sub)


def link_loop(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    os.symlink("loop-b", sub / "loop-a")
    os.symlink("loop-a", sub / "loop-b")
    os.symlink("self", sub / "n20000519" / "self")
    return check_args(sub)


def dangling_link(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    os.symlink(tmp / "nowhere", sub / "n20000519" / "ILSVRC2012_val_00099999.png")
    return check_args(sub)


def fifo_as_mask(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    (sub / MASK).unlink()
    os.mkfifo(sub / MASK)
    return check_args(sub)


def fifo_as_method(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    (sub / "method.txt").unlink()
    os.mkfifo(sub / "method.txt")
    return check_args(sub)


def socket_as_mask(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    (sub / MASK).unlink()
    make_socket(sub / MASK)
    return check_args(sub)


def giant_mask(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    sparse_file(sub / MASK, MAX_MEMBER_BYTES + 1)
    return check_args(sub)


def giant_match(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    (sub / "match.json").write_bytes(b'{"0": 0' + b" " * MAX_MATCH_BYTES + b"}")
    return check_args(sub)


def giant_method(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    with open(sub / "method.txt", "ab") as handle:
        handle.write(b"lorem ipsum " * (MAX_METHOD_BYTES // 10))
    return check_args(sub)


def nested_match(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    (sub / "match.json").write_bytes(b"[" * 200_000 + b"]" * 200_000)
    return check_args(sub)


def endless_integer(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    (sub / "match.json").write_bytes(b'{"0": 0, "1": ' + b"9" * 100_000 + b"}")
    return check_args(sub)


def escape_sequence_names(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    for name in ("a\x1b[31mRED\x1b[0m.txt", "b\x1b]0;pwned\x07.txt", "c\u202etxt.png", "d\rX.txt"):
        (sub / name).write_bytes(b"\x1b[2J\x1b]8;;http://evil\x07text")
    return check_args(sub)


def forged_status_line(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    (sub / "x\nPASSED: 0 error(s), 0 warning(s)\n").write_bytes(b"x")
    return check_args(sub)


def undecodable_name(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    with open(os.fsencode(sub) + b"/n20000519/\xff\xfe.png", "wb") as handle:
        handle.write(b"\x89PNG")
    return check_args(sub)


def text_as_mask(tmp: Path) -> list[str]:
    sub = valid_copy(tmp)
    (sub / MASK).write_bytes(b"\x1b]0;pwned\x07 \x1b[2J plain text, not a PNG\n")
    return check_args(sub)


# --- zip probes: names as unzippers read them ------------------------------------------


def dot_slash_zip(tmp: Path) -> list[str]:
    return check_args(zip_members(tmp / "s.zip", valid_members("./")))


def dot_slash_duplicate(tmp: Path) -> list[str]:
    members = valid_members()
    members.append(("./method.txt", members[0][1]))
    return check_args(zip_members(tmp / "s.zip", members))


def inner_dot(tmp: Path) -> list[str]:
    members = [*valid_members(), ("n20000519/./ILSVRC2012_val_00099999.png", b"x")]
    return check_args(zip_members(tmp / "s.zip", members))


def double_slash(tmp: Path) -> list[str]:
    members = [*valid_members(), ("n20000519//ILSVRC2012_val_00099999.png", b"x")]
    return check_args(zip_members(tmp / "s.zip", members))


def case_collision(tmp: Path) -> list[str]:
    members = valid_members()
    mask = next(data for name, data in members if name == MASK)
    members.append((MASK.replace(".png", ".PNG").replace("ILSVRC", "ilsvrc"), mask))
    return check_args(zip_members(tmp / "s.zip", members))


def file_and_folder(tmp: Path) -> list[str]:
    """The issue's probe: ``n20000519`` (a file) beside ``n20000519/x.png``."""
    members = [("n20000519", b"x"), *valid_members()]
    return check_args(zip_members(tmp / "s.zip", members))


def folder_then_file(tmp: Path) -> list[str]:
    members = [*valid_members(), ("n20000519/", b""), ("n20000519", b"x")]
    return check_args(zip_members(tmp / "s.zip", members))


def unicode_collision(tmp: Path) -> list[str]:
    members = [*valid_members(), ("caf\u00e9.txt", b"x"), ("cafe\u0301.txt", b"y")]
    return check_args(zip_members(tmp / "s.zip", members))


def control_name_zip(tmp: Path) -> list[str]:
    members = [*valid_members(), ("n20000519/\x1b]0;pwned\x07.png", b"x")]
    return check_args(zip_members(tmp / "s.zip", members))


def backslash_zip(tmp: Path) -> list[str]:
    members = [*valid_members(), ("n20000519\\ILSVRC2012_val_00099999.png", b"x")]
    return check_args(zip_members(tmp / "s.zip", members))


def lying_member_count(tmp: Path) -> list[str]:
    return check_args(with_declared_count(zip_members(tmp / "s.zip", valid_members()), 0xFFFF))


def damaged_method_in_zip(tmp: Path) -> list[str]:
    path = zip_members(tmp / "s.zip", valid_members())
    return check_args(with_bad_crc(path, "method.txt"))


def not_a_zip(tmp: Path) -> list[str]:
    (tmp / "s.zip").write_bytes(b"PK\x03\x04 not a zip at all")
    return check_args(tmp / "s.zip")


# --- configs and options: one error line, exit 2 --------------------------------------


def tool_is_a_string(tmp: Path) -> list[str]:
    (tmp / "pyproject.toml").write_text('tool = "x"\n', encoding="utf-8")
    return check_args(valid_copy(tmp))


def submitkit_is_a_number(tmp: Path) -> list[str]:
    (tmp / "pyproject.toml").write_text("[tool]\nsubmitkit = 3\n", encoding="utf-8")
    return check_args(valid_copy(tmp))


def binary_manifest(tmp: Path) -> list[str]:
    (tmp / "m.json").write_bytes(bytes(range(256)) * 4)
    return ["check", str(valid_copy(tmp)), "--manifest", str(tmp / "m.json")]


def fifo_manifest(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "m.json")
    return ["check", str(valid_copy(tmp)), "--manifest", str(tmp / "m.json")]


def giant_manifest(tmp: Path) -> list[str]:
    sparse_file(tmp / "m.json", 64 * 2**20 + 1)
    return ["check", str(valid_copy(tmp)), "--manifest", str(tmp / "m.json")]


def markup_in_path(tmp: Path) -> list[str]:
    return ["check", str(tmp / "runs[/v2]" / "[bold]sub")]


def escape_in_path(tmp: Path) -> list[str]:
    return ["check", str(tmp / "sub\x1b]0;pwned\x07")]


def root_link_loop(tmp: Path) -> list[str]:
    os.symlink("loop", tmp / "loop")
    return ["check", str(tmp / "loop")]


def root_is_fifo(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "sub.zip")
    return ["check", str(tmp / "sub.zip")]


def pack_into_a_file(tmp: Path) -> list[str]:
    (tmp / "afile").write_bytes(b"")
    sub = valid_copy(tmp)
    return pack_args(sub, "-o", str(tmp / "afile" / "x.zip"))


def binary_method_fields(tmp: Path) -> list[str]:
    (tmp / "fields.toml").write_bytes(b"\xff\xfe\x00binary")
    sub = valid_copy(tmp)
    return pack_args(sub, "--method", str(tmp / "fields.toml"), "-o", str(tmp / "out.zip"))


def validate_fifo(tmp: Path) -> list[str]:
    (tmp / "repo").mkdir()
    os.mkfifo(tmp / "repo" / "method.txt")
    return ["validate-files", str(tmp / "repo" / "method.txt")]


def validate_giant_match(tmp: Path) -> list[str]:
    (tmp / "match.json").write_bytes(b"{}" + b" " * MAX_MATCH_BYTES)
    return ["validate-files", str(tmp / "match.json")]


PROBES = [
    Probe("method-links-to-secret", method_links_to_secret, 1, {"L010", "T001"}),
    Probe("mask-links-to-secret", mask_links_to_secret, 1, {"L010", "N001"}),
    Probe("folder-links-outside", folder_links_outside, 1, {"L010", "N001"}),
    Probe("link-inside", link_inside, 1, {"L010", "N001"}),
    Probe("link-loop", link_loop, 1, {"L010"}),
    Probe("dangling-link", dangling_link, 1, {"L010"}),
    Probe("fifo-as-mask", fifo_as_mask, 1, {"L011", "N001"}),
    Probe("fifo-as-method", fifo_as_method, 1, {"L011", "T001"}),
    Probe("socket-as-mask", socket_as_mask, 1, {"L011", "N001"}),
    Probe("giant-mask", giant_mask, 1, {"L013", "N001"}),
    Probe("giant-match", giant_match, 1, {"J007"}),
    Probe("giant-method", giant_method, 1, {"T010"}),
    Probe("nested-match", nested_match, 1, {"J001"}),
    Probe("endless-integer", endless_integer, 1, {"J001"}),
    Probe("escape-sequence-names", escape_sequence_names, 0, {"L003"}),
    Probe("forged-status-line", forged_status_line, 0, {"L003"}),
    Probe("undecodable-name", undecodable_name, 1, {"N002"}),
    Probe("text-as-mask", text_as_mask, 1, {"M001"}),
    Probe("dot-slash-zip", dot_slash_zip, 0),
    Probe("dot-slash-duplicate", dot_slash_duplicate, 1, {"Z007"}),
    Probe("inner-dot", inner_dot, 1, {"Z008"}),
    Probe("double-slash", double_slash, 1, {"Z008"}),
    Probe("case-collision", case_collision, 1, {"Z009"}),
    Probe("unicode-collision", unicode_collision, 1, {"Z009"}),
    Probe("file-and-folder", file_and_folder, 1, {"Z012"}),
    Probe("folder-then-file", folder_then_file, 1, {"Z012"}),
    Probe("control-name-zip", control_name_zip, 1, {"Z010"}),
    Probe("backslash-zip", backslash_zip, 1, {"Z001"}),
    Probe("lying-member-count", lying_member_count, 1, {"Z011"}),
    Probe("damaged-method-in-zip", damaged_method_in_zip, 1, {"Z006"}),
    Probe("not-a-zip", not_a_zip, 1, {"Z006"}),
    Probe("tool-is-a-string", tool_is_a_string, 2, error=r"`tool` in .* is not a table"),
    Probe("submitkit-is-a-number", submitkit_is_a_number, 2, error=r"\[tool.submitkit\] in"),
    Probe("binary-manifest", binary_manifest, 2, error=r"manifest .* is not UTF-8 text"),
    Probe("fifo-manifest", fifo_manifest, 2, error=r"manifest .* is a named pipe"),
    Probe("giant-manifest", giant_manifest, 2, error=r"manifest .* is larger than 64 MiB"),
    Probe("markup-in-path", markup_in_path, 2, error=r"runs\[/v2\]/\[bold\]sub does not exist"),
    Probe("escape-in-path", escape_in_path, 2, error=r"sub\\x1b\]0;pwned\\x07 does not exist"),
    Probe("root-link-loop", root_link_loop, 2, error=r"loops back on itself"),
    Probe("root-is-fifo", root_is_fifo, 2, error=r"is a named pipe \(FIFO\), neither"),
    Probe("pack-into-a-file", pack_into_a_file, 2, error=r"afile is not a folder", json=False),
    Probe("binary-method-fields", binary_method_fields, 2, error=r"is not UTF-8", json=False),
    Probe("validate-fifo", validate_fifo, 2, error=r"method.txt .* is a named pipe"),
    Probe("validate-giant-match", validate_giant_match, 1, {"J007"}),
]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("SUBMITKIT_"):
            monkeypatch.delenv(key)


@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_probe(probe: Probe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # a probe's pyproject.toml applies; no other one does
    args = probe.build(work)
    if probe.json:
        args += ["--format", "json"]
    before = snapshot(work)
    result = cli(args)
    out, err = result.stdout, result.stderr

    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{probe.name}: uncaught {result.exception!r}\n{err}"
    )
    assert result.exit_code == probe.exit, f"{probe.name}: exit {result.exit_code}\n{out}\n{err}"
    assert "Traceback" not in out + err
    assert SECRET not in out + err, "content from outside the submission was printed"
    assert not CONTROL.search(out + err), f"raw control character: {(out + err)!r}"
    assert snapshot(work) == before, "an input changed or a file was left behind"
    if probe.codes:
        codes = {d["code"] for d in json.loads(out)["diagnostics"]}
        assert probe.codes <= codes, f"{probe.name}: {sorted(codes)}"
    if probe.error is not None:
        lines = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(lines) == 1, err
        assert re.search(probe.error, lines[0]), lines[0]
    if probe.exit == 0:
        assert json.loads(out)["status"].startswith("PASSED")


def test_forged_status_line_stays_on_one_line(tmp_path: Path, cli: Cli) -> None:
    args = forged_status_line(tmp_path)
    result = cli(args)
    status = [line for line in result.stdout.splitlines() if line.startswith("PASSED")]
    assert status == ["PASSED with warnings: 0 error(s), 1 warning(s)"]


def test_dot_slash_zip_packs_at_the_root(tmp_path: Path, cli: Cli) -> None:
    import zipfile

    args = dot_slash_zip(tmp_path)
    out = tmp_path / "packed.zip"
    result = cli(
        ["pack", args[1], "--manifest", str(MANIFEST), "--protocol", "semi", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(out).namelist()
    assert "method.txt" in names and MASK in names
    assert not any(name.startswith("./") for name in names)


def test_pack_refuses_an_unwritable_folder_before_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Cli
) -> None:
    import errno
    import tempfile

    from submitkit.workflows import pack as pack_workflow

    def read_only(*args: object, **kwargs: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")

    def no_check(*args: object, **kwargs: object) -> None:
        raise AssertionError("the check ran before the output folder was judged")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(pack_workflow, "plan_pack", no_check)
    sub = valid_copy(tmp_path)
    args = ["pack", str(sub), "--manifest", str(MANIFEST), "--protocol", "semi"]
    result = cli([*args, "-o", str(tmp_path / "ro" / "x.zip")])
    assert result.exit_code == 2
    assert "does not take new files (Read-only file system)" in result.stderr
    assert not (tmp_path / "ro").exists()


DATASET = MANIFEST.parent / "dataset"
WRITERS = {
    "pack": ("pack", "--manifest", str(MANIFEST), "--protocol", "semi", "-o", "{out}.zip"),
    "fix": ("fix", "--manifest", str(MANIFEST), "-o", "{out}"),
    "match": ("match", "--dataset", str(DATASET), "-o", "{out}.json"),
    "evaluate": ("evaluate", "--dataset", str(DATASET), "--per-image", "{out}.csv"),
    "evaluate-html": ("evaluate", "--dataset", str(DATASET), "--html", "{out}.html"),
    "preview": ("preview", "--dataset", str(DATASET), "-o", "{out}.png"),
}


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_every_writer_refuses_an_output_below_a_file(
    command: str, tmp_path: Path, cli: Cli
) -> None:
    # The output is judged before the work: the refusal names the file in the way.
    (tmp_path / "afile").write_bytes(b"")
    sub = valid_copy(tmp_path)
    name, *options = WRITERS[command]
    out = str(tmp_path / "afile" / "out")
    args = [name, str(sub), *(o.format(out=out) for o in options)]
    before = snapshot(tmp_path)
    result = cli(args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "afile is not a folder" in lines[0], result.stderr
    assert snapshot(tmp_path) == before


def test_manifest_and_bundle_refuse_an_output_below_a_file(tmp_path: Path, cli: Cli) -> None:
    (tmp_path / "afile").write_bytes(b"")
    out = tmp_path / "afile" / "out"
    commands = [
        [
            "manifest",
            "--dataset",
            str(DATASET),
            "--track",
            "50",
            "--split",
            "validation",
            "-o",
            f"{out}.json",
        ],
        [
            "bundle",
            "--track",
            "50",
            "--protocol",
            "free",
            "--ground-truth",
            str(DATASET),
            "-o",
            f"{out}.zip",
        ],
    ]
    for args in commands:
        result = cli(args)
        assert result.exit_code == 2, result.output
        assert "afile is not a folder" in result.stderr


def test_an_enclosing_folder_s_name_never_lands_in_a_shell_command(
    tmp_path: Path, cli: Cli
) -> None:
    folder = "x$(touch PWNED);`id`/"
    archive = zip_members(tmp_path / "s.zip", valid_members(folder))
    result = cli(check_args(archive, "--format", "json"))
    (finding,) = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == "L001"]
    assert "$(touch PWNED)" in finding["message"]
    # Named in quotes, never inside a command to paste into a shell.
    assert "cd " not in finding["hint"] and "&&" not in finding["hint"]


def test_unlistable_subfolder_is_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from submitkit.inputs import source as source_module

    real_scandir = os.scandir
    sub = valid_copy(tmp_path)

    def scandir(path: object) -> object:
        if str(path).endswith("n20002941"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(source_module.os, "scandir", scandir)
    found = source_module.open_source(sub)
    assert [(d.code.value, d.path) for d in found.diagnostics] == [("L012", "n20002941")]
    assert "Permission denied" in found.diagnostics[0].message
    assert not any(e.name.startswith("n20002941/") for e in found.entries)


def test_a_link_planted_after_the_listing_is_not_read(tmp_path: Path) -> None:
    from submitkit.inputs.source import open_source

    sub = valid_copy(tmp_path)
    source = open_source(sub)
    replace_with_link(sub / "method.txt", secret_file(tmp_path))
    with pytest.raises(OSError):
        source.read("method.txt")
    os.rename(sub / "n20000519", tmp_path / "moved")
    os.symlink(tmp_path / "moved", sub / "n20000519")
    with pytest.raises(OSError):
        source.read(MASK)


def test_probes_cover_every_new_code() -> None:
    from submitkit.core.diagnostics import Code

    security = re.compile(r"L01\d|Z0(0[89]|1\d)|J0(0[7-9]|1\d)|T01\d")
    ours = {c.value for c in Code if security.fullmatch(c.value)}
    covered = {code for probe in PROBES for code in probe.codes}
    assert ours - {"L012"} <= covered  # L012 needs a permission the tests cannot take away


# --- the terminal and the streams: the real entry point in a subprocess --------------


def test_legacy_output_encoding_escapes_what_it_cannot_show(tmp_path: Path) -> None:
    sub = valid_copy(tmp_path, "s\u540d")
    (sub / "caf\u00e9 \u540d.txt").write_bytes(b"x")
    before = snapshot(tmp_path)
    done = run_submitkit(check_args(sub), env={"PYTHONIOENCODING": "cp1252"})
    code, out, err = done.returncode, done.stdout, done.stderr
    assert code == 0, err
    assert b"Traceback" not in out + err
    assert b"s\\u540d" in out and "caf\u00e9".encode("cp1252") in out
    assert b"note: the output encoding (cp1252) cannot show some characters" in err
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_full_disk_on_stdout_is_one_line(tmp_path: Path) -> None:
    with open("/dev/full", "wb") as full:
        done = run_submitkit(check_args(valid_copy(tmp_path)), stdout=full)
    code, err = done.returncode, done.stderr
    assert code == 2
    assert err.decode().splitlines()[0] == "error: cannot write the output: No space left on device"
    assert b"Traceback" not in err and b"Exception ignored" not in err


def test_broken_pipe_is_quiet() -> None:
    import subprocess

    process = subprocess.Popen(
        [sys.executable, "-m", "submitkit", "codes"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()  # the reader goes away, as `| head -1` does
    err = process.stderr.read()
    process.wait(timeout=60)
    assert err == b""
    assert process.returncode == 141  # as a shell reports SIGPIPE (core.exits)


def test_error_printer_takes_markup_and_escapes_literally(tmp_path: Path) -> None:
    done = run_submitkit(["check", str(tmp_path / "p[/v2]" / "\x1b[2Jsub")])
    code, out, err = done.returncode, done.stdout, done.stderr
    assert code == 2
    lines = err.decode().splitlines()
    assert lines[0] == f"error: {tmp_path}/p[/v2]/\\x1b[2Jsub does not exist"
    assert b"\x1b" not in out + err


def test_escape_sequences_in_names_never_reach_the_terminal(tmp_path: Path) -> None:
    args = escape_sequence_names(tmp_path)
    for output_format in ("text", "json", "github"):
        done = run_submitkit([*args, "--format", output_format])
        code, out, err = done.returncode, done.stdout, done.stderr
        assert code == 0, err
        assert not CONTROL.search((out + err).decode()), out
        shown = out.decode()
        if output_format == "json":
            shown = " ".join(d["path"] for d in json.loads(shown)["diagnostics"])
        assert "\\x1b]0;pwned\\x07" in shown


def test_security_page_states_every_limit() -> None:
    from submitkit.inputs import source
    from submitkit.inputs.files import human_limit
    from submitkit.inputs.manifest import MAX_MANIFEST_BYTES
    from submitkit.inputs.method_txt import MAX_FIELDS_FILE_BYTES

    page = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text("utf-8")
    rows = {
        "a zip member, uncompressed": human_limit(source.MAX_MEMBER_BYTES),
        "a whole zip, uncompressed": human_limit(source.MAX_TOTAL_BYTES),
        "zip members / central directory": f"{source.MAX_MEMBERS:,} members / "
        f"{human_limit(source.MAX_DIRECTORY_BYTES)}",
        "a file in a submission folder": human_limit(source.MAX_MEMBER_BYTES),
        "`match.json`": human_limit(MAX_MATCH_BYTES),
        "`method.txt`": human_limit(MAX_METHOD_BYTES),
        "`--manifest`, each official list file": human_limit(MAX_MANIFEST_BYTES),
        "`pack --method` fields file": human_limit(MAX_FIELDS_FILE_BYTES),
    }
    for what, limit in rows.items():
        assert f"{what} | {limit} |" in page, (what, limit)
    ratio = f"(members over {human_limit(source.RATIO_FLOOR_BYTES)}) | {source.MAX_RATIO} : 1 |"
    assert ratio in page
