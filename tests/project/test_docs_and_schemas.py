"""What is published must match what the code does: schemas, codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema

from submitkit.core.diagnostics import Code, Severity
from submitkit.render.schemas import SCHEMAS, drifted, render
from tests.conftest import Cli

REPO = Path(__file__).resolve().parents[2]


def test_committed_schemas_match_models() -> None:
    assert drifted(REPO / "schemas") == [], "run `submitkit schemas` and commit the result"


def test_schema_check_command_detects_drift(tmp_path: Path, cli: Cli) -> None:
    assert cli(["schemas", "-o", str(tmp_path), "--check"]).exit_code == 1
    assert cli(["schemas", "-o", str(tmp_path)]).exit_code == 0
    assert cli(["schemas", "-o", str(tmp_path), "--check"]).exit_code == 0
    (tmp_path / "match.schema.json").write_text("{}")
    result = cli(["schemas", "-o", str(tmp_path), "--check"])
    assert result.exit_code == 1


def test_schemas_are_valid_json_schema() -> None:
    for factory in SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(json.loads(render(factory)))


def test_codes_page_holds_the_codes_table(cli: Cli) -> None:
    page = (REPO / "docs" / "codes" / "index.md").read_text(encoding="utf-8")
    table = cli(["codes", "--markdown"]).output
    assert table.strip() in page, "run `submitkit docs` at the repository root and commit"


def test_codes_are_unique_documented_and_stable_shaped() -> None:
    values = [c.value for c in Code]
    assert len(values) == len(set(values))
    for code in Code:
        assert re.fullmatch(r"[LZNMJTPDE]\d{3}", code.value)
        assert code.__doc__ and len(code.__doc__) > 20
        assert isinstance(code.severity, Severity)


def test_validate_files_json_follows_its_schema(cli: Cli) -> None:
    broken = next((REPO / "examples/submissions/broken").glob("T002-*")) / "method.txt"
    result = cli(["validate-files", str(broken), "--format", "json"])
    assert result.exit_code == 1
    schema = json.loads((REPO / "schemas" / "files.schema.json").read_text())
    document = json.loads(result.stdout)
    jsonschema.validate(document, schema)
    assert [d["code"] for d in document["diagnostics"]] == ["T002"]


def test_every_json_output_has_a_published_schema() -> None:
    page = (REPO / "docs" / "output.md").read_text(encoding="utf-8")
    for name in SCHEMAS:
        assert (REPO / "schemas" / name).is_file()
        assert f"schemas/{name}" in page, f"docs/output.md does not mention schemas/{name}"
