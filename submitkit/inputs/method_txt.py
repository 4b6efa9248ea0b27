"""method.txt: the six official fields, our declaration lines, and the protocol checks.

The official PASS scripts write six ``Field: value`` lines, the last one
(``Method description``) free text that may run to the end of the file.
submitkit adds optional declaration lines before the description: the
protocol, the track, and one yes/no line per row of the rules table. Those
make the protocol rules checkable as a table lookup (see protocols.py).
"""

from __future__ import annotations

import difflib
import importlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from submitkit.benchmark.protocols import (
    RULES,
    Protocol,
)
from submitkit.benchmark.tracks import TRACKS
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.core.errors import UsageError
from submitkit.inputs.files import read_user_text

METHOD_NAME = "Method name"
TRAINING_DATA = "Training data"
TRAINING_SCHEME = "Training scheme"
NETWORKS = "Networks"
LINK = "Paper/Project link"
DESCRIPTION = "Method description"

OFFICIAL_FIELDS: tuple[str, ...] = (
    METHOD_NAME,
    TRAINING_DATA,
    TRAINING_SCHEME,
    NETWORKS,
    LINK,
    DESCRIPTION,
)
"""The six method.txt fields, in the order the official scripts write them."""

PROTOCOL_FIELD = "Protocol"
TRACK_FIELD = "Track"

MAX_METHOD_BYTES = 64 * 1024
"""The largest method.txt read (T010): six fields and a description never come near it."""
MAX_FIELDS_FILE_BYTES = 1024 * 1024
"""The largest TOML/JSON/YAML file of method.txt fields (`pack --method`) read."""

FIELD_ALIASES: dict[str, str] = {
    "method_name": METHOD_NAME,
    "name": METHOD_NAME,
    "training_data": TRAINING_DATA,
    "data": TRAINING_DATA,
    "training_scheme": TRAINING_SCHEME,
    "scheme": TRAINING_SCHEME,
    "networks": NETWORKS,
    "network": NETWORKS,
    "link": LINK,
    "paper_project_link": LINK,
    "paper_link": LINK,
    "project_link": LINK,
    "description": DESCRIPTION,
    "method_description": DESCRIPTION,
}
"""snake_case names a configuration file may use for the official fields."""

_EXAMPLES: dict[str, str] = {
    METHOD_NAME: "Method name: PASS",
    TRAINING_DATA: "Training data: ImageNet-S50 train",
    TRAINING_SCHEME: "Training scheme: SSL",
    NETWORKS: "Networks: ResNet-50",
    LINK: "Paper/Project link: https://arxiv.org/abs/2106.03149",
    DESCRIPTION: "Method description: <one or more sentences on how the masks were made>",
}
"""What a researcher could write for each field, quoted in hints."""

FIELD_WHAT: dict[str, str] = {
    METHOD_NAME: "the method's name (e.g. `Method name: PASS`)",
    TRAINING_DATA: "the data used for training (e.g. `Training data: ImageNet-S50 train`)",
    TRAINING_SCHEME: "the training scheme: SSL, Sup or SSL+Sup (e.g. `Training scheme: SSL`)",
    NETWORKS: "the architecture (e.g. `Networks: ResNet-50`)",
    LINK: "an http(s) URL of the paper or project, or `null` if it is unpublished",
    DESCRIPTION: "a few sentences on how the masks were made",
}

_YES = frozenset({"yes", "y", "true"})
_NO = frozenset({"no", "n", "false"})

_PROTOCOL_NAMES: dict[str, Protocol] = {
    "unsupervised": Protocol.unsupervised,
    "fully unsupervised": Protocol.unsupervised,
    "distance": Protocol.distance,
    "distance matching": Protocol.distance,
    "semi": Protocol.semi,
    "semi supervised": Protocol.semi,
    "semisupervised": Protocol.semi,
    "free": Protocol.free,
}

_TRACK_NAMES: dict[str, int] = {
    **{str(k): k for k in TRACKS},
    **{f"s{k}": k for k in TRACKS},
    **{f"imagenets{k}": k for k in TRACKS},
    "imagenets": 919,
}


def _norm_name(name: str) -> str:
    """A field name compared case- and spacing-insensitively."""
    collapsed = " ".join(name.casefold().split())
    return re.sub(r"\s*([/-])\s*", r"\1", collapsed)


_OFFICIAL_BY_NORM = {_norm_name(f): f for f in OFFICIAL_FIELDS}
_RULE_BY_NORM = {_norm_name(r.declaration): r for r in RULES}
_DECLARATION_NAMES = (PROTOCOL_FIELD, TRACK_FIELD, *(r.declaration for r in RULES))
_KNOWN_NAMES = (*OFFICIAL_FIELDS, *_DECLARATION_NAMES)


class MethodInfo(BaseModel):
    """What a method.txt says: the official fields and the declarations."""

    model_config = ConfigDict(frozen=True)

    fields: dict[str, str | None]
    """Each of OFFICIAL_FIELDS: its stripped value, or ``None`` when the line is missing."""
    protocol: Protocol | None = None
    """The protocol declared by a ``Protocol:`` line."""
    track: int | None = None
    """The K of the track declared by a ``Track:`` line."""
    declarations: dict[str, bool] = Field(default_factory=dict)
    """Rules-table rows declared yes/no, by ``Rule.key``."""
    lines: dict[str, int] = Field(default_factory=dict)
    """The line each field and declaration was read from, by its name (``Protocol``,
    ``Training scheme``, a rules-table row): protocol findings point at their line."""


# --- reading ---------------------------------------------------------------------


def _parse_protocol(value: str) -> Protocol | None:
    text = " ".join(re.sub(r"[-_]", " ", value.casefold()).split())
    text = text.removesuffix(" protocol")
    return _PROTOCOL_NAMES.get(text)


def _parse_track(value: str) -> int | None:
    return _TRACK_NAMES.get(re.sub(r"[\s_-]", "", value.casefold()))


def _parse_bool(value: str) -> bool | None:
    text = value.strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def _yes_no(value: int | bool) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _declaration_hint(name: str) -> str:
    if name == PROTOCOL_FIELD:
        return "write one of `Protocol: unsupervised`, `distance`, `semi` or `free`"
    if name == TRACK_FIELD:
        return "write `Track: 50`, `Track: 300` or `Track: 919`"
    return f"write `{name}: yes` or `{name}: no`"


@dataclass
class _Line:
    number: int
    name: str
    """The canonical field name, or the raw text before ':' for an unknown line."""
    value: str
    known: bool


def _field_line(number: int, line: str) -> _Line:
    raw_name, sep, value = line.partition(":")
    norm = _norm_name(raw_name)
    if sep:
        if norm in _OFFICIAL_BY_NORM:
            return _Line(number, _OFFICIAL_BY_NORM[norm], value.strip(), True)
        if norm in _RULE_BY_NORM:
            return _Line(number, _RULE_BY_NORM[norm].declaration, value.strip(), True)
        for name in (PROTOCOL_FIELD, TRACK_FIELD):
            if norm == _norm_name(name):
                return _Line(number, name, value.strip(), True)
    return _Line(number, raw_name.strip(), value.strip(), False)


def _declared_value(line: _Line) -> Protocol | int | bool | None:
    """The parsed value of a declaration line; ``None`` when unreadable."""
    if line.name == PROTOCOL_FIELD:
        return _parse_protocol(line.value)
    if line.name == TRACK_FIELD:
        return _parse_track(line.value)
    return _parse_bool(line.value)


def split_lines(text: str) -> list[str]:
    # Not str.splitlines: form feeds or U+2028 inside the description are text.
    return re.split(r"\r\n|\r|\n", text)


def parse_method(data: bytes, path: str) -> tuple[MethodInfo | None, list[Diagnostic]]:
    """Read method.txt; ``None`` only when it is not UTF-8 text at all, or too large.

    A UTF-8 byte order mark and CRLF line ends are accepted. Every problem of
    the official fields and the declaration lines is a diagnostic (T002-T009);
    the protocol itself is judged by :func:`protocol_findings`. Callers read at
    most ``MAX_METHOD_BYTES + 1`` bytes: more is T010.
    """
    text = _text_of(data, path)
    if isinstance(text, Diagnostic):
        return None, [text]
    lines = split_lines(text)
    parsed = [_field_line(i + 1, line) for i, line in enumerate(lines)]
    # Line numbers are 1-based: line n is lines[n - 1] and parsed[n - 1].
    start = next((p.number for p in parsed if p.known and p.name == DESCRIPTION), None)
    values: dict[str, str] = {}
    where: dict[str, int] = {}
    if start is None:
        head, trailing = parsed, []
    else:
        head = parsed[: start - 1]
        trailing = _trailing_declarations(parsed[start:])
        end = trailing[0].number - 1 if trailing else len(lines)
        values[DESCRIPTION] = "\n".join([parsed[start - 1].value, *lines[start:end]]).strip()
        where[DESCRIPTION] = start

    diags, declared = _read_lines([*head, *trailing], lines, path, values, where)
    description = values.get(DESCRIPTION, "")
    for name in OFFICIAL_FIELDS:
        diags += _field_findings(path, name, values.get(name), where.get(name), description)

    protocol = declared.get(PROTOCOL_FIELD)
    track = declared.get(TRACK_FIELD)
    info = MethodInfo(
        fields={name: values.get(name) for name in OFFICIAL_FIELDS},
        protocol=protocol if isinstance(protocol, Protocol) else None,
        track=track if isinstance(track, int) and not isinstance(track, bool) else None,
        declarations={
            r.key: bool(declared[r.declaration]) for r in RULES if r.declaration in declared
        },
        lines=dict(where),
    )
    return info, diags


def _text_of(data: bytes, path: str) -> str | Diagnostic:
    """method.txt as text (a BOM dropped); T010 when too large, T008 when not UTF-8."""
    if len(data) > MAX_METHOD_BYTES:
        return Code.METHOD_TOO_LARGE.at(
            path,
            f"method.txt is larger than {MAX_METHOD_BYTES // 1024} KiB; it is not read",
            "keep the six fields and a description of a few paragraphs",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
        # Windows editors write UTF-16 with a byte order mark when told "Unicode".
        utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
        return Code.METHOD_ENCODING.at(
            path,
            f"method.txt is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {bad_line})"
            + (": it is saved as UTF-16" if utf16 else ""),
            "save method.txt as UTF-8 (in most editors: Save As, encoding UTF-8)",
            line=bad_line,
        )
    return text


def _read_lines(
    lines: list[_Line], raw: list[str], path: str, values: dict[str, str], where: dict[str, int]
) -> tuple[list[Diagnostic], dict[str, Protocol | int | bool]]:
    """The fields (into ``values``) and declarations of the lines, first line of each in
    ``where``; findings for unknown, unreadable and contradicting lines."""
    diags: list[Diagnostic] = []
    declared: dict[str, Protocol | int | bool] = {}
    for line in lines:
        if not line.known:
            if raw[line.number - 1].strip():
                diags.append(_unknown_line(path, line, raw[line.number - 1]))
            continue
        if line.name in OFFICIAL_FIELDS:
            if line.name in values and values[line.name] != line.value:
                diags.append(_duplicate(path, line, where[line.name], values[line.name]))
            elif line.name not in values:
                values[line.name], where[line.name] = line.value, line.number
            continue
        value = _declared_value(line)
        if value is None:
            diags.append(
                Code.METHOD_BAD_DECLARATION.at(
                    path,
                    f'line {line.number}: "{line.name}: {line.value}" cannot be read',
                    _declaration_hint(line.name),
                    line=line.number,
                )
            )
        elif line.name in declared and declared[line.name] != value:
            first = declared[line.name]
            shown = first.value if isinstance(first, Protocol) else _yes_no(first)
            diags.append(_duplicate(path, line, where[line.name], shown))
        elif line.name not in declared:
            declared[line.name], where[line.name] = value, line.number
    return diags, declared


def _trailing_declarations(tail: list[_Line]) -> list[_Line]:
    """Readable declaration lines that end the file, after the description.

    The official scripts put the description last, so a researcher adding
    declarations naturally appends them; reading them back keeps that from being
    silently ignored. Only a closing run of such lines counts: prose inside the
    description is never reinterpreted.
    """
    run: list[_Line] = []
    for line in reversed(tail):
        if not line.value and not line.known and not line.name:
            continue  # blank line
        if line.known and line.name in _DECLARATION_NAMES and _declared_value(line) is not None:
            run.append(line)
            continue
        break
    return list(reversed(run))


def _unknown_line(path: str, line: _Line, raw: str) -> Diagnostic:
    known = canonical_field(line.name) if ":" in raw else None
    if known is None and ":" in raw:
        close = difflib.get_close_matches(
            _norm_name(line.name), [_norm_name(n) for n in _KNOWN_NAMES], n=1, cutoff=0.6
        )
        known = next((n for n in _KNOWN_NAMES if close and _norm_name(n) == close[0]), None)
    if known is not None:
        hint = f'if this is the "{known}" field, write `{known}: {line.value}`'
    else:
        hint = (
            "put free text after `Method description:` (it may span several lines); above it "
            "only `Field: value` lines belong: " + ", ".join(OFFICIAL_FIELDS)
        )
    shown = raw.strip()
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return Code.METHOD_UNKNOWN_LINE.at(
        path,
        f'line {line.number} is not a known method.txt field: "{shown}"',
        hint,
        line=line.number,
    )


def _duplicate(path: str, line: _Line, first_line: int, first_value: str) -> Diagnostic:
    return Code.METHOD_DUPLICATE_FIELD.at(
        path,
        f'"{line.name}" appears twice with different values (line {first_line}: '
        f'"{first_value}", line {line.number}: "{line.value}")',
        f"keep one `{line.name}:` line, with the value you mean",
        line=line.number,
    )


_PLACEHOLDER_VALUE = re.compile(
    r"(?:null|none|nil|n/?a|todo|tbd|tba|fixme|x{3,}|\.{2,}|…|-+|\?+|<[^<>]*>)", re.IGNORECASE
)
_PLACEHOLDER_WORD = re.compile(r"\b(?:TODO|TBD|FIXME|XXX)\b")
_TEMPLATE = re.compile(r"<[A-Za-z][^<>\n]{0,40}>")


_PRODUCER_DEFAULTS = frozenset({"example submission"})
"""Values a producer writes when it was not told: PASS's ``inference.py`` and
``inference_distance_matching.py`` write ``Method name: example submission`` and ``null``
in every other field they were given no value for."""


def _placeholder(name: str, value: str) -> bool:
    """One rule for every field; only the link's ``null`` (official: unpublished) is exempt,
    by its caller, and angle brackets are text in a free description."""
    if _PLACEHOLDER_VALUE.fullmatch(value) or _PLACEHOLDER_WORD.search(value):
        return True
    if " ".join(value.split()).casefold() in _PRODUCER_DEFAULTS:
        return True
    # Angle brackets are ordinary text in a description (`<mask>` tokens, a < b).
    return name != DESCRIPTION and _TEMPLATE.search(value) is not None


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and value.isprintable()
        and (not any(ch.isspace() for ch in value))
    )


def _link_hint(value: str) -> str:
    arxiv = re.fullmatch(r"(?i)arxiv:\s*(\d{4}\.\d{4,5}(?:v\d+)?)", value)
    if arxiv:
        return f"write `{LINK}: https://arxiv.org/abs/{arxiv.group(1)}`"
    if re.fullmatch(r"[\w.-]+\.[a-z]{2,}(?:/\S*)?", value, re.IGNORECASE):
        return f"write the full URL: `{LINK}: https://{value}`"
    if any(ch.isspace() for ch in value):
        return f"give a single URL (`{LINK}: https://...`), or `{LINK}: null` if unpublished"
    return f"write an http(s) URL, or `{LINK}: null` if the work is unpublished"


def _missing_hint(name: str, description: str) -> str:
    """How to add a missing field: above the description, where it may have been lost."""
    lost = re.search(rf"(?im)^\s*{re.escape(name)}\s*:", description)
    if lost:
        return (
            f"a `{name}:` line follows `Method description:` and is read as part of the "
            "description: move it above the `Method description:` line"
        )
    if name == DESCRIPTION:
        return f"end method.txt with `{_EXAMPLES[DESCRIPTION]}`"
    if name == LINK:
        return (
            f"add `{LINK}: https://...` (the paper or project URL) above `Method "
            f"description:`, or `{LINK}: null` if the work is unpublished"
        )
    return f"add `{_EXAMPLES[name]}` (with your value) above `Method description:`"


def _field_findings(
    path: str, name: str, value: str | None, number: int | None, description: str
) -> list[Diagnostic]:
    if value is None:
        hint = _missing_hint(name, description)
        return [Code.METHOD_FIELD_MISSING.at(path, f'method.txt has no "{name}:" line', hint)]
    at = f"line {number}: " if number is not None else ""
    if not value:
        return [
            Code.METHOD_FIELD_EMPTY.at(
                path,
                f'{at}"{name}" is empty',
                f"write {FIELD_WHAT[name]} after `{name}:`",
                line=number,
            )
        ]
    if name == LINK:
        if value.casefold() == "null":
            return []  # what the official scripts write for unpublished work
        if _placeholder(name, value):
            return [
                Code.METHOD_PLACEHOLDER.at(
                    path,
                    f'{at}"{name}" holds the placeholder "{value}"',
                    f"write the paper or project URL, or exactly `{LINK}: null` if unpublished",
                    line=number,
                )
            ]
        if not _is_url(value):
            return [
                Code.METHOD_BAD_LINK.at(
                    path,
                    f'{at}"{name}" is not an http(s) URL: "{value}"',
                    _link_hint(value),
                    line=number,
                )
            ]
        return []
    if _placeholder(name, value):
        shown = value.split("\n", 1)[0]
        if len(shown) > 60 or shown != value:
            shown = shown[:57] + "..."
        return [
            Code.METHOD_PLACEHOLDER.at(
                path,
                f'{at}"{name}" holds the placeholder "{shown}"',
                f"replace it with {FIELD_WHAT[name]}",
                line=number,
            )
        ]
    return []


# --- writing ---------------------------------------------------------------------


def canonical_field(key: str) -> str | None:
    """The official field a configuration key names (official or snake_case), if any."""
    official = _OFFICIAL_BY_NORM.get(_norm_name(key))
    if official is not None:
        return official
    return FIELD_ALIASES.get(re.sub(r"[\s-]+", "_", key.strip().casefold()))


def accepted_keys() -> str:
    return ", ".join(dict.fromkeys([*OFFICIAL_FIELDS, *FIELD_ALIASES]))


def _toml_loads(text: str) -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib.loads(text)
    try:
        tomli = importlib.import_module("tomli")
    except ModuleNotFoundError as exc:  # pragma: no cover - Python 3.10 without tomli
        raise UsageError(
            "reading TOML on Python 3.10 needs the tomli package",
            "pip install tomli, or give the method fields as a JSON file",
        ) from exc
    return tomli.loads(text)


def _yaml_loads(text: str) -> Any:
    try:
        yaml = importlib.import_module("yaml")
    except ModuleNotFoundError as exc:
        raise UsageError(
            "reading YAML needs PyYAML, which is not installed",
            "write the method fields as TOML (method.toml) or JSON (method.json) instead",
        ) from exc
    return yaml.safe_load(text)


def load_method_fields(path: Path) -> dict[str, str]:
    """The official method.txt fields from a TOML, JSON or YAML file.

    Keys are official names ("Training data") or snake_case ("training_data",
    "link", "description"); a single ``[method]`` table is looked into. The
    result is keyed by official name. A JSON ``null`` link becomes ``"null"``.
    """
    text = read_user_text(
        path, MAX_FIELDS_FILE_BYTES, "method fields file", "give a UTF-8 TOML, JSON or YAML file"
    )

    suffix = path.suffix.casefold()
    try:
        if suffix == ".toml":
            data = _toml_loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        elif suffix in (".yaml", ".yml"):
            data = _yaml_loads(text)
        else:
            raise UsageError(
                f"{path}: cannot tell the format from the extension {path.suffix!r}",
                "name the file method.toml or method.json",
            )
    except UsageError:
        raise
    except Exception as exc:  # the parsers' error classes differ; all mean bad syntax
        raise UsageError(
            f"{path} is not valid {suffix.lstrip('.').upper()}: {exc}", "fix its syntax"
        ) from exc

    if isinstance(data, dict) and set(data) == {"method"} and isinstance(data["method"], dict):
        data = data["method"]
    if not isinstance(data, dict):
        raise UsageError(
            f"{path} must hold a table of method fields",
            'e.g. method_name = "PASS" / training_data = "ImageNet-S50 train" / ...',
        )
    result: dict[str, str] = {}
    for key, value in data.items():
        name = canonical_field(str(key))
        if name is None:
            raise UsageError(f'{path}: unknown key "{key}"', f"use one of: {accepted_keys()}")
        if value is None and name == LINK:
            value = "null"
        if not isinstance(value, str):
            raise UsageError(
                f'{path}: "{key}" must be text, not {type(value).__name__}',
                f'quote the value: {key} = "{value}"',
            )
        result[name] = value
    return result
