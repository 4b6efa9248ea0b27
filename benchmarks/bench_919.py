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
  ``check``, ``match --clusters 2K`` and ``pack``, all cores.

Prints each command's median and spread, and the ratios the issue sets as
goals (median of the per-round ratios, and their range), with met / NOT met.

    python benchmarks/bench_919.py [--root SET] [--images N] [--repeats R]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
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
    exe = [python, "-c", "from submitkit.cli.entry import main; main()"]
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
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command} failed ({done.returncode}):\n{done.stderr.decode()[-2000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="a 919 set to build or reuse here")
    parser.add_argument("--images", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--baseline", help="another interpreter with submitkit installed (e.g. main), run alike"
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
        _run(commands["evaluate cached"], env)  # fill the cache, warm the page cache
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, command in commands.items():
                times[name].append(_run(command, env))
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
            med = statistics.median(ratios)
            verdict = "met" if med <= goal else "NOT met"
            label = f"{name}{suffix} / {over}"
            print(
                f"{label:56} {med:5.2f}x ({min(ratios):.2f}-{max(ratios):.2f}); "
                f"goal <= {goal}x: {verdict}"
            )


if __name__ == "__main__":
    main()
