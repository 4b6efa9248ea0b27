"""Run the official ImageNet-S evaluator, unchanged, on a CPU-only machine.

The official ``evaluation/evaluator.py`` (LUSSeg/ImageNet-S) moves every tensor
to the GPU with ``Tensor.cuda()`` and builds its dataset on torchvision's
``ImageFolder``. To time it and read its numbers on a machine with neither a
GPU nor torchvision, this harness, before the official code is imported:

* makes ``torch.Tensor.cuda`` the identity (the tensors stay on the CPU; the
  arithmetic is torch's either way);
* gives a ``torchvision.datasets.ImageFolder`` that is a bare
  ``torch.utils.data.Dataset``: ``EvalDataset`` only calls its constructor
  (it lists its own files and defines ``__getitem__`` and ``__len__``), so the
  folder scan the real class would do is left out of the timing;

then runs the evaluator's own ``if __name__ == "__main__"`` block in the
evaluator module, from the toolbox's ``evaluation`` folder (it opens
``../data/names/...`` relative to it), with the arguments given here.
Nothing of the toolbox is copied or edited: the checkout is read as it is.

Optional run-time changes, each off unless asked for:

* ``--subset``: the official name list is cut down to the images whose ground
  truth is in ``--gt-dir`` (order kept), for a benchmark set that holds part of
  a split; the official evaluator would otherwise stop at the first missing file;
* ``--threads N``: torch's intra-op threads in the main process (where the
  evaluator counts pixels; its loader workers run one thread each). Torch
  starts one per core, and on a machine whose cores are busy (with the loader
  workers, or anything else) those threads wait on each other: on the shared
  2-core machine the counting took 10x longer with 2 threads than with 1;
* after the official tables, one line ``harness-metrics: {json}`` gives the
  summary metrics of the official log at full precision (the tables round to
  two decimals), for comparing numbers.

Needs a venv with torch (the CPU build is enough), numpy<2 (the evaluator
computes ``G * 256`` on uint8 arrays, which numpy 2 refuses),
opencv-python-headless, pillow, munkres, tqdm and prettytable::

    python official_harness.py TOOLBOX [--subset] [--threads N] --predict-dir DIR --gt-dir DIR \
        [--workers N] [--mode 50|300|919] [--match FILE]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import tempfile
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

PATH_OPTIONS = ("--predict-dir", "--gt-dir", "--match")
"""The evaluator's options that name files: made absolute before the chdir."""
MARKER = "harness-metrics: "


def _absolute_paths(argv: list[str]) -> list[str]:
    """The evaluator's arguments with its path options made absolute (it runs from evaluation/)."""
    out: list[str] = []
    for i, arg in enumerate(argv):
        name, eq, value = arg.partition("=")
        if eq and name in PATH_OPTIONS:
            out.append(f"{name}={os.path.abspath(value)}")
        elif i > 0 and argv[i - 1] in PATH_OPTIONS:
            out.append(os.path.abspath(arg))
        else:
            out.append(arg)
    return out


def _stand_ins() -> None:
    """Tensor.cuda as the identity, and an ImageFolder that is a bare Dataset."""
    import torch
    from torch.utils.data import Dataset

    def cuda(self: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        return self

    torch.Tensor.cuda = cuda  # type: ignore[method-assign,assignment]

    class ImageFolder(Dataset[Any]):
        def __init__(self, root: str, *args: Any, **kwargs: Any) -> None:
            self.root = root

    vision = types.ModuleType("torchvision")
    datasets = types.ModuleType("torchvision.datasets")
    datasets.ImageFolder = ImageFolder  # type: ignore[attr-defined]
    vision.datasets = datasets  # type: ignore[attr-defined]
    sys.modules["torchvision"] = vision
    sys.modules["torchvision.datasets"] = datasets


def _subset_loader(get_loader: Callable[..., Any]) -> Callable[..., Any]:
    """get_loader over the names of the official list whose ground truth is in gt_dir."""

    def wrapped(predict_dir: str, gt_dir: str, name_list: str, **kwargs: Any) -> Any:
        lines = Path(name_list).read_text(encoding="utf-8").splitlines()
        kept = [line for line in lines if (Path(gt_dir) / line.split(" ")[1]).is_file()]
        print(f"harness: {len(kept)} of the {len(lines)} official names have ground truth")
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
            handle.write("\n".join(kept) + "\n")
        try:
            return get_loader(predict_dir, gt_dir, name_list=handle.name, **kwargs)
        finally:
            os.unlink(handle.name)  # the dataset has read it in its constructor

    return wrapped


def _reporting(display: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """display, then the log's summary metrics at full precision on one line."""

    def wrapped(log: dict[str, Any]) -> None:
        display(log)
        metrics = {k: v for k, v in log.items() if k not in ("IoUs", "classes")}
        print(MARKER + json.dumps(metrics, sort_keys=True), flush=True)

    return wrapped


def _main_block(source: str, filename: str) -> types.CodeType:
    """The module's ``if __name__ == '__main__':`` body, compiled as it is written."""
    tree = ast.parse(source, filename)
    for node in tree.body:
        if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
            return compile(ast.Module(body=node.body, type_ignores=[]), filename, "exec")
    raise SystemExit(f"{filename}: no `if __name__ == '__main__':` block to run")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        allow_abbrev=False,
        epilog="Other arguments go to evaluation/evaluator.py as they are.",
    )
    parser.add_argument(
        "toolbox", type=Path, metavar="TOOLBOX", help="a checkout of LUSSeg/ImageNet-S"
    )
    parser.add_argument("--subset", action="store_true", help="score the images of --gt-dir only")
    parser.add_argument(
        "--threads", type=int, metavar="N", help="torch's threads in the main process"
    )
    args, rest = parser.parse_known_args()
    folder = (args.toolbox / "evaluation").resolve()
    script = folder / "evaluator.py"
    if not script.is_file():
        raise SystemExit(f"{script}: not found (TOOLBOX is a checkout of LUSSeg/ImageNet-S)")
    evaluator_args = _absolute_paths(rest)
    _stand_ins()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    sys.argv = [str(script), *evaluator_args]
    import evaluator  # the official module, imported as it is: its main block does not run

    if args.subset:
        evaluator.get_loader = _subset_loader(evaluator.get_loader)
    evaluator.display = _reporting(evaluator.display)
    source = script.read_text(encoding="utf-8")
    exec(_main_block(source, str(script)), vars(evaluator))


if __name__ == "__main__":
    main()
