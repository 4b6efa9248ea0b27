"""What ``submitkit fix`` would repair in a checked submission: one closing line per fault.

A report of 1,682 grayscale masks should end by saying that one command
repairs them all, instead of leaving the user with per-file snippets. Which
codes fix repairs, and with which option, is the catalogue's policy
(``Code.X.policy.fix_repairs`` and ``fix_flag``); this module only words it.
"""

from __future__ import annotations

import shlex
from collections import Counter
from pathlib import PurePath

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


def fixed_name(submission: str) -> str:
    """Where the repaired copy of ``submission`` could go: ``sub`` -> ``sub-fixed``."""
    path = PurePath(submission.rstrip("/\\") or "submission")
    if path.suffix.lower() == ".zip":
        return str(path.with_name(f"{path.stem}-fixed.zip"))
    return str(path.with_name(f"{path.name}-fixed"))


def _proposed(report: Report, severities: set[Severity]) -> list[Diagnostic]:
    """The findings fix would repair, where the catalogue says fix is the answer to them."""
    found = [
        d for d in report.diagnostics if d.code.policy.fix_repairs and d.severity in severities
    ]
    shown = Counter(d.code for d in found)
    masks = max(1, report.counts.masks_inspected)
    return [d for d in found if shown[d.code] >= d.code.policy.fix_share * masks]


def repair_lines(report: Report) -> list[str]:
    """One line per repairable fault of ``report``, naming the fix command; [] if none."""
    counts = Counter(d.code for d in _proposed(report, {Severity.error, Severity.warning}))
    if not counts:
        return []
    command = f"submitkit fix {shlex.quote(report.submission)} -o "
    command += shlex.quote(fixed_name(report.submission))
    lines = []
    for code in sorted(counts, key=lambda c: c.value):
        one, many = GROUPS[code]
        n = counts[code]
        what = (one if n == 1 or not many else many).format(n=f"{n:,}")
        flag = f" {code.policy.fix_flag}" if code.policy.fix_flag else ""
        lines.append(f"{what} ({code.value}): `{command}{flag}` repairs {_them(n)}")
    if NEEDS_LISTS & counts.keys():
        lines.append("give fix the same --toolbox, --dataset or --manifest as this check")
    return lines


def fix_suggestion(report: Report) -> str:
    """For a refusal (pack): what fix would repair, or ``""`` when it would not help."""
    fixable = _proposed(report, {Severity.error})
    if not fixable:
        return ""
    out = fixed_name(report.submission)
    flags = sorted({d.code.policy.fix_flag for d in fixable if d.code.policy.fix_flag})
    command = f"submitkit fix {shlex.quote(report.submission)} -o {shlex.quote(out)}"
    command += "".join(f" {flag}" for flag in flags)
    return (
        f"`{command}` repairs {len(fixable):,} of the {report.errors:,} errors; "
        f"then pack {shlex.quote(out)}"
    )


def _them(n: int) -> str:
    return "it" if n == 1 else "them"
