"""method.txt held to a protocol's rules: the P-codes, from the rules table.

Reading method.txt (its fields and declarations) is an input concern
(:mod:`submitkit.inputs.method_txt`); judging what it declares against the
leaderboard it is for is the check's, here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from submitkit.benchmark.protocols import (
    NOTE_1,
    NOTE_1_PROTOCOLS,
    PROTOCOL_TITLES,
    RULES,
    UNSUPERVISED_SCHEME_PROTOCOLS,
    Protocol,
    Rule,
)
from submitkit.benchmark.tracks import TRACKS
from submitkit.core.diagnostics import Code, Diagnostic
from submitkit.inputs.method_txt import (
    PROTOCOL_FIELD,
    TRACK_FIELD,
    TRAINING_DATA,
    TRAINING_SCHEME,
    MethodInfo,
)

_NEGATIONS = frozenset({"no", "non", "not", "un", "without"})
_SUPERVISION_WORDS = frozenset({"sup", "supervised", "supervision"})


def supervision_word(scheme: str) -> str | None:
    """The word of ``scheme`` that names supervision, if any.

    "Sup", "SSL+Sup", "supervised", "semi-supervised" name it; "unsupervised",
    "Unsup", "self-supervised", "SSL" and "no supervision" do not.
    """
    text = scheme.casefold()
    # Self-supervision is the unsupervised protocols' own tool: fold it away first.
    text = re.sub(r"self[\s_-]*sup(?:ervised|ervision)?\b", "ssl", text)
    text = text.replace("w/o", "without")
    words: list[str] = re.findall(r"[a-z]+", text)
    for i, word in enumerate(words):
        if word in _SUPERVISION_WORDS and (i == 0 or words[i - 1] not in _NEGATIONS):
            return word
    return None


_IMAGENET_S = re.compile(r"\bimagenet[\s_-]?s(?:[\s_-]?(\d+))?(?![a-z0-9])", re.IGNORECASE)
_OUTSIDE_DATA = re.compile(
    r"\bimagenet[\s_-]?(?:1k|1000|2[12]k)\b"
    r"|\bin[_-]?(?:1k|2[12]k)\b"
    r"|\b(?:full|whole|entire)\s+imagenet\b"
    r"|\bilsvrc[\s_-]?(?:20)?1[0-7]\b(?![\s_-]*val)"
    r"|\bilsvrc\b(?![\s_-]*(?:20)?1[0-7])",
    re.IGNORECASE,
)
_BARE_IMAGENET = re.compile(r"\bimagenet(?![\s_-]?(?:s(?![a-z])|s?\d))\b", re.IGNORECASE)


def note1_datasets(training_data: str, track: int) -> list[str]:
    """The datasets named in ``training_data`` that note 1 forbids on a 50/300 track."""
    found: list[str] = []
    for m in _IMAGENET_S.finditer(training_data):
        if m.group(1) not in ("50", "300"):
            found.append(m.group(0))
    found += [m.group(0) for m in _OUTSIDE_DATA.finditer(training_data)]
    # "ImageNet" alone means the full dataset unless the track's own data is named,
    # as in "ImageNet-S50 (a subset of ImageNet)".
    own = re.search(rf"\bimagenet[\s_-]?s[\s_-]?{track}(?!\d)", training_data, re.IGNORECASE)
    if own is None and not found:
        found += [m.group(0) for m in _BARE_IMAGENET.finditer(training_data)]
    return list(dict.fromkeys(found))


def fitting_protocols(declarations: Mapping[str, bool]) -> list[Protocol]:
    """The protocols whose rules every declared rules-table row satisfies."""
    rules = {r.key: r for r in RULES}
    return [
        p
        for p in Protocol
        if not any(rules[key].violated_by(p, value) for key, value in declarations.items())
    ]


def protocol_findings(
    info: MethodInfo, protocol: Protocol | None, track: int | None, path: str
) -> list[Diagnostic]:
    """Judge method.txt against a protocol's rules (P001-P004).

    The protocol checked is ``protocol`` when given, else the one method.txt
    declares; with neither there is nothing to check. ``track`` likewise falls
    back to the declared one.
    """
    effective = protocol if protocol is not None else info.protocol
    if effective is None:
        return []
    diags = _mismatches(info, protocol, track, path)
    fits = fitting_protocols(info.declarations)
    for rule in RULES:
        if rule.key in info.declarations:
            declared = info.declarations[rule.key]
            if rule.violated_by(effective, declared):
                violation = _violation(path, rule, effective, declared, fits)
                line = info.lines.get(rule.declaration)
                diags.append(violation.model_copy(update={"line": line}))
    diags += _scheme_findings(info, effective, path)
    diags += _note1_findings(info, effective, track if track is not None else info.track, path)
    return diags


def _mismatches(
    info: MethodInfo, protocol: Protocol | None, track: int | None, path: str
) -> list[Diagnostic]:
    """P001: a declared protocol or track other than the one checked."""
    diags: list[Diagnostic] = []
    if protocol is not None and info.protocol is not None and info.protocol is not protocol:
        diags.append(
            Code.PROTOCOL_MISMATCH.at(
                path,
                f'method.txt declares "{PROTOCOL_FIELD}: {info.protocol.value}" '
                f"({PROTOCOL_TITLES[info.protocol]}) but the submission is checked for the "
                f"{PROTOCOL_TITLES[protocol]} protocol",
                "a submission on the wrong leaderboard is deleted: write "
                f"`{PROTOCOL_FIELD}: {protocol.value}` if that is the leaderboard, or check "
                f"it for the {PROTOCOL_TITLES[info.protocol]} protocol",
                line=info.lines.get(PROTOCOL_FIELD),
            )
        )
    if track is not None and info.track is not None and info.track != track:
        checked = f"{TRACKS[track].name} (K = {track})" if track in TRACKS else f"K = {track}"
        diags.append(
            Code.PROTOCOL_MISMATCH.at(
                path,
                f'method.txt declares "{TRACK_FIELD}: {info.track}" but the submission is '
                f"checked for the {checked} track",
                f"write `{TRACK_FIELD}: {track}`, or check the submission against the "
                f"{info.track} track if that is the one it was made for",
                line=info.lines.get(TRACK_FIELD),
            )
        )
    return diags


def _scheme_findings(info: MethodInfo, effective: Protocol, path: str) -> list[Diagnostic]:
    """A training scheme that names supervision, on a protocol that allows none."""
    scheme = info.fields.get(TRAINING_SCHEME)
    if effective not in UNSUPERVISED_SCHEME_PROTOCOLS or not scheme:
        return []
    word = supervision_word(scheme)
    if word is None:
        return []
    return [
        Code.PROTOCOL_SUPERVISED_SCHEME.at(
            path,
            f'"{TRAINING_SCHEME}: {scheme}" names supervision ("{word}"), which the '
            f"{PROTOCOL_TITLES[effective]} protocol does not allow",
            f"if no human labels were used write `{TRAINING_SCHEME}: SSL`; if they "
            "were, the submission belongs to the semi-supervised or free protocol",
            line=info.lines.get(TRAINING_SCHEME),
        )
    ]


def _note1_findings(
    info: MethodInfo, effective: Protocol, track: int | None, path: str
) -> list[Diagnostic]:
    """Training data beyond the track's own, where note 1 of the rules forbids it."""
    data = info.fields.get(TRAINING_DATA)
    if effective not in NOTE_1_PROTOCOLS or track not in (50, 300) or not data:
        return []
    assert track is not None
    named = note1_datasets(data, track)
    if not named:
        return []
    return [
        Code.PROTOCOL_NOTE1.at(
            path,
            f'"{TRAINING_DATA}: {data}" names {", ".join(map(repr, named))}, but on '
            f"the ImageNet-S{track} track the {PROTOCOL_TITLES[effective]} "
            "protocol "
            f"allows only ImageNet-S{track} data ({NOTE_1})",
            f"train on the track's own data only and write `{TRAINING_DATA}: "
            f"ImageNet-S{track} train`, or submit to the free protocol",
            line=info.lines.get(TRAINING_DATA),
        )
    ]


def _violation(
    path: str, rule: Rule, protocol: Protocol, declared: bool, fits: list[Protocol]
) -> Diagnostic:
    answer = "yes" if declared else "no"
    others = [p for p in fits if p is not protocol]
    if others:
        where = " or ".join(PROTOCOL_TITLES[p] for p in others)
        move = f"if the line is true, the submission belongs to the {where} protocol"
    else:
        move = "if the line is true, no leaderboard accepts the submission"
    return Code.PROTOCOL_VIOLATION.at(
        path,
        f'method.txt declares "{rule.declaration}: {answer}", but {rule.explain(protocol)}',
        f"{move}; if it is not, write `{rule.declaration}: {'no' if declared else 'yes'}`",
    )
