"""Which PNG decoder is at the limit? Decoders compared on the same masks, held in memory.

Reads N ground-truth and prediction masks of a realistic set (see
``realistic_set.py``; by default it builds 500 images of the 919 track at
ImageNet sizes in a temporary folder), then, interleaved over several repeats,
times each decoder turning every mask's bytes into its pixels, and checks that
every decoder gives ids bit-identical to Pillow's. Decoders absent from this
interpreter are skipped and said so.

* ``pillow``: ``np.asarray(Image.open(...))``, what the official evaluator runs;
* ``submitkit``: what submitkit runs now (:func:`submitkit.inputs.png.decode_pixels`,
  the fast decoder where it is installed and accepts the file, else Pillow);
* ``submitkit-pillow``: the same with the fast decoder switched off;
* ``pyspng``, ``imagecodecs-spng``, ``imagecodecs-png``: the candidates, raw.

    python benchmarks/bench_decode.py [--root SET] [--images N] [--repeats R]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

if importlib.util.find_spec("submitkit") is None:  # run from a checkout, not installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from submitkit.inputs import png

Decoder = Callable[[bytes], Any]


def _ids_of(pixels: Any) -> np.ndarray:
    if isinstance(pixels, png.Pixels):
        return np.asarray(pixels.ids, dtype=np.int64)
    arr = np.asarray(pixels)
    return arr[..., 0].astype(np.int64) + 256 * arr[..., 1].astype(np.int64)


def _submitkit(fast: bool) -> Decoder:
    def run(data: bytes) -> png.Pixels:
        header = png.judge_head(data[: png.HEAD_BYTES])
        return png.decode_pixels(header, data, fast=fast)

    return run


def decoders() -> tuple[dict[str, Decoder], list[str]]:
    """The decoders this interpreter has, and the names of those it lacks."""
    found: dict[str, Decoder] = {
        "pillow": lambda d: np.asarray(Image.open(io.BytesIO(d))),
        "submitkit-pillow": _submitkit(False),
        "submitkit": _submitkit(True),
    }
    missing = []
    try:
        import pyspng

        found["pyspng"] = lambda d: pyspng.load(d, "RGBA")
    except ImportError:
        missing.append("pyspng")
    try:
        import imagecodecs

        found["imagecodecs-spng"] = imagecodecs.spng_decode
        found["imagecodecs-png"] = imagecodecs.png_decode
    except ImportError:
        missing.append("imagecodecs")
    return found, missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, help="a set built by realistic_set.py")
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.root
        if root is None:
            import realistic_set

            root = Path(tmp)
            realistic_set.build(root, realistic_set.default_toolbox(), args.images, track=919)
        files = sorted(root.glob("dataset/*/validation-segmentation/*/*.png"))[: args.images]
        files += sorted(root.glob("submission/*/*.png"))[: args.images]
        blobs = [f.read_bytes() for f in files]
    found, missing = decoders()
    reference = [_ids_of(found["pillow"](d)) for d in blobs]
    times: dict[str, list[float]] = {name: [] for name in found}
    for _ in range(args.repeats):
        for name, decode in found.items():
            start = time.perf_counter()
            for data in blobs:
                decode(data)
            times[name].append((time.perf_counter() - start) / len(blobs))
    pillow = statistics.median(times["pillow"])
    print(
        f"{len(blobs)} masks ({len(blobs) // 2} ground truth + predictions), "
        f"{args.repeats} interleaved repeats; absent: {', '.join(missing) or 'none'}"
    )
    print(f"{'decoder':18} {'us/mask':>9} {'spread':>15} {'vs pillow':>9}  identical ids")
    for name, decode in found.items():
        same = sum(
            np.array_equal(_ids_of(decode(d)), r) for d, r in zip(blobs, reference, strict=True)
        )
        med = statistics.median(times[name])
        spread = f"{min(times[name]) * 1e6:.0f}-{max(times[name]) * 1e6:.0f}"
        print(f"{name:18} {med * 1e6:9.0f} {spread:>15} {pillow / med:8.2f}x  {same}/{len(blobs)}")


if __name__ == "__main__":
    main()
