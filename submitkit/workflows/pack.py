"""Packing: the zip to upload, in the official layout, the same bytes for the same submission.

``plan_pack`` runs the full check and decides what goes in (the predictions,
match.json, a method.txt that agrees with the protocol) and what stays out
(junk, stray files, an enclosing folder); ``write_pack`` writes the zip
atomically, reads it back to verify it, and previews the predictions.
Neither prints: the CLI renders their results.

Reproducibility is a feature: a researcher who packs twice, or a colleague
who packs the same folder, gets a byte-identical zip and so the same sha256
to quote. Entries are sorted and written by the deterministic zip writer
(:mod:`submitkit.core.zipwrite`): fixed timestamps and permissions, every entry
stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import zipfile
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import BinaryIO, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, Field

from submitkit.benchmark.protocols import Protocol
from submitkit.checks.masks import MaskResult, decode_mask
from submitkit.checks.protocol import protocol_findings
from submitkit.checks.repairs import fix_suggestion
from submitkit.checks.report import Report, Status
from submitkit.checks.staged import CheckRun, run_check
from submitkit.core.atomic import NO_INPUTS, Inputs, atomic_output, check_target
from submitkit.core.diagnostics import Diagnostic, Severity
from submitkit.core.document import Document
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.core.progress import NoProgress, ProgressSink
from submitkit.core.workers import run_ordered
from submitkit.core.zipwrite import FIXED_DATE_TIME, DeterministicZip
from submitkit.inputs import png
from submitkit.inputs.config import RunContext
from submitkit.inputs.layout import MATCH_FILE, METHOD_FILE, Layout, Prediction, is_junk
from submitkit.inputs.manifest import ManifestSources
from submitkit.inputs.method_txt import (
    MAX_METHOD_BYTES,
    PROTOCOL_FIELD,
    TRACK_FIELD,
    load_method_fields,
    parse_method,
)
from submitkit.inputs.source import forget_open_zips
from submitkit.workflows.method_writer import render_method
from submitkit.workflows.preview_stats import ImageStats, Preview, build_preview

PACK_DATE_TIME = FIXED_DATE_TIME
"""Every entry's timestamp (see :mod:`submitkit.core.zipwrite`)."""
MB = 1000 * 1000
DEFAULT_MAX_SIZE = 300 * MB
"""The usual upload limit of the CodaLab competitions (in decimal MB, the stricter reading)."""
ESTIMATE_SAMPLE = 64
"""Masks re-encoded to estimate what --optimize would save."""


_DESCRIPTION_LINE = re.compile(
    r"^[ \t]*method[ \t]+description[ \t]*:", re.IGNORECASE | re.MULTILINE
)


class MethodSource(str, Enum):
    """Where the packed method.txt comes from."""

    submission = "submission"
    """The submission's own file, unchanged."""
    submission_declared = "submission+declarations"
    """The submission's own file with the Protocol and/or Track line added."""
    method_file = "method-file"
    """Written from the fields of ``--method FILE``."""
    config = "config"
    """Written from ``[tool.submitkit.method]`` in pyproject.toml."""


class Verification(BaseModel):
    """How the written zip was read back."""

    entries: int
    """Entries read back, equal to the planned list."""
    crc_ok: bool
    check_status: Status
    """Status of `submitkit check --quick` on the written zip."""


class PackResult(Document):
    """What `submitkit pack` did (or would do); rendered as text or JSON."""

    kind: ClassVar[str] = "pack"
    schema_file: ClassVar[str] = "pack.schema.json"

    status: Literal["written", "dry-run", "refused"]
    submission: str
    protocol: Protocol
    path: str | None = None
    """The zip written (or that would be written); ``None`` when refused."""
    size: int | None = None
    """Bytes of the written zip."""
    sha256: str | None = None
    entries: list[str] = Field(default_factory=list)
    """Names in the zip, in their (sorted) order."""
    left_out: list[str] = Field(default_factory=list)
    """Files of the submission not packed (junk, stray or misplaced files)."""
    repaired: list[Diagnostic] = Field(default_factory=list)
    """Layout findings packing fixes by construction (enclosing folder, junk, stray files)."""
    method_source: MethodSource | None = None
    method_txt: str | None = None
    """The packed method.txt."""
    optimized: bool = False
    optimize_saved: int | None = None
    """Bytes --optimize saved, or (``optimize_estimated``) would save."""
    optimize_estimated: bool = False
    max_size: int = DEFAULT_MAX_SIZE
    over_limit: bool = False
    verification: Verification | None = None
    warnings: list[str] = Field(default_factory=list)
    preview: Preview | None = None
    report: Report
    """The check of the submission as it is packed (repaired findings moved out)."""

    def is_failure(self) -> bool:
        return self.status == "refused"


@dataclass(frozen=True)
class PlanItem:
    """One entry of the zip to write."""

    name: str
    """Name in the zip."""
    member: str | None = None
    """Entry of the submission to copy (relative to its real root), if not generated."""
    data: bytes | None = None
    """Generated content (method.txt)."""

    @property
    def is_mask(self) -> bool:
        return self.name.endswith(".png")


@dataclass
class PackPlan:
    """What packing a submission would write, decided from its full check."""

    submission: Path
    run: CheckRun
    report: Report
    items: list[PlanItem] = field(default_factory=list)
    method_text: str | None = None
    method_source: MethodSource | None = None
    left_out: list[str] = field(default_factory=list)
    repaired: list[Diagnostic] = field(default_factory=list)
    method_findings: list[Diagnostic] | None = None
    """Findings about the method.txt packed, which replace the check's; None if none is."""

    @property
    def context(self) -> RunContext:
        """What the run is about, as the check completed it."""
        return self.run.context

    @property
    def protocol(self) -> Protocol:
        """The leaderboard the zip is for (pack refuses to plan without one)."""
        assert self.context.protocol is not None
        return self.context.protocol

    @property
    def sources(self) -> ManifestSources:
        return self.context.sources

    def judge(self) -> None:
        """The pack's report from the check's: repaired findings moved out, method re-judged."""
        diags = list(self.run.report.diagnostics)
        self.repaired = [d for d in diags if d.code.policy.pack_repairs]
        diags = [d for d in diags if not d.code.policy.pack_repairs]
        if self.method_findings is not None:
            diags = [d for d in diags if not d.code.policy.pack_rejudges]
            diags += self.method_findings
        self.report = self.run.report.model_copy(update={"diagnostics": diags})

    def complete(self) -> None:
        """Run the check's pixel stage here, when no writing pass will decode the masks."""
        if self.run.pending:
            self.run.run_pixels(self.context.jobs)
            self.judge()

    @property
    def blocked(self) -> bool:
        """The check failed: nothing may be written."""
        return self.report.is_failure()

    @property
    def names(self) -> list[str]:
        return [item.name for item in self.items]

    @property
    def layout(self) -> Layout:
        assert self.run.layout is not None
        return self.run.layout


def default_output(submission: Path, protocol: Protocol) -> Path:
    """``<name>-<protocol>.zip`` beside the submission, never inside it."""
    base = submission if submission.name not in ("", ".", "..") else submission.resolve()
    stem = base.stem if base.suffix.lower() == ".zip" else base.name
    return base.parent / f"{stem}-{protocol.value}.zip"


def ensure_writable(
    out: Path, submission: Path, overwrite: bool, inputs: Inputs = NO_INPUTS
) -> None:
    """Refuse an output that exists (without ``overwrite``), or would clobber an input.

    ``inputs``: what the run reads besides the submission (lists, method file).
    """
    target, source = out.resolve(), submission.resolve()
    if target == source:
        raise UsageError(
            f"{out} is the submission itself", "write the packed zip elsewhere with -o OUT.zip"
        )
    if source.is_dir() and target.is_relative_to(source):
        raise UsageError(
            f"{out} is inside the submission folder it packs",
            "write the zip beside the folder, e.g. -o ../submission.zip",
        )
    if target.is_dir():
        raise UsageError(f"{out} is a folder", "give a file name ending in .zip")
    check_target(
        out,
        replace=overwrite,
        exists_hint="pass --overwrite, or give another -o",
        inputs=inputs.adding(submission),
    )


def plan_pack(
    path: Path,
    context: RunContext,
    *,
    method_file: Path | None = None,
    method_config: Mapping[str, str] | None = None,
    progress: ProgressSink | None = None,
) -> PackPlan:
    """Check the submission in full and decide what the zip holds.

    method.txt: ``method_file`` fields replace the submission's file; otherwise
    the submission's own is used, with Protocol/Track lines added when it lacks
    them; otherwise ``method_config`` fields are written. Its findings are then
    judged on that packed text, so a missing method.txt that packing supplies
    does not block. Raises SubmitkitError for unusable options or inputs.
    """
    protocol = _protocol_of(context)
    file_fields = load_method_fields(method_file) if method_file is not None else None
    run = run_check(path, context.but(quick=False), progress=progress, defer_pixels=True)
    assert run.layout is not None
    layout = run.layout
    k = run.report.track
    method, origin = _choose_method(layout, protocol, k, file_fields, method_config)
    method_findings: list[Diagnostic] | None = None
    if method is not None:
        info, method_findings = parse_method(method, METHOD_FILE)
        if info is not None:
            method_findings += protocol_findings(info, protocol, k, METHOD_FILE)
            run.method = info

    items = [PlanItem(name, member=name) for name in layout.predictions.values()]
    if layout.match == MATCH_FILE:
        items.append(PlanItem(MATCH_FILE, member=MATCH_FILE))
    if method is not None:
        items.append(PlanItem(METHOD_FILE, data=method))
    items.sort(key=lambda item: item.name)
    text = method.decode("utf-8", errors="replace") if method is not None else None
    plan = PackPlan(
        submission=path,
        run=run,
        report=run.report,
        items=items,
        method_text=text,
        method_source=origin,
        left_out=_left_out(layout),
        method_findings=method_findings,
    )
    plan.judge()
    if plan.blocked:
        # Nothing will be written: finish the check here so its report is complete.
        plan.complete()
    return plan


def _left_out(layout: Layout) -> list[str]:
    # Junk is listed from the zip's own root; everything else from inside the
    # enclosing folder, so give both as paths of the original submission.
    shown = [name if is_junk(name) else layout.enclosing + name for name in layout.left_out]
    return sorted(dict.fromkeys(shown))


def _choose_method(
    layout: Layout,
    protocol: Protocol,
    k: int | None,
    file_fields: Mapping[str, str] | None,
    config_fields: Mapping[str, str] | None,
) -> tuple[bytes | None, MethodSource | None]:
    # Rendering needs the track; without one (no predictions) the check fails anyway.
    if file_fields is not None and k is not None:
        return render_method(file_fields, protocol, k).encode("utf-8"), MethodSource.method_file
    if layout.method == METHOD_FILE:
        # Bounded: an oversized method.txt stays oversized (T010) when judged again.
        data = layout.source.ref(METHOD_FILE).read_head(MAX_METHOD_BYTES + 1)
        declared = with_declarations(data, protocol, k)
        if declared != data:
            return declared, MethodSource.submission_declared
        return data, MethodSource.submission
    if config_fields and k is not None:
        return render_method(config_fields, protocol, k).encode("utf-8"), MethodSource.config
    return None, None


def with_declarations(data: bytes, protocol: Protocol, track: int | None) -> bytes:
    """method.txt with ``Protocol:`` and ``Track:`` lines added where it lacks them.

    They go just before ``Method description:``, where the parser reads
    declarations, in the file's own line ending. A file that already declares
    both, or that is not UTF-8, is returned as it is.
    """
    info, _ = parse_method(data, METHOD_FILE)
    if info is None:
        return data
    missing = []
    if info.protocol is None:
        missing.append(f"{PROTOCOL_FIELD}: {protocol.value}")
    if info.track is None and track is not None:
        missing.append(f"{TRACK_FIELD}: {track}")
    if not missing:
        return data
    text = data.decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = "".join(line + newline for line in missing)
    found = _DESCRIPTION_LINE.search(text)
    if found is not None:
        text = text[: found.start()] + lines + text[found.start() :]
    else:
        text = text + ("" if not text or text.endswith(("\n", "\r")) else newline) + lines
    return text.encode("utf-8")


# --- writing -----------------------------------------------------------------------


@dataclass(frozen=True)
class _MaskJob:
    task: Prediction
    optimize: bool


@dataclass
class _MaskOut:
    data: bytes | None
    """What goes into the zip; None when the mask could not be read."""
    original_size: int
    counts: dict[int, int] | None
    digest: str | None
    optimize_failed: bool = False
    result: MaskResult | None = None
    """The check's pixel stage for this mask."""


def _same_pixels(data: bytes, pixels: np.ndarray) -> bool:
    # Mode matters as much as values: the evaluator indexes channels of an RGB array.
    try:
        with png.rgb_image(data) as im:
            return np.array_equal(np.asarray(im), pixels)
    except png.PngFault:
        return False


def _packed(decoded: png.Pixels, data: bytes, optimize: bool) -> _MaskOut:
    """Count one decoded mask's pixels per id, hash it and, if asked, re-encode it smaller."""
    out = _MaskOut(data, len(data), decoded.counts(), decoded.digest())
    if optimize:
        pixels = decoded.rgb
        smaller = png.rgb_png(pixels, optimize=True)
        if len(smaller) < len(data):
            # Lossless by design, verified anyway: a changed id would change the score.
            if _same_pixels(smaller, pixels):
                out.data = smaller
            else:
                out.optimize_failed = True
    return out


def _process_mask(job: _MaskJob) -> _MaskOut:
    """The check's pixel stage of one mask and what packing needs of it, from one decode."""
    result, out = decode_mask(job.task, lambda decoded, data: _packed(decoded, data, job.optimize))
    if out is None:
        # Not decodable: the pixel stage says why, and nothing is written (see write_pack).
        out = _MaskOut(None, 0, None, None)
    out.result = result
    return out


def _processed(masks: list[_MaskJob], context: RunContext) -> Generator[_MaskOut, None, None]:
    """``_process_mask`` over ``masks``, in order, in worker processes (decoding holds the
    GIL); few finished masks wait in memory."""
    return run_ordered(_process_mask, masks, jobs=context.jobs, max_chunk=16, processes=True)


@dataclass
class _Written:
    checked: list[MaskResult] = field(default_factory=list)
    """The check's pixel stage, done while writing."""
    stats: dict[str, ImageStats] = field(default_factory=dict)
    original_mask_bytes: int = 0
    written_mask_bytes: int = 0
    optimize_failed: int = 0


def _tasks_by_member(plan: PackPlan) -> dict[str, Prediction]:
    layout = plan.layout
    return {name: plan.run.tasks[key] for key, name in layout.predictions.items()}


class _Refused(Exception):
    """The pixel stage, run while writing, failed the check: the zip must not be kept."""


def _write_zip(
    handle: BinaryIO, plan: PackPlan, optimize: bool, progress: ProgressSink
) -> _Written:
    source = plan.layout.source
    masks = [item for item in plan.items if item.is_mask and item.member is not None]
    tasks = _tasks_by_member(plan)
    work = [_MaskJob(tasks[item.member or ""], optimize) for item in masks]
    advance = progress.stage("Checking and packing masks", len(plan.items))
    written = _Written()
    results = _processed(work, plan.context)
    with contextlib.closing(results), DeterministicZip(handle) as archive:
        for item in plan.items:
            if item.is_mask and item.member is not None:
                out = next(results)
                assert out.result is not None
                written.checked.append(out.result)
                if out.data is None:
                    written.stats[item.name] = ImageStats(item.name, out.result.ids)
                    advance(1)
                    continue
                archive.add(item.name, out.data)
                written.original_mask_bytes += out.original_size
                written.written_mask_bytes += len(out.data)
                written.optimize_failed += out.optimize_failed
                written.stats[item.name] = ImageStats(
                    item.name, out.result.ids, out.counts, out.digest
                )
            else:
                data = item.data if item.data is not None else source.read(item.member or "")
                archive.add(item.name, data)
            advance(1)
    return written


def write_pack(
    plan: PackPlan,
    out: Path,
    *,
    overwrite: bool = False,
    optimize: bool = False,
    max_size: int = DEFAULT_MAX_SIZE,
    progress: ProgressSink | None = None,
) -> PackResult:
    """Write the planned zip to ``out`` atomically, verify it, and preview the predictions.

    Nothing is left at ``out`` (nor any temporary file) if writing fails or is
    interrupted. Raises UsageError for a refused plan or output, and
    EnvironmentProblem if the written zip fails its read-back.
    """
    if plan.blocked:
        raise UsageError(
            "the check of the submission failed: nothing is packed",
            fix_suggestion(plan.report) or "fix the errors the check lists, then pack again",
        )
    ensure_writable(out, plan.submission, overwrite, Inputs.of(*plan.sources.paths))
    sink = progress or NoProgress()
    try:
        with atomic_output(out) as handle:
            written = _write_zip(handle, plan, optimize, sink)
            plan.run.finish_pixels(written.checked)
            plan.judge()
            if plan.blocked:
                raise _Refused
    except _Refused:
        return refused(plan)
    # A zip handle cached for an earlier file at this path would read stale bytes.
    forget_open_zips()
    verification = _verify(plan, out)

    size = out.stat().st_size
    result = _result(plan, "written", out)
    result.size = size
    result.sha256 = _sha256(out)
    result.verification = verification
    result.optimized = optimize
    result.max_size = max_size
    result.over_limit = size > max_size
    _size_notes(result, plan, written)
    result.preview = _preview(plan, written.stats)
    return result


def _size_notes(result: PackResult, plan: PackPlan, written: _Written) -> None:
    """What --optimize saved (or would save), and a warning when the zip is over the limit."""
    size, max_size = result.size or 0, result.max_size
    if result.optimized:
        result.optimize_saved = written.original_mask_bytes - written.written_mask_bytes
        if written.optimize_failed:
            result.warnings.append(
                f"{written.optimize_failed} mask(s) re-encoded with different pixels were "
                "packed as they were (a PIL bug?): their ids are untouched"
            )
    if not result.over_limit:
        return
    limit = f"{human_size(size)} exceeds the upload limit of {human_size(max_size)}"
    if result.optimized:
        result.warnings.append(f"{limit}, even with --optimize")
        return
    saving = _estimate_saving(plan, written.original_mask_bytes)
    result.optimize_saved, result.optimize_estimated = saving, True
    sample = min(ESTIMATE_SAMPLE, _mask_count(plan))
    result.warnings.append(
        f"{limit}; --optimize would save about {human_size(saving)} "
        f"(to about {human_size(size - saving)}; estimated from {sample} masks)"
    )


def human_size(n: int) -> str:
    """Bytes in decimal units, as upload limits are stated."""
    return f"{n / MB:.1f} MB" if n >= MB else f"{n / 1000:.1f} kB"


def dry_run(plan: PackPlan, out: Path, *, overwrite: bool = False) -> PackResult:
    """What ``write_pack`` would write, with a preview from the check alone; writes nothing."""
    plan.complete()
    if plan.blocked:
        return refused(plan)
    result = _result(plan, "dry-run", out, preview=_preview(plan, {}))
    try:
        ensure_writable(out, plan.submission, overwrite, Inputs.of(*plan.sources.paths))
    except UsageError as problem:
        result.warnings.append(f"the real run would stop: {problem.message} ({problem.hint})")
    return result


def refused(plan: PackPlan) -> PackResult:
    """The result of a plan whose check failed."""
    plan.complete()
    return _result(plan, "refused", None)


def _result(
    plan: PackPlan,
    status: Literal["written", "dry-run", "refused"],
    out: Path | None,
    preview: Preview | None = None,
) -> PackResult:
    return PackResult(
        status=status,
        submission=str(plan.submission),
        protocol=plan.protocol,
        path=str(out) if out is not None else None,
        entries=plan.names if status != "refused" else [],
        left_out=plan.left_out,
        repaired=plan.repaired,
        method_source=plan.method_source,
        method_txt=plan.method_text,
        preview=preview,
        report=plan.report,
    )


def _mask_count(plan: PackPlan) -> int:
    return sum(1 for item in plan.items if item.is_mask)


def _estimate_saving(plan: PackPlan, mask_bytes: int) -> int:
    """What --optimize would save, extrapolated from evenly spaced sample masks."""
    masks = [item for item in plan.items if item.is_mask and item.member is not None]
    if not masks or not mask_bytes:
        return 0
    tasks = _tasks_by_member(plan)
    step = max(1, len(masks) // ESTIMATE_SAMPLE)
    sample = masks[::step][:ESTIMATE_SAMPLE]
    before = after = 0
    for item in sample:
        out = _process_mask(_MaskJob(tasks[item.member or ""], True))
        if out.data is not None:
            before += out.original_size
            after += len(out.data)
    return round(mask_bytes * (before - after) / before) if before else 0


def _preview(plan: PackPlan, counted: Mapping[str, ImageStats]) -> Preview:
    # Each mask's ids and counts were recorded with its own result as it was written.
    images = [
        counted[item.name]
        for item in plan.items
        if item.is_mask and item.member is not None and item.name in counted
    ]
    manifest = plan.run.manifest
    return build_preview(
        images,
        k=plan.report.track,
        categories=manifest.categories if manifest is not None else None,
        match=plan.run.match,
    )


def _verify(plan: PackPlan, out: Path) -> Verification:
    """Read the zip back: its entry list, every CRC, and a quick check of the result."""
    problems: list[str] = []
    try:
        with zipfile.ZipFile(out) as archive:
            names = archive.namelist()
            bad = archive.testzip()
    except (OSError, zipfile.BadZipFile) as exc:
        names, bad = [], None
        problems.append(f"it cannot be read back as a zip: {exc}")
    if not problems and names != plan.names:
        problems.append(f"it holds {len(names)} entries instead of the {len(plan.names)} planned")
    if bad is not None:
        problems.append(f"{bad} fails its CRC check")
    report: Report | None = None
    if not problems:
        # The context the check completed: its track, split and protocol, headers only.
        report = run_check(out, plan.context.but(quick=True)).report
        errors = [d for d in report.diagnostics if d.severity is Severity.error]
        if errors:
            problems.append(
                "a quick check of the zip finds "
                + "; ".join(f"{d.code.value} {d.path}: {d.message}" for d in errors[:3])
            )
    if problems or report is None:
        with contextlib.suppress(FileNotFoundError):
            out.unlink()
        raise EnvironmentProblem(
            f"the written zip failed its read-back, so it was deleted: {'; '.join(problems)}",
            "this is a bug in submitkit: please report it with the command you ran",
        )
    return Verification(entries=len(names), crc_ok=True, check_status=report.status)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = [
    "DEFAULT_MAX_SIZE",
    "MethodSource",
    "PackPlan",
    "PackResult",
    "Verification",
    "default_output",
    "dry_run",
    "ensure_writable",
    "human_size",
    "plan_pack",
    "refused",
    "with_declarations",
    "write_pack",
]


def pack_submission(
    submission: Path,
    context: RunContext,
    *,
    output: Path | None = None,
    method_file: Path | None = None,
    method_config: Mapping[str, str] | None = None,
    overwrite: bool = False,
    optimize: bool = False,
    dry: bool = False,
    max_size: int = DEFAULT_MAX_SIZE,
    progress: ProgressSink | None = None,
) -> PackResult:
    """`submitkit pack` as one call: check, then write the zip (or say what it would write)."""
    out = output if output is not None else default_output(submission, _protocol_of(context))
    if not dry:
        # Refuse before the long check rather than after it.
        inputs = Inputs.of(*context.sources.paths, method_file)
        ensure_writable(out, submission, overwrite, inputs)
    plan = plan_pack(
        submission,
        context,
        method_file=method_file,
        method_config=method_config,
        progress=progress,
    )
    if plan.blocked:
        return refused(plan)
    if dry:
        return dry_run(plan, out, overwrite=overwrite)
    return write_pack(
        plan, out, overwrite=overwrite, optimize=optimize, max_size=max_size, progress=progress
    )


def _protocol_of(context: RunContext) -> Protocol:
    """The leaderboard the zip is for: pack needs it given (it decides method.txt's lines)."""
    if context.protocol is None:
        raise UsageError(
            "pack needs the leaderboard the zip is for",
            "give --protocol unsupervised|distance|semi|free, "
            "or set `protocol` in [tool.submitkit] of pyproject.toml",
        )
    return context.protocol
