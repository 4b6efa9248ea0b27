"""The JSON Schemas published in schemas/, generated from the pydantic models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from submitkit.checks.files import FilesReport
from submitkit.checks.report import Report
from submitkit.core.atomic import check_target, write_text_atomic
from submitkit.core.document import SCHEMA_DIALECT, Document
from submitkit.inputs.manifest import Manifest
from submitkit.inputs.match_json import match_schema
from submitkit.render.code_pages import CodesOutput
from submitkit.render.generated import DocsRun, SchemasRun
from submitkit.workflows.compare import ComparisonOutput
from submitkit.workflows.evaluate import EvaluationOutput
from submitkit.workflows.fix import FixResult
from submitkit.workflows.manifest import ManifestWritten
from submitkit.workflows.match import MatchOutput
from submitkit.workflows.pack import PackResult
from submitkit.workflows.platform_documents import BundleResult, ScoreResult
from submitkit.workflows.preview import PreviewResult
from submitkit.workflows.table import TableOutput

DOCUMENTS: tuple[type[Document], ...] = (
    Report,
    PackResult,
    FixResult,
    EvaluationOutput,
    ComparisonOutput,
    TableOutput,
    MatchOutput,
    FilesReport,
    ManifestWritten,
    PreviewResult,
    CodesOutput,
    SchemasRun,
    DocsRun,
    BundleResult,
    ScoreResult,
)
"""Every document a command prints with --format json; a new command adds its model here."""


def model_schema(
    model: type[BaseModel], mode: JsonSchemaMode = "serialization"
) -> Callable[[], dict[str, Any]]:
    """A schema factory for a model: "serialization" for what submitkit prints,
    "validation" for files it reads."""

    def factory() -> dict[str, Any]:
        schema = model.model_json_schema(mode=mode)
        schema["$schema"] = SCHEMA_DIALECT
        return schema

    return factory


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    **{document.schema_file: document.document_schema for document in DOCUMENTS},
    "manifest.schema.json": model_schema(Manifest, "validation"),
    "match.schema.json": match_schema,
}
"""Every schema under schemas/: the printed documents, then the files submitkit reads."""


def render(factory: Callable[[], dict[str, Any]]) -> str:
    return json.dumps(factory(), indent=2, sort_keys=True) + "\n"


def write_schemas(folder: Path) -> list[Path]:
    written = []
    for name in SCHEMAS:  # the output rule, for every schema before the first is written
        check_target(folder / name, replace=True, exists_hint="")
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
