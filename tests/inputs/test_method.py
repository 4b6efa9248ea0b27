"""method.txt: parsing, declarations, protocol rules, writing and field files."""

from __future__ import annotations

import importlib
import itertools
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from submitkit.benchmark.protocols import NOTE_1, RULES, Protocol, RowKind
from submitkit.checks.protocol import protocol_findings
from submitkit.core.diagnostics import Code, Diagnostic, Severity
from submitkit.core.errors import SubmitkitError, UsageError
from submitkit.inputs.method_txt import (
    OFFICIAL_FIELDS,
    MethodInfo,
    load_method_fields,
    parse_method,
)
from submitkit.workflows.method_writer import render_method

PATH = "method.txt"

GOOD_FIELDS = {
    "Method name": "PASS",
    "Training data": "ImageNet-S50 train",
    "Training scheme": "SSL",
    "Networks": "ResNet-50",
    "Paper/Project link": "https://arxiv.org/abs/2106.03149",
    "Method description": "Pixel-level self-supervised learning, then clustering.",
}


def text_of(fields: dict[str, str | None] | None = None, extra: str = "") -> bytes:
    """A method.txt from GOOD_FIELDS with overrides (None drops a field).

    ``extra`` lines go just before the description.
    """
    merged: dict[str, str | None] = {**GOOD_FIELDS, **(fields or {})}
    lines = [f"{k}: {v}" for k, v in merged.items() if v is not None and k != "Method description"]
    lines += [extra] if extra else []
    if merged["Method description"] is not None:
        lines.append(f"Method description: {merged['Method description']}")
    return ("\n".join(lines) + "\n").encode()


def parse(data: bytes) -> tuple[MethodInfo, list[Diagnostic]]:
    info, diags = parse_method(data, PATH)
    assert info is not None
    return info, diags


def codes(diags: list[Diagnostic]) -> list[Code]:
    return [d.code for d in diags]


def info_with(
    declarations: dict[str, bool] | None = None,
    protocol: Protocol | None = None,
    track: int | None = None,
    **fields: str,
) -> MethodInfo:
    merged = dict(GOOD_FIELDS)
    for key, value in fields.items():
        merged[key.replace("_", " ").capitalize()] = value
    return MethodInfo(
        fields=dict(merged), protocol=protocol, track=track, declarations=declarations or {}
    )


# --- reading the official fields -------------------------------------------------------------


def test_good_file_parses_cleanly() -> None:
    info, diags = parse(text_of())
    assert diags == []
    assert info.fields == GOOD_FIELDS
    assert info.protocol is None and info.track is None and info.declarations == {}


def test_official_script_output_with_null_link_bom_and_crlf_is_fine() -> None:
    data = (
        "\ufeffMethod name: PASS\r\nTraining data: ImageNet-S50 train\r\n"
        "Training scheme: SSL\r\nNetworks: ResNet-18\r\nPaper/Project link: null\r\n"
        "Method description: line one\r\nline two\r\n"
    ).encode()
    info, diags = parse(data)
    assert diags == []
    assert info.fields["Paper/Project link"] == "null"
    assert info.fields["Method description"] == "line one\nline two"


def test_field_names_are_case_and_space_tolerant() -> None:
    data = b"METHOD NAME : PASS\ntraining data:ImageNet-S50\nTraining  scheme :SSL\n"
    data += b"networks: R50\npaper / project link: null\nmethod description : text\n"
    info, diags = parse(data)
    assert diags == []
    assert info.fields["Training scheme"] == "SSL"
    assert info.fields["Paper/Project link"] == "null"


@pytest.mark.parametrize("data", ["Method name: caf\xe9\n".encode("latin-1"), "x".encode("utf-16")])
def test_not_utf8_is_t008(data: bytes) -> None:
    info, diags = parse_method(data, PATH)
    assert info is None
    assert codes(diags) == [Code.METHOD_ENCODING]


def test_utf16_is_named() -> None:
    _, diags = parse_method("Method name: x".encode("utf-16"), PATH)
    assert "UTF-16" in diags[0].message


@pytest.mark.parametrize("field", OFFICIAL_FIELDS)
def test_missing_field_is_one_t002(field: str) -> None:
    info, diags = parse(text_of({field: None}))
    assert codes(diags) == [Code.METHOD_FIELD_MISSING]
    assert field in diags[0].message
    assert info.fields[field] is None


def test_every_missing_field_is_reported() -> None:
    _, diags = parse(b"")
    assert codes(diags) == [Code.METHOD_FIELD_MISSING] * 6


def test_field_swallowed_by_the_description_gets_a_move_it_hint() -> None:
    data = text_of({"Networks": None}) + b"Networks: ResNet-50\n"
    _, diags = parse(data)
    assert codes(diags) == [Code.METHOD_FIELD_MISSING]
    assert "move it above" in diags[0].hint


@pytest.mark.parametrize("field", OFFICIAL_FIELDS)
def test_empty_field_is_t003(field: str) -> None:
    _, diags = parse(text_of({field: "  "}))
    assert codes(diags) == [Code.METHOD_FIELD_EMPTY]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("Method name", "null"),
        ("Method name", "None"),
        ("Networks", "N/A"),
        ("Training data", "TODO"),
        ("Training scheme", "TBD"),
        ("Networks", "xxx"),
        ("Networks", "..."),
        ("Method name", "<name>"),
        ("Training scheme", "<e.g. SSL, Sup, SSL+Sup>"),
        ("Networks", "ViT-<size>"),
        ("Method description", "<free text>"),
        ("Method description", "TODO: describe"),
        ("Paper/Project link", "none"),
        ("Paper/Project link", "TBD"),
        ("Paper/Project link", "<url or null>"),
    ],
)
def test_placeholders_are_t004_warnings(field: str, value: str) -> None:
    _, diags = parse(text_of({field: value}))
    assert codes(diags) == [Code.METHOD_PLACEHOLDER]
    assert diags[0].severity is Severity.warning


def test_angle_brackets_in_a_description_are_text() -> None:
    _, diags = parse(text_of({"Method description": "We predict a <mask> token when a < b."}))
    assert diags == []


@pytest.mark.parametrize("link", ["null", "NULL", "http://example.org", "https://x.org/a?b=1"])
def test_null_and_urls_are_fine_links(link: str) -> None:
    assert parse(text_of({"Paper/Project link": link}))[1] == []


@pytest.mark.parametrize(
    ("link", "hint"),
    [
        ("arxiv.org/abs/2106.03149", "https://arxiv.org/abs/2106.03149"),
        ("arXiv:2106.03149", "https://arxiv.org/abs/2106.03149"),
        ("ftp://example.org/paper.pdf", "http(s)"),
        ("https://a.org https://b.org", "single URL"),
        ("see our paper", "null"),
    ],
)
def test_bad_link_is_t005_with_a_usable_hint(link: str, hint: str) -> None:
    _, diags = parse(text_of({"Paper/Project link": link}))
    assert codes(diags) == [Code.METHOD_BAD_LINK]
    assert diags[0].severity is Severity.warning
    assert hint in diags[0].hint


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("Link: https://x.org", "Paper/Project link"),
        ("Protocl: semi", "Protocol"),
        ("we trained for 200 epochs", "Method description"),
        ("Batch size: 256", "Method description"),
    ],
)
def test_unknown_line_before_description_is_t006(line: str, hint: str) -> None:
    _, diags = parse(text_of(extra=line))
    assert codes(diags) == [Code.METHOD_UNKNOWN_LINE]
    assert diags[0].severity is Severity.warning
    assert hint in diags[0].hint


def test_anything_after_description_is_description_text() -> None:
    data = text_of() + b"Batch size: 256\nrandom prose\n"
    info, diags = parse(data)
    assert diags == []
    assert info.fields["Method description"] is not None
    assert info.fields["Method description"].endswith("Batch size: 256\nrandom prose")


@pytest.mark.parametrize(
    "line",
    ["Protocol: supervised", "Protocol: 3", "Track: 100", "Track: ImageNet-S51",
     "Extra training data: maybe", "Validation/test annotations: 2"],
)  # fmt: skip
def test_unreadable_declaration_is_t007(line: str) -> None:
    info, diags = parse(text_of(extra=line))
    assert codes(diags) == [Code.METHOD_BAD_DECLARATION]
    assert diags[0].severity is Severity.error
    assert info.protocol is None and info.track is None and info.declarations == {}


def test_same_field_twice_with_different_values_is_t009() -> None:
    _, diags = parse(text_of(extra="Method name: Other"))
    assert codes(diags) == [Code.METHOD_DUPLICATE_FIELD]


def test_same_field_twice_with_the_same_value_is_fine() -> None:
    info, diags = parse(text_of(extra="method name: PASS"))
    assert diags == []
    assert info.fields["Method name"] == "PASS"


def test_conflicting_declarations_are_t009_and_equal_ones_are_fine() -> None:
    _, diags = parse(text_of(extra="Track: 50\nTrack: ImageNet-S300"))
    assert codes(diags) == [Code.METHOD_DUPLICATE_FIELD]
    assert '"50"' in diags[0].message
    _, diags = parse(text_of(extra="Extra training data: yes\nExtra training data: y"))
    assert diags == []


# --- reading declarations --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("unsupervised", Protocol.unsupervised),
        ("Fully unsupervised", Protocol.unsupervised),
        ("fully-unsupervised", Protocol.unsupervised),
        ("distance", Protocol.distance),
        ("Distance Matching", Protocol.distance),
        ("semi", Protocol.semi),
        ("semi-supervised", Protocol.semi),
        ("Semi supervised protocol", Protocol.semi),
        ("free", Protocol.free),
        ("FREE", Protocol.free),
    ],
)
def test_protocol_spellings(value: str, expected: Protocol) -> None:
    info, diags = parse(text_of(extra=f"Protocol: {value}"))
    assert diags == []
    assert info.protocol is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50),
        ("300", 300),
        ("919", 919),
        ("ImageNet-S50", 50),
        ("ImageNetS300", 300),
        ("imagenet-s", 919),
        ("ImageNet-S919", 919),
    ],
)
def test_track_spellings(value: str, expected: int) -> None:
    info, diags = parse(text_of(extra=f"Track : {value}"))
    assert diags == []
    assert info.track == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("yes", True), ("Y", True), ("true", True), ("no", False), ("N", False), ("False", False)],
)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.key)
def test_every_rule_row_is_a_declaration(rule: Any, value: str, expected: bool) -> None:
    info, diags = parse(text_of(extra=f"{rule.declaration.upper()}: {value}"))
    assert diags == []
    assert info.declarations == {rule.key: expected}


def test_declarations_appended_after_the_description_are_read() -> None:
    data = text_of() + b"\nProtocol: semi\nTrack: 300\nExtra training data: no\n\n"
    info, diags = parse(data)
    assert diags == []
    assert info.protocol is Protocol.semi and info.track == 300
    assert info.declarations == {"extra_training_data": False}
    assert info.fields["Method description"] == GOOD_FIELDS["Method description"]


def test_declaration_like_prose_inside_the_description_is_not_read() -> None:
    data = text_of() + b"Protocol: we first pre-train\nthen cluster.\n"
    info, diags = parse(data)
    assert diags == []
    assert info.protocol is None


# --- protocol_findings --------------------------------------------------------------------------


def test_no_protocol_given_or_declared_means_no_checks() -> None:
    info = info_with({"extra_training_data": True}, training_scheme="Sup")
    assert protocol_findings(info, None, 50, PATH) == []


def test_declared_protocol_is_used_when_none_is_given() -> None:
    info = info_with({"extra_training_data": True}, protocol=Protocol.unsupervised)
    assert codes(protocol_findings(info, None, None, PATH)) == [Code.PROTOCOL_VIOLATION]


def test_declared_protocol_differing_from_given_is_p004() -> None:
    info = info_with(protocol=Protocol.semi)
    diags = protocol_findings(info, Protocol.free, None, PATH)
    assert codes(diags) == [Code.PROTOCOL_MISMATCH]
    assert "Protocol: free" in diags[0].hint
    assert protocol_findings(info, Protocol.semi, None, PATH) == []


def test_declared_track_differing_from_given_is_p004() -> None:
    info = info_with(track=300, protocol=Protocol.free)
    diags = protocol_findings(info, None, 50, PATH)
    assert codes(diags) == [Code.PROTOCOL_MISMATCH]
    assert "Track: 50" in diags[0].hint
    assert protocol_findings(info, None, 300, PATH) == []


_U, _D, _S, _F = Protocol.unsupervised, Protocol.distance, Protocol.semi, Protocol.free

# The rules table of the ImageNet-S README, transcribed independently of protocols.py.
TABLE: dict[str, tuple[str, set[Protocol]]] = {
    "imagenet_s_data_only": ("restriction", {_U, _D, _S}),
    "unsupervised_pretraining_only": ("restriction", {_D}),
    "label_generation_finetuning": ("practice", {_U, _F}),
    "finetune_1pct_annotations": ("practice", {_S, _F}),
    "supervised_pretrained_weights": ("practice", {_F}),
    "extra_training_data": ("practice", {_F}),
    "supervised_edge_saliency": ("practice", {_F}),
    "validation_test_annotations": ("practice", set()),
}


def test_table_covers_every_rule() -> None:
    assert set(TABLE) == {r.key for r in RULES}
    for r in RULES:
        assert TABLE[r.key][0] == r.kind.value


@pytest.mark.parametrize(
    ("rule", "protocol", "declared"),
    list(itertools.product(RULES, Protocol, [True, False])),
    ids=lambda x: getattr(x, "key", str(x)),
)
def test_p001_follows_the_rules_table(rule: Any, protocol: Protocol, declared: bool) -> None:
    kind, ticked = TABLE[rule.key]
    # A tick on a restriction demands it; a missing tick on a practice forbids it.
    expected = (
        (not declared and protocol in ticked)
        if kind == "restriction"
        else (declared and protocol not in ticked)
    )
    info = info_with({rule.key: declared})
    diags = protocol_findings(info, protocol, 50, PATH)
    assert codes(diags) == ([Code.PROTOCOL_VIOLATION] if expected else [])
    if expected:
        assert rule.explain(protocol) in diags[0].message
        assert diags[0].severity is Severity.error
        answer = "no" if declared else "yes"
        assert f"{rule.declaration}: {answer}" in diags[0].hint


def test_p001_hint_names_the_leaderboard_that_fits() -> None:
    info = info_with({"finetune_1pct_annotations": True})
    diags = protocol_findings(info, Protocol.unsupervised, 50, PATH)
    assert "semi-supervised or free" in diags[0].hint


def test_rule_kinds_are_the_two_known_ones() -> None:
    assert {r.kind for r in RULES} == {RowKind.restriction, RowKind.practice}


@pytest.mark.parametrize(
    ("scheme", "supervised"),
    [
        ("Sup", True),
        ("SSL+Sup", True),
        ("SSL / Sup", True),
        ("supervised", True),
        ("Supervised fine-tuning", True),
        ("semi-supervised", True),
        ("unsupervised", False),
        ("Unsup", False),
        ("self-supervised", False),
        ("Self supervised + clustering", False),
        ("SSL", False),
        ("no supervision", False),
        ("SSL w/o supervision", False),
    ],
)
@pytest.mark.parametrize("protocol", list(Protocol))
def test_p002_supervised_scheme(scheme: str, supervised: bool, protocol: Protocol) -> None:
    info = info_with(training_scheme=scheme)
    diags = protocol_findings(info, protocol, 919, PATH)
    expected = supervised and protocol in (Protocol.unsupervised, Protocol.distance)
    assert codes(diags) == ([Code.PROTOCOL_SUPERVISED_SCHEME] if expected else [])


@pytest.mark.parametrize(
    ("data", "forbidden"),
    [
        ("ImageNet-S50", False),
        ("ImageNet-S50 train", False),
        ("ImageNetS50 train set", False),
        ("ImageNet-S50 (a subset of ImageNet)", False),
        ("ImageNet-S919", True),
        ("ImageNet-S", True),
        ("ImageNet-S (919 classes)", True),
        ("ImageNet-S919 pre-training, ImageNet-S50 fine-tuning", True),
        ("ImageNet-1k", True),
        ("IN-1K", True),
        ("full ImageNet", True),
        ("ImageNet", True),
        ("ILSVRC2012 train", True),
        ("ILSVRC-2012", True),
    ],
)
def test_p003_note_1_on_the_50_track(data: str, forbidden: bool) -> None:
    info = info_with(training_data=data)
    diags = protocol_findings(info, Protocol.unsupervised, 50, PATH)
    assert codes(diags) == ([Code.PROTOCOL_NOTE1] if forbidden else [])
    if forbidden:
        assert NOTE_1 in diags[0].message
        assert "ImageNet-S50 train" in diags[0].hint


def test_p003_applies_to_300_and_uses_the_declared_track() -> None:
    info = info_with(training_data="ImageNet-S919", track=300)
    assert codes(protocol_findings(info, Protocol.semi, None, PATH)) == [Code.PROTOCOL_NOTE1]
    info = info_with(training_data="ImageNet-S300 train", track=300)
    assert protocol_findings(info, Protocol.semi, None, PATH) == []


@pytest.mark.parametrize(
    ("protocol", "track"),
    [(Protocol.free, 50), (Protocol.unsupervised, 919), (Protocol.semi, None)],
)
def test_p003_not_applied_outside_note_1(protocol: Protocol, track: int | None) -> None:
    info = info_with(training_data="ImageNet-1k")
    assert protocol_findings(info, protocol, track, PATH) == []


# --- render_method ------------------------------------------------------------------------------


def consistent_declarations(protocol: Protocol) -> dict[str, bool]:
    """Every row declared, with a value the protocol accepts."""
    out = {}
    for key, (kind, ticked) in TABLE.items():
        out[key] = protocol in ticked
        if kind == "restriction" and protocol not in ticked:
            out[key] = False
    return out


@pytest.mark.parametrize("track", [50, 300, 919])
@pytest.mark.parametrize("protocol", list(Protocol))
@pytest.mark.parametrize("declare", [False, True])
def test_render_round_trips(protocol: Protocol, track: int, declare: bool) -> None:
    fields = {**GOOD_FIELDS, "Training data": f"ImageNet-S{track} train"}
    declarations = consistent_declarations(protocol) if declare else None
    text = render_method(fields, protocol, track, declarations)
    info, diags = parse(text.encode())
    assert [d for d in diags if d.severity is Severity.error] == []
    assert diags == []
    assert info.protocol is protocol and info.track == track
    assert info.declarations == (declarations or {})
    assert info.fields == fields
    assert protocol_findings(info, protocol, track, PATH) == []
    assert protocol_findings(info, None, None, PATH) == []


def test_render_writes_the_official_order_with_declarations_before_description() -> None:
    text = render_method(GOOD_FIELDS, Protocol.semi, 50, {"finetune_1pct_annotations": True})
    names = [line.split(":", 1)[0] for line in text.splitlines()]
    assert names == [
        *OFFICIAL_FIELDS[:-1],
        "Protocol",
        "Track",
        "Fine-tuned with 1% annotations",
        "Method description",
    ]


def test_render_accepts_snake_case_keeps_multiline_description_and_defaults_link() -> None:
    fields = {
        "method_name": "PASS",
        "training_data": "ImageNet-S300 train",
        "training_scheme": "SSL",
        "networks": "ResNet-50\n+ FPN",
        "description": "First line.\nSecond line.",
    }
    info, diags = parse(render_method(fields, Protocol.unsupervised, 300).encode())
    assert diags == []
    assert info.fields["Paper/Project link"] == "null"
    assert info.fields["Networks"] == "ResNet-50 + FPN"
    assert info.fields["Method description"] == "First line.\nSecond line."


@pytest.mark.parametrize(
    ("fields", "protocol", "declarations", "said"),
    [
        ({**GOOD_FIELDS, "Networks": ""}, Protocol.free, None, "Networks"),
        ({k: v for k, v in GOOD_FIELDS.items() if k != "Method name"}, Protocol.free, None, "name"),
        (GOOD_FIELDS, Protocol.unsupervised, {"extra_training_data": True}, "P001"),
        ({**GOOD_FIELDS, "Training scheme": "SSL+Sup"}, Protocol.distance, None, "P002"),
        ({**GOOD_FIELDS, "Training data": "ImageNet-1k"}, Protocol.semi, None, "P003"),
        ({**GOOD_FIELDS, "batch_size": "256"}, Protocol.free, None, "batch_size"),
        (GOOD_FIELDS, Protocol.free, {"no_such_row": True}, "no_such_row"),
    ],
)
def test_render_refuses_to_write_a_failing_file(
    fields: dict[str, str],
    protocol: Protocol,
    declarations: dict[str, bool] | None,
    said: str,
) -> None:
    with pytest.raises(UsageError) as caught:
        render_method(fields, protocol, 50, declarations)
    assert said in caught.value.message
    assert caught.value.hint


def test_render_refuses_an_unknown_track() -> None:
    with pytest.raises(UsageError):
        render_method(GOOD_FIELDS, Protocol.free, 100)


# --- load_method_fields -------------------------------------------------------------------------

SNAKE = {
    "method_name": "PASS",
    "training_data": "ImageNet-S50 train",
    "training_scheme": "SSL",
    "networks": "ResNet-50",
    "link": "null",
    "description": "Text.",
}
OFFICIAL = dict(zip(OFFICIAL_FIELDS, SNAKE.values(), strict=True))


def toml_of(values: dict[str, str]) -> str:
    return "".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in values.items())


def test_load_fields_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "method.toml"
    path.write_text(toml_of(SNAKE), encoding="utf-8")
    assert load_method_fields(path) == OFFICIAL


def test_load_fields_from_a_method_table_with_official_names(tmp_path: Path) -> None:
    path = tmp_path / "method.toml"
    path.write_text("[method]\n" + toml_of(OFFICIAL), encoding="utf-8")
    assert load_method_fields(path) == OFFICIAL


def test_load_fields_from_json_with_null_link(tmp_path: Path) -> None:
    path = tmp_path / "method.json"
    path.write_text(json.dumps({**SNAKE, "link": None}), encoding="utf-8")
    assert load_method_fields(path) == OFFICIAL


def test_load_fields_from_yaml_when_pyyaml_is_there(tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    path = tmp_path / "method.yaml"
    path.write_text("".join(f"{k}: {v}\n" for k, v in SNAKE.items()), encoding="utf-8")
    assert load_method_fields(path) == OFFICIAL


def test_yaml_without_pyyaml_says_to_use_toml_or_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.import_module

    def no_yaml(name: str, package: str | None = None) -> types.ModuleType:
        if name == "yaml":
            raise ModuleNotFoundError("No module named 'yaml'")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", no_yaml)
    path = tmp_path / "method.yml"
    path.write_text("method_name: PASS\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_method_fields(path)
    assert "TOML" in caught.value.hint and "JSON" in caught.value.hint


def test_toml_falls_back_to_tomli_without_tomllib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    fake = types.ModuleType("tomli")

    def loads(text: str) -> dict[str, Any]:
        calls.append(text)
        return dict(SNAKE)

    fake.loads = loads  # type: ignore[attr-defined]
    real = importlib.import_module
    monkeypatch.setattr(sys, "version_info", (3, 10, 12, "final", 0))
    monkeypatch.setattr(
        importlib,
        "import_module",
        lambda name, package=None: fake if name == "tomli" else real(name, package),
    )
    path = tmp_path / "method.toml"
    path.write_text('method_name = "PASS"\n', encoding="utf-8")
    assert load_method_fields(path) == OFFICIAL
    assert calls == ['method_name = "PASS"\n']


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("method.toml", 'method_name = "PASS"\ntrainig_data = "x"\n', "trainig_data"),
        ("method.toml", "networks = 50\n", "networks"),
        ("method.toml", "method_name = \n", "TOML"),
        ("method.json", "[1, 2]", "table"),
        ("method.ini", "x", "extension"),
    ],
)
def test_bad_field_files_are_usage_errors(
    tmp_path: Path, name: str, content: str, said: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_method_fields(path)
    assert said in caught.value.message


def test_missing_field_file_is_a_submitkit_error(tmp_path: Path) -> None:
    with pytest.raises(SubmitkitError):
        load_method_fields(tmp_path / "absent.toml")


def test_loaded_fields_render(tmp_path: Path) -> None:
    path = tmp_path / "method.toml"
    path.write_text(toml_of(SNAKE), encoding="utf-8")
    text = render_method(load_method_fields(path), Protocol.unsupervised, 50)
    assert parse(text.encode())[1] == []


def test_pass_default_method_txt_is_judged_the_same_in_every_field() -> None:
    # What PASS's inference.py writes when given no --method, --train_data, ... options
    # (no trailing newline): "example submission" and `null` are its defaults, placeholders
    # in every field; only the link's `null` is the official "unpublished".
    data = (
        b"Method name: example submission\nTraining data: null\nTraining scheme: null\n"
        b"Networks: resnet18\nPaper/Project link: null\nMethod description: null"
    )
    _, diags = parse(data)
    flagged = {(d.code, d.line) for d in diags}
    assert flagged == {(Code.METHOD_PLACEHOLDER, n) for n in (1, 2, 3, 6)}
    assert all(d.severity is Severity.warning for d in diags)
