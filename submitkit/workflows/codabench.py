"""`submitkit score INPUT OUTPUT`: the scoring program a competition platform runs.

The platform's contract (CodaLab and Codabench alike): ``INPUT/ref`` holds the
reference data unzipped, ``INPUT/res`` the participant's submission unzipped,
and the program writes its scores into ``OUTPUT``. The reference data is what
`submitkit bundle` packs (see :data:`REFERENCE_MANIFEST`); the submission goes
through the same check and scoring as `submitkit evaluate`, so a leaderboard
number and a local validation number are computed by the same code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from submitkit.checks.report import Report
from submitkit.core.atomic import Inputs, check_target, write_text_atomic
from submitkit.core.diagnostics import Diagnostic
from submitkit.core.errors import EnvironmentProblem, SubmitkitError, UsageError
from submitkit.core.progress import ProgressSink
from submitkit.inputs.config import RunContext
from submitkit.inputs.layout import is_junk, read_layout
from submitkit.inputs.manifest import Manifest, ManifestSources, load_manifest
from submitkit.inputs.source import open_source
from submitkit.scoring.truth_cache import Entry, TruthCache
from submitkit.workflows.bundle_kit import manifest_name
from submitkit.workflows.evaluate import Scored, run_evaluate

REFERENCE_MANIFEST = "manifest.json"
"""In the reference data: the submitkit manifest (track, split, categories, images, sizes)."""
REFERENCE_MASKS = "ground-truth"
"""In the reference data: the ground truth as ``<wnid>/<stem>.png`` (R + 256·G)."""
REFERENCE_TRUTH = "ground-truth.cache"
"""In the reference data: the decoded ground truth and its boundaries (scoring.truth_cache)."""
SCORES_JSON = "scores.json"
SCORES_TXT = "scores.txt"
DETAILED_RESULTS = "detailed_results.html"
OUTPUT_NAMES = (SCORES_TXT, DETAILED_RESULTS, SCORES_JSON)
"""Every file `score` writes into OUTPUT; each is judged by the output rule before the scoring."""
PLATFORM_FILES = frozenset({"metadata"})
"""Written into ``INPUT/res`` by Codabench's worker (``push_output``), never by the participant."""
PARTICIPANT_SUBMISSION = "submission.zip"
"""How the participant's log names their upload: a path on their machine, not the server's."""


@dataclass(frozen=True)
class Reference:
    """The reference data of a competition task, as unzipped into ``INPUT/ref``."""

    manifest_path: Path
    masks: Path
    manifest: Manifest

    def truth(self) -> TruthCache | None:
        """The decoded ground truth `bundle` shipped, read only; None for an older bundle."""
        shipped = self.manifest_path.parent / REFERENCE_TRUTH
        return ShippedTruth(shipped) if shipped.is_file() else None


class ShippedTruth(TruthCache):
    """A cache that is read, never written: INPUT/ref is the platform's, not ours."""

    def update(self, new: dict[str, Entry]) -> None:
        return


LEADERBOARD_BOOTSTRAP = 1000
"""Resamples behind the interval columns of the leaderboard."""


@dataclass
class ServerRun:
    """One submission scored the way the platform runs it."""

    scored: Scored
    reference: Reference
    submission: Path
    """Where the submission's wnid folders were found (below ``INPUT/res``)."""
    enclosing: str
    """The folder(s) the platform's unzip left around the submission, ``""`` if none."""

    @property
    def accepted(self) -> bool:
        """Scored, and no error: warnings are allowed, as with `submitkit check`."""
        evaluation = self.scored.evaluation
        return (
            evaluation is not None
            and evaluation.scores is not None
            and self.scored.check.report.errors == 0
        )


def find_reference(ref: Path) -> Reference:
    """The reference data, directly in ``ref`` or in one folder the unzip created."""
    candidates = [ref]
    if ref.is_dir():
        candidates += sorted(p for p in ref.iterdir() if p.is_dir() and not is_junk(p.name))
    for folder in candidates:
        manifest_path = folder / REFERENCE_MANIFEST
        masks = folder / REFERENCE_MASKS
        if manifest_path.is_file() and masks.is_dir():
            return Reference(manifest_path, masks, load_manifest(manifest_path))
    raise EnvironmentProblem(
        f"{ref} holds no {REFERENCE_MANIFEST} and {REFERENCE_MASKS}/ folder: "
        "it is not reference data written by `submitkit bundle`",
        "rebuild the competition bundle with `submitkit bundle`",
    )


def submission_root(res: Path) -> tuple[Path, str]:
    """Where the submission starts below ``res``, and the enclosing folder looked through.

    The platform unzips the upload into ``res`` and may leave its own folder
    around it; the layout reader's one rule for enclosing folders decides.
    A lone zip (an upload zipped twice) is read in place.
    """
    if not res.is_dir():
        raise EnvironmentProblem(
            f"{res} does not exist: the platform passes the submission as INPUT/res",
            "run as `submitkit score INPUT OUTPUT` with INPUT holding ref/ and res/",
        )
    real = [p for p in res.iterdir() if not is_junk(p.name) and p.name not in PLATFORM_FILES]
    if len(real) == 1 and real[0].is_file() and real[0].suffix.lower() == ".zip":
        return real[0], ""
    source = open_source(res)
    source.entries = [e for e in source.entries if e.name not in PLATFORM_FILES]
    enclosing = read_layout(source).enclosing
    return res / enclosing, enclosing


@contextlib.contextmanager
def platform_paths(input_dir: Path, output_dir: Path) -> Iterator[None]:
    """A usage or environment error inside, with the platform's folders named as the
    contract names them (INPUT, OUTPUT).

    The scoring log is the participant's to read: it says what broke, not where
    the server keeps the organiser's data.
    """
    try:
        yield
    except SubmitkitError as error:
        message, hint = error.message, error.hint
        for folder, name in ((input_dir, "INPUT"), (output_dir, "OUTPUT")):
            for form in {str(folder), str(folder.resolve())}:
                message, hint = message.replace(form, name), hint.replace(form, name)
        raise type(error)(message, hint) from error


def score_input(
    input_dir: Path,
    context: RunContext,
    *,
    progress: ProgressSink | None = None,
    output_dir: Path | None = None,
) -> ServerRun:
    """Check and score ``INPUT/res`` against ``INPUT/ref``, as `evaluate` would.

    ``context`` gives the phase's protocol and the workers; the sources, track
    and split are the reference's own.

    ``output_dir``, where the scores will go, is judged first: a platform that
    cannot take them should learn it before the scoring, not after.
    """
    if output_dir is not None:
        if output_dir.exists() and not output_dir.is_dir():
            raise UsageError(
                f"{output_dir} is a file: OUTPUT is the folder the scores are written into",
                "give the platform's output folder (it is created when missing)",
            )
        for name in OUTPUT_NAMES:
            check_target(
                output_dir / name, replace=True, exists_hint="", inputs=Inputs.of(input_dir)
            )
    reference = find_reference(input_dir / "ref")
    submission, enclosing = submission_root(input_dir / "res")
    manifest = reference.manifest
    sources = ManifestSources(manifest=reference.manifest_path)
    scored = run_evaluate(
        submission,
        context.but(sources=sources, track=manifest.track, split=manifest.split),
        progress=progress,
        ground_truth=reference.masks,
        # Each run is a fresh container: a cache written there would be thrown away.
        cache=False,
        truth_cache=reference.truth(),
        platform_files=PLATFORM_FILES if not enclosing else frozenset(),
    )
    return ServerRun(scored, reference, submission, enclosing)


def participant_report(run: ServerRun) -> Report:
    """The check's report as the participant's log shows it: nothing of the server's.

    Their upload is named as on their machine (so a repair command runs there),
    the reference is described by what it holds rather than where it lies, and
    no finding about the platform's own files can appear (see PLATFORM_FILES).
    """
    report = run.scored.check.report.model_copy(deep=True)
    evaluation = run.scored.evaluation
    if evaluation is not None and not run.accepted:
        report.diagnostics = [*report.diagnostics, *evaluation.diagnostics]
    manifest = run.reference.manifest
    report.submission = PARTICIPANT_SUBMISSION
    report.container = "zip"
    report.verified = [
        f"names against the {len(manifest.images)} {manifest.split.value} images"
        if i == 0
        else line
        for i, line in enumerate(report.verified)
    ]
    hidden = (str(run.reference.manifest_path.parent), str(run.submission))
    report.diagnostics = [_without(d, hidden) for d in report.diagnostics]
    # Commands in the closing lines run on the participant's machine: with the
    # starting kit's manifest of this split, never the server's reference path.
    # The run's own options (the reference's track and split, the protocol given), with
    # the manifest named as the starting kit ships it.
    given = run.scored.check.report.given
    report.given = replace(given, manifest=Path(manifest_name(manifest)))
    return report


def _without(diag: Diagnostic, hidden: tuple[str, ...]) -> Diagnostic:
    """``diag`` with the server's folders taken out of its path, message and hint."""
    fields = {"path": diag.path, "message": diag.message, "hint": diag.hint}
    for name, text in fields.items():
        for folder in hidden:
            text = text.replace(folder + "/", "").replace(folder, "the reference data")
        fields[name] = text
    return diag.model_copy(update=fields)


def intervals_of(run: ServerRun) -> dict[str, tuple[float, float]]:
    """Bootstrap intervals (metric -> bounds) of the leaderboard's interval metrics.

    A fixed seed and sample count, so the same submission always gets the same
    bounds: ``LEADERBOARD_BOOTSTRAP`` resamples of the images, seed 0, 95 %.
    """
    from submitkit.scoring.bootstrap import percentile_interval, replicate
    from submitkit.scoring.leaderboard import INTERVAL_METRICS

    evaluation = run.scored.evaluation
    if evaluation is None or evaluation.counts is None or not INTERVAL_METRICS:
        return {}
    reps = replicate(evaluation.counts, LEADERBOARD_BOOTSTRAP, seed=0)
    found = {}
    for metric in INTERVAL_METRICS:
        low, high = percentile_interval(reps.metrics[metric], 0.95)
        if low is not None and high is not None:
            found[metric] = (low, high)
    return found


def write_outputs(output_dir: Path, files: Mapping[str, str]) -> None:
    """Each output file written whole or not at all, into ``output_dir``.

    Written in the order given: ``files`` puts scores.json last, so its presence
    means the run finished.
    """
    for name, text in files.items():
        write_text_atomic(output_dir / name, text)
