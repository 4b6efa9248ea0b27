"""Building bundles and running their scoring program the way a platform does."""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from submitkit.benchmark.protocols import RULES, Protocol, RowKind
from submitkit.benchmark.tracks import Split
from submitkit.workflows.bundle import PROGRAM_ZIP, reference_zip_name
from submitkit.workflows.bundle_program import TargetPython, fetch_wheels, vendored_pins
from submitkit.workflows.method_writer import render_method
from submitkit.workflows.rehearsal import ScoringRun, prediction_step, run_phase
from tests.conftest import invoke_cli

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "fixtures" / "golden"
EXAMPLES = REPO / "examples"
START = "2026-02-01"


def wheelhouse() -> Path:
    """Wheels for this Python: ``$SUBMITKIT_TEST_WHEELS``, else fetched once and kept.

    Bundles in the tests take their wheels from here (``--wheels-from``), so
    building one reads no index: an offline CI points the variable at a folder
    of wheels; elsewhere only the first run reads pip's index (or its cache).
    """
    given = os.environ.get("SUBMITKIT_TEST_WHEELS")
    name = f"submitkit-test-wheels-{sys.version_info[0]}{sys.version_info[1]}"
    folder = Path(given) if given else Path(tempfile.gettempdir()) / name
    target = TargetPython(sys.version_info[:2])
    pins = vendored_pins(target)
    have = {w.name.split("-", 1)[0].lower().replace("_", "-") for w in folder.glob("*.whl")}
    if not all(pin.name in have for pin in pins):
        fetch_wheels(pins, target, folder)
    return folder


def build_bundle(
    out: Path, track: int, ground_truth: Path, *extra: str, protocol: str = "semi"
) -> Path:
    result = invoke_cli(
        [
            "bundle",
            "-o",
            str(out),
            "--track",
            str(track),
            "--ground-truth",
            str(ground_truth),
            "--protocol",
            protocol,
            "--start",
            START,
            "--docker-image",
            f"python:{sys.version_info[0]}.{sys.version_info[1]}-slim",
            "--wheels-from",
            str(wheelhouse()),
            "-q",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def member_zip(bundle: Path, member: str) -> zipfile.ZipFile:
    with zipfile.ZipFile(bundle) as outer:
        return zipfile.ZipFile(io.BytesIO(outer.read(member)))


def platform_input(
    bundle: Path,
    submission: Path,
    root: Path,
    enclosing: str = "",
    split: Split = Split.validation,
) -> Path:
    """INPUT as Codabench's worker lays it out (see submitkit.workflows.rehearsal).

    The upload goes through the prediction step (copied to output/, the
    worker's ``metadata`` file added, zipped by shutil.make_archive) and is
    extracted into res/; the task's reference data is extracted into ref/.
    """
    upload = root / "upload"
    shutil.copytree(submission, upload / enclosing if enclosing else upload)
    (root / "prediction").mkdir(parents=True)
    prediction = prediction_step(upload, root / "prediction")
    with zipfile.ZipFile(prediction) as archive:
        archive.extractall(root / "input" / "res")
    member_zip(bundle, reference_zip_name(split)).extractall(root / "input" / "ref")
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


def rehearse(bundle: Path, submission: Path, split: Split = Split.validation) -> ScoringRun:
    """The bundle's program on ``submission`` as the worker runs it: bare Python, network off."""
    with zipfile.ZipFile(bundle) as archive:
        task = {"scoring_program": PROGRAM_ZIP, "reference_data": reference_zip_name(split)}
        return run_phase(archive, task, submission, 600)
