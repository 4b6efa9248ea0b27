"""method.txt written from its fields (pack, `SubmissionWriter`, the bundle's example).

The text is verified with the check's own rules before it is returned: the
writer promises a file the check passes, and only the check knows what passes.
"""

from __future__ import annotations

from collections.abc import Mapping

from submitkit.benchmark.protocols import RULES, Protocol
from submitkit.benchmark.tracks import TRACKS
from submitkit.checks.protocol import protocol_findings
from submitkit.core.diagnostics import Severity
from submitkit.core.errors import UsageError
from submitkit.inputs.method_txt import (
    DESCRIPTION,
    FIELD_ALIASES,
    FIELD_WHAT,
    LINK,
    OFFICIAL_FIELDS,
    PROTOCOL_FIELD,
    TRACK_FIELD,
    accepted_keys,
    canonical_field,
    parse_method,
    split_lines,
)


def render_method(
    fields: Mapping[str, str],
    protocol: Protocol,
    track: int,
    declarations: Mapping[str, bool] | None = None,
) -> str:
    """A method.txt that :func:`parse_method` and :func:`protocol_findings` accept.

    ``fields`` holds the official fields by official or snake_case name; a
    missing link becomes ``null``. Line breaks inside single-line fields are
    folded into spaces. ``declarations`` are rules-table rows by ``Rule.key``.
    Raises ``UsageError`` when the result would still carry an error (a missing
    field, a declaration the protocol forbids, a supervised scheme under an
    unsupervised protocol, ...), naming what to change.
    """
    if track not in TRACKS:
        raise UsageError(f"unknown track {track}", "use 50, 300 or 919")
    values = _official_values(fields)
    rules = {r.key: r for r in RULES}
    for key in declarations or {}:
        if key not in rules:
            raise UsageError(f'"{key}" is not a rules-table row', f"use one of: {', '.join(rules)}")

    out: list[str] = []
    for name in OFFICIAL_FIELDS[:-1]:
        out.append(f"{name}: {' '.join(values.get(name, '').split())}")
    out.append(f"{PROTOCOL_FIELD}: {protocol.value}")
    out.append(f"{TRACK_FIELD}: {track}")
    for r in RULES:
        if declarations is not None and r.key in declarations:
            out.append(f"{r.declaration}: {'yes' if declarations[r.key] else 'no'}")
    body = values[DESCRIPTION].strip()
    description = "\n".join(line.rstrip() for line in split_lines(body))
    out.append(f"{DESCRIPTION}: {description}")
    text = "\n".join(out) + "\n"

    # The writer promises a file the checker passes: verify rather than trust.
    info, diags = parse_method(text.encode("utf-8"), "method.txt")
    if info is not None:
        diags += protocol_findings(info, protocol, track, "method.txt")
    errors = [d for d in diags if d.severity is Severity.error]
    if errors:
        raise UsageError(
            "cannot write method.txt: " + "; ".join(f"{d.message} [{d.code}]" for d in errors),
            "; ".join(dict.fromkeys(d.hint for d in errors)),
        )
    return text


def _official_values(fields: Mapping[str, str]) -> dict[str, str]:
    """The six fields by official name; a usage error for an unknown or missing one."""
    values: dict[str, str] = {}
    for key, value in fields.items():
        name = canonical_field(key)
        if name is None:
            raise UsageError(f'"{key}" is not a method.txt field', f"use one of: {accepted_keys()}")
        values[name] = value
    if not values.get(LINK, "").strip():
        values[LINK] = "null"
    missing = [name for name in OFFICIAL_FIELDS if not values.get(name, "").strip()]
    if missing:
        snake = {v: k for k, v in reversed(FIELD_ALIASES.items())}
        raise UsageError(
            "cannot write method.txt: no value for " + ", ".join(f'"{m}"' for m in missing),
            "give " + "; ".join(f"{snake[m]} ({FIELD_WHAT[m]})" for m in missing),
        )
    return values
