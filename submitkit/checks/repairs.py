"""What ``submitkit fix`` would repair in a checked submission: one closing line per fault.

A report of 1,682 grayscale masks should end by saying that one command
repairs them all, instead of leaving the user with per-file snippets. Which
codes fix repairs, and with which option, is the catalogue's policy
(``Code.X.policy.fix_repairs`` and ``fix_flag``); this module only words it.
"""

from __future__ import annotations

from collections import Counter

from submitkit.benchmark.protocols import MATCH_JSON_PROTOCOLS, PROTOCOL_TITLES
from submitkit.checks.commands import command, fixed_name, fresh_path
from submitkit.checks.report import Report
from submitkit.core.diagnostics import Code, Diagnostic, Severity

GROUPS: dict[Code, tuple[str, str]] = {
    Code.ENCLOSING_FOLDER: ("everything sits inside an enclosing folder", ""),
    Code.JUNK_FILE: ("{n} file is junk", "{n} files are junk"),
    Code.STRAY_FILE: ("{n} file does not belong", "{n} files do not belong"),
    Code.BAD_EXTENSION: ("{n} prediction is misnamed", "{n} predictions are misnamed"),
    Code.METHOD_MISNAMED: ("method.txt is misnamed", ""),
    Code.MATCH_MISNAMED: ("match.json is misnamed", ""),
    Code.UNKNOWN_FOLDER: (
        "{n} folder is not a category of the track",
        "{n} folders are not categories of the track",
    ),
    Code.NESTED_FILE: ("{n} file sits too deep", "{n} files sit too deep"),
    Code.EXTRA_PREDICTION: (
        "{n} prediction is not an image of this split",
        "{n} predictions are not images of this split",
    ),
    Code.DUPLICATE_STEM: ("{n} prediction is a copy", "{n} predictions are copies"),
    Code.WRONG_FOLDER: (
        "{n} prediction sits in the wrong wnid folder",
        "{n} predictions sit in the wrong wnid folder",
    ),
    Code.MODE_GRAYSCALE: ("{n} mask is grayscale", "{n} masks are grayscale"),
    Code.MODE_PALETTE: ("{n} mask is a palette PNG", "{n} masks are palette PNGs"),
    Code.MODE_ALPHA: ("{n} mask has an alpha channel", "{n} masks have an alpha channel"),
    Code.SIZE_MISMATCH: ("{n} mask has the wrong size", "{n} masks have the wrong size"),
    Code.ID_OUT_OF_RANGE: (
        "{n} mask uses ids above K (ImageNet-1k classes?)",
        "{n} masks use ids above K (ImageNet-1k classes?)",
    ),
}
"""How each repairable fault is counted in a closing line (singular, plural)."""

NEEDS_LISTS = {
    Code.UNKNOWN_FOLDER,
    Code.NESTED_FILE,
    Code.EXTRA_PREDICTION,
    Code.DUPLICATE_STEM,
    Code.WRONG_FOLDER,
    Code.SIZE_MISMATCH,
}
"""Faults fix repairs only from the split's list (and, for sizes, the source images)."""


NEEDS_CATEGORIES = {Code.ID_OUT_OF_RANGE}
"""Faults fix repairs only with the track's categories: from the toolbox or a manifest."""


def _names_categories(report: Report) -> bool:
    return report.given.toolbox is not None or report.given.manifest is not None


def _proposed(report: Report, severities: set[Severity]) -> list[Diagnostic]:
    """The findings fix would repair, where the catalogue says fix is the answer to them.

    Ids above K are cluster ids, not ImageNet-1k classes, under a protocol whose
    predictions are matched: for them the answer is ``match`` (:func:`match_line`).
    """
    found = [
        d
        for d in report.diagnostics
        if d.code.policy.fix_repairs
        and d.severity in severities
        and not (d.code is Code.ID_OUT_OF_RANGE and _clusters(report))
    ]
    shown = Counter(d.code for d in found)
    masks = max(1, report.counts.masks_inspected)
    return [d for d in found if shown[d.code] >= d.code.policy.fix_share * masks]


def _clusters(report: Report) -> bool:
    return report.protocol in MATCH_JSON_PROTOCOLS


def _fix_command(report: Report, out: str, flags: list[str]) -> str:
    return command("fix", report.submission, "-o", out, *report.given.options(), *flags)


def repair_lines(report: Report) -> list[str]:
    """One line per repairable fault of ``report``, naming the fix command; [] if none."""
    counts = Counter(d.code for d in _proposed(report, {Severity.error, Severity.warning}))
    lines = []
    out = fixed_name(report.submission)
    for code in sorted(counts, key=lambda c: c.value):
        one, many = GROUPS[code]
        n = counts[code]
        what = (one if n == 1 or not many else many).format(n=f"{n:,}")
        flags = [code.policy.fix_flag] if code.policy.fix_flag else []
        if code in NEEDS_CATEGORIES and not _names_categories(report):
            lines.append(
                f"{what} ({code.value}): fix {code.policy.fix_flag} converts {_them(n)} "
                "given the official lists (--toolbox), which name the track's categories"
            )
            continue
        shown = _fix_command(report, out, [w for f in flags for w in f.split()])
        lines.append(f"{what} ({code.value}): `{shown}` repairs {_them(n)}")
    if NEEDS_LISTS & counts.keys() and not report.given.sources():
        lines.append("give fix the same --toolbox, --dataset or --manifest as this check")
    return lines + match_line(report)


def match_line(report: Report) -> list[str]:
    """Cluster ids above K under a matched protocol: what ``match`` would do about them."""
    if not _clusters(report):
        return []
    masks = sum(1 for d in report.diagnostics if d.code is Code.ID_OUT_OF_RANGE)
    if not masks:
        return []
    assert report.protocol is not None
    title = PROTOCOL_TITLES[report.protocol]
    what = f"{masks:,} mask{'s use' if masks != 1 else ' uses'} cluster ids above K"
    given = report.given
    if given.dataset is None or (report.split is not None and report.split.value != "validation"):
        return [
            f"{what} ({Code.ID_OUT_OF_RANGE.value}): under the {title} protocol they need a "
            "match.json; `match` writes one from validation predictions and the dataset's "
            "ground truth (--dataset)"
        ]
    largest = report.largest_id
    clusters = ["--clusters", str(largest)] if largest is not None else []
    options = [*given.sources(), *(["--track", str(given.track)] if given.track else [])]
    shown = command("match", report.submission, *options, *clusters, "-o", fresh_path("match.json"))
    return [
        f"{what} ({Code.ID_OUT_OF_RANGE.value}): under the {title} protocol they need a "
        f"match.json: `{shown}` writes one; put it at the submission's root"
    ]


def fix_suggestion(report: Report) -> str:
    """For a refusal (pack): what fix would repair, or ``""`` when it would not help."""
    fixable = _proposed(report, {Severity.error})
    if not fixable:
        return ""
    out = fixed_name(report.submission)
    if any(d.code in NEEDS_CATEGORIES for d in fixable) and not _names_categories(report):
        return ""
    flags = sorted({d.code.policy.fix_flag for d in fixable if d.code.policy.fix_flag})
    fix = _fix_command(report, out, [w for f in flags for w in f.split()])
    pack = command("pack", out, *report.given.options())
    return f"`{fix}` repairs {len(fixable):,} of the {report.errors:,} errors; then `{pack}`"


def _them(n: int) -> str:
    return "it" if n == 1 else "them"
