"""The command line: the typer app, its commands registered, and the entry point."""

from __future__ import annotations

from typing import Annotated

import typer

from submitkit.cli import bundle as _bundle
from submitkit.cli import check as _check
from submitkit.cli import codes as _codes
from submitkit.cli import compare as _compare
from submitkit.cli import docs as _docs
from submitkit.cli import evaluate as _evaluate
from submitkit.cli import fix as _fix
from submitkit.cli import manifest as _manifest
from submitkit.cli import match as _match
from submitkit.cli import pack as _pack
from submitkit.cli import preview as _preview
from submitkit.cli import schemas as _schemas
from submitkit.cli import score as _score
from submitkit.cli import table as _table
from submitkit.cli import validate_files as _validate_files
from submitkit.cli.guard import guarded
from submitkit.cli.options import show_version
from submitkit.cli.usage import StyledCommand

app = typer.Typer(
    name="submitkit",
    help="Check, pack and score ImageNet-S submissions before uploading them.",
    epilog="Exit codes: 0 passed (warnings allowed), 1 findings, 2 usage or environment error, "
    "130 interrupted (143 SIGTERM, 129 SIGHUP), 141 output pipe closed. Every command: -h "
    "for its options. Every command that reports a result (check, pack, fix, evaluate, "
    "compare, table, match, validate-files, manifest, preview, codes): --format json for a "
    "document described under schemas/.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Check, pack and score ImageNet-S submissions before uploading them."""


app.command("check", cls=StyledCommand)(_check.check)
app.command("fix", cls=StyledCommand)(_fix.fix_command)
app.command("preview", cls=StyledCommand)(_preview.preview_command)
app.command("pack", cls=StyledCommand)(_pack.pack)
app.command("validate-files", cls=StyledCommand)(_validate_files.validate_files_command)
app.command("evaluate", cls=StyledCommand)(_evaluate.evaluate)
app.command("match", cls=StyledCommand)(_match.match)
app.command("compare", cls=StyledCommand)(_compare.compare)
app.command("table", cls=StyledCommand)(_table.table)
app.command("manifest", cls=StyledCommand)(_manifest.manifest_command)
app.command("score", cls=StyledCommand)(_score.score)
app.command("bundle", cls=StyledCommand)(_bundle.bundle)
app.command("schemas", cls=StyledCommand)(_schemas.schemas)
app.command("codes", cls=StyledCommand)(_codes.codes)
app.command("docs", cls=StyledCommand)(_docs.docs)

SUMMARIES: dict[str, str] = {
    "check": "Find every fault of a submission, with its fix.",
    "fix": "Write a repaired copy of a submission, then check it.",
    "preview": "Draw sampled predictions over their source images.",
    "pack": "Check, then write the upload zip (byte-identical).",
    "validate-files": "Check method.txt and match.json files (pre-commit).",
    "evaluate": "The official validation metrics, with intervals.",
    "match": "Match cluster ids to classes; write match.json.",
    "compare": "Is B better than A? Paired bootstrap per metric.",
    "table": "Saved runs in one paper table, against a baseline.",
    "manifest": "Build the expected-image list of a track and split.",
    "score": "Score INPUT/res against INPUT/ref (a scoring program).",
    "bundle": "Build a Codabench competition bundle.",
    "schemas": "Write the JSON Schemas of the --format json documents.",
    "codes": "List the diagnostic codes, or print one code's page.",
    "docs": "Write the generated docs pages (codes, rules, settings).",
}
"""One line per command in `submitkit -h`: at 80 columns each fits whole (the first
sentence of a docstring was cut mid-word)."""
for _info in app.registered_commands:
    _info.short_help = SUMMARIES.get(_info.name or "", _info.short_help)


def main() -> None:
    """Console-script entry point: the app behind the guard (one line, never a traceback).

    Interruptions, a closed pipe, a full disk, an encoding that cannot show a
    name and bugs all become one line and an exit code there (``cli.guard``).
    """
    guarded(app)
