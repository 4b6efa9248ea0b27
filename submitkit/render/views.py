"""Text views of the command documents other than the check report (the library never prints)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from submitkit.checks.repairs import fix_suggestion
from submitkit.core.diagnostics import Diagnostic
from submitkit.core.safetext import printable as one_line
from submitkit.render.console import name, printable
from submitkit.render.reporting import TextReporter
from submitkit.workflows.fix_result import ChangeKind, FixResult
from submitkit.workflows.manifest import ManifestWritten
from submitkit.workflows.pack import MethodSource, PackResult, human_size
from submitkit.workflows.preview import PreviewResult
from submitkit.workflows.preview_stats import ClassStat, Preview

_METHOD_ORIGIN = {
    MethodSource.submission: "the submission's own",
    MethodSource.submission_declared: "the submission's own, with the Protocol/Track lines added",
    MethodSource.method_file: "written from --method",
    MethodSource.config: "written from [tool.submitkit.method] in pyproject.toml",
}
_LISTED = 10
_TOP_SHOWN = 8


def _row(console: Console, label: str, value: str, style: str = "green") -> None:
    console.print(Text.assemble((f"  {label:<16}", style), name(value)))


def render_pack_text(console: Console, result: PackResult, examples: int = 5) -> None:
    """The pre-check report, then what was (or would be) written, then the preview."""
    TextReporter(console, examples=examples).render(result.report)
    console.print()
    if result.status == "refused":
        suggestion = fix_suggestion(result.report)
        then = suggestion or "fix the findings above and pack again"
        console.print(Text.assemble(("nothing written", "bold red"), f": the check failed; {then}"))
        return
    console.print(Text.assemble(("submitkit pack ", "bold"), name(result.submission)))
    by_code: dict[str, list[Diagnostic]] = {}
    for diag in result.repaired:
        by_code.setdefault(diag.code.value, []).append(diag)
    for code, diags in by_code.items():
        first = diags[0].message
        text = first if len(diags) == 1 else f"{len(diags)} findings, e.g. {first}"
        _row(console, f"fixed {code}", text)
    if result.left_out:
        shown = ", ".join(result.left_out[:_LISTED])
        hidden = len(result.left_out) - _LISTED
        more = f" and {hidden} more" if hidden > 0 else ""
        _row(console, "left out", f"{len(result.left_out)} file(s): {shown}{more}", "yellow")
    if result.method_source is not None:
        _row(console, "method.txt", _METHOD_ORIGIN[result.method_source])
    masks = sum(1 for name in result.entries if name.endswith(".png"))
    texts = [name for name in result.entries if not name.endswith(".png")]
    listing = f"{len(result.entries)} entries ({', '.join([f'{masks} masks', *texts])})"
    if result.status == "dry-run":
        _row(console, "would write", f"{result.path}: {listing}", "cyan")
        if result.method_txt is not None:
            console.print(Text("  method.txt as it would be packed:", style="cyan"))
            for line in result.method_txt.splitlines():
                console.print(Text(f"    {printable(line)}"))
    else:
        _row(console, "wrote", f"{result.path}: {human_size(result.size or 0)}, {listing}")
        _row(console, "sha256", result.sha256 or "")
        if result.verification is not None:
            check = result.verification.check_status.value
            _row(
                console,
                "verified",
                f"read back {result.verification.entries} entries, every CRC OK, "
                f"check --quick {check}",
            )
        if result.optimized and result.optimize_saved is not None:
            saved = human_size(result.optimize_saved)
            _row(console, "optimized", f"masks re-encoded losslessly, {saved} saved")
    for warning in result.warnings:
        console.print(Text.assemble(("  warning: ", "bold yellow"), warning), highlight=False)
    if result.preview is not None:
        render_preview(console, result.preview)
    if result.status == "dry-run":
        console.print(Text("dry run: nothing written", style="bold cyan"))


def _class_line(stat: ClassStat) -> str:
    share = f"{100 * stat.pixel_share:6.2f}%" if stat.pixel_share is not None else "      -"
    return f"    {stat.id:>5}  {stat.wnid or '-':<10} {share}  {stat.images:>6}"


def render_preview(console: Console, preview: Preview) -> None:
    console.print()
    head = f"preview: {preview.images} images, {preview.classes_predicted} classes predicted"
    if preview.k is not None:
        head += f" (of K = {preview.k})"
    if preview.mapped:
        head += ", ids mapped through match.json"
    console.print(Text(head, style="bold"))
    if preview.other_share is not None:
        console.print(f'  "other" (id 0): {100 * preview.other_share:.2f}% of all pixels')
    # Ranked by pixels once they were counted (packing), else by images (dry run).
    ranked = preview.top_by_pixels or preview.top_by_images
    if ranked:
        order = "pixel share" if preview.top_by_pixels else "images"
        console.print(f"  top classes by {order}:")
        console.print("       id  wnid        pixels  images", style="dim")
        for stat in ranked[:_TOP_SHOWN]:
            console.print(_class_line(stat), highlight=False)
    examples = ", ".join(preview.all_other_examples)
    console.print(
        f'  images entirely "other": {preview.all_other_images}'
        + (f" (e.g. {examples})" if examples else ""),
        highlight=False,
    )
    if preview.duplicate_masks:
        console.print(f"  masks identical to another: {preview.duplicate_masks}", highlight=False)
    for warning in preview.warnings:
        console.print(Text.assemble(("  warning: ", "bold yellow"), warning), highlight=False)


def summary_lines(result: FixResult, examples: int = 5) -> list[str]:
    """The change summary as plain lines, grouped by kind, ``examples`` shown per kind."""
    # Each line is one line: the paths in it through the one escape, line breaks too
    # (the console's own `printable` keeps them).
    lines = [
        f"submitkit fix {one_line(result.submission)} ({result.container}) -> "
        f"{one_line(str(result.output))} ({result.output_container})"
    ]
    if result.in_place:
        done = "repaired in place" if result.replaced else "nothing to repair: left untouched"
        lines = [f"submitkit fix --in-place {one_line(result.submission)}: {done}"]
        if not result.replaced:
            return lines
    grouped = result.by_kind()
    if not grouped:
        lines.append("  nothing to repair: the files were copied as they are")
    for kind, changes in grouped.items():
        lines.append(f"  {kind.heading}: {len(changes)}")
        for change in changes[:examples]:
            code = f"[{change.code.value}] " if kind is ChangeKind.left_out and change.code else ""
            lines.append(f"    {one_line(change.path)}: {code}{one_line(change.detail)}")
        if len(changes) > examples:
            lines.append(f"    … and {len(changes) - examples} more")
    lines.append(
        f"  {result.written} files written ({result.unchanged} copied unchanged, "
        f"{result.written - result.unchanged} rewritten)"
    )
    return lines


def render_fix_text(console: Console, result: FixResult, examples: int) -> None:
    """What `fix` changed, then the check of the repaired copy."""
    for line in summary_lines(result, examples):
        console.print(Text(printable(line)))
    console.print()
    if result.report is not None:
        TextReporter(console, examples=examples).render(result.report)


def render_preview_text(console: Console, result: PreviewResult) -> None:
    console.print(
        Text(
            f"wrote {name(result.output)}: {len(result.shown)} of {result.total} "
            f"predictions, {result.with_sources} over their source image, "
            f"{result.with_ground_truth} beside their ground truth"
        )
    )


def render_manifest_text(console: Console, result: ManifestWritten, err: Console) -> None:
    for diag in result.diagnostics:
        err.print(
            Text.assemble((f"{diag.code.value} warning: ", "yellow"), printable(diag.message))
        )
    console.print(
        Text(
            f"wrote {name(result.output)}: {result.track_name} {result.split.value}, "
            f"{result.images} images ({result.sized} with sizes), {result.categories} categories"
        )
    )
