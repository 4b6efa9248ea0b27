"""Turning a Report into text for people or JSON for programs, chosen by --format."""

from __future__ import annotations

import json
import posixpath
from abc import ABC, abstractmethod
from collections import defaultdict
from typing import ClassVar

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from submitkit.benchmark.tracks import TRACKS
from submitkit.checks.repairs import repair_lines
from submitkit.checks.report import Report, Status
from submitkit.core.diagnostics import Code, Diagnostic, Severity

_STATUS_STYLE = {
    Status.passed: "bold green",
    Status.passed_with_warnings: "bold yellow",
    Status.failed: "bold red",
}
_SEVERITY_STYLE = {Severity.error: "red", Severity.warning: "yellow", Severity.info: "blue"}


class Reporter(ABC):
    """Renders a report onto a console (stdout)."""

    name: ClassVar[str]

    def __init__(self, console: Console, examples: int = 5) -> None:
        self.console = console
        self.examples = examples

    @abstractmethod
    def render(self, report: Report) -> None: ...


class TextReporter(Reporter):
    """Header, findings grouped by code with the first examples, and a status line."""

    name = "text"

    def render(self, report: Report) -> None:
        out = self.console
        out.print(
            Text.assemble(
                ("submitkit check ", "bold"), report.submission, f"  ({report.container})"
            )
        )
        out.print(_target_line(report))
        for line in report.verified:
            out.print(Text.assemble(("  verified      ", "green"), line))
        for item in report.unverified:
            out.print(Text.assemble(("  not verified  ", "yellow"), f"{item.what}: {item.flag}"))
        counts = report.counts
        expected = f" of {counts.expected} expected" if counts.expected is not None else ""
        out.print(
            f"  {counts.predictions} predictions{expected}, {counts.masks_inspected} masks "
            f"inspected ({report.mode}), {counts.files} files"
        )
        grouped: dict[Code, list[Diagnostic]] = defaultdict(list)
        for diag in report.diagnostics:
            grouped[diag.code].append(diag)
        for code in sorted(grouped, key=_code_order):
            self._render_group(code, grouped[code])
        out.print()
        summary = f"{report.errors} error(s), {report.warnings} warning(s)"
        if report.strict and report.warnings and not report.errors:
            summary += " (--strict: warnings fail)"
        out.print(
            Text.assemble((report.status.value, _STATUS_STYLE[report.status]), f": {summary}")
        )
        for line in repair_lines(report):
            out.print(Text(line))

    def _render_group(self, code: Code, diags: list[Diagnostic]) -> None:
        out = self.console
        style = _SEVERITY_STYLE[code.severity]
        out.print()
        out.print(
            Text.assemble(
                (f"{code.value} {code.severity.value}", f"bold {style}"),
                f" {code.name}",
                (f"  ({len(diags)} finding{'s' if len(diags) != 1 else ''})", "dim"),
            )
        )
        shown = diags[: self.examples]
        # One hint for the group when every finding has the same one (1,682 grayscale masks).
        shared = len({d.hint for d in diags}) == 1
        for diag in shown:
            where = f"{diag.path}: " if diag.path else ""
            out.print(f"  {escape(where)}{escape(diag.message)}", highlight=False)
            if not shared:
                out.print(Text(f"    fix: {diag.hint}", style="dim"))
        if len(diags) > self.examples:
            out.print(Text(f"  … and {len(diags) - self.examples} more", style="italic"))
        if shared and diags[0].hint:
            out.print(Text(f"  fix: {diags[0].hint}", style="dim"))


class JsonReporter(Reporter):
    """The report as one JSON document (schemas/report.schema.json)."""

    name = "json"

    def render(self, report: Report) -> None:
        text = json.dumps(report.model_dump(mode="json"), indent=2)
        self.console.out(text, highlight=False)


class GithubReporter(Reporter):
    """One GitHub Actions workflow command per finding, so CI marks the files themselves.

    Each line is ``::error file=…,title=CODE NAME::message — fix: hint``
    (``::warning`` / ``::notice`` for the other severities), followed by the
    plain status line. ``file`` is the submission path joined with the
    finding's path, as the repository holding the submission names it.
    """

    name = "github"

    def render(self, report: Report) -> None:
        for diag in report.diagnostics:
            self.console.out(
                github_annotation(diag, github_file(report.submission, diag.path)),
                highlight=False,
            )
        self.console.out(
            f"{report.status.value}: {report.errors} error(s), {report.warnings} warning(s)",
            highlight=False,
        )


_GITHUB_COMMANDS = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}


def github_annotation(diag: Diagnostic, file: str) -> str:
    """The workflow command that marks ``file`` with one finding."""
    title = f"{diag.code.value} {diag.code.name}"
    properties = f"file={github_property(file)},title={github_property(title)}"
    message = f"{diag.message} — fix: {diag.hint}" if diag.hint else diag.message
    return f"::{_GITHUB_COMMANDS[diag.severity]} {properties}::{github_data(message)}"


def github_data(text: str) -> str:
    """Escape a workflow command's message as the Actions runner decodes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """Escape a workflow command property: ``,`` and ``:`` would end it early."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def github_file(submission: str, path: str) -> str:
    """The submission path joined with a finding's path, with forward slashes."""
    joined = "/".join(p.replace("\\", "/") for p in (submission, path) if p)
    # normpath turns "./sub/" + "n01/" into "sub/n01", the form GitHub matches to a file.
    return posixpath.normpath(joined) if joined else submission


REPORTERS: dict[str, type[Reporter]] = {
    r.name: r for r in (TextReporter, JsonReporter, GithubReporter)
}


def _code_order(code: Code) -> tuple[int, str]:
    severity_rank = {Severity.error: 0, Severity.warning: 1, Severity.info: 2}
    return severity_rank[code.severity], code.value


def _target_line(report: Report) -> Text:
    if report.track is None:
        target = "track and split unknown"
    else:
        info = TRACKS[report.track]
        split = report.split.value if report.split else "?"
        target = f"{info.name} (K={info.k}), {split} split"
        if report.target:
            target += f" [{report.target}]"
    protocol = report.protocol.label if report.protocol else "no protocol given"
    return Text(f"  {target}; protocol: {protocol}")
