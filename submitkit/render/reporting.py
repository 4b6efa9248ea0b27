"""A check report as text for people: header, findings grouped by code, a status line.

JSON goes through ``render.console.print_document`` and GitHub annotations
through ``render.github``; this module is only the text.
"""

from __future__ import annotations

from collections import defaultdict

from rich.console import Console
from rich.text import Text

from submitkit.benchmark.tracks import TRACKS
from submitkit.checks.files import FilesReport
from submitkit.checks.repairs import repair_lines
from submitkit.checks.report import Report, Status
from submitkit.core.diagnostics import Code, Diagnostic, Severity
from submitkit.render.console import name, printable

_STATUS_STYLE = {
    Status.passed: "bold green",
    Status.passed_with_warnings: "bold yellow",
    Status.failed: "bold red",
}
_SEVERITY_STYLE = {Severity.error: "red", Severity.warning: "yellow", Severity.info: "blue"}
TARGET_ORIGIN = {
    "flags": "as given by --track and --split",
    "manifest": "as the manifest says",
    "names": "recognized from the prediction names",
    "count": "guessed from the number of predictions; give --track and --split to be sure",
}
"""How the track and split were chosen (``Report.target``), in words."""


class TextReporter:
    """Header, findings grouped by code with the first examples, and a status line."""

    def __init__(
        self,
        console: Console,
        examples: int = 5,
        *,
        more: str = "--examples N shows N per code; --format json, all",
        closing: list[str] | None = None,
    ) -> None:
        self.console = console
        self.examples = examples
        self.more = more
        """What to do to see the findings left out (a platform log: what runs locally)."""
        self.closing = closing
        """The lines after the status line; by default the repair commands."""

    def render(self, report: Report) -> None:
        out = self.console
        out.print(
            Text.assemble(
                ("submitkit check ", "bold"),
                name(report.submission),
                f"  ({report.container})",
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
            Text(
                f"  {counts.predictions} predictions{expected}, {counts.masks_inspected} masks "
                f"inspected ({report.mode}), {counts.files} files"
            )
        )
        # Grouped by code and the findings' own severity: a code whose rule lowers it
        # (J006 under the fully unsupervised protocol) prints as the JSON and counts say.
        grouped: dict[tuple[Code, Severity], list[Diagnostic]] = defaultdict(list)
        for diag in report.diagnostics:
            grouped[diag.code, diag.severity].append(diag)
        for code, severity in sorted(grouped, key=_code_order):
            self._render_group(code, severity, grouped[code, severity])
        out.print()
        summary = f"{report.errors} error(s), {report.warnings} warning(s)"
        if report.strict and report.warnings and not report.errors:
            summary += " (--strict: warnings fail)"
        out.print(
            Text.assemble((report.status.value, _STATUS_STYLE[report.status]), f": {summary}")
        )
        for line in repair_lines(report) if self.closing is None else self.closing:
            out.print(Text(printable(line)))

    def _render_group(self, code: Code, severity: Severity, diags: list[Diagnostic]) -> None:
        out = self.console
        style = _SEVERITY_STYLE[severity]
        out.print()
        out.print(
            Text.assemble(
                (f"{code.value} {severity.value}", f"bold {style}"),
                f" {code.name}",
                (f"  ({len(diags)} finding{'s' if len(diags) != 1 else ''})", "dim"),
            )
        )
        # One hint for the group when every finding has the same one (1,682 grayscale masks).
        shared = len({d.hint for d in diags}) == 1
        for diag in diags[: self.examples]:
            out.print(Text("  " + finding_line(diag)))
            if not shared:
                out.print(Text(f"    fix: {printable(diag.hint)}", style="dim"))
        hidden = len(diags) - self.examples
        if hidden > 0:
            more = f"  … and {hidden} more ({self.more})"
            out.print(Text(more, style="italic"))
        if shared and diags[0].hint:
            out.print(Text(f"  fix: {printable(diags[0].hint)}", style="dim"))


def finding_line(diag: Diagnostic) -> str:
    """``path:line: message`` with control characters escaped."""
    where = diag.path + (f":{diag.line}" if diag.line is not None else "")
    return printable(f"{where}: {diag.message}" if where else diag.message)


def _code_order(group: tuple[Code, Severity]) -> tuple[int, str]:
    severity_rank = {Severity.error: 0, Severity.warning: 1, Severity.info: 2}
    return severity_rank[group[1]], group[0].value


def _target_line(report: Report) -> Text:
    if report.track is None:
        target = "track and split unknown"
    else:
        info = TRACKS[report.track]
        split = report.split.value if report.split else "?"
        target = f"{info.name} (K={info.k}), {split} split"
        if report.target:
            target += f" ({TARGET_ORIGIN.get(report.target, report.target)})"
    protocol = report.protocol.label if report.protocol else "no protocol given"
    return Text(f"  {target}; protocol: {protocol}")


def render_findings_text(console: Console, document: FilesReport) -> None:
    """`validate-files`: one block per finding (ruff's ``path:line: CODE message``), a summary."""
    for diag in document.diagnostics:
        style = {Severity.error: "red", Severity.warning: "yellow"}.get(diag.severity, "blue")
        where = diag.path + (f":{diag.line}" if diag.line is not None else "")
        console.print(
            Text.assemble(
                f"{printable(where)}: ",
                (f"{diag.code.value} {diag.severity.value}", f"bold {style}"),
                f" {printable(diag.message)}",
            )
        )
        console.print(Text(f"    fix: {printable(diag.hint)}", style="dim"))
    errors = sum(1 for d in document.diagnostics if d.severity is Severity.error)
    warnings = sum(1 for d in document.diagnostics if d.severity is Severity.warning)
    status = Text("FAILED", "bold red") if document.failed else Text("PASSED", "bold green")
    console.print(
        Text.assemble(
            status,
            f": {len(document.files)} file(s), {errors} error(s), {warnings} warning(s)",
        )
    )


def render_findings_on(err: Console, diagnostics: list[Diagnostic]) -> None:
    """Findings that did not stop a run, one line each (evaluate prints them on stderr)."""
    for diag in diagnostics:
        err.print(Text(f"{diag.code.value} {diag.severity.value}: {finding_line(diag)}"))
