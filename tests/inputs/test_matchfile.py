"""match.json: schema, loading, usage findings and the canonical writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

from submitkit.benchmark.protocols import Protocol
from submitkit.core.diagnostics import Code, Diagnostic, Severity
from submitkit.inputs.match_json import (
    MAX_SCHEMA_DIAGNOSTICS,
    load_match,
    match_model,
    match_schema,
    match_usage_findings,
    write_match,
)

PATH = "match.json"


def codes(diags: list[Diagnostic]) -> list[Code]:
    return [d.code for d in diags]


def load(obj: Any, k: int | None = 50) -> tuple[dict[int, int] | None, list[Diagnostic]]:
    return load_match(json.dumps(obj).encode(), PATH, k)


# --- the schema ---------------------------------------------------------------------


def test_schema_919_is_a_described_draft_2020_12_schema() -> None:
    schema = match_schema(919)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"]
    assert schema["title"]
    assert schema["description"]
    Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"]["maximum"] == 919
    assert match_schema() == schema


def test_schema_range_follows_k() -> None:
    assert match_schema(50)["additionalProperties"]["maximum"] == 50
    assert match_schema(300)["additionalProperties"]["maximum"] == 300


def test_schema_accepts_a_good_match() -> None:
    validator = Draft202012Validator(match_schema(919))
    assert validator.is_valid({"0": 0, "1": 919, "2": 0, "12345": 17})


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"1": 3},  # no "0"
        {"0": 1},  # "other" mapped to a class
        {"0": 0, "a": 1},
        {"0": 0, "01": 1},
        {"0": 0, "-1": 1},
        {"0": 0, "1": 920},
        {"0": 0, "1": -1},
        {"0": 0, "1": "3"},
        {"0": 0, "1": True},
        {"0": 0, "1": None},
        {"0": 0, "1": [1]},
    ],
)
def test_schema_rejects_bad_matches(bad: Any) -> None:
    assert not Draft202012Validator(match_schema(919)).is_valid(bad)


def test_committed_schema_file_matches_the_model() -> None:
    committed = Path(__file__).resolve().parents[2] / "schemas" / "match.schema.json"
    assert committed.exists(), "run `submitkit schemas` and commit schemas/"
    assert json.loads(committed.read_text(encoding="utf-8")) == match_schema(919)


def test_pydantic_model_agrees_with_the_schema() -> None:
    model = match_model(50)
    assert model.model_validate({"0": 0, "7": 50}).root == {"0": 0, "7": 50}
    for bad in ({"7": 1}, {"0": 0, "7": 51}, {"0": 0, "x": 1}, {"0": 0, "7": True}):
        with pytest.raises(ValueError):
            model.model_validate(bad)
    with pytest.raises(ValueError):
        match_model(0)


# --- load_match -------------------------------------------------------------------------


def test_good_match_loads_with_integer_keys() -> None:
    match, diags = load({"0": 0, "3": 12, "10": 50})
    assert diags == []
    assert match == {0: 0, 3: 12, 10: 50}


def test_not_utf8_is_j001() -> None:
    match, diags = load_match(b'{"0": 0, "\xff": 1}', PATH, 50)
    assert match is None
    assert codes(diags) == [Code.MATCH_INVALID_JSON]
    assert diags[0].path == PATH


def test_syntax_error_is_j001_with_line_and_column() -> None:
    match, diags = load_match(b'{"0": 0,\n "1": 2,\n}', PATH, 50)
    assert match is None
    assert codes(diags) == [Code.MATCH_INVALID_JSON]
    assert "line 3, column 1" in diags[0].message


@pytest.mark.parametrize(
    "data",
    [b"\xef\xbb\xbf" + b'{"0": 0}', b'{"0": 0, "1": NaN}', b'{"0": 0, "1": Infinity}', b""],
)
def test_what_strict_json_readers_refuse_is_j001(data: bytes) -> None:
    match, diags = load_match(data, PATH, 50)
    assert match is None
    assert codes(diags) == [Code.MATCH_INVALID_JSON]


def test_bom_hint_says_to_drop_the_bom() -> None:
    _, diags = load_match(b'\xef\xbb\xbf{"0": 0}', PATH, 50)
    assert "BOM" in diags[0].hint


@pytest.mark.parametrize(
    ("obj", "named"),
    [
        ({"0": 0, "a": 1}, '"a"'),
        ({"0": 0, "01": 1}, '"01"'),
        ({"0": 0, " 2": 1}, '" 2"'),
        ({"0": 0, "-4": 1}, '"-4"'),
        ({"0": 0, "1\n": 1}, '"1\\n"'),
        ({"0": 0, "5": 51}, '"5": 51'),
        ({"0": 0, "5": -1}, '"5": -1'),
        ({"0": 0, "5": "3"}, '"5": "3"'),
        ({"0": 0, "5": 3.0}, '"5": 3.0'),
        ({"0": 0, "5": True}, '"5": true'),
        ({"0": 0, "5": None}, '"5": null'),
        ({"0": 0, "5": {"a": 1}}, '"5"'),
        ([0, 1], "array"),
        ("match", "string"),
    ],
)
def test_schema_violations_are_j002_naming_the_culprit(obj: Any, named: str) -> None:
    match, diags = load(obj, 50)
    assert match is None
    assert codes(diags) == [Code.MATCH_SCHEMA]
    assert named in diags[0].message
    assert diags[0].severity is Severity.error


def test_every_schema_error_is_reported() -> None:
    match, diags = load({"0": 0, "a": 1, "2": 99, "3": "x"}, 50)
    assert match is None
    assert codes(diags) == [Code.MATCH_SCHEMA] * 3
    assert '"a"' in diags[0].message
    assert '"2"' in diags[1].message
    assert '"3"' in diags[2].message


def test_schema_errors_are_capped() -> None:
    obj: dict[str, Any] = {"0": 0, **{f"x{i}": 1 for i in range(100)}}
    _, diags = load(obj, 50)
    assert codes(diags) == [Code.MATCH_SCHEMA] * (MAX_SCHEMA_DIAGNOSTICS + 1)
    assert "80 more" in diags[-1].message


def test_hints_say_what_to_write() -> None:
    _, diags = load({"0": 0, "5": "3", "6": 4.0, "007": 1}, 50)
    hints = [d.hint for d in diags]
    assert '"5": 3' in hints[0]
    assert '"6": 4' in hints[1]
    assert '"7"' in hints[2]


def test_duplicate_keys_are_j002() -> None:
    match, diags = load_match(b'{"0": 0, "1": 3, "1": 4}', PATH, 50)
    assert match is None
    assert codes(diags) == [Code.MATCH_SCHEMA]
    assert '"1"' in diags[0].message


def test_range_is_the_tracks_k() -> None:
    assert load({"0": 0, "1": 300}, 300)[1] == []
    assert codes(load({"0": 0, "1": 301}, 300)[1]) == [Code.MATCH_SCHEMA]


def test_unknown_track_checks_against_919_and_says_so() -> None:
    match, diags = load({"0": 0, "1": 900}, None)
    assert diags == [] and match == {0: 0, 1: 900}
    match, diags = load({"0": 0, "1": 920}, None)
    assert match is None
    assert codes(diags) == [Code.MATCH_SCHEMA]
    assert "could not be narrowed" in diags[0].message


def test_missing_zero_is_j003_and_mapping_is_still_returned() -> None:
    match, diags = load({"1": 3}, 50)
    assert codes(diags) == [Code.MATCH_ZERO]
    assert match == {1: 3}
    assert '"0": 0' in diags[0].hint


def test_zero_mapped_to_a_class_is_j003() -> None:
    match, diags = load({"0": 5, "1": 3}, 50)
    assert codes(diags) == [Code.MATCH_ZERO]
    assert match == {0: 5, 1: 3}


@pytest.mark.parametrize("zero", ["0", True, 0.0, None])
def test_zero_of_the_wrong_type_is_a_schema_error_only(zero: Any) -> None:
    match, diags = load({"0": zero, "1": 3}, 50)
    assert match is None
    assert codes(diags) == [Code.MATCH_SCHEMA]


# --- match_usage_findings -------------------------------------------------------------------


def test_clean_usage_has_no_findings() -> None:
    assert match_usage_findings({0: 0, 1: 5, 2: 7}, {0, 1, 2}, PATH, Protocol.unsupervised) == []


def test_unused_keys_are_one_j005_info_listing_them() -> None:
    diags = match_usage_findings({0: 0, 1: 5, 2: 7, 9: 8}, {1}, PATH, None)
    assert codes(diags) == [Code.MATCH_UNUSED_KEY]
    assert diags[0].severity is Severity.info
    assert "2, 9" in diags[0].message
    # "0" is required, so an image set without background does not make it unused.
    assert "0," not in diags[0].message


def test_many_to_one_is_a_j006_warning_except_when_unsupervised() -> None:
    match = {0: 0, 1: 5, 2: 5, 3: 6}
    messages = {}
    for protocol in [None, *Protocol]:
        diags = [
            d
            for d in match_usage_findings(match, {0, 1, 2, 3}, PATH, protocol)
            if d.code is Code.MATCH_MANY_TO_ONE
        ]
        assert len(diags) == 1
        legitimate = protocol is Protocol.unsupervised
        assert diags[0].severity is (Severity.info if legitimate else Severity.warning)
        assert "1, 2 -> 5" in diags[0].message
        messages[protocol] = diags[0].message + diags[0].hint
    assert "legitimate" in messages[Protocol.unsupervised]
    assert "only under the fully unsupervised" in messages[None]
    for protocol in (Protocol.distance, Protocol.semi, Protocol.free):
        assert "only under the fully unsupervised" in messages[protocol]


def test_zero_key_does_not_make_a_many_to_one() -> None:
    diags = match_usage_findings({0: 0, 4: 0}, {0, 4}, PATH, Protocol.unsupervised)
    assert diags == []


@pytest.mark.parametrize("protocol", [Protocol.distance, Protocol.semi, Protocol.free])
def test_match_outside_unsupervised_is_p005(protocol: Protocol) -> None:
    diags = match_usage_findings({0: 0, 1: 1}, {0, 1}, PATH, protocol)
    assert codes(diags) == [Code.MATCH_OUTSIDE_UNSUPERVISED]
    assert diags[0].severity is Severity.warning
    assert "remap" in diags[0].message


@pytest.mark.parametrize("protocol", [Protocol.unsupervised, None])
def test_match_under_unsupervised_or_unknown_protocol_is_fine(protocol: Protocol | None) -> None:
    assert match_usage_findings({0: 0, 1: 1}, {0, 1}, PATH, protocol) == []


# --- write_match --------------------------------------------------------------------------


def test_write_match_is_canonical_and_loads_back() -> None:
    text = write_match({10: 3, 2: 1, 0: 0, 1: 7})
    assert list(json.loads(text)) == ["0", "1", "2", "10"]
    assert text.startswith('{\n  "0": 0,')
    assert text.endswith("}\n")
    match, diags = load_match(text.encode(), PATH, 50)
    assert diags == []
    assert match == {0: 0, 1: 7, 2: 1, 10: 3}


def test_write_match_adds_zero() -> None:
    assert json.loads(write_match({3: 1})) == {"0": 0, "3": 1}


@pytest.mark.parametrize("bad", [{0: 4}, {-1: 2}, {1: -2}, {1: True}, {1: 2.0}])
def test_write_match_refuses_what_the_checks_would_reject(bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        write_match(bad)


def test_findings_stand_on_the_line_of_their_key() -> None:
    text = '{\n  "0": 1,\n  "7": 60,\n  "08": 2,\n  "9": "3",\n  "10": 1,\n  "10": 2\n}\n'
    _, diags = load_match(text.encode(), PATH, 50)
    found = sorted((d.line, d.code.value, d.message.split(" ")[0]) for d in diags)
    assert found == [
        (2, "J003", "match.json"),  # "0" maps to 1
        (3, "J002", '"7":'),  # above K: its first appearance
        (4, "J002", "key"),  # "08" is not a decimal id
        (5, "J002", '"9":'),  # a string, not an integer
        (7, "J002", "key"),  # "10" again: the line of the repeat
    ]


def test_syntax_and_encoding_errors_name_their_line() -> None:
    _, diags = load_match(b'{\n "0": 0,\n "1": 2,\n}', PATH, 50)
    assert [(d.code, d.line) for d in diags] == [(Code.MATCH_INVALID_JSON, 4)]
    _, diags = load_match(b'{\n "0": 0,\n "1": 2\xff}', PATH, 50)
    assert [(d.code, d.line) for d in diags] == [(Code.MATCH_INVALID_JSON, 3)]


def test_key_lines_reads_strings_that_hold_quotes_colons_and_line_breaks() -> None:
    from submitkit.inputs.match_json import key_lines

    text = '{"a\\": b": "x:\\n",\n"0"\n:\n0, "n": {"0": ":"}}'
    assert key_lines(text) == {'a": b': [1], "0": [2, 4], "n": [4]}


def test_a_key_no_mask_can_hold_is_a_schema_error() -> None:
    mapping, diags = load_match(b'{"0": 0, "65535": 1, "70000": 3}', PATH, 50)
    assert mapping is None
    assert [(d.code, d.line) for d in diags] == [(Code.MATCH_SCHEMA, 1)]
    assert 'key "70000" is above 65535' in diags[0].message
