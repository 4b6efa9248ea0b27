from __future__ import annotations

import pytest

from submitkit.benchmark.protocols import RULES, Protocol, RowKind

# The official rules table, transcribed row by row: a tick per protocol.
TABLE = {
    "imagenet_s_data_only": {"unsupervised", "distance", "semi"},
    "unsupervised_pretraining_only": {"distance"},
    "label_generation_finetuning": {"unsupervised", "free"},
    "finetune_1pct_annotations": {"semi", "free"},
    "supervised_pretrained_weights": {"free"},
    "extra_training_data": {"free"},
    "supervised_edge_saliency": {"free"},
    "validation_test_annotations": set(),
}


def test_table_transcribed() -> None:
    assert {r.key: {p.value for p in r.ticked} for r in RULES} == TABLE


@pytest.mark.parametrize("protocol", list(Protocol))
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.key)
def test_violations_follow_ticks(rule, protocol: Protocol) -> None:  # type: ignore[no-untyped-def]
    ticked = protocol in rule.ticked
    if rule.kind is RowKind.restriction:
        assert rule.violated_by(protocol, False) is ticked
        assert rule.violated_by(protocol, True) is False
    else:
        assert rule.violated_by(protocol, True) is (not ticked)
        assert rule.violated_by(protocol, False) is False


def test_free_protocol_one_rule() -> None:
    forbidden = [r.key for r in RULES if r.violated_by(Protocol.free, True)]
    assert forbidden == ["validation_test_annotations"]
