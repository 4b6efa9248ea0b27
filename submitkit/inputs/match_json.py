"""match.json: the optional map from predicted ids to ground-truth ids.

The official evaluator looks every predicted pixel up in this object
(``match[id]``), so its shape is checked strictly: a JSON Schema generated from
the pydantic model below, plus the few things JSON Schema cannot say (duplicate
keys, ``3.0`` written for ``3``).
"""

from __future__ import annotations

import functools
import json
import operator
import re
from collections import defaultdict
from collections.abc import Mapping, Set
from typing import Annotated, Any

# jsonschema ships no type information; the ignore stays harmless if stubs appear.
import jsonschema  # type: ignore[import-untyped, unused-ignore]
from pydantic import ConfigDict, Field, RootModel, StrictInt, StringConstraints, model_validator

from submitkit.benchmark.ids import MAX_ENCODABLE
from submitkit.benchmark.protocols import (
    MANY_TO_ONE_PROTOCOLS,
    MATCH_JSON_PROTOCOLS,
    PROTOCOL_TITLES,
    Protocol,
)
from submitkit.core.diagnostics import Code, Diagnostic, Severity

KEY_PATTERN = r"^(0|[1-9][0-9]*)$"
"""A predicted id as match.json writes it: a decimal string, no sign, no leading zero."""

_KEY_FULL = re.compile(r"0|[1-9][0-9]*")

MAX_K = 919
"""The largest K of any track: the range used when the track is unknown."""

MAX_MATCH_BYTES = 4 * 1024 * 1024
"""The largest match.json read (J007). Every 16-bit id with its class fits in about 1 MiB."""

MAX_SCHEMA_DIAGNOSTICS = 20
"""J002 findings reported one by one; the rest are summed up in one more."""

MAX_LISTED = 20
"""Ids or groups spelled out in one message before it says "and N more"."""

SCHEMA_DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _schema_shape(k: int) -> Any:
    def shape(schema: dict[str, Any]) -> None:
        # pydantic writes constrained dict keys as patternProperties, which lets any
        # other key through. propertyNames + additionalProperties rejects them, and
        # reports each bad key on its own.
        pattern_props = schema.pop("patternProperties", {})
        value_schema = pattern_props.get(KEY_PATTERN, {"type": "integer"})
        schema["propertyNames"] = {"pattern": KEY_PATTERN}
        schema["additionalProperties"] = value_schema
        schema["properties"] = {
            "0": {
                "type": "integer",
                "const": 0,
                "description": '"other" must stay "other".',
            }
        }
        schema["required"] = ["0"]

    return shape


@functools.lru_cache(maxsize=8)
def match_model(k: int = MAX_K) -> type[RootModel[dict[str, int]]]:
    """The pydantic model of a match.json for a track with ``k`` classes."""
    if k < 1:
        raise ValueError(f"K must be a positive number of classes, not {k}")

    class MatchFile(
        RootModel[
            dict[
                Annotated[str, StringConstraints(pattern=KEY_PATTERN)],
                Annotated[StrictInt, Field(ge=0, le=k)],
            ]
        ]
    ):
        model_config = ConfigDict(
            title="ImageNet-S match.json",
            json_schema_extra=_schema_shape(k),
        )

        @model_validator(mode="after")
        def _zero_stays_zero(self) -> MatchFile:
            if self.root.get("0") != 0:
                raise ValueError('match.json must map "0" to 0')
            return self

    MatchFile.__doc__ = (
        f"Maps each predicted id (a decimal string key) to a ground-truth id in 0..{k}; "
        '"0" must map to 0. Values are integers written without a fraction. The '
        "evaluator maps every predicted pixel through this object, so every id a "
        "mask uses needs a key."
    )
    return MatchFile


def match_schema(k: int = MAX_K) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of match.json for a track with ``k`` classes.

    ``match_schema(919)`` is the content of ``schemas/match.schema.json``.
    """
    generated = match_model(k).model_json_schema()
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DRAFT,
        "$id": f"urn:submitkit:schema:match:{k}",
    }
    schema.update(generated)
    return schema


def _strict_integer(_checker: Any, instance: object) -> bool:
    # JSON Schema counts 3.0 as an integer; Python's json turns it into a float,
    # and a float id is not something the evaluator is known to accept.
    return type(instance) is int


_Validator: Any = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)


@functools.lru_cache(maxsize=8)
def _validator(k: int) -> Any:
    return _Validator(match_schema(k))


class _NotJson(ValueError):
    """A JSON extension Python accepts but JSON forbids (NaN, Infinity)."""


def _reject_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number")


def load_match(
    data: bytes, path: str, k: int | None
) -> tuple[dict[int, int] | None, list[Diagnostic]]:
    """Read match.json for a track with ``k`` classes (``None``: track unknown).

    Returns the mapping (predicted id -> ground-truth id) and the findings. The
    mapping is ``None`` when the file is not JSON or breaks the schema (J001,
    J002): later checks could not trust it. A mapping that only lacks ``"0": 0``
    (J003) is still returned, so that the ids the masks use can be checked
    against it. Callers read at most ``MAX_MATCH_BYTES + 1`` bytes: more is J007.
    """
    if len(data) > MAX_MATCH_BYTES:
        return None, [
            Code.MATCH_TOO_LARGE.at(
                path,
                f"match.json is larger than {MAX_MATCH_BYTES // 2**20} MiB; it is not read",
                'write one "<id>": <class> pair per predicted id, e.g. {"0": 0, "1": 17}',
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [
            Code.MATCH_INVALID_JSON.at(
                path,
                f"match.json is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line})",
                "save match.json as UTF-8 (plain ASCII digits, quotes and braces are enough)",
                line=line,
            )
        ]

    raw, duplicates, failed = _parse_json(text, path)
    if failed is not None:
        return None, [failed]
    lines = key_lines(text)
    diags = [
        Code.MATCH_SCHEMA.at(
            path,
            f'key "{key}" appears more than once in match.json',
            f'keep a single "{key}": <id> entry: JSON readers disagree on which duplicate wins',
            line=lines[key][1] if len(lines.get(key, ())) > 1 else None,
        )
        for key in dict.fromkeys(duplicates)
    ]
    schema_diags, zero_diags = _schema_findings(raw, path, k, lines)
    diags += schema_diags
    diags += zero_diags
    if schema_diags or duplicates:
        return None, diags
    return {int(key): value for key, value in raw.items()}, diags


def _parse_json(text: str, path: str) -> tuple[Any, list[str], Diagnostic | None]:
    """The JSON value, the keys seen twice in one object, and J001 when it is not JSON."""
    duplicates: list[str] = []

    def pairs_to_dict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                duplicates.append(key)
            seen.add(key)
        return dict(pairs)

    try:
        raw = json.loads(text, object_pairs_hook=pairs_to_dict, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        hint = 'fix the JSON syntax; a valid file looks like {"0": 0, "1": 17}'
        if exc.msg.startswith("Unexpected UTF-8 BOM"):
            hint = "save match.json as UTF-8 without a byte order mark (BOM)"
        return (
            None,
            duplicates,
            Code.MATCH_INVALID_JSON.at(
                path,
                f"match.json is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
                hint,
                line=exc.lineno,
            ),
        )
    except (ValueError, RecursionError) as exc:
        # NaN/Infinity, integers too long to parse, absurd nesting.
        return (
            None,
            duplicates,
            Code.MATCH_INVALID_JSON.at(
                path,
                f"match.json is not valid JSON: {exc}",
                'write a plain object of integers, e.g. {"0": 0, "1": 17}',
            ),
        )
    return raw, duplicates, None


_STRING = re.compile(r'("(?:[^"\\]|\\.)*")(\s*:)?')


def key_lines(text: str) -> dict[str, list[int]]:
    """The 1-based lines where each object key of valid JSON ``text`` stands, in order.

    In valid JSON every quote opens or closes a string, so string tokens are
    found left to right without a parser; a string followed by ``:`` is a key.
    """
    lines: dict[str, list[int]] = {}
    line, counted = 1, 0
    for token in _STRING.finditer(text):
        if token.group(2) is None:
            continue
        line += text.count("\n", counted, token.start())
        counted = token.start()
        lines.setdefault(json.loads(token.group(1)), []).append(line)
    return lines


def _on_line(diag: Diagnostic, lines: dict[str, list[int]], key: str | None) -> Diagnostic:
    """The finding, placed on the line of the key it is about (its first appearance)."""
    found = lines.get(key) if key is not None else None
    return diag.model_copy(update={"line": found[0]}) if found else diag


def _schema_findings(
    raw: Any, path: str, k: int | None, lines: dict[str, list[int]]
) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """J002 findings (capped) and J003 findings of a parsed match.json, on their keys' lines."""
    bound = k if k is not None else MAX_K
    order = {key: i for i, key in enumerate(raw)} if isinstance(raw, dict) else {}
    errors = sorted(
        _validator(bound).iter_errors(raw),
        key=lambda e: (order.get(_error_key(e), -1), str(e.message)),
    )
    schema: list[Diagnostic] = []
    zero: list[Diagnostic] = []
    flagged_keys: set[str] = set()
    for error in errors:
        if error.validator == "required" or (
            error.validator == "const" and type(error.instance) is int
        ):
            zero.append(_on_line(_zero_finding(raw, path), lines, "0"))
        elif error.validator == "const":
            continue  # a non-integer "0" value: its type error says it all
        else:
            key = _error_key(error)
            schema.append(_on_line(_schema_finding(error, path, k, bound), lines, key))
            flagged_keys.add(key or "")
    if isinstance(raw, dict):
        # jsonschema applies patterns with re.search, where "$" also matches before a
        # final newline; the key must still be exactly a decimal id.
        for key in raw:
            if key in flagged_keys:
                continue
            if not _KEY_FULL.fullmatch(key):
                schema.append(_on_line(_bad_key_finding(key, path), lines, key))
            elif int(key) > MAX_ENCODABLE:
                schema.append(_on_line(_unencodable_key_finding(key, path), lines, key))
    if len(schema) > MAX_SCHEMA_DIAGNOSTICS:
        rest = len(schema) - MAX_SCHEMA_DIAGNOSTICS
        schema = [
            *schema[:MAX_SCHEMA_DIAGNOSTICS],
            Code.MATCH_SCHEMA.at(
                path,
                f"... and {rest} more schema problem(s) in match.json",
                "fix the ones listed first; the rest are usually of the same kind",
            ),
        ]
    return schema, zero


def _error_key(error: Any) -> str | None:
    """The match.json key an error is about, if any."""
    if "propertyNames" in error.relative_schema_path:
        return str(error.instance)
    if len(error.absolute_path) >= 1:
        return str(error.absolute_path[0])
    return None


def _zero_finding(raw: dict[str, Any], path: str) -> Diagnostic:
    if "0" not in raw:
        return Code.MATCH_ZERO.at(
            path,
            'match.json has no "0" key, so pixels predicted as 0 ("other") cannot be mapped',
            'add "0": 0 as the first entry',
        )
    return Code.MATCH_ZERO.at(
        path,
        f'match.json maps "0" ("other") to class {raw["0"]}: background would be scored '
        "as that class",
        'write "0": 0; map the cluster you mean for that class under its own id',
    )


def _bad_key_finding(key: str, path: str) -> Diagnostic:
    stripped = key.strip()
    if stripped.isascii() and stripped.isdigit():
        fixed = str(int(stripped))
        hint = f'write the key as "{fixed}" (no spaces, no leading zeros)'
    elif stripped.startswith("-"):
        hint = "predicted ids are never negative: use the ids your masks actually hold"
    else:
        hint = 'keys are the ids your masks use, as decimal strings: "0", "1", "27"'
    return Code.MATCH_SCHEMA.at(path, f"key {json.dumps(key)} is not a decimal id", hint)


def _unencodable_key_finding(key: str, path: str) -> Diagnostic:
    return Code.MATCH_SCHEMA.at(
        path,
        f'key "{key}" is above {MAX_ENCODABLE}, the largest id a mask can hold (R + 256 G)',
        "keys are the ids your masks use: drop this one, or renumber the clusters",
    )


def _schema_finding(error: Any, path: str, k: int | None, bound: int) -> Diagnostic:
    if "propertyNames" in error.relative_schema_path:
        return _bad_key_finding(str(error.instance), path)
    where = list(error.absolute_path)
    value = error.instance
    shown = json.dumps(value)
    if not where:
        if error.validator == "type":
            kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
            return Code.MATCH_SCHEMA.at(
                path,
                f"match.json holds {kind.get(type(value), 'a number')}, not an object",
                'write a single object mapping predicted ids to classes: {"0": 0, "1": 17}',
            )
        return Code.MATCH_SCHEMA.at(path, f"match.json: {error.message}", "see match.schema.json")
    key = str(where[0])
    if error.validator == "type":
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            hint = f'drop the quotes: "{key}": {int(value.strip())}'
        elif isinstance(value, bool):
            hint = f'JSON {shown} is not an id: write "{key}": <class id in 0..{bound}>'
        elif isinstance(value, float) and value.is_integer():
            hint = f'write the id without a fraction: "{key}": {int(value)}'
        else:
            hint = f'map "{key}" to a ground-truth class id, a bare integer in 0..{bound}'
        return Code.MATCH_SCHEMA.at(path, f'"{key}": {shown} is not an integer class id', hint)
    if error.validator == "minimum":
        return Code.MATCH_SCHEMA.at(
            path,
            f'"{key}": {shown} is negative; class ids run from 0 to K',
            f'map a cluster that matches no class to 0 ("other"): "{key}": 0',
        )
    if error.validator == "maximum":
        if k is None:
            return Code.MATCH_SCHEMA.at(
                path,
                f'"{key}": {shown} is above {MAX_K}, the largest K of any track (the track '
                "is unknown, so the range could not be narrowed to its K)",
                f'map "{key}" to a class id of the track; give the track to check the exact range',
            )
        return Code.MATCH_SCHEMA.at(
            path,
            f'"{key}": {shown} is above K = {k}, the number of classes of the track',
            f'map "{key}" to a class id in 0..{k} (values are ground-truth ids, not cluster ids)',
        )
    return Code.MATCH_SCHEMA.at(
        path, f'"{key}": {shown}: {error.message}', f'map "{key}" to an integer in 0..{bound}'
    )


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        shown += f" and {len(items) - MAX_LISTED} more"
    return shown


def match_usage_findings(
    match: Mapping[int, int], used_ids: Set[int], path: str, protocol: Protocol | None
) -> list[Diagnostic]:
    """Findings about how the masks and the protocol use a loaded match.json.

    ``used_ids`` are all ids found in the masks. Ids the masks use but match.json
    lacks (J004) are left to the mask checks.
    """
    diags: list[Diagnostic] = []
    # "0" is required whether or not any mask shows background, so it is never unused.
    unused = sorted(key for key in match if key != 0 and key not in used_ids)
    if unused:
        diags.append(
            Code.MATCH_UNUSED_KEY.at(
                path,
                f"{len(unused)} match.json key(s) appear in no mask: "
                + _listing([str(key) for key in unused]),
                "harmless, but check the masks were written with the same ids the matching "
                "produced; drop the unused keys to silence this",
            )
        )

    sources: dict[int, list[int]] = defaultdict(list)
    for key, value in match.items():
        if key != 0:
            sources[value].append(key)
    groups = {value: sorted(keys) for value, keys in sorted(sources.items()) if len(keys) > 1}
    if groups:
        diags.append(_many_to_one_finding(groups, protocol, path))

    if protocol is not None and protocol not in MATCH_JSON_PROTOCOLS:
        diags.append(
            Code.MATCH_OUTSIDE_UNSUPERVISED.at(
                path,
                f"match.json is shipped under the {PROTOCOL_TITLES[protocol]} protocol: the server "
                "will remap every prediction through it",
                "under this protocol masks should already hold ground-truth ids: leave "
                "match.json out of the upload unless the remapping is intended",
            )
        )
    return diags


def _many_to_one_finding(
    groups: Mapping[int, list[int]], protocol: Protocol | None, path: str
) -> Diagnostic:
    """J006: ids that share a class, worded for the protocol (legitimate only unsupervised)."""
    listed = _listing([f"{', '.join(map(str, keys))} -> {value}" for value, keys in groups.items()])
    if protocol in MANY_TO_ONE_PROTOCOLS:
        message = f"several predicted ids map to the same class (over-clustering): {listed}"
        hint = (
            "legitimate under the fully unsupervised protocol; note that boundaries are "
            "taken on the unmapped ids, so a class split into clusters gains boundary pixels"
        )
    elif protocol is None:
        message = f"several predicted ids map to the same class: {listed}"
        hint = (
            "this is legitimate only under the fully unsupervised protocol "
            "(over-clustering); give the protocol to check it"
        )
    else:
        title = PROTOCOL_TITLES[protocol]
        message = (
            f"several predicted ids map to the same class under the {title} protocol"
            f": {listed}; over-clustering is legitimate only under the fully "
            "unsupervised protocol"
        )
        hint = (
            f"under the {title} protocol write ground-truth ids into the masks "
            "directly; if the method really clusters without labels, submit it to the "
            "fully unsupervised protocol"
        )
    legitimate = protocol in MANY_TO_ONE_PROTOCOLS
    return Code.MATCH_MANY_TO_ONE.at(path, message, hint, Severity.info if legitimate else None)


def write_match(match: Mapping[int, int]) -> str:
    """Canonical match.json text: ``"0": 0`` first, keys in numeric order, one a line.

    ``"0": 0`` is added when absent; a mapping that sends 0 elsewhere or holds a
    negative id raises ``ValueError`` rather than writing a file the checks reject.
    """
    entries: dict[int, int] = {}
    for key, value in match.items():
        if isinstance(key, bool) or isinstance(value, bool):
            raise ValueError(f"match entries must be integers, not {key!r}: {value!r}")
        # operator.index accepts NumPy integers but refuses floats and strings.
        id_, target = operator.index(key), operator.index(value)
        if id_ < 0 or target < 0:
            raise ValueError(f"match entries must be non-negative, not {key!r}: {value!r}")
        entries[id_] = target
    if entries.setdefault(0, 0) != 0:
        raise ValueError(f'match maps 0 ("other") to {entries[0]}; it must map 0 to 0')
    body = ",\n".join(f'  "{key}": {entries[key]}' for key in sorted(entries))
    return "{\n" + body + "\n}\n"
