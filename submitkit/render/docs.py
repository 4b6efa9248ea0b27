"""The generated parts of docs/: code pages, and the tables inside hand-written pages.

Whole files (docs/codes/*.md) are rewritten; inside hand-written pages only the
regions between ``<!-- begin generated: NAME -->`` and ``<!-- end generated: NAME -->``
are, so the prose around a table stays hand-written while the table itself comes
from the data the checks use (the rules table from ``benchmark/protocols.py``,
the settings from ``inputs/config.py``). ``submitkit docs --check`` (and the test
suite) report drift; ``submitkit docs`` repairs it.
"""

from __future__ import annotations

import enum
import json
import re
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from submitkit.benchmark.protocols import NOTE_1, RULES, Protocol, RowKind
from submitkit.benchmark.tracks import TRACKS
from submitkit.core.atomic import check_target, write_text_atomic
from submitkit.core.errors import UsageError
from submitkit.inputs.config import ENV_PREFIX, Settings
from submitkit.render.code_pages import code_pages

REGENERATE = "run `submitkit docs` at the repository root and commit the result"
"""What every drift message tells the developer to do."""

SettingFlags = Mapping[str, Sequence[tuple[str, str]]]
"""Setting name -> (command, how the command spells it) for every command that takes it."""


def region(name: str, text: str) -> str:
    """``text`` wrapped in the markers of generated region ``name``."""
    return (
        f"<!-- begin generated: {name} (`submitkit docs`; do not edit) -->\n"
        f"{text.rstrip()}\n<!-- end generated: {name} -->"
    )


_REGION = re.compile(
    r"<!-- begin generated: (?P<name>[\w-]+) .*?-->\n.*?<!-- end generated: (?P=name) -->",
    re.DOTALL,
)


def fill_regions(text: str, content: Mapping[str, str]) -> str:
    """``text`` with every generated region it holds replaced by its current content."""

    def replace(found: re.Match[str]) -> str:
        name = found.group("name")
        return region(name, content[name]) if name in content else found.group(0)

    return _REGION.sub(replace, text)


def tracks_table() -> str:
    rows = ["| track | classes (K) | validation images | test images |", "|---|---|---|---|"]
    for track in TRACKS.values():
        rows.append(f"| {track.name} | {track.k} | {track.validation:,} | {track.test:,} |")
    return "\n".join(rows)


def rules_table() -> str:
    """The official rules table, as the checks hold submissions to it."""
    protocols = list(Protocol)
    header = "| rule (method.txt declaration) | " + " | ".join(p.label for p in protocols) + " |"
    rows = [header, "|---" * (len(protocols) + 1) + "|"]
    for rule in RULES:
        if rule.kind is RowKind.restriction:
            cells = ["required" if p in rule.ticked else "—" for p in protocols]
        else:
            cells = ["allowed" if p in rule.ticked else "**not allowed**" for p in protocols]
        rows.append(f"| {rule.text} (`{rule.declaration}:`) | " + " | ".join(cells) + " |")
    return "\n".join(rows) + f"\n\n{NOTE_1[0].upper()}{NOTE_1[1:]}."


def _values(annotation: Any) -> str:
    """The values a setting accepts, in words."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return _values(args[0])
    if typing.get_origin(annotation) is typing.Literal:
        return ", ".join(str(a) for a in args)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return ", ".join(str(m.value) for m in annotation)
    names = {Path: "path", int: "integer", bool: "true or false", dict: "table"}
    return names.get(typing.get_origin(annotation) or annotation, str(annotation))


def settings_table(flags: SettingFlags) -> str:
    """Every setting: its flag, environment variable, pyproject.toml key and meaning."""
    rows = [
        "| setting | flag (commands) | environment variable | pyproject.toml | values | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        spellings = flags.get(name, ())
        by_spelling: dict[str, list[str]] = {}
        for command, spelling in spellings:
            by_spelling.setdefault(spelling, []).append(command)
        flag = "; ".join(f"`{s}` ({', '.join(c)})" for s, c in by_spelling.items()) or "—"
        env = "—" if name == "method" else f"`{ENV_PREFIX}{name.upper()}`"
        key = "`[tool.submitkit.method]` table" if name == "method" else f"`{name}`"
        default = "" if field.default in (None, False) else f" (default {field.default})"
        meaning = " ".join((field.description or "").split()) + default
        rows.append(
            f"| `{name}` | {flag} | {env} | {key} | {_values(field.annotation)} | {meaning} |"
        )
    return "\n".join(rows)


def load_examples(root: Path) -> list[dict[str, Any]]:
    """The shipped examples' index, or none outside a source checkout."""
    path = root / "examples" / "examples.json"
    if not path.is_file():
        return []
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["examples"]
    return entries


def expected(root: Path, flags: SettingFlags) -> dict[Path, str]:
    """Every generated file under ``root``/docs as it should read now."""
    docs = root / "docs"
    files = {docs / "codes" / name: text for name, text in code_pages(load_examples(root)).items()}
    content = {
        "tracks": tracks_table(),
        "rules": rules_table(),
        "settings": settings_table(flags),
    }
    for page in sorted(docs.rglob("*.md")):
        if page.parent == docs / "codes":
            continue
        text = page.read_text(encoding="utf-8")
        filled = fill_regions(text, content)
        if filled != text:
            files[page] = filled
    return files


def _checkout(root: Path) -> None:
    """UsageError unless ``root`` is a clone of submitkit: these are the project's own pages."""
    pyproject = root / "pyproject.toml"
    try:
        ours = 'name = "submitkit"' in pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        ours = False
    if not ours or not (root / "docs").is_dir():
        raise UsageError(
            f"{root} is not a clone of submitkit: `submitkit docs` regenerates the "
            "project's own docs/ pages",
            "run it from the root of a submitkit clone, or give --root",
        )


def stale_pages(root: Path, flags: SettingFlags) -> list[Path]:
    """Generated files that are missing, differ, or are left over from a removed code."""
    _checkout(root)
    want = expected(root, flags)
    stale = [p for p, text in want.items() if not p.is_file() or p.read_text("utf-8") != text]
    codes = root / "docs" / "codes"
    if codes.is_dir():
        stale += [p for p in sorted(codes.glob("*.md")) if p not in want]
    return stale


def write_docs(root: Path, flags: SettingFlags) -> list[Path]:
    """Write every stale generated file; remove pages of codes that no longer exist."""
    want = expected(root, flags)
    written = []
    stale = stale_pages(root, flags)
    for path in stale:
        if path in want:  # the output rule, for every page before the first is written
            check_target(path, replace=True, exists_hint="")
    for path in stale:
        if path in want:
            write_text_atomic(path, want[path])
        else:
            path.unlink()
        written.append(path)
    return written
