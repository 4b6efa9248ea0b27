"""What a bundle gives participants and organisers to start from.

- The starting kit (one zip, offered on every phase's page): submitkit itself
  as a wheel (submitkit is not on the package index, so the kit carries what
  its install line installs), the method.txt template of the competition's
  protocol, each phase's manifest (names and sizes of the expected images, so
  ``submitkit check`` knows them), a complete sample submission and a README
  whose commands run as written in the unzipped kit.
- The solution of each phase (``solutions:`` in competition.yaml): the same
  kind of sample for that phase's split, which the organiser can run on the
  platform to see the whole path work.

The sample predicts class 0 (other) everywhere: valid, complete, tiny (one
PNG per distinct size, reused), and scored far below any real method.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
from pathlib import Path

import numpy as np

from submitkit._version import __version__
from submitkit.benchmark.protocols import PROTOCOL_TITLES, RULES, Protocol, RowKind
from submitkit.benchmark.tracks import Track
from submitkit.core.zipwrite import DeterministicZip, zip_bytes
from submitkit.inputs.layout import METHOD_FILE
from submitkit.inputs.manifest import Manifest
from submitkit.inputs.png import rgb_png
from submitkit.workflows.method_writer import render_method

SAMPLE = "sample-submission.zip"
README = "README.md"
WHEEL = f"submitkit-{__version__}-py3-none-any.whl"
DEFINING_PRACTICES: dict[Protocol, frozenset[str]] = {
    Protocol.semi: frozenset({"finetune_1pct_annotations"}),
}
"""Practices a method of the protocol uses by definition: its template declares them ``yes``."""
TEMPLATE_FIELDS = {
    "method_name": "MyMethod",
    "training_data": "ImageNet-S{k} train",
    "networks": "ResNet-50",
    "link": "null",
    "description": "One or more sentences on how the masks were made.",
}
SCHEMES = {Protocol.semi: "SSL, fine-tuned with the 1% training annotations"}


def manifest_name(manifest: Manifest) -> str:
    return f"manifest-{manifest.split.value}.json"


def method_template(track: Track, protocol: Protocol) -> str:
    """The method.txt a participant fills in: it passes the protocol's rules as written."""
    fields = {k: v.format(k=track.k) for k, v in TEMPLATE_FIELDS.items()}
    fields["training_scheme"] = SCHEMES.get(protocol, "SSL")
    defining = DEFINING_PRACTICES.get(protocol, frozenset())
    declarations = {
        r.key: (protocol in r.ticked) if r.kind is RowKind.restriction else r.key in defining
        for r in RULES
    }
    return render_method(fields, protocol, track.k, declarations)


def sample_members(manifest: Manifest, protocol: Protocol) -> dict[str, bytes]:
    """An all-background mask for every image of ``manifest``, and the method.txt template."""
    encoded: dict[tuple[int, int], bytes] = {}
    members: dict[str, bytes] = {}
    for name, size in manifest.images.items():
        height, width = size if size is not None else (1, 1)
        if (height, width) not in encoded:
            encoded[height, width] = rgb_png(np.zeros((height, width, 3), np.uint8), optimize=True)
        members[f"{name}.png"] = encoded[height, width]
    members[METHOD_FILE] = method_template(manifest.track_info, protocol).encode()
    return members


def write_solution(manifest: Manifest, protocol: Protocol, path: Path) -> None:
    with path.open("wb") as handle, DeterministicZip(handle) as archive:
        for name, data in sample_members(manifest, protocol).items():
            archive.add(name, data)


def check_command(protocol: Protocol, manifest: Manifest, submission: str) -> str:
    """The local check of a submission, as the scoring program will judge it."""
    return (
        f"submitkit check {submission} --manifest {manifest_name(manifest)} "
        f"--protocol {protocol.value}"
    )


def readme(track: Track, protocol: Protocol, manifests: list[Manifest]) -> str:
    first = manifests[0]
    phases = "".join(
        f"- `{manifest_name(m)}`: the {len(m.images)} {m.split.value} images (names and sizes)\n"
        for m in manifests
    )
    return (
        f"# Starting kit: {track.name}, {PROTOCOL_TITLES[protocol]} protocol\n\n"
        "Run these commands in the unzipped kit (Python 3.10 or later).\n\n"
        "```\n"
        f"pip install {WHEEL}\n"
        f"{check_command(protocol, first, SAMPLE)}\n"
        "```\n\n"
        f"`{SAMPLE}` is a complete submission for the {first.split.value} images that "
        "predicts class 0 everywhere: it passes the check and scores near 0. Replace its "
        f"masks with yours, fill in `{METHOD_FILE}` (a template for this protocol), and "
        "check your zip the same way before you submit it:\n\n"
        "```\n"
        f"submitkit pack MY_FOLDER -o my-submission.zip --protocol {protocol.value}\n"
        f"{check_command(protocol, first, 'my-submission.zip')}\n"
        "```\n\n"
        f"{phases}\n"
        "The scoring program runs this same check: a submission it passes is scored.\n"
    )


def starting_kit(track: Track, protocol: Protocol, manifests: list[Manifest]) -> bytes:
    members = {
        README: readme(track, protocol, manifests).encode(),
        WHEEL: submitkit_wheel(),
        METHOD_FILE: method_template(track, protocol).encode(),
        SAMPLE: zip_bytes(sample_members(manifests[0], protocol)),
    }
    for manifest in manifests:
        members[manifest_name(manifest)] = (manifest.model_dump_json(indent=1) + "\n").encode()
    return zip_bytes(members)


# --- submitkit as a wheel -----------------------------------------------------------


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}\n"


def submitkit_wheel() -> bytes:
    """A wheel of the running submitkit: what the kit's ``pip install`` line installs."""
    from submitkit.workflows.bundle_program import package_files

    info = f"submitkit-{__version__}.dist-info"
    requires = [
        spec for spec in importlib.metadata.requires("submitkit") or [] if "extra ==" not in spec
    ]
    metadata = (
        "Metadata-Version: 2.1\nName: submitkit\n"
        f"Version: {__version__}\nRequires-Python: >=3.10\n"
        + "".join(f"Requires-Dist: {spec}\n" for spec in requires)
    )
    members = package_files()
    members[f"{info}/METADATA"] = metadata.encode()
    members[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: submitkit bundle\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    members[f"{info}/entry_points.txt"] = (
        b"[console_scripts]\nsubmitkit = submitkit.cli.entry:main\n"
    )
    record = "".join(_record_line(name, data) for name, data in members.items())
    members[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    return zip_bytes(members)
