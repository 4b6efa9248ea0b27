"""`--format github`: workflow annotations GitHub can show, and the full list in the job summary.

GitHub shows at most 10 annotations of each severity per step (50 per job) and
drops the rest silently, so past 10 findings of one severity the annotations
are one per code (with a count and a first example), and every finding is
written to the job summary (``$GITHUB_STEP_SUMMARY``) as Markdown instead.
A finding inside a zip is annotated on the zip (GitHub cannot open a member),
naming the member in the message; method.txt findings carry their ``line=``.
"""

from __future__ import annotations

import os
import posixpath
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from submitkit.checks.files import FilesReport
from submitkit.checks.report import Report
from submitkit.core.diagnostics import Code, Diagnostic, Severity
from submitkit.core.document import Document
from submitkit.render.console import printable

PER_SEVERITY = 10
"""Annotations GitHub shows per severity and step."""
SUMMARY_LIMIT = 1024 * 1024
"""Bytes GitHub accepts in one step's summary."""
_COMMANDS = {Severity.error: "error", Severity.warning: "warning", Severity.info: "notice"}
_ORDER = (Severity.error, Severity.warning, Severity.info)


@dataclass(frozen=True)
class Findings:
    """What a document gives the GitHub renderer: findings and where they sit."""

    diagnostics: list[Diagnostic]
    submission: str
    """The folder or zip findings' paths are relative to; ``""`` for plain files."""
    in_zip: bool
    title: str
    status: str


def findings_of(document: Document) -> Findings:
    """The findings of a check, a pack (its check) or validate-files."""
    if isinstance(document, FilesReport):
        status = "FAILED" if document.failed else "PASSED"
        errors, warnings = _counts(document.diagnostics)
        return Findings(
            document.diagnostics,
            "",
            False,
            "submitkit validate-files",
            f"{status}: {len(document.files)} file(s), {errors} error(s), {warnings} warning(s)",
        )
    report = document if isinstance(document, Report) else getattr(document, "report", None)
    if not isinstance(report, Report):
        raise TypeError(f"--format github has no meaning for {document.kind}")
    status = f"{report.status.value}: {report.errors} error(s), {report.warnings} warning(s)"
    extra = getattr(document, "status", None) if report is not document else None
    if isinstance(extra, str):
        status += f"; pack {extra} {getattr(document, 'path', None) or ''}".rstrip()
    return Findings(
        report.diagnostics,
        report.submission,
        report.container == "zip",
        f"submitkit {document.kind}",
        status,
    )


def _counts(diagnostics: Sequence[Diagnostic]) -> tuple[int, int]:
    errors = sum(1 for d in diagnostics if d.severity is Severity.error)
    return errors, sum(1 for d in diagnostics if d.severity is Severity.warning)


def render_github(document: Document, console: Console) -> None:
    """Annotations on stdout, then the status line; the summary file when Actions names one."""
    found = findings_of(document)
    for line in annotation_lines(found):
        console.out(line, highlight=False)
    console.out(found.status, highlight=False)
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path and not append_summary(Path(summary_path), step_summary(found)):
        console.out(
            f"::warning title=job summary::cannot append to {github_data(summary_path)}",
            highlight=False,
        )


def annotation_lines(found: Findings) -> list[str]:
    """At most ``PER_SEVERITY`` workflow commands per severity."""
    lines: list[str] = []
    for severity in _ORDER:
        group = [d for d in found.diagnostics if d.severity is severity]
        if len(group) <= PER_SEVERITY:
            lines += [_one(found, d) for d in group]
        else:
            lines += _grouped(found, severity, group)
    return lines


def _one(found: Findings, diag: Diagnostic) -> str:
    file, message = _place(found, diag)
    return annotation(diag.severity, file, diag.line, _title(diag.code), message, diag.hint)


def _grouped(found: Findings, severity: Severity, group: list[Diagnostic]) -> list[str]:
    by_code: dict[Code, list[Diagnostic]] = defaultdict(list)
    for diag in group:
        by_code[diag.code].append(diag)
    codes = sorted(by_code, key=lambda c: (-len(by_code[c]), c.value))
    shown = codes if len(codes) <= PER_SEVERITY else codes[: PER_SEVERITY - 1]
    lines = []
    for code in shown:
        diags = by_code[code]
        first = diags[0]
        file, message = _place(found, first)
        if len(diags) > 1:
            file = found.submission or file
            message = f"{len(diags)} findings, the first: {message} (all in the job summary)"
        lines.append(annotation(severity, file, None, _title(code), message, first.hint))
    rest = [code for code in codes if code not in shown]
    if rest:
        count = sum(len(by_code[c]) for c in rest)
        names = ", ".join(c.value for c in rest)
        lines.append(
            annotation(
                severity,
                found.submission,
                None,
                "more findings",
                f"{count} more findings of {len(rest)} codes ({names})",
                "see the job summary, or run the same check locally (text output lists all)",
            )
        )
    return lines


def _title(code: Code) -> str:
    return f"{code.value} {code.name}"


def _place(found: Findings, diag: Diagnostic) -> tuple[str, str]:
    """The file GitHub can link to, and the message naming a zip member."""
    if found.in_zip:
        where = f"{diag.path}: " if diag.path else ""
        return found.submission, where + diag.message
    return github_file(found.submission, diag.path), diag.message


def annotation(
    severity: Severity, file: str, line: int | None, title: str, message: str, hint: str
) -> str:
    """One workflow command, every property and the message escaped."""
    properties = [f"file={github_property(file)}"] if file else []
    if line is not None:
        properties.append(f"line={line}")
    properties.append(f"title={github_property(title)}")
    text = f"{message} — fix: {hint}" if hint else message
    return f"::{_COMMANDS[severity]} {','.join(properties)}::{github_data(text)}"


def github_data(text: str) -> str:
    """Escape a workflow command's message as the Actions runner decodes it."""
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(escaped)


def github_property(text: str) -> str:
    """Escape a workflow command property: ``,`` and ``:`` would end it early."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")


def github_file(submission: str, path: str) -> str:
    """The submission path joined with a finding's path, with forward slashes, relative to
    ``GITHUB_WORKSPACE`` when it lies inside it (GitHub matches annotations to files by
    their path in the repository, so an absolute path annotates nothing)."""
    joined = "/".join(p.replace("\\", "/") for p in (submission, path) if p)
    # normpath turns "./sub/" + "n01/" into "sub/n01", the form GitHub matches to a file.
    file = posixpath.normpath(joined) if joined else submission
    workspace = os.environ.get("GITHUB_WORKSPACE", "").replace("\\", "/").rstrip("/")
    if workspace and posixpath.isabs(file) and file.startswith(workspace + "/"):
        return file[len(workspace) + 1 :]
    return file


def step_summary(found: Findings) -> str:
    """Every finding as Markdown: a table of codes, then each code's findings, folded."""
    by_code: dict[Code, list[Diagnostic]] = defaultdict(list)
    for diag in found.diagnostics:
        by_code[diag.code].append(diag)
    where = f" `{_md_code(found.submission)}`" if found.submission else ""
    parts = [f"## {found.title}{where}\n\n**{_md(found.status)}**\n"]
    if by_code:
        parts.append("\n| code | name | severity | findings |\n|---|---|---|---:|\n")
        codes = sorted(by_code, key=lambda c: (_ORDER.index(_severity(by_code[c])), c.value))
        parts += [
            f"| {c.value} | {c.name} | {_severity(by_code[c]).value} | {len(by_code[c])} |\n"
            for c in codes
        ]
        for code in codes:
            parts.append(_code_details(code, by_code[code]))
    return _fit("".join(parts))


def _severity(diags: list[Diagnostic]) -> Severity:
    """The gravest severity the findings of one code carry (a rule may lower a code's own)."""
    return min((d.severity for d in diags), key=_ORDER.index)


def _code_details(code: Code, diags: list[Diagnostic]) -> str:
    lines = [f"\n<details><summary>{code.value} {code.name} ({len(diags)})</summary>\n\n"]
    hints = {d.hint for d in diags}
    for diag in diags:
        where = f"`{_md_code(diag.path)}`" + (f" line {diag.line}" if diag.line else "")
        hint = f" — fix: {_md(diag.hint)}" if len(hints) > 1 and diag.hint else ""
        lines.append(f"- {where}: {_md(diag.message)}{hint}\n")
    if len(hints) == 1 and diags[0].hint:
        lines.append(f"\nfix: {_md(diags[0].hint)}\n")
    lines.append("\n</details>\n")
    return "".join(lines)


def _fit(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= SUMMARY_LIMIT:
        return text
    note = "\n\n… cut at GitHub's 1 MiB summary limit; the same check locally lists the rest\n"
    keep = data[: SUMMARY_LIMIT - len(note.encode()) - 64].decode("utf-8", "ignore")
    return keep[: keep.rfind("\n") + 1] + "\n</details>" + note


def _md(text: str) -> str:
    escaped = printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|").replace("\n", " ")


def _md_code(text: str) -> str:
    return printable(text).replace("`", "'").replace("\n", " ")


def append_summary(path: Path, markdown: str) -> bool:
    """Append to the job summary (Actions collects the file after the step)."""
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    except OSError:
        return False
    return True
