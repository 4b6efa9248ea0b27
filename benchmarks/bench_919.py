"""Every command that reads pixels, on the 919 track at ImageNet sizes, as ratios in one run.

Builds (or reuses, ``--root``) a realistic 919-track validation set
(``realistic_set.py --track 919``: by default 3,000 images, every fourth
official name, mostly 375x500, ids above 255 in about three ground truths of
four) and times, interleaved over ``--repeats`` rounds so that a loaded
machine weighs on all alike, the commands as a user runs them (a fresh
process each, startup included):

* the floor: every ground-truth and prediction PNG decoded once with Pillow
  (``np.asarray(Image.open(p))``), split over 2 processes;
* ``evaluate --no-cache``, ``evaluate`` with the ground-truth cache warm,
  ``check``, ``match --clusters 2K`` and ``pack``, all cores;
* with ``--official CMD``, the official evaluator, in the same rounds. CMD is a
  command template with ``{submission}`` and ``{ground_truth}`` (the set's
  prediction and ground-truth folders); on a CPU machine it runs the official
  ``evaluation/evaluator.py`` through ``benchmarks/official_harness.py`` (its
  docstring says what the venv needs and what the harness changes at run
  time), for example::

    --official "VENV/bin/python benchmarks/official_harness.py TOOLBOX --subset \
        --threads 1 --predict-dir {submission} --gt-dir {ground_truth} \
        --workers 2 --mode 919"

  ``--subset`` scores the images of the set out of the official 12,419-name
  list. The ratio official / ``evaluate --no-cache`` is printed against the
  goal (>= 50x), and the official mIoU (at full precision, from the harness's
  ``harness-metrics:`` line) against submitkit's, which must agree within 1e-3.

Prints each command's median and spread, and the ratios the issue sets as
goals (median of the per-round ratios, and their range), with met / NOT met.

    python benchmarks/bench_919.py [--root SET] [--images N] [--repeats R]
        [--baseline PY] [--official CMD]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if importlib.util.find_spec("submitkit") is None:  # run from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import realistic_set

from submitkit.benchmark.tracks import Split
from submitkit.inputs.manifest import manifest_from_names

K = 919
OFFICIAL = "official evaluator"
OFFICIAL_GOAL = 50.0
"""The official evaluator at least this many times slower than ``evaluate --no-cache``."""
MIOU_TOLERANCE = 1e-3
MARKER = "harness-metrics: "

FLOOR = """
import sys, numpy as np
from multiprocessing import Pool
from pathlib import Path
from PIL import Image

def decode(paths):
    for p in paths:
        with Image.open(p) as im:
            np.asarray(im)

files = [p for top in sys.argv[1:] for p in sorted(Path(top).rglob("*.png"))]
with Pool(2) as pool:
    pool.map(decode, [files[0::2], files[1::2]])
"""

GOALS = (
    ("evaluate --no-cache", "floor", 0.6),
    ("evaluate cached", "floor", 0.4),
    ("check", "floor", 0.3),
    ("match --clusters", "evaluate --no-cache", 1.1),
    ("pack", "check", 1.2),
)


def _commands(root: Path, out: Path, python: str = sys.executable) -> dict[str, list[str]]:
    # -I: the current folder (a checkout) is not put first on sys.path, so a baseline
    # interpreter runs its own submitkit, not the one in the folder the script runs from.
    exe = [python, "-I", "-c", "from submitkit.cli.entry import main; main()"]
    sub, data, manifest = root / "submission", root / "dataset", root / "manifest.json"
    common = ["--manifest", str(manifest), "--track", str(K), "--quiet"]
    packed = ["-o", str(out / "sub.zip"), "--overwrite"]
    return {
        "floor": [sys.executable, "-c", FLOOR, str(_truth(root)), str(sub)],
        "evaluate --no-cache": [
            *exe,
            "evaluate",
            str(sub),
            "--dataset",
            str(data),
            *common,
            "--no-cache",
        ],
        "evaluate cached": [*exe, "evaluate", str(sub), "--dataset", str(data), *common],
        "check": [*exe, "check", str(sub), *common],
        "match --clusters": [
            *exe,
            "match",
            str(sub),
            "--dataset",
            str(data),
            *common,
            "--clusters",
            str(2 * K),
            "-o",
            str(out / "match.json"),
            "--overwrite",
        ],
        "pack": [*exe, "pack", str(sub), *common, "--protocol", "semi", *packed],
    }


def _truth(root: Path) -> Path:
    return root / "dataset" / f"ImageNetS{K}" / "validation-segmentation"


def _prepare(root: Path, images: int) -> None:
    if not (root / "submission").is_dir():
        realistic_set.build(root, realistic_set.default_toolbox(), images, every=4, track=K)
        shutil.rmtree(root / "degraded", ignore_errors=True)
    gt = _truth(root)
    names = sorted(p.relative_to(gt).as_posix()[:-4] for p in gt.rglob("*.png"))
    manifest = manifest_from_names(K, Split.validation, names)
    (root / "manifest.json").write_text(manifest.model_dump_json(), encoding="utf-8")


def _run(command: list[str], env: dict[str, str]) -> float:
    return _run_capturing(command, env)[0]


def _run_capturing(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds the command took, and its stdout."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command} failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
    return took, done.stdout.decode(errors="replace")


def _official_command(template: str, root: Path) -> list[str]:
    filled = template.format(submission=root / "submission", ground_truth=_truth(root))
    return shlex.split(filled)


def _official_miou(stdout: str) -> float | None:
    """The mIoU of the harness's full-precision line, None if the output has none."""
    lines = [line for line in stdout.splitlines() if line.startswith(MARKER)]
    return float(json.loads(lines[-1][len(MARKER) :])["mIoU"]) if lines else None


def _submitkit_miou(command: list[str], env: dict[str, str]) -> float:
    """evaluate's mIoU from its JSON document (this run also fills the cache)."""
    stdout = _run_capturing([*command, "--format", "json"], env)[1]
    return float(json.loads(stdout)["scores"]["mIoU"])


def _ratio_line(label: str, ratios: list[float], goal: str, met: bool) -> str:
    med = statistics.median(ratios)
    spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
    return f"{label:56} {med:5.2f}x ({spread}); goal {goal}: {'met' if met else 'NOT met'}"


def _report_official(
    times: dict[str, list[float]], outputs: list[str], ours: float, baseline: bool
) -> None:
    """The official / evaluate --no-cache ratio against its goal, and the two mIoUs."""
    goal = f">= {OFFICIAL_GOAL:.0f}x"
    for over in ("evaluate --no-cache", "evaluate --no-cache (baseline)")[: 1 + baseline]:
        ratios = [a / b for a, b in zip(times[OFFICIAL], times[over], strict=True)]
        met = statistics.median(ratios) >= OFFICIAL_GOAL
        print(_ratio_line(f"{OFFICIAL} / {over}", ratios, goal, met))
    values = [_official_miou(out) for out in outputs]
    theirs = values[0]
    if theirs is None or any(v != theirs for v in values):
        print(f"official mIoU: not one full-precision value in its outputs ({values})")
        return
    agree = "yes" if abs(theirs - ours) <= MIOU_TOLERANCE else "NO"
    print(f"mIoU: official {theirs:.6f}, submitkit {ours:.6f}, difference {theirs - ours:+.2e}")
    print(f"mIoU agree within {MIOU_TOLERANCE:g}: {agree}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="a 919 set to build or reuse here")
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--baseline", help="another interpreter with submitkit installed (e.g. main), run alike"
    )
    parser.add_argument(
        "--official",
        metavar="CMD",
        help="command template that runs the official evaluator ({submission}, {ground_truth})",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root or Path(tmp) / "set"
        _prepare(root, args.images)
        out = Path(tmp) / "out"
        out.mkdir()
        env = dict(os.environ, SUBMITKIT_CACHE_DIR=str(Path(tmp) / "cache"))
        commands = _commands(root, out)
        if args.baseline:
            base = _commands(root, out, args.baseline)
            commands |= {f"{name} (baseline)": base[name] for name in base if name != "floor"}
            _run(base["evaluate cached"], env)
        if args.official:
            commands[OFFICIAL] = _official_command(args.official, root)
        # fill the cache, warm the page cache
        ours = _submitkit_miou(commands["evaluate cached"], env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        outputs: list[str] = []
        for _ in range(args.repeats):
            for name, command in commands.items():
                took, stdout = _run_capturing(command, env)
                times[name].append(took)
                if name == OFFICIAL:
                    outputs.append(stdout)
    n = len(list((root / "submission").rglob("*.png")))
    print(f"{n} images of the 919 track, {args.repeats} interleaved rounds, {os.cpu_count()} cores")
    for name, values in times.items():
        spread = f"{min(values):.2f}-{max(values):.2f}"
        print(f"{name:33} {statistics.median(values):7.2f} s  ({spread})")
    print()
    for suffix in ("", " (baseline)") if args.baseline else ("",):
        for name, base, goal in GOALS:
            over = base if base == "floor" else base + suffix
            ratios = [a / b for a, b in zip(times[name + suffix], times[over], strict=True)]
            met = statistics.median(ratios) <= goal
            print(_ratio_line(f"{name}{suffix} / {over}", ratios, f"<= {goal}x", met))
    if args.official:
        _report_official(times, outputs, ours, bool(args.baseline))


if __name__ == "__main__":
    main()
