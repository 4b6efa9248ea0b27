"""Building bundles and running their scoring program the way a platform does."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml
from typer.testing import CliRunner

from submitkit.benchmark.protocols import RULES, Protocol, RowKind
from submitkit.cli.app import app
from submitkit.workflows.bundle import REFERENCE_ZIP, program_zip_name
from submitkit.workflows.method_writer import render_method

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "fixtures" / "golden"
EXAMPLES = REPO / "examples"
START = "2026-02-01"
runner = CliRunner()


def build_bundle(out: Path, track: int, ground_truth: Path, *extra: str) -> Path:
    result = runner.invoke(
        app,
        [
            "bundle",
            "-o",
            str(out),
            "--track",
            str(track),
            "--ground-truth",
            str(ground_truth),
            "--start",
            START,
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def member_zip(bundle: Path, member: str) -> zipfile.ZipFile:
    with zipfile.ZipFile(bundle) as outer:
        return zipfile.ZipFile(io.BytesIO(outer.read(member)))


def platform_input(bundle: Path, submission: Path, root: Path, enclosing: str = "") -> Path:
    """INPUT as the platform lays it out: ref/ unzipped reference data, res/ the upload."""
    member_zip(bundle, REFERENCE_ZIP).extractall(root / "input" / "ref")
    shutil.copytree(submission, root / "input" / "res" / enclosing)
    return root / "input"


def method_txt(protocol: Protocol, track: int, **overrides: bool) -> str:
    """A method.txt the check accepts for ``protocol``; ``overrides`` set declarations."""
    fields = {
        "method_name": "Rehearsal",
        "training_data": f"ImageNet-S{track} train",
        "training_scheme": "SSL",
        "networks": "ResNet-50",
        "description": "Masks for the rehearsal of the scoring program.",
    }
    declarations = {
        r.key: (protocol in r.ticked) if r.kind is RowKind.restriction else False for r in RULES
    }
    text = render_method(fields, protocol, track, declarations)
    for key, value in overrides.items():
        rule = next(r for r in RULES if r.key == key)
        old = f"{rule.declaration}: {'yes' if declarations[key] else 'no'}"
        text = text.replace(old, f"{rule.declaration}: {'yes' if value else 'no'}")
    return text


def rehearse(
    bundle: Path, protocol: Protocol, input_dir: Path, output: Path
) -> subprocess.CompletedProcess[str]:
    """Run the bundle's scoring program for ``protocol`` as the platform does.

    The program zip is unzipped into its own folder, its metadata.yaml command
    is run in a fresh interpreter with $program/$input/$output substituted,
    and with any network use made to fail (pip pointed at nothing, proxies at
    a closed port).
    """
    program = input_dir.parent / f"program-{protocol.value}"
    member_zip(bundle, program_zip_name(protocol)).extractall(program)
    metadata = yaml.safe_load((program / "metadata.yaml").read_text())
    words = str(metadata["command"]).split()
    assert words[0] == "python3"
    substitute = {"$program": str(program), "$input": str(input_dir), "$output": str(output)}
    argv = [sys.executable] + [_substituted(w, substitute) for w in words[1:]]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(input_dir.parent),
        "PIP_NO_INDEX": "1",
        "http_proxy": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(
        argv, cwd=input_dir.parent, env=env, capture_output=True, text=True, timeout=300
    )


def _substituted(word: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        word = word.replace(key, value)
    return word
