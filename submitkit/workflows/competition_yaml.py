"""YAML for competition.yaml and metadata.yaml, written without a YAML library.

Only what a competition file needs: mappings, lists, strings, numbers,
booleans, dates, date-times (written as strings) and null. Every string is
double-quoted with JSON escapes, which YAML reads back unchanged, so no value
can turn into a number, a date or a boolean by accident.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime

Value = object


def dump_yaml(document: Mapping[str, Value]) -> str:
    return "\n".join(_lines(document, 0)) + "\n"


def _scalar(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, datetime):
        # Quoted: Codabench's get_datetime (unpackers/utils.py lines 33-37) turns any
        # date, a YAML timestamp included (datetime is a date), into midnight that day;
        # only a string reaches dateutil's parser and keeps its time of day.
        return json.dumps(value.strftime("%Y-%m-%d %H:%M:%S"))
    if isinstance(value, date):
        # Unquoted ISO dates read back as dates, as the platform's examples write them.
        return value.isoformat()
    if isinstance(value, Mapping) and not value:
        return "{}"
    if isinstance(value, Sequence) and not value:
        return "[]"
    raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")


def _is_scalar(value: Value) -> bool:
    return not isinstance(value, Mapping | list | tuple) or not value


def _lines(value: Value, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if _is_scalar(item):
                out.append(f"{pad}{key}: {_scalar(item)}")
            else:
                out.append(f"{pad}{key}:")
                out += _lines(item, indent + 2)
        return out
    assert isinstance(value, list | tuple)
    for item in value:
        if _is_scalar(item):
            out.append(f"{pad}- {_scalar(item)}")
        else:
            nested = _lines(item, indent + 2)
            out.append(f"{pad}- {nested[0].lstrip()}")
            out += nested[1:]
    return out
