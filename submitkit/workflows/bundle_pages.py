"""The pages of a competition bundle, written from the models the check itself uses.

The rules table comes from ``benchmark.protocols.RULES``, the submission
format from the layout and method.txt models, the metrics from the leaderboard
columns: a page can never promise what the scoring program does not check.
"""

from __future__ import annotations

from submitkit.benchmark.protocols import NOTE_1, PROTOCOL_TITLES, RULES, Protocol, RowKind
from submitkit.benchmark.tracks import Split, Track
from submitkit.inputs.layout import MATCH_FILE, METHOD_FILE
from submitkit.scoring.leaderboard import COLUMNS
from submitkit.workflows.bundle_kit import WHEEL, method_template


def overview_page(
    track: Track,
    protocol: Protocol,
    references: list[tuple[Split, int]],
    dates: list[tuple[str, str | None]],
) -> str:
    label = PROTOCOL_TITLES[protocol]
    phases = "\n".join(
        f"- **{'Development' if split is Split.validation else 'Final'}**: the {n} "
        f"{split.value} images, from {start}" + (f" to {end}" if end else "")
        for (split, n), (start, end) in zip(references, dates, strict=True)
    )
    return (
        f"# {track.name}: large-scale unsupervised semantic segmentation\n\n"
        f"Predict a segmentation mask for each image of the {track.name} track "
        f"({track.k} classes), under the **{label}** protocol's rules (see Protocol rules). "
        "The phases run one after the other:\n\n"
        f"{phases}\n\n"
        "Every submission is checked before it is scored (file names, mask format, "
        "method.txt, match.json, the protocol's rules). A submission with an error gets "
        "no score: its log lists each finding with the file it concerns and how to fix "
        "it.\n\n"
        "Run the same check on your machine first: download the starting kit from the "
        "phase's files and follow its README (submitkit is not on the package index: "
        f"the kit carries it, `pip install {WHEEL}`). `submitkit check` with the kit's "
        f"manifest and `--protocol {protocol.value}` prints exactly what the scoring "
        "program will find.\n"
    )


def evaluation_page(track: Track) -> str:
    rows = "\n".join(f"| `{c.key}` | {c.title} |" for c in COLUMNS)
    return (
        "# Evaluation\n\n"
        "Scores are the official ImageNet-S metrics, computed on CPU with exact integer "
        "counts by submitkit (which reproduces the official evaluator on its parity "
        "cases). Pixels marked 1000 (ignore) in the ground truth are not scored. mIoU "
        f"averages the IoU of all {track.k + 1} classes, class 0 (other) included, and "
        "ranks the leaderboard.\n\n"
        "| column | metric |\n|---|---|\n"
        f"{rows}\n\n"
        "Size buckets follow the toolbox: each ground-truth object's share of its "
        "image's scored pixels, rounded up, is small (at most 5 %), medium-small (25 %), "
        "medium-large (50 %) or large. A bucket no object falls in shows 0.\n"
    )


def rules_page() -> str:
    protocols = list(Protocol)
    head = "| | " + " | ".join(PROTOCOL_TITLES[p] for p in protocols) + " |"
    rule = "|---|" + "---|" * len(protocols)
    lines = [head, rule]
    for r in RULES:
        if not r.ticked and r.kind is RowKind.practice:
            continue
        ticks = " | ".join("✓" if p in r.ticked else "" for p in protocols)
        lines.append(f"| {r.text} | {ticks} |")
    forbidden = [r.text for r in RULES if not r.ticked and r.kind is RowKind.practice]
    return (
        "# Protocol rules\n\n"
        "A tick in a restriction row (the first two) means the protocol requires it; "
        "a tick in any other row means the protocol allows that practice, and no tick "
        "forbids it.\n\n" + "\n".join(lines) + "\n\n"
        f"- {NOTE_1}.\n"
        + "".join(f"- No protocol allows {text}.\n" for text in forbidden)
        + "\nThe method.txt declarations (below each protocol's example in the submission "
        "page) are checked against this table; a submission breaking its phase's rules "
        "is not scored.\n"
    )


def submission_page(track: Track, protocol: Protocol) -> str:
    return (
        "# Submission format\n\n"
        "A zip whose root (no enclosing folder) holds:\n\n"
        "```\n"
        "<wnid>/<image stem>.png    one mask per image of the phase's split, in the "
        "image's own folder\n"
        f"{METHOD_FILE}                 the description of the method\n"
        f"{MATCH_FILE}                 optional: predicted id -> class (fully unsupervised)\n"
        "```\n\n"
        "Each mask is an 8-bit RGB PNG of the source image's exact height and width, "
        "with the class id encoded as R + 256·G and B = 0; ids are 0 (other) and "
        f"1..{track.k} (the classes, in the order of the official category list), or "
        "cluster ids mapped by match.json. No junk (`__MACOSX/`, `.DS_Store`). The "
        "starting kit's manifests list every image with its size.\n\n"
        f"## method.txt ({PROTOCOL_TITLES[protocol]} protocol)\n\n"
        f"```\n{method_template(track, protocol)}```\n"
    )


def terms_page() -> str:
    return (
        "# Terms\n\n"
        "Submit predictions made under the rules of the phase you submit to. Image- or "
        "pixel-level annotations of the validation or test images must not be used for "
        "training in any phase. The organisers may remove submissions that break the "
        "rules.\n"
    )
