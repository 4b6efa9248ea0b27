"""The four ImageNet-S leaderboards and their rules table, as data.

The official table has one row per training practice and a tick where a
protocol admits it. Two rows are *restrictions* rather than practices
("ImageNet-S data only", "only unsupervised pre-training"): a tick there means
the protocol demands it. Every other row is a *practice*: without a tick the
protocol forbids it. Checking a method's declarations is then a lookup, never
a chain of special cases.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict


class Protocol(str, Enum):
    """A leaderboard; a submission sent to the wrong one is deleted."""

    unsupervised = "unsupervised"
    distance = "distance"
    semi = "semi"
    free = "free"

    @property
    def label(self) -> str:
        return PROTOCOL_TITLES[self]


PROTOCOL_TITLES: dict[Protocol, str] = {
    Protocol.unsupervised: "fully unsupervised",
    Protocol.distance: "distance matching",
    Protocol.semi: "semi-supervised",
    Protocol.free: "free",
}


class RowKind(str, Enum):
    restriction = "restriction"
    """A tick means the protocol requires this to hold."""
    practice = "practice"
    """A tick means the protocol allows it; no tick forbids it."""


class Rule(BaseModel):
    """One row of the rules table, with the method.txt line that declares it."""

    model_config = ConfigDict(frozen=True)

    key: str
    """Stable identifier, used in JSON output."""
    text: str
    """The row as the official table words it."""
    declaration: str
    """The method.txt field that declares it (value yes/no)."""
    kind: RowKind
    ticked: frozenset[Protocol]

    def violated_by(self, protocol: Protocol, declared: bool) -> bool:
        """Whether declaring ``declared`` for this row breaks ``protocol``."""
        if self.kind is RowKind.restriction:
            return protocol in self.ticked and not declared
        return protocol not in self.ticked and declared

    def explain(self, protocol: Protocol) -> str:
        """The rule in words, as cited in a P001 diagnostic."""
        if self.kind is RowKind.restriction:
            return f'the {protocol.label} protocol requires "{self.text}"'
        return f'the {protocol.label} protocol does not allow "{self.text}"'


_U, _D, _S, _F = Protocol.unsupervised, Protocol.distance, Protocol.semi, Protocol.free

RULES: tuple[Rule, ...] = (
    Rule(
        key="imagenet_s_data_only",
        text="ImageNet-S{50/300/919} data only",
        declaration="ImageNet-S data only",
        kind=RowKind.restriction,
        ticked=frozenset({_U, _D, _S}),
    ),
    Rule(
        key="unsupervised_pretraining_only",
        text="only unsupervised pre-training",
        declaration="Unsupervised pre-training only",
        kind=RowKind.restriction,
        ticked=frozenset({_D}),
    ),
    Rule(
        key="label_generation_finetuning",
        text="label generation and fine-tuning",
        declaration="Label generation and fine-tuning",
        kind=RowKind.practice,
        ticked=frozenset({_U, _F}),
    ),
    Rule(
        key="finetune_1pct_annotations",
        text="fine-tune with the 1% training annotations",
        declaration="Fine-tuned with 1% annotations",
        kind=RowKind.practice,
        ticked=frozenset({_S, _F}),
    ),
    Rule(
        key="supervised_pretrained_weights",
        text="supervised pre-trained weights",
        declaration="Supervised pre-trained weights",
        kind=RowKind.practice,
        ticked=frozenset({_F}),
    ),
    Rule(
        key="extra_training_data",
        text="extra training data",
        declaration="Extra training data",
        kind=RowKind.practice,
        ticked=frozenset({_F}),
    ),
    Rule(
        key="supervised_edge_saliency",
        text="supervised edge / saliency",
        declaration="Supervised edge/saliency",
        kind=RowKind.practice,
        ticked=frozenset({_F}),
    ),
    Rule(
        # The free protocol's one rule binds every protocol.
        key="validation_test_annotations",
        text="image- or pixel-level annotations of the validation/test sets",
        declaration="Validation/test annotations",
        kind=RowKind.practice,
        ticked=frozenset(),
    ),
)

NOTE_1 = (
    "note 1: pre-training on ImageNet-S (919) and fine-tuning on ImageNet-S300/50 is not allowed"
)
"""Applies wherever the "ImageNet-S data only" restriction is ticked."""

NOTE_1_PROTOCOLS: frozenset[Protocol] = RULES[0].ticked

UNSUPERVISED_SCHEME_PROTOCOLS: frozenset[Protocol] = frozenset({_U, _D})
"""Protocols whose `Training scheme` must not name supervision."""

MATCH_JSON_PROTOCOLS: frozenset[Protocol] = frozenset({_U})
"""Protocols under which shipping match.json is expected."""

MANY_TO_ONE_PROTOCOLS: frozenset[Protocol] = frozenset({_U})
"""Protocols under which a many-to-one (over-clustering) match is legitimate."""


def rule(key: str) -> Rule:
    for r in RULES:
        if r.key == key:
            return r
    raise KeyError(key)
