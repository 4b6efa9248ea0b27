"""Codabench's compute worker, step by step, to rehearse a bundle before uploading it.

Each step is the worker's own (codalab/codabench ``compute_worker/compute_worker.py`` at
c7dbc756; line numbers there):

1. prediction step of a results-only submission: the upload is extracted into
   ``program/``; with no ``metadata``/``metadata.yaml`` at its root it is copied
   whole to ``output/`` (``_run_program_directory``, 847-859); ``push_output``
   (1344-1371) then writes a file named ``metadata`` (exit code, elapsed time)
   into ``output/`` and zips the folder with ``shutil.make_archive``
   (``_put_dir``, 1062-1075); ``prepare`` (1148-1160) extracts that zip into the
   scoring step's ``input/res``;
2. scoring step: the scoring program extracted into ``program/``, the task's
   reference data into ``input/ref``, the prediction zip into ``input/res``;
   the command of the program's ``metadata.yaml`` (read 866-872) with ``$program``,
   ``$input`` and ``$output`` replaced (``replace_legacy_metadata_command``,
   264-287), handed to docker-py (which splits it with ``shlex``), no shell, run
   in ``program/`` with ``PYTHONUNBUFFERED=1`` and empty proxies
   (``create_container``, 1036-1050);
3. the verdict: failed iff the exit code is not 0 (1288-1302); the scores are
   ``output/scores.json`` (``push_scores``, 1307-1330).

Here the container is a bare interpreter (``python -I -S``: the standard
library and nothing else, as ``python:3.X-slim``) in a network namespace of its
own where ``unshare -n`` can make one (as root), so a program that needs the
network or an installed package fails here as it would on a worker with
``COMPETITION_CONTAINER_NETWORK_DISABLED`` (1017-1020). The time limit is the
default queue's: min(600 s, the phase's) (``src/apps/competitions/tasks.py``,
117 and 126).
"""

from __future__ import annotations

import io
import json
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from submitkit.core.errors import EnvironmentProblem
from submitkit.workflows.platform_documents import RehearsalVerdict

QUEUE_LIMIT = 600
PLATFORM_METADATA = "metadata"
"""The file the worker's ``push_output`` writes beside the participant's files."""


def prediction_step(submission: Path, root: Path) -> Path:
    """The worker's prediction step for a results-only upload; returns the zip it pushes."""
    program, output = root / "program", root / "output"
    if submission.is_dir():
        shutil.copytree(submission, program)
    else:
        with zipfile.ZipFile(submission) as archive:
            archive.extractall(program)
    if not (program / "metadata.yaml").exists() and not (program / PLATFORM_METADATA).exists():
        shutil.copytree(program, output)
    else:
        output.mkdir()
    # yaml.dump(prog_status, default_flow_style=False) of push_output, for an upload
    # that ran no program.
    (output / PLATFORM_METADATA).write_text(
        "elapsedTime: null\nexitCode: null\ningestionElapsedTime: null\ningestionExitCode: null\n"
    )
    return Path(shutil.make_archive(str(root / "prediction"), "zip", output))


@dataclass
class ScoringRun:
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    network_off: bool
    output: Path


def _network_off_prefix() -> list[str]:
    """``unshare -n`` where it works (root, or user namespaces), else nothing."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    probe = subprocess.run([unshare, "-n", "true"], capture_output=True, check=False)
    return [unshare, "-n"] if probe.returncode == 0 else []


def _command(program: Path, input_dir: Path, output: Path) -> list[str]:
    metadata = program / "metadata.yaml"
    text = metadata.read_text() if metadata.is_file() else ""
    command = ""
    for line in text.splitlines():
        if line.startswith("command:"):
            value = line.split(":", 1)[1].strip()
            command = json.loads(value) if value.startswith('"') else value
    if not command:
        raise EnvironmentProblem(f"{metadata} names no command", "rebuild the bundle")
    for name, folder in (("$input", input_dir), ("$output", output), ("$program", program)):
        command = command.replace(name, str(folder))
    words = shlex.split(command)
    if words and words[0] in ("python", "python3"):
        # The bare image: the standard library only, no site-packages, no user site.
        words = [sys.executable, "-I", "-S", *words[1:]]
    return words


def scoring_step(
    program_zip: bytes, reference_zip: bytes, prediction: Path, root: Path, limit: int
) -> ScoringRun:
    """The scoring step: extract, substitute, run with no shell and (if possible) no network."""
    program, input_dir, output = root / "program", root / "input", root / "output"
    zipfile.ZipFile(io.BytesIO(program_zip)).extractall(program)
    zipfile.ZipFile(io.BytesIO(reference_zip)).extractall(input_dir / "ref")
    with zipfile.ZipFile(prediction) as archive:
        archive.extractall(input_dir / "res")
    output.mkdir()
    prefix = _network_off_prefix()
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONUNBUFFERED": "1"}
    env.update({"http_proxy": "", "https_proxy": "", "HOME": str(root)})
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [*prefix, *_command(program, input_dir, output)],
            cwd=program,
            env=env,
            capture_output=True,
            text=True,
            timeout=min(QUEUE_LIMIT, limit),
            check=False,
        )
        code: int | None = done.returncode
        out, err = done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        code, out, err = None, _text(exc.stdout), _text(exc.stderr)
    return ScoringRun(code, out, err, time.perf_counter() - started, bool(prefix), output)


def _text(data: bytes | str | None) -> str:
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return data or ""


def run_phase(
    bundle: zipfile.ZipFile, task: dict[str, str], submission: Path, limit: int
) -> ScoringRun:
    """One phase's program on ``submission``, both steps, in a folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="submitkit-worker-") as tmp:
        root = Path(tmp)
        (root / "prediction").mkdir()
        prediction = prediction_step(submission, root / "prediction")
        (root / "scoring").mkdir()
        run = scoring_step(
            bundle.read(task["scoring_program"]),
            bundle.read(task["reference_data"]),
            prediction,
            root / "scoring",
            limit,
        )
        scores = run.output / "scores.json"
        kept = Path(tempfile.mkdtemp(prefix="submitkit-rehearsal-"))
        if scores.is_file():
            shutil.copy(scores, kept / "scores.json")
        run.output = kept
        return run


def verdict_of(phase: str, run: ScoringRun, keys: list[str]) -> RehearsalVerdict:
    scores_path = run.output / "scores.json"
    scores = json.loads(scores_path.read_text()) if scores_path.is_file() else None
    shutil.rmtree(run.output, ignore_errors=True)
    last = run.stderr.strip().splitlines()[-1:] or [""]
    if run.exit_code is None:
        said = f"timed out (the default queue's {QUEUE_LIMIT} s)"
    elif run.exit_code != 0:
        said = f"failed, exit {run.exit_code}: {last[0]}"
    elif scores is None or [k for k in keys if k not in scores]:
        said = "failed: scores.json lacks leaderboard keys"
    else:
        said = f"scored: {keys[0]} {scores[keys[0]]:.4f}"
    accepted = said.startswith("scored")
    return RehearsalVerdict(
        phase=phase,
        accepted=accepted,
        exit_code=run.exit_code,
        verdict=said,
        network_off=run.network_off,
        seconds=round(run.seconds, 1),
    )


def rehearse_bundle(
    bundle_path: Path, phases: list[tuple[str, str, str, int]], submission: Path
) -> list[RehearsalVerdict]:
    """Each phase (name, program member, reference member, time limit) on ``submission``."""
    from submitkit.scoring.leaderboard import leaderboard_columns

    if not submission.exists():
        raise EnvironmentProblem(f"{submission} does not exist", "give the submission zip")
    keys = [c.key for c in leaderboard_columns()]
    verdicts = []
    with zipfile.ZipFile(bundle_path) as bundle:
        for name, program, reference, limit in phases:
            task = {"scoring_program": program, "reference_data": reference}
            run = run_phase(bundle, task, submission, limit)
            verdicts.append(verdict_of(name, run, keys))
    return verdicts
