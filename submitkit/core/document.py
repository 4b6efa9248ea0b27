"""The one output envelope: what every ``--format json`` document carries.

Every document a command prints is a :class:`Document`. Its JSON form starts with
four envelope keys, so a program reading submitkit's output can tell what it
got before it reads the rest:

- ``$schema``: the file name of its JSON Schema under ``schemas/``;
- ``kind``: which command printed it (``check``, ``pack``, ``evaluate``, …);
- ``schema_version``: bumped when the document changes incompatibly;
- ``tool``: ``submitkit <version>``.

A new command declares ``kind`` and ``schema_file`` on its result model, lists it
in ``submitkit.render.schemas.DOCUMENTS`` and prints it with
``submitkit.render.console.print_document``; nothing else writes JSON to stdout.
The envelope lives only at the top: a report embedded in another document (as
``check``) is the bare model.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode

from submitkit._version import __version__

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
TOOL = f"submitkit {__version__}"


class Document(BaseModel):
    """Base of every model a command prints with ``--format json``."""

    kind: ClassVar[str]
    """The command that prints it."""
    schema_file: ClassVar[str]
    """File name of its schema under ``schemas/``."""
    schema_version: ClassVar[int] = 1

    def is_failure(self) -> bool:
        """Whether the run found what makes the command exit 1 (see ``core.exits``)."""
        return False

    @classmethod
    def envelope(cls) -> dict[str, Any]:
        return {
            "$schema": cls.schema_file,
            "kind": cls.kind,
            "schema_version": cls.schema_version,
            "tool": TOOL,
        }

    def to_document(self) -> dict[str, Any]:
        """The JSON document: the envelope first, then the model's own fields."""
        return {**self.envelope(), **self.model_dump(mode="json")}

    def to_json(self) -> str:
        return json.dumps(self.to_document(), indent=2, ensure_ascii=False)

    @classmethod
    def document_schema(cls, mode: JsonSchemaMode = "serialization") -> dict[str, Any]:
        """The model's JSON Schema with the envelope keys required and fixed."""
        schema = cls.model_json_schema(mode=mode)
        envelope_props: dict[str, Any] = {
            "$schema": {"const": cls.schema_file, "description": "This schema's file name."},
            "kind": {"const": cls.kind, "description": "The command that printed it."},
            "schema_version": {"const": cls.schema_version},
            "tool": {
                "type": "string",
                "pattern": "^submitkit ",
                "description": "submitkit and its version.",
            },
        }
        schema["properties"] = {**envelope_props, **schema.get("properties", {})}
        schema["required"] = [*envelope_props, *schema.get("required", [])]
        schema["$schema"] = SCHEMA_DIALECT
        schema["$id"] = cls.schema_file
        return schema
