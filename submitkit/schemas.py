"""The JSON Schemas published in schemas/, generated from the pydantic models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from submitkit.atomic import write_text_atomic
from submitkit.manifest import manifest_json_schema
from submitkit.matchfile import match_schema
from submitkit.pack import pack_schema
from submitkit.report import Report

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def report_schema() -> dict[str, Any]:
    schema = Report.model_json_schema(mode="serialization")
    schema["$schema"] = SCHEMA_DIALECT
    return schema


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "manifest.schema.json": manifest_json_schema,
    "match.schema.json": match_schema,
    "pack.schema.json": pack_schema,
    "report.schema.json": report_schema,
}


def render(factory: Callable[[], dict[str, Any]]) -> str:
    return json.dumps(factory(), indent=2, sort_keys=True) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    written = []
    for name, factory in SCHEMAS.items():
        path = folder / name
        write_text_atomic(path, render(factory))
        written.append(path)
    return written


def drifted(folder: Path) -> list[str]:
    """Names of committed schemas that differ from what the models generate now."""
    stale = []
    for name, factory in SCHEMAS.items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != render(factory):
            stale.append(name)
    return stale
