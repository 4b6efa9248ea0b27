"""`submitkit bundle`: a Codabench competition bundle whose scoring program is submitkit.

The bundle is one zip: ``competition.yaml``, a logo, markdown pages, one
scoring-program zip per protocol (the phase names the protocol on the
command line) and one reference-data zip built from the organiser's ground
truth. The scoring program carries the source of the submitkit that built the
bundle and a requirements file pinned to the versions it ran with, so the
server scores with exactly the code the organiser rehearsed locally.
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from PIL import Image

import submitkit
from submitkit._version import __version__
from submitkit.benchmark.protocols import PROTOCOL_TITLES, Protocol
from submitkit.benchmark.tracks import TRACKS, Split, Track
from submitkit.core.atomic import atomic_output
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.zipwrite import DeterministicZip
from submitkit.inputs.imagesize import png_size
from submitkit.inputs.layout import is_wnid
from submitkit.inputs.manifest import Manifest, ManifestSources, load_manifest
from submitkit.scoring.leaderboard import leaderboard_columns
from submitkit.workflows import bundle_pages
from submitkit.workflows.competition_yaml import dump_yaml
from submitkit.workflows.server import REFERENCE_MANIFEST, REFERENCE_MASKS

REFERENCE_ZIP = "reference_data.zip"
DEFAULT_DOCKER_IMAGE = "python:3.11-slim"
"""Any image with Python >= 3.10 and pip; the launcher installs what is missing."""
DEFAULT_TIME_LIMIT = 1800
"""Seconds per submission; the 919 rehearsal (benchmarks/) needs a fraction of it."""
LAUNCHER = "score.py"


@dataclass
class BundleSettings:
    """What the organiser chose; everything else follows from the ground truth."""

    track: int
    ground_truth: Path
    split: Split = Split.validation
    manifest: Path | None = None
    toolbox: Path | None = None
    protocols: list[Protocol] = field(default_factory=lambda: list(Protocol))
    title: str | None = None
    docker_image: str = DEFAULT_DOCKER_IMAGE
    start: date | None = None
    time_limit: int = DEFAULT_TIME_LIMIT
    max_per_day: int = 5


@dataclass
class BundlePlan:
    """Every member of the bundle, in the order it is written."""

    settings: BundleSettings
    manifest: Manifest
    masks: dict[str, Path]
    """``wnid/stem`` -> ground-truth PNG."""
    members: dict[str, bytes] = field(default_factory=dict)
    """Small members by name; the reference zip is streamed at write time."""

    def listing(self) -> list[tuple[str, str]]:
        """(name, what) for each member, as `--dry-run` shows it."""
        rows = [(name, f"{len(data)} bytes") for name, data in self.members.items()]
        rows.append(
            (
                REFERENCE_ZIP,
                f"{len(self.masks)} ground-truth masks + {REFERENCE_MANIFEST}",
            )
        )
        return rows


def program_zip_name(protocol: Protocol) -> str:
    return f"scoring_program_{protocol.value}.zip"


# --- the reference data --------------------------------------------------------------


def _mask_folder(ground_truth: Path, track: Track) -> Path:
    """The ``<wnid>/<stem>.png`` folder: given directly, or found in a dataset copy."""
    for candidate in (
        ground_truth / track.folder / "validation-segmentation",
        ground_truth / "validation-segmentation",
        ground_truth,
    ):
        if candidate.is_dir() and any(is_wnid(p.name) for p in candidate.iterdir()):
            return candidate
    raise EnvironmentProblem(
        f"{ground_truth} holds no <wnid>/<stem>.png ground-truth masks",
        "point --ground-truth at the validation-segmentation folder (or the dataset copy)",
    )


def _list_masks(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for wnid in sorted(os.scandir(folder), key=lambda d: d.name):
        if wnid.is_dir() and is_wnid(wnid.name):
            for item in os.scandir(wnid.path):
                if item.name.endswith(".png") and item.is_file():
                    found[f"{wnid.name}/{item.name[:-4]}"] = Path(item.path)
    return found


def reference_manifest(settings: BundleSettings) -> tuple[Manifest, dict[str, Path]]:
    """The manifest of the reference data: names, categories, sizes from the masks."""
    track = TRACKS[settings.track]
    masks = _list_masks(_mask_folder(settings.ground_truth, track))
    if settings.manifest is not None:
        given = load_manifest(settings.manifest)
        if (given.track, given.split) != (track.k, settings.split):
            raise UsageError(
                f"manifest {settings.manifest} is for track {given.track} "
                f"{given.split.value}, not {track.k} {settings.split.value}",
                "give --track and --split of the manifest, or its own manifest",
            )
        names, categories = list(given.images), given.categories
    elif settings.toolbox is not None:
        official, _ = ManifestSources(toolbox=settings.toolbox).build(track.k, settings.split)
        names, categories = list(official.images), official.categories
    else:
        names, categories = sorted(masks), sorted({n.split("/", 1)[0] for n in masks})
    missing = [n for n in names if n not in masks]
    if missing:
        raise EnvironmentProblem(
            f"the ground truth lacks {len(missing)} of {len(names)} images "
            f"(e.g. {', '.join(missing[:3])})",
            "give the complete ground truth of the split",
        )
    sizes = {n: png_size(masks[n]) for n in names}
    unreadable = [n for n, s in sizes.items() if s is None]
    if unreadable:
        raise EnvironmentProblem(
            f"{len(unreadable)} ground-truth masks are not readable PNGs "
            f"(e.g. {masks[unreadable[0]]})",
            "replace them with the official ground truth",
        )
    manifest = Manifest(
        track=track.k,
        split=settings.split,
        categories=categories,
        images=sizes,
        sources=[f"submitkit bundle {__version__}"],
    )
    return manifest, {n: masks[n] for n in names}


# --- the scoring program -------------------------------------------------------------

_LAUNCHER_TEXT = '''"""Written by `submitkit bundle`: runs `submitkit score INPUT OUTPUT [options]`.

The submitkit source sits beside this file; missing dependencies are installed
from requirements.txt (versions pinned to those the bundle was built with).
"""
import importlib.util
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NEEDED = ("numpy", "scipy", "PIL", "pydantic", "typer", "rich", "jsonschema")


def run():
    missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        print("installing " + ", ".join(missing), file=sys.stderr)
        subprocess.check_call(
            [sys.executable, "-m", "pip", "install", "--quiet", "-r",
             os.path.join(HERE, "requirements.txt")]
        )
    sys.path.insert(0, HERE)
    from submitkit.cli.app import main

    sys.argv = ["submitkit", "score", *sys.argv[1:]]
    main()


# Worker processes import this file again: only the platform's own run scores.
if __name__ == "__main__":
    run()
'''


def requirements_txt() -> str:
    """submitkit's runtime requirements, pinned to the installed versions where known."""
    lines = []
    for spec in importlib.metadata.requires("submitkit") or []:
        if "extra ==" in spec:
            continue
        name = re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]
        try:
            pinned = f"{name}=={importlib.metadata.version(name)}"
        except importlib.metadata.PackageNotFoundError:
            pinned = spec
        lines.append(spec if ";" in spec else pinned)
    return "\n".join(sorted(lines)) + "\n"


def metadata_yaml(protocol: Protocol) -> str:
    """The platform's command line: the phase's protocol is fixed here."""
    return dump_yaml(
        {
            "command": f"python3 $program/{LAUNCHER} $input $output --protocol {protocol.value}",
            "description": f"submitkit {__version__}: check and score ImageNet-S masks "
            f"({PROTOCOL_TITLES[protocol]} protocol)",
        }
    )


def _package_files() -> dict[str, bytes]:
    """The running submitkit's source and package data, as ``submitkit/...`` members."""
    root = Path(submitkit.__file__).parent
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        wanted = path.suffix == ".py" or path.name in ("py.typed", "class_names.txt")
        if wanted and path.is_file() and "__pycache__" not in path.parts:
            files[f"submitkit/{path.relative_to(root).as_posix()}"] = path.read_bytes()
    return files


def program_zip(protocol: Protocol) -> bytes:
    members = {
        "metadata.yaml": metadata_yaml(protocol).encode(),
        LAUNCHER: _LAUNCHER_TEXT.encode(),
        "requirements.txt": requirements_txt().encode(),
        **_package_files(),
    }
    return zip_bytes(members)


# --- the bundle ----------------------------------------------------------------------


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with DeterministicZip(buffer) as archive:
        for name, data in members.items():
            archive.add(name, data)
    return buffer.getvalue()


def logo_png() -> bytes:
    """A small logo: a two-class mask (the benchmark's own kind of image)."""
    image = Image.new("RGB", (64, 64), (40, 40, 40))
    image.paste((230, 120, 30), (16, 16, 48, 48))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def plan_bundle(settings: BundleSettings) -> BundlePlan:
    """Everything the bundle will hold; reads the ground truth's headers, writes nothing."""
    manifest, masks = reference_manifest(settings)
    track = TRACKS[settings.track]
    pages = {
        "pages/overview.md": bundle_pages.overview_page(track, settings.split, settings.protocols),
        "pages/evaluation.md": bundle_pages.evaluation_page(track),
        "pages/rules.md": bundle_pages.rules_page(),
        "pages/submission.md": bundle_pages.submission_page(track, settings.split, len(masks)),
        "pages/terms.md": bundle_pages.terms_page(),
    }
    members = {
        "competition.yaml": competition_yaml(settings, pages).encode(),
        "logo.png": logo_png(),
    }
    members.update({name: text.encode() for name, text in pages.items()})
    for protocol in settings.protocols:
        members[program_zip_name(protocol)] = program_zip(protocol)
    return BundlePlan(settings, manifest, masks, members)


def competition_yaml(settings: BundleSettings, pages: dict[str, str]) -> str:
    track = TRACKS[settings.track]
    start = settings.start or date.today()
    titles = {
        "pages/overview.md": "Overview",
        "pages/evaluation.md": "Evaluation",
        "pages/rules.md": "Protocol rules",
        "pages/submission.md": "Submission format",
    }
    tasks, phases = [], []
    for index, protocol in enumerate(settings.protocols):
        label = PROTOCOL_TITLES[protocol]
        tasks.append(
            {
                "index": index,
                "name": f"{track.name} {settings.split.value}, {label}",
                "description": f"Masks scored under the {label} protocol's rules.",
                "scoring_program": program_zip_name(protocol),
                "reference_data": REFERENCE_ZIP,
            }
        )
        phases.append(
            {
                "index": index,
                "name": label,
                "description": f"The {label} leaderboard (protocol `{protocol.value}`).",
                "start": start,
                "max_submissions_per_day": settings.max_per_day,
                "execution_time_limit": settings.time_limit,
                "tasks": [index],
            }
        )
    document = {
        "version": 2,
        "title": settings.title or f"{track.name} {settings.split.value} (submitkit)",
        "description": f"Semantic segmentation on {track.name}, scored by submitkit {__version__}.",
        "image": "logo.png",
        "registration_auto_approve": False,
        "enable_detailed_results": True,
        "docker_image": settings.docker_image,
        "terms": "pages/terms.md",
        "pages": [{"title": titles[name], "file": name} for name in pages if name in titles],
        "tasks": tasks,
        "phases": phases,
        "leaderboards": [
            {
                "index": 0,
                "title": "Results",
                "key": "main",
                "submission_rule": "Force_Last",
                "columns": [
                    {"title": c.title, "key": c.key, "index": i, "sorting": c.sorting}
                    for i, c in enumerate(leaderboard_columns())
                ],
            }
        ],
    }
    return dump_yaml(document)


def write_bundle(plan: BundlePlan, out: Path) -> None:
    """The bundle zip, atomically; the reference zip is built in a temporary folder."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".submitkit-bundle-", dir=out.parent) as tmp:
        reference = Path(tmp) / REFERENCE_ZIP
        _write_reference(plan, reference)
        with atomic_output(out) as handle, DeterministicZip(handle) as archive:
            for name, data in plan.members.items():
                archive.add(name, data)
            with reference.open("rb") as src:
                archive.add_file(REFERENCE_ZIP, src)


def _write_reference(plan: BundlePlan, path: Path) -> None:
    with path.open("wb") as handle, DeterministicZip(handle) as archive:
        archive.add(REFERENCE_MANIFEST, plan.manifest.model_dump_json(indent=1).encode())
        for name, mask in plan.masks.items():
            archive.add(f"{REFERENCE_MASKS}/{name}.png", mask.read_bytes())
