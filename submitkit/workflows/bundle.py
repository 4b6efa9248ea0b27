"""`submitkit bundle`: a Codabench competition bundle whose scoring program is submitkit.

Codabench's rules decide the design (read in its source; tests/workflows/test_bundle_codabench.py
re-states them with file and line): phases are a timeline, not parallel boards
(every phase but the last needs an ``end``; each starts after the previous one
ended), and every phase shows the competition's first leaderboard. So one
bundle is one competition for one protocol: a development phase scored on
validation ground truth, then a final phase on test ground truth (either may be
the only one). One task per phase; each split's reference data is one zip
named by one task, so the platform stores it once.

The bundle also holds the scoring program (see :mod:`bundle_program`), a
``solutions:`` entry per phase (a complete all-background submission the
organiser can run), and a starting kit for participants.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import Enum
from pathlib import Path

from PIL import Image

from submitkit._version import __version__
from submitkit.benchmark.protocols import PROTOCOL_TITLES, Protocol
from submitkit.benchmark.tracks import TRACKS, Split, Track
from submitkit.core.atomic import atomic_output
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.workers import run_ordered
from submitkit.core.zipwrite import DeterministicZip
from submitkit.inputs.imagesize import png_size
from submitkit.inputs.layout import is_wnid
from submitkit.inputs.manifest import Manifest, ManifestSources, load_manifest
from submitkit.inputs.png import PngFault
from submitkit.scoring.engine import learn_truth
from submitkit.scoring.leaderboard import leaderboard_columns
from submitkit.scoring.truth_cache import Entry as TruthEntry
from submitkit.scoring.truth_cache import TruthCache, digest
from submitkit.workflows import bundle_kit, bundle_pages, bundle_program
from submitkit.workflows.bundle_program import Pin, TargetPython
from submitkit.workflows.codabench import REFERENCE_MANIFEST, REFERENCE_MASKS, REFERENCE_TRUTH
from submitkit.workflows.competition_yaml import dump_yaml
from submitkit.workflows.platform_documents import (
    BundleMember,
    BundlePhase,
    BundleResult,
    RehearsalVerdict,
)

PROGRAM_ZIP = "scoring_program.zip"
STARTING_KIT = "starting_kit.zip"
DEFAULT_DOCKER_IMAGE = "python:3.11-slim"
"""An official Python image: its Python version chooses the vendored wheels."""
DEFAULT_TIME_LIMIT = 600
"""Seconds per submission: Codabench's default queue allows at most 600 (tasks.py)."""
DEFAULT_QUEUE_LIMIT = 600
MAX_TIME_LIMIT = 7 * 24 * 3600
DEFAULT_FINAL_AFTER = timedelta(days=30)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Rank(str, Enum):
    """Which submission of a participant the leaderboard shows."""

    last = "last"
    best = "best"


SUBMISSION_RULES = {Rank.last: "Force_Last", Rank.best: "Force_Best"}
"""Codabench's leaderboard ``submission_rule`` for each choice."""


def reference_zip_name(split: Split) -> str:
    return f"reference_{split.value}.zip"


def solution_zip_name(split: Split) -> str:
    return f"solution_{split.value}.zip"


@dataclass
class BundleSettings:
    """What the organiser chose; everything else follows from the ground truth."""

    track: int
    ground_truth: Path
    protocol: Protocol
    split: Split = Split.validation
    test_ground_truth: Path | None = None
    """The final phase's ground truth, after a development phase on ``ground_truth``."""
    manifest: Path | None = None
    toolbox: Path | None = None
    title: str | None = None
    docker_image: str = DEFAULT_DOCKER_IMAGE
    image_python: str | None = None
    start: date | None = None
    final_start: date | None = None
    end: date | None = None
    time_limit: int = DEFAULT_TIME_LIMIT
    max_per_day: int = 5
    max_submissions: int = 100
    contact_email: str | None = None
    rank: Rank = Rank.last
    wheels_from: Path | None = None
    jobs: int = 0

    def ground_truths(self) -> list[tuple[Split, Path]]:
        """(split, folder) per phase, in the order the phases run."""
        phases = [(self.split, self.ground_truth)]
        if self.test_ground_truth is not None:
            phases.append((Split.test, self.test_ground_truth))
        return phases


@dataclass
class SplitData:
    """One phase's reference: the manifest and its ground-truth masks."""

    split: Split
    manifest: Manifest
    masks: dict[str, Path]
    """``wnid/stem`` -> ground-truth PNG."""


@dataclass
class PhaseDates:
    start: date | datetime
    end: date | datetime | None


@dataclass
class BundlePlan:
    """Every member of the bundle, in the order it is written."""

    settings: BundleSettings
    target: TargetPython
    pins: list[Pin]
    references: list[SplitData]
    dates: list[PhaseDates]
    members: dict[str, bytes] = field(default_factory=dict)
    """Small members by name; the reference, program and solution zips are built at write time."""
    notes: list[str] = field(default_factory=list)
    """What the organiser should know (a time limit beyond the default queue)."""

    def listing(self) -> list[tuple[str, str]]:
        """(name, what) for each member, as `--dry-run` shows it."""
        rows = [(name, f"{len(data)} bytes") for name, data in self.members.items()]
        rows.append(
            (
                PROGRAM_ZIP,
                f"submitkit {__version__} + {len(self.pins)} wheels "
                f"for Python {self.target.dotted}",
            )
        )
        for ref in self.references:
            rows.append(
                (
                    reference_zip_name(ref.split),
                    f"{len(ref.masks)} ground-truth masks + {REFERENCE_MANIFEST}",
                )
            )
            rows.append(
                (
                    solution_zip_name(ref.split),
                    f"{len(ref.masks)} all-background masks + method.txt",
                )
            )
        return rows


# --- the organiser's numbers and dates -------------------------------------------------


def check_settings(settings: BundleSettings) -> list[str]:
    """Refuse what Codabench would refuse or misread; the notes worth telling the organiser."""
    numbers = {
        "--time-limit": (settings.time_limit, 1, MAX_TIME_LIMIT),
        "--max-per-day": (settings.max_per_day, 1, 10_000),
        "--max-submissions": (settings.max_submissions, 1, 1_000_000),
    }
    for flag, (value, low, high) in numbers.items():
        if not low <= value <= high:
            raise UsageError(f"{flag} {value} is not between {low} and {high}", f"give {flag} N")
    if settings.max_per_day > settings.max_submissions:
        raise UsageError(
            f"--max-per-day {settings.max_per_day} exceeds --max-submissions "
            f"{settings.max_submissions}",
            "lower --max-per-day or raise --max-submissions",
        )
    if settings.contact_email is not None and not _EMAIL.match(settings.contact_email):
        raise UsageError(
            f"--contact-email {settings.contact_email!r} is not an e-mail address",
            "give name@example.org",
        )
    if len(settings.docker_image) > 128:
        raise UsageError("--docker-image is longer than Codabench's 128 characters")
    if settings.test_ground_truth is not None and settings.split is not Split.validation:
        raise UsageError(
            "--test-ground-truth adds a final phase after a development phase on validation "
            "ground truth, but --split is test",
            "drop --split test, or drop --test-ground-truth",
        )
    notes = []
    if settings.time_limit > DEFAULT_QUEUE_LIMIT:
        notes.append(
            f"--time-limit {settings.time_limit}: Codabench's default queue stops every run at "
            f"{DEFAULT_QUEUE_LIMIT} s; only a queue of your own honours a longer limit"
        )
    return notes


def phase_dates(settings: BundleSettings, phases: int, today: date) -> list[PhaseDates]:
    """A timeline Codabench accepts: each phase but the last ends before the next starts."""
    start = settings.start or today
    if phases == 1:
        if settings.final_start is not None:
            raise UsageError("--final-start needs --test-ground-truth (a final phase)")
        dates = [PhaseDates(start, settings.end)]
    else:
        final = settings.final_start or start + DEFAULT_FINAL_AFTER
        if final <= start:
            raise UsageError(
                f"--final-start {final} is not after --start {start}",
                "the final phase opens after the development phase",
            )
        # Codabench refuses a phase starting when the previous one ends (base_unpacker.py).
        development_end = datetime.combine(final - timedelta(days=1), time(23, 59, 59))
        dates = [PhaseDates(start, development_end), PhaseDates(final, settings.end)]
    last = dates[-1]
    if settings.end is not None and settings.end <= _day(last.start):
        raise UsageError(
            f"--end {settings.end} is not after the last phase's start {_day(last.start)}",
            "give a later --end",
        )
    return dates


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- the reference data --------------------------------------------------------------


def _mask_folder(ground_truth: Path, track: Track, split: Split) -> Path:
    """The ``<wnid>/<stem>.png`` folder: given directly, or found in a dataset copy."""
    folder = f"{split.value}-segmentation"
    for candidate in (ground_truth / track.folder / folder, ground_truth / folder, ground_truth):
        if candidate.is_dir() and any(is_wnid(p.name) for p in candidate.iterdir()):
            return candidate
    raise EnvironmentProblem(
        f"{ground_truth} holds no <wnid>/<stem>.png ground-truth masks",
        f"point the option at the {folder} folder (or the dataset copy)",
    )


def _list_masks(folder: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for wnid in sorted(os.scandir(folder), key=lambda d: d.name):
        if wnid.is_dir() and is_wnid(wnid.name):
            for item in os.scandir(wnid.path):
                if item.name.endswith(".png") and item.is_file():
                    found[f"{wnid.name}/{item.name[:-4]}"] = Path(item.path)
    return found


def _expected(
    settings: BundleSettings, split: Split, masks: dict[str, Path]
) -> tuple[list[str], list[str]]:
    """(image names, categories) of ``split``: the manifest's, the toolbox's or the masks'."""
    track = TRACKS[settings.track]
    if settings.manifest is not None and split is settings.split:
        given = load_manifest(settings.manifest)
        if (given.track, given.split) != (track.k, split):
            raise UsageError(
                f"manifest {settings.manifest} is for track {given.track} "
                f"{given.split.value}, not {track.k} {split.value}",
                "give --track and --split of the manifest, or its own manifest",
            )
        return list(given.images), given.categories
    if settings.toolbox is not None:
        official, _ = ManifestSources(toolbox=settings.toolbox).build(track.k, split)
        return list(official.images), official.categories
    return sorted(masks), sorted({n.split("/", 1)[0] for n in masks})


def reference_data(settings: BundleSettings, split: Split, ground_truth: Path) -> SplitData:
    """The manifest of one split's reference data: names, categories, sizes from the masks."""
    track = TRACKS[settings.track]
    masks = _list_masks(_mask_folder(ground_truth, track, split))
    names, categories = _expected(settings, split, masks)
    missing = [n for n in names if n not in masks]
    if missing:
        raise EnvironmentProblem(
            f"the {split.value} ground truth lacks {len(missing)} of {len(names)} images "
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
        split=split,
        categories=categories,
        images=sizes,
        sources=[f"submitkit bundle {__version__}"],
    )
    return SplitData(split, manifest, {n: masks[n] for n in names})


def _learn(path: Path) -> TruthEntry | str | None:
    """A ground truth's cache entry, ``None`` if it cannot be cached, or why it cannot be read.

    The one PNG reader decodes it as the scoring pass will; a truncated mask
    would otherwise fail every submission.
    """
    try:
        data = path.read_bytes()
        return learn_truth(data, digest(data))[2]
    except PngFault as fault:
        return fault.message
    except OSError as exc:
        return exc.strerror or str(exc)


def learn_references(
    reference: SplitData, jobs: int, progress: Callable[[int], None] | None
) -> dict[str, TruthEntry]:
    """Decode every ground-truth mask once; their ids and boundaries, as the scoring cache.

    Shipped in the reference data, the cache spares every submission the
    decoding of the ground truth and its boundaries (each entry is checked
    against the digest of the PNG's bytes before it is believed).
    """
    paths = list(reference.masks.values())
    found = run_ordered(_learn, paths, jobs=jobs, progress=progress, processes=True)
    entries: dict[str, TruthEntry] = {}
    bad: list[tuple[Path, str]] = []
    for (name, path), result in zip(reference.masks.items(), found, strict=True):
        if isinstance(result, str):
            bad.append((path, result))
        elif result is not None:
            entries[f"{name}.png"] = result
    if bad:
        path, fault = bad[0]
        raise EnvironmentProblem(
            f"{len(bad)} {reference.split.value} ground-truth masks cannot be decoded "
            f"(e.g. {path}: {fault})",
            "replace them with the official ground truth",
        )
    return entries


# --- the bundle ----------------------------------------------------------------------


def logo_png() -> bytes:
    """A small logo: a two-class mask (the benchmark's own kind of image)."""
    image = Image.new("RGB", (64, 64), (40, 40, 40))
    image.paste((230, 120, 30), (16, 16, 48, 48))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def plan_bundle(settings: BundleSettings, today: date | None = None) -> BundlePlan:
    """Everything the bundle will hold; reads the ground truth's headers, writes nothing.

    Refuses, before anything is written: a number or date Codabench would refuse,
    a pin the image's Python cannot install, incomplete or unreadable ground truth.
    """
    notes = check_settings(settings)
    target = bundle_program.target_of(settings.docker_image, settings.image_python)
    pins = bundle_program.vendored_pins(target)
    references = [reference_data(settings, s, gt) for s, gt in settings.ground_truths()]
    dates = phase_dates(settings, len(references), today or date.today())
    track = TRACKS[settings.track]
    protocol = settings.protocol
    pages = {
        "pages/overview.md": bundle_pages.overview_page(
            track, protocol, references_of(references), dates_of(dates)
        ),
        "pages/evaluation.md": bundle_pages.evaluation_page(track),
        "pages/rules.md": bundle_pages.rules_page(),
        "pages/submission.md": bundle_pages.submission_page(track, protocol),
        "pages/terms.md": bundle_pages.terms_page(),
    }
    plan = BundlePlan(settings, target, pins, references, dates, notes=notes)
    plan.members = {
        "competition.yaml": competition_yaml(plan, pages).encode(),
        "logo.png": logo_png(),
        **{name: text.encode() for name, text in pages.items()},
        STARTING_KIT: bundle_kit.starting_kit(track, protocol, [r.manifest for r in references]),
    }
    return plan


def references_of(references: list[SplitData]) -> list[tuple[Split, int]]:
    return [(r.split, len(r.masks)) for r in references]


def dates_of(dates: list[PhaseDates]) -> list[tuple[str, str | None]]:
    return [(_shown(d.start), _shown(d.end) if d.end is not None else None) for d in dates]


def _shown(value: date | datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC" if isinstance(value, datetime) else "%Y-%m-%d")


PHASE_NAMES = {Split.validation: "Development", Split.test: "Final"}


def competition_yaml(plan: BundlePlan, pages: dict[str, str]) -> str:
    settings = plan.settings
    track = TRACKS[settings.track]
    label = PROTOCOL_TITLES[settings.protocol]
    titles = {
        "pages/overview.md": "Overview",
        "pages/evaluation.md": "Evaluation",
        "pages/rules.md": "Protocol rules",
        "pages/submission.md": "Submission format",
    }
    document: dict[str, object] = {
        "version": 2,
        "title": settings.title or f"{track.name}: {label} (submitkit)",
        "description": f"Semantic segmentation on {track.name} under the {label} protocol, "
        f"scored by submitkit {__version__}.",
        "image": "logo.png",
        "registration_auto_approve": False,
        "enable_detailed_results": True,
        "docker_image": settings.docker_image,
    }
    if settings.contact_email:
        document["contact_email"] = settings.contact_email
    indexed = list(enumerate(zip(plan.references, plan.dates, strict=True)))
    document.update(
        {
            "terms": "pages/terms.md",
            "pages": [{"title": titles[name], "file": name} for name in pages if name in titles],
            "tasks": [_task(plan, i, ref.split) for i, (ref, _) in indexed],
            "solutions": [_solution(i, ref.split) for i, (ref, _) in indexed],
            "phases": [_phase(plan, i, ref.split, when) for i, (ref, when) in indexed],
            "leaderboards": [_leaderboard(settings.rank)],
        }
    )
    return dump_yaml(document)


def _task(plan: BundlePlan, index: int, split: Split) -> dict[str, object]:
    """A phase's task: the one program with the split's reference data (stored once)."""
    label = PROTOCOL_TITLES[plan.settings.protocol]
    return {
        "index": index,
        "name": f"{TRACKS[plan.settings.track].name} {split.value}, {label}",
        "description": f"Masks of the {split.value} images, scored under the "
        f"{label} protocol's rules.",
        "scoring_program": PROGRAM_ZIP,
        "reference_data": reference_zip_name(split),
    }


def _solution(index: int, split: Split) -> dict[str, object]:
    return {
        "index": index,
        "tasks": [index],
        "name": f"all background ({split.value})",
        "description": "Every mask all class 0: a complete, valid submission.",
        "path": solution_zip_name(split),
    }


def _phase(plan: BundlePlan, index: int, split: Split, when: PhaseDates) -> dict[str, object]:
    settings = plan.settings
    phase: dict[str, object] = {
        "index": index,
        "name": f"{PHASE_NAMES[split]} ({split.value})",
        "description": f"{TRACKS[settings.track].name} {split.value} images, "
        f"{PROTOCOL_TITLES[settings.protocol]} protocol (`--protocol {settings.protocol.value}`).",
        "start": when.start,
    }
    if when.end is not None:
        phase["end"] = when.end
    phase.update(
        {
            "max_submissions_per_day": settings.max_per_day,
            "max_submissions": settings.max_submissions,
            "execution_time_limit": settings.time_limit,
            "starting_kit": STARTING_KIT,
            "tasks": [index],
        }
    )
    return phase


def _leaderboard(rank: Rank) -> dict[str, object]:
    return {
        "index": 0,
        "title": "Results",
        "key": "main",
        "submission_rule": SUBMISSION_RULES[rank],
        "columns": [
            {"title": c.title, "key": c.key, "index": i, "sorting": c.sorting}
            for i, c in enumerate(leaderboard_columns())
        ],
    }


def write_bundle(
    plan: BundlePlan, out: Path, progress: Callable[[int], None] | None = None
) -> None:
    """The bundle zip, atomically; the large members are built in a temporary folder.

    Every ground-truth mask is decoded first, and the wheels fetched: a fault in
    either leaves nothing written.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".submitkit-bundle-", dir=out.parent) as tmp:
        folder = Path(tmp)
        for reference in plan.references:
            cache = TruthCache(folder / f"{reference.split.value}.cache")
            cache.update(learn_references(reference, plan.settings.jobs, progress))
        program = folder / PROGRAM_ZIP
        _write_program(plan, program, folder / "wheels")
        large: list[tuple[str, Path]] = [(PROGRAM_ZIP, program)]
        for reference in plan.references:
            ref_zip = folder / reference_zip_name(reference.split)
            _write_reference(reference, ref_zip, folder / f"{reference.split.value}.cache")
            solution = folder / solution_zip_name(reference.split)
            bundle_kit.write_solution(reference.manifest, plan.settings.protocol, solution)
            large += [(ref_zip.name, ref_zip), (solution.name, solution)]
        with atomic_output(out) as handle, DeterministicZip(handle) as archive:
            for name, data in plan.members.items():
                archive.add(name, data)
            for name, path in large:
                with path.open("rb") as src:
                    archive.add_file(name, src)


def _write_program(plan: BundlePlan, path: Path, wheels_dir: Path) -> None:
    settings = plan.settings
    wheels = bundle_program.fetch_wheels(plan.pins, plan.target, wheels_dir, settings.wheels_from)
    needed = bundle_program.import_names(plan.pins, plan.target)
    with path.open("wb") as handle, DeterministicZip(handle) as archive:
        archive.add("metadata.yaml", bundle_program.metadata_yaml(settings.protocol).encode())
        archive.add(
            bundle_program.LAUNCHER, bundle_program.launcher_text(plan.target, needed).encode()
        )
        archive.add(
            "requirements.txt", bundle_program.requirements_txt(plan.pins, plan.target).encode()
        )
        for name, data in bundle_program.package_files().items():
            archive.add(name, data)
        for wheel in wheels:
            with wheel.open("rb") as src:
                archive.add_file(f"{bundle_program.WHEELS}/{wheel.name}", src)


def _write_reference(reference: SplitData, path: Path, cache: Path) -> None:
    with path.open("wb") as handle, DeterministicZip(handle) as archive:
        archive.add(REFERENCE_MANIFEST, reference.manifest.model_dump_json(indent=1).encode())
        if cache.is_file():
            with cache.open("rb") as src:
                archive.add_file(REFERENCE_TRUTH, src)
        for name, mask in reference.masks.items():
            archive.add(f"{REFERENCE_MASKS}/{name}.png", mask.read_bytes())


def bundle_document(
    plan: BundlePlan, out: Path, *, written: bool, verdicts: list[RehearsalVerdict]
) -> BundleResult:
    phases = [
        BundlePhase(
            name=PHASE_NAMES[ref.split],
            split=ref.split.value,
            images=len(ref.masks),
            start=_shown(when.start),
            end=_shown(when.end) if when.end is not None else None,
        )
        for ref, when in zip(plan.references, plan.dates, strict=True)
    ]
    return BundleResult(
        output=str(out),
        written=written,
        python=plan.target.dotted,
        wheels=[pin.requirement for pin in plan.pins],
        phases=phases,
        members=[BundleMember(name=n, what=w) for n, w in plan.listing()],
        notes=plan.notes,
        rehearsal=verdicts,
    )


def rehearsal_phases(plan: BundlePlan) -> list[tuple[str, str, str, int]]:
    """(phase, program member, reference member, time limit), as competition.yaml pairs them."""
    return [
        (
            PHASE_NAMES[ref.split],
            PROGRAM_ZIP,
            reference_zip_name(ref.split),
            plan.settings.time_limit,
        )
        for ref in plan.references
    ]
