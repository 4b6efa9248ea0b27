"""Generate the committed mini benchmark and example submissions under examples/.

Run from anywhere: ``python examples/make_examples.py [OUTPUT_DIR]`` (default: the
folder of this script). The output is fully deterministic (fixed seed, fixed zip
timestamps, PIL/zlib encodings), so rerunning it reproduces the committed files
byte for byte; tests/project/test_examples.py checks that.

What it writes, all below OUTPUT_DIR:

- ``dataset/ImageNetS50/validation/<wnid>/<stem>.JPEG`` and
  ``dataset/ImageNetS50/validation-segmentation/<wnid>/<stem>.png``: 12 tiny
  images over 4 of 50 made-up categories, with ground truth (1000 = ignore).
- ``manifest.json``: track 50, validation, the 50 categories, the 12 images and
  their sizes (submitkit's Manifest model).
- ``submissions/valid`` (semi-supervised) and ``submissions/valid-unsupervised``
  (cluster ids + match.json), which pass.
- ``submissions/broken/<CODE>-<slug>[.zip]``: the valid submission with exactly
  one fault, which must raise error CODE; ``submissions/warn/<CODE>-<slug>[.zip]``:
  one fault raising warning CODE (passes, fails with --strict); ``info/``: a finding
  reported as information only (passes even with --strict).
- ``examples.json``: the index (flags to check each example with, the faulty
  file, codes that legitimately come along) and ``README.md``.
"""

from __future__ import annotations

import io
import json
import random
import shutil
import stat
import struct
import sys
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from submitkit.benchmark.ids import IGNORE
from submitkit.benchmark.tracks import Split
from submitkit.inputs.manifest import manifest_from_names
from submitkit.inputs.match_json import write_match
from submitkit.inputs.png import encode

SEED = 20240611
K = 50
CATEGORIES = [f"n{20000000 + 173 * i:08d}" for i in range(K)]
"""50 made-up category wnids, sorted; class id = 1-based position."""
USED = [3, 17, 29, 49]
"""0-based indices of the categories that have validation images (ids 4, 18, 30, 50)."""
PER_CLASS = 3
ZIP_TIME = (2024, 1, 1, 0, 0, 0)
DATASET = "dataset/ImageNetS50"
SEMI_ARGS = ["--protocol", "semi"]
UNSUP_ARGS = ["--protocol", "unsupervised"]

Files = dict[str, bytes]


# --- the mini benchmark ---------------------------------------------------------------


@dataclass
class Sample:
    wnid: str
    stem: str
    cls: int
    height: int
    width: int
    gt: np.ndarray
    pred: np.ndarray
    jpeg: bytes = b""

    @property
    def key(self) -> str:
        return f"{self.wnid}/{self.stem}"


def _png(ids: np.ndarray) -> bytes:
    return _save(Image.fromarray(encode(ids)), "PNG")


def _save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _make_samples(rng: random.Random) -> list[Sample]:
    numbers = sorted(rng.sample(range(1, 50001), len(USED) * PER_CLASS))
    rng.shuffle(numbers)
    samples: list[Sample] = []
    for n, index in enumerate(i for i in USED for _ in range(PER_CLASS)):
        cls = index + 1
        h, w = rng.randint(48, 96), rng.randint(48, 96)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
        cy, cx = rng.uniform(0.4, 0.6) * h, rng.uniform(0.4, 0.6) * w
        ry, rx = rng.uniform(0.2, 0.35) * h, rng.uniform(0.2, 0.35) * w
        d = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
        gt = np.zeros((h, w), dtype=np.int32)
        gt[d < 1] = cls
        if n % 3 == 0:
            # A second, small object of another class in a corner.
            other = rng.choice([c for c in range(1, K + 1) if c != cls])
            gt[: h // 5, : w // 5] = other
        pred = gt.copy()
        gt[(d > 0.8) & (d < 1.2)] = IGNORE
        # Noise: the prediction is the truth with a shifted blob and a confused patch.
        pred[(((yy - cy - 2) / ry) ** 2 + ((xx - cx + 2) / rx) ** 2) < 1] = cls
        ph, pw = max(2, h // 8), max(2, w // 8)
        top, left = rng.randint(0, h - ph), rng.randint(0, w - pw)
        pred[top : top + ph, left : left + pw] = rng.choice([0, cls, rng.randint(1, K)])
        stem = f"ILSVRC2012_val_{numbers[n]:08d}"
        sample = Sample(CATEGORIES[index], stem, cls, h, w, gt, pred)
        gradient = np.zeros((h, w, 3), dtype=np.uint8)
        gradient[..., 0] = (xx * 255 / w).astype(np.uint8)
        gradient[..., 1] = (yy * 255 / h).astype(np.uint8)
        gradient[..., 2] = np.where(d < 1, 200, 60).astype(np.uint8)
        sample.jpeg = _save(Image.fromarray(gradient), "JPEG", quality=50)
        samples.append(sample)
    return sorted(samples, key=lambda s: s.key)


# --- method.txt -------------------------------------------------------------------------

SEMI_DECLARATIONS = {
    "Protocol": "semi",
    "Track": "50",
    "ImageNet-S data only": "yes",
    "Unsupervised pre-training only": "no",
    "Label generation and fine-tuning": "no",
    "Fine-tuned with 1% annotations": "yes",
    "Supervised pre-trained weights": "no",
    "Extra training data": "no",
    "Supervised edge/saliency": "no",
    "Validation/test annotations": "no",
}
SEMI_FIELDS = {
    "Method name": "MiniMask",
    "Training data": "ImageNet-S50 train and train-semi",
    "Training scheme": "SSL+Sup",
    "Networks": "ResNet-18",
    "Paper/Project link": "https://example.org/minimask",
    "Method description": "Self-supervised pre-training on ImageNet-S50 train, then "
    "fine-tuning on the 1% pixel-labelled train-semi images.",
}
UNSUP_DECLARATIONS = {
    **SEMI_DECLARATIONS,
    "Protocol": "unsupervised",
    "Label generation and fine-tuning": "yes",
    "Fine-tuned with 1% annotations": "no",
}
UNSUP_FIELDS = {
    **SEMI_FIELDS,
    "Method name": "MiniCluster",
    "Training data": "ImageNet-S50 train",
    "Training scheme": "SSL",
    "Method description": "Self-supervised pre-training, clustering into 50 pseudo classes, "
    "label generation and fine-tuning; clusters matched to classes on validation.",
}


def method_text(declarations: dict[str, str], fields: dict[str, str | None]) -> bytes:
    """method.txt: declaration lines, then the official fields (``None`` drops a line)."""
    lines = [f"{name}: {value}" for name, value in declarations.items()]
    for name, value in fields.items():
        if value is not None:
            lines.append(f"{name}: {value}".rstrip())
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- file-level faults ------------------------------------------------------------------


def _png_16bit_rgb(ids: np.ndarray) -> bytes:
    """A 16-bit-per-channel RGB PNG (PIL cannot write one), ids in the high bytes."""
    rgb = encode(ids).astype(">u2") * 257
    h, w = ids.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _palette_png(ids: np.ndarray) -> bytes:
    image = Image.fromarray(ids.astype(np.uint8), mode="L").convert("P")
    image.putpalette([v for i in range(256) for v in (i * 5 % 256, i * 3 % 256, i)])
    return _save(image, "PNG")


# --- zips -----------------------------------------------------------------------------------


def _zip_info(name: str, mode: int = stat.S_IFREG | 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.create_system = 3
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_STORED
    return info


def make_zip(members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Duplicate name" is the point of Z007
        with zipfile.ZipFile(buffer, "w") as archive:
            for info, data in members:
                zinfo = info if isinstance(info, zipfile.ZipInfo) else _zip_info(info)
                archive.writestr(zinfo, data)
    return buffer.getvalue()


def zip_of(files: Files, prefix: str = "") -> list[tuple[zipfile.ZipInfo | str, bytes]]:
    return [(prefix + name, data) for name, data in sorted(files.items())]


def _set_encrypted_flag(data: bytes, name: str) -> bytes:
    """Set bit 0 (encrypted) of ``name``'s general-purpose flags in a finished zip."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offset = archive.getinfo(name).header_offset
    out[offset + 6] |= 0x1
    eocd = data.rfind(b"PK\x05\x06")
    (cd_offset,) = struct.unpack_from("<I", data, eocd + 16)
    pos = cd_offset
    while data[pos : pos + 4] == b"PK\x01\x02":
        n, m, c = struct.unpack_from("<HHH", data, pos + 28)
        if data[pos + 46 : pos + 46 + n].decode() == name:
            out[pos + 8] |= 0x1
        pos += 46 + n + m + c
    return bytes(out)


def _corrupt_member(data: bytes, name: str) -> bytes:
    """Flip one byte inside a stored member so that its CRC check fails."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    n, m = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + n + m
    out[start + info.compress_size // 2] ^= 0xFF
    return bytes(out)


# --- the examples -------------------------------------------------------------------------


@dataclass
class Example:
    name: str
    """Path below submissions/: ``valid``, ``broken/M003-grayscale``, ``broken/L001-x.zip``."""
    what: str
    args: list[str]
    code: str | None = None
    file: str | None = None
    """The faulty file as a diagnostic names it (a substring of its path; "" for none)."""
    also: list[str] = field(default_factory=list)
    """Other codes the fault legitimately raises too."""
    files: Files | None = None
    zip_bytes: bytes | None = None

    @property
    def kind(self) -> str:
        return self.name.split("/", 1)[0] if "/" in self.name else "valid"


class Builder:
    def __init__(self, samples: list[Sample]) -> None:
        self.samples = samples
        perm = list(range(1, K + 1))
        random.Random(SEED + 1).shuffle(perm)
        self.cluster_of = {0: 0, **{c: perm[c - 1] for c in range(1, K + 1)}}
        self.semi = self._semi()
        self.unsup, self.match = self._unsup()
        self.examples: list[Example] = []

    def _semi(self) -> Files:
        files = {f"{s.key}.png": _png(s.pred) for s in self.samples}
        files["method.txt"] = method_text(SEMI_DECLARATIONS, dict(SEMI_FIELDS))
        return files

    def cluster_ids(self, ids: np.ndarray) -> np.ndarray:
        lut = np.array([self.cluster_of[c] for c in range(K + 1)], dtype=np.int32)
        return lut[ids]

    def _unsup(self) -> tuple[Files, dict[int, int]]:
        files: Files = {}
        used: set[int] = set()
        for s in self.samples:
            clusters = self.cluster_ids(s.pred)
            used.update(int(v) for v in np.unique(clusters))
            files[f"{s.key}.png"] = _png(clusters)
        back = {v: k for k, v in self.cluster_of.items()}
        match = {cluster: back[cluster] for cluster in sorted(used | {0})}
        files["match.json"] = write_match(match).encode()
        files["method.txt"] = method_text(UNSUP_DECLARATIONS, dict(UNSUP_FIELDS))
        return files, match

    # helpers
    def sample(self, i: int) -> Sample:
        return self.samples[i]

    def mask_name(self, i: int) -> str:
        return f"{self.samples[i].key}.png"

    def add(self, name: str, what: str, args: list[str], **kw: object) -> None:
        code = name.split("/", 1)[1].split("-", 1)[0] if "/" in name else None
        self.examples.append(Example(name, what, args, code=code, **kw))  # type: ignore[arg-type]

    def folder(
        self,
        name: str,
        what: str,
        file: str,
        change: Callable[[Files], None],
        *,
        base: str = "semi",
        also: list[str] | None = None,
        args: list[str] | None = None,
    ) -> None:
        files = dict(self.semi if base == "semi" else self.unsup)
        change(files)
        if args is None:
            args = SEMI_ARGS if base == "semi" else UNSUP_ARGS
        self.add(name, what, args, file=file, files=files, also=also or [])

    def zipped(self, name: str, what: str, file: str, data: bytes, *, base: str = "semi") -> None:
        args = SEMI_ARGS if base == "semi" else UNSUP_ARGS
        self.add(name, what, args, file=file, zip_bytes=data)


def build_examples(samples: list[Sample]) -> list[Example]:
    b = Builder(samples)
    s0, s1, s4 = b.sample(0), b.sample(1), b.sample(4)
    m0, m1 = b.mask_name(0), b.mask_name(1)
    other_wnid = s4.wnid  # a category with images, other than s0's
    assert other_wnid != s0.wnid

    b.add(
        "valid",
        "a correct semi-supervised submission (track 50, validation)",
        SEMI_ARGS,
        files=dict(b.semi),
    )
    b.add(
        "valid-unsupervised",
        "a correct fully unsupervised submission: cluster ids and match.json",
        UNSUP_ARGS,
        files=dict(b.unsup),
    )

    def semi_method(**changes: str | None) -> Callable[[Files], None]:
        def change(files: Files) -> None:
            declarations = dict(SEMI_DECLARATIONS)
            fields: dict[str, str | None] = dict(SEMI_FIELDS)
            for key, value in changes.items():
                name = key.replace("_", " ")
                target = declarations if name in declarations else fields
                target[name] = value  # type: ignore[assignment]
            files["method.txt"] = method_text(declarations, fields)

        return change

    def unsup_method(**changes: str | None) -> Callable[[Files], None]:
        def change(files: Files) -> None:
            fields: dict[str, str | None] = dict(UNSUP_FIELDS)
            fields.update({k.replace("_", " "): v for k, v in changes.items()})
            files["method.txt"] = method_text(UNSUP_DECLARATIONS, fields)

        return change

    def put(name: str, data: bytes) -> Callable[[Files], None]:
        return lambda files: files.__setitem__(name, data)

    def rename(old: str, new: str) -> Callable[[Files], None]:
        return lambda files: files.__setitem__(new, files.pop(old))

    def drop(*names: str) -> Callable[[Files], None]:
        def change(files: Files) -> None:
            for name in names:
                del files[name]

        return change

    # --- layout ---
    b.zipped(
        "broken/L001-enclosing-folder.zip",
        "the folder was zipped instead of its contents: everything sits in submission/",
        "submission/",
        make_zip(zip_of(b.semi, "submission/")),
    )
    mask0_upper = m0[:-4] + ".PNG"
    b.folder(
        "broken/L004-upper-case-extension",
        f"{mask0_upper} ends in .PNG",
        mask0_upper,
        rename(m0, mask0_upper),
    )
    b.folder(
        "broken/L005-method-txt-txt",
        "method.txt is named method.txt.txt",
        "method.txt.txt",
        rename("method.txt", "method.txt.txt"),
    )
    b.folder(
        "broken/L006-match-json-txt",
        "match.json is named match.json.txt",
        "match.json.txt",
        rename("match.json", "match.json.txt"),
        base="unsup",
    )
    b.folder(
        "broken/L007-unknown-folder",
        "a folder n01443537 (a real ImageNet wnid, not a category of this track)",
        "n01443537/",
        put("n01443537/ILSVRC2012_val_00047396.png", b.semi[m0]),
    )
    nested = f"{s0.wnid}/old/{s0.stem}.png"
    b.folder(
        "broken/L008-nested-file",
        f"an old copy of a mask one folder deeper: {nested}",
        nested,
        put(nested, b.semi[m0]),
    )
    b.folder(
        "broken/L009-no-predictions",
        "only method.txt, no masks at all",
        "",
        drop(*(n for n in b.semi if n.endswith(".png"))),
    )

    # --- zip container ---
    members = zip_of(b.semi)
    b.zipped(
        "broken/Z001-dot-dot-path.zip",
        "a member ../escape.png climbs out of the folder",
        "../escape.png",
        make_zip([*members, ("../escape.png", b.semi[m0])]),
    )
    link = _zip_info("latest.png", stat.S_IFLNK | 0o777)
    b.zipped(
        "broken/Z002-symlink.zip",
        f"a member latest.png is a symbolic link to {m0}",
        "latest.png",
        make_zip([*members, (link, m0.encode())]),
    )
    b.zipped(
        "broken/Z003-encrypted-member.zip",
        "a member notes.txt is encrypted",
        "notes.txt",
        _set_encrypted_flag(make_zip([*members, ("notes.txt", b"x" * 40)]), "notes.txt"),
    )
    bz = _zip_info("notes.txt")
    bz.compress_type = zipfile.ZIP_BZIP2
    b.zipped(
        "broken/Z004-bzip2-member.zip",
        "a member notes.txt is compressed with bzip2",
        "notes.txt",
        make_zip([*members, (bz, b"training notes\n" * 8)]),
    )
    b.zipped(
        "broken/Z006-bad-crc.zip",
        f"one byte of {m1} is damaged: its CRC check fails",
        m1,
        _corrupt_member(make_zip(members), m1),
    )
    b.zipped(
        "broken/Z007-duplicate-entry.zip",
        f"{m1} appears twice in the zip",
        m1,
        make_zip([*members, (m1, b.semi[m1])]),
    )

    # --- names ---
    b.folder("broken/N001-missing-prediction", f"no prediction for {s1.key}", m1, drop(m1))
    extra = f"{s0.wnid}/ILSVRC2012_val_00050001.png"
    b.folder(
        "broken/N002-extra-prediction",
        f"{extra} is not an image of the split",
        extra,
        put(extra, b.semi[m0]),
    )
    dup = f"{other_wnid}/{s0.stem}.png"
    b.folder(
        "broken/N003-duplicate-stem",
        f"{s0.stem} is predicted twice: in {s0.wnid}/ and in {other_wnid}/",
        dup,
        put(dup, b.semi[m0]),
    )
    b.folder(
        "broken/N004-wrong-folder",
        f"the mask of {s0.key} sits in {other_wnid}/",
        dup,
        rename(m0, dup),
    )

    # --- mask content ---
    b.folder(
        "broken/M001-jpeg-renamed-png",
        f"{m0} is a JPEG saved under a .png name",
        m0,
        put(m0, _save(Image.fromarray(encode(s0.pred)), "JPEG", quality=90)),
    )
    b.folder(
        "broken/M002-truncated-png",
        f"{m0} is cut off halfway",
        m0,
        put(m0, b.semi[m0][: len(b.semi[m0]) // 2]),
    )
    b.folder(
        "broken/M003-grayscale",
        f"{m0} is a grayscale (mode L) PNG of the ids",
        m0,
        put(m0, _save(Image.fromarray(s0.pred.astype(np.uint8), mode="L"), "PNG")),
    )
    b.folder(
        "broken/M004-palette", f"{m0} is a palette (mode P) PNG", m0, put(m0, _palette_png(s0.pred))
    )
    rgba = np.dstack([encode(s0.pred), np.full(s0.pred.shape, 255, np.uint8)])
    b.folder(
        "broken/M005-rgba",
        f"{m0} has an alpha channel (RGBA)",
        m0,
        put(m0, _save(Image.fromarray(rgba, mode="RGBA"), "PNG")),
    )
    b.folder(
        "broken/M006-16-bit",
        f"{m0} is a 16-bit-per-channel RGB PNG",
        m0,
        put(m0, _png_16bit_rgb(s0.pred)),
    )
    half = Image.fromarray(encode(s0.pred)).resize(
        (s0.width // 2, s0.height // 2), Image.Resampling.NEAREST
    )
    b.folder(
        "broken/M007-half-size",
        f"{m0} is {s0.width // 2}x{s0.height // 2}, half its source's "
        f"{s0.width}x{s0.height} (a forgotten upscale)",
        m0,
        put(m0, _save(half, "PNG")),
    )
    blue = encode(s0.pred)
    blue[..., 2] = np.where(s0.pred > 0, 128, 0).astype(np.uint8)
    b.folder(
        "broken/M008-blue-channel",
        f"{m0} has a non-zero blue channel on the object",
        m0,
        put(m0, _save(Image.fromarray(blue), "PNG")),
    )
    high = s0.pred.copy()
    high[:4, :4] = K + 1
    b.folder("broken/M009-id-above-k", f"{m0} uses id {K + 1} > K = {K}", m0, put(m0, _png(high)))
    ignore = s0.pred.copy()
    ignore[s0.gt == IGNORE] = IGNORE
    b.folder(
        "broken/M010-ignore-id",
        f"{m0} copies the ground truth's ignore id 1000",
        m0,
        put(m0, _png(ignore)),
    )

    # --- match.json (on the unsupervised submission) ---
    match_text = b.unsup["match.json"].decode()
    b.folder(
        "broken/J001-invalid-json",
        "match.json has a trailing comma",
        "match.json",
        put("match.json", match_text.rstrip().rstrip("}").rstrip().encode() + b",\n}\n"),
        base="unsup",
    )
    first_key = next(k for k in b.match if k != 0)
    bad_value = dict(b.match)
    bad_value[first_key] = 77
    b.folder(
        "broken/J002-value-above-k",
        f'match.json maps "{first_key}" to 77 > K = {K}',
        "match.json",
        put("match.json", _match_without_zero(bad_value, keep_zero=True)),
        base="unsup",
    )
    b.folder(
        "broken/J003-no-zero-key",
        'match.json lacks "0": 0',
        "match.json",
        put("match.json", _match_without_zero(b.match, keep_zero=False)),
        base="unsup",
    )
    unmapped = next(c for c in range(1, K + 1) if c not in b.match)
    clusters = b.cluster_ids(s0.pred)
    clusters[:3, :3] = unmapped
    b.folder(
        "broken/J004-unmapped-id",
        f"{m0} uses cluster id {unmapped}, absent from match.json",
        m0,
        put(m0, _png(clusters)),
        base="unsup",
    )

    # --- method.txt ---
    b.folder(
        "broken/T002-missing-field",
        "method.txt has no Networks: line",
        "method.txt",
        semi_method(Networks=None),
    )
    b.folder(
        "broken/T003-empty-field",
        "method.txt has an empty Networks: line",
        "method.txt",
        semi_method(Networks=""),
    )
    b.folder(
        "broken/T007-bad-declaration",
        'method.txt declares "Fine-tuned with 1% annotations: maybe"',
        "method.txt",
        semi_method(**{"Fine-tuned with 1% annotations": "maybe"}),
    )
    latin1 = b.semi["method.txt"].decode().replace("MiniMask", "MiniMasqué").encode("latin-1")
    b.folder(
        "broken/T008-latin-1",
        "method.txt is Latin-1, not UTF-8 (é)",
        "method.txt",
        put("method.txt", latin1),
    )
    twice = b.semi["method.txt"].replace(
        b"Networks: ResNet-18\n", b"Networks: ResNet-18\nNetworks: ResNet-50\n"
    )
    b.folder(
        "broken/T009-duplicate-field",
        "method.txt has two different Networks: lines",
        "method.txt",
        put("method.txt", twice),
    )

    # --- protocol ---
    b.folder(
        "broken/P001-supervised-weights",
        'declares "Supervised pre-trained weights: yes" under the semi-supervised protocol',
        "method.txt",
        semi_method(**{"Supervised pre-trained weights": "yes"}),
    )
    b.folder(
        "broken/P002-supervised-scheme",
        '"Training scheme: SSL+Sup" under the fully unsupervised protocol',
        "method.txt",
        unsup_method(Training_scheme="SSL+Sup"),
        base="unsup",
    )
    b.folder(
        "broken/P003-note-1",
        '"Training data: ImageNet-S919 train" on the 50 track (note 1)',
        "method.txt",
        semi_method(**{"Training data": "ImageNet-S919 train and ImageNet-S50 train-semi"}),
    )
    b.folder(
        "broken/P004-declared-protocol",
        'method.txt declares "Protocol: free"; checked for the semi-supervised protocol',
        "method.txt",
        semi_method(Protocol="free"),
    )
    b.folder(
        "broken/P004-declared-track",
        'method.txt declares "Track: 300" on the 50 track',
        "method.txt",
        semi_method(Track="300"),
    )

    # --- warnings ---
    b.folder(
        "warn/L002-ds-store",
        f"{s0.wnid}/.DS_Store (macOS junk)",
        ".DS_Store",
        put(f"{s0.wnid}/.DS_Store", b"\x00\x00\x00\x01Bud1" + bytes(26)),
    )
    mac = [
        (
            f"__MACOSX/{name.rsplit('/', 1)[0]}/._{name.rsplit('/', 1)[1]}",
            b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ",
        )
        for name in sorted(b.semi)
        if name.endswith(".png")
    ][:2]
    b.zipped(
        "warn/L002-macosx.zip",
        "the zip carries __MACOSX/ resource forks",
        "__MACOSX/",
        make_zip([*members, *mac]),
    )
    b.folder(
        "warn/L003-stray-readme",
        "a README.txt at the root",
        "README.txt",
        put("README.txt", b"Predictions of MiniMask on ImageNet-S50 validation.\n"),
    )
    b.folder(
        "warn/T001-no-method-txt",
        "method.txt is missing: a warning on validation predictions, which are scored, not "
        "uploaded (an error for test predictions)",
        "method.txt",
        drop("method.txt"),
    )
    b.folder(
        "warn/T004-placeholder",
        "method.txt says Networks: TODO",
        "method.txt",
        semi_method(Networks="TODO"),
    )
    b.folder(
        "warn/T005-bad-link",
        'method.txt says "Paper/Project link: see our paper"',
        "method.txt",
        semi_method(**{"Paper/Project link": "see our paper"}),
    )
    unused = dict(b.match)
    spare_cluster = next(c for c in range(1, K + 1) if c not in b.match)
    spare_class = next(c for c in range(1, K + 1) if c not in b.match.values())
    unused[spare_cluster] = spare_class
    b.folder(
        "info/J005-unused-key",
        f'match.json maps "{spare_cluster}", which no mask uses (informational)',
        "match.json",
        put("match.json", write_match(unused).encode()),
        base="unsup",
    )
    over = dict(b.match)
    over[spare_cluster] = s0.cls

    def overcluster(files: Files) -> None:
        split = b.cluster_ids(s0.pred)
        right = np.zeros_like(split, dtype=bool)
        right[:, s0.width // 2 :] = True
        split[(s0.pred == s0.cls) & right] = spare_cluster
        files[m0] = _png(split)
        files["match.json"] = write_match(over).encode()

    b.folder(
        "info/J006-many-to-one",
        f"{m0} splits its object into two clusters; match.json maps both to class {s0.cls}: "
        "over-clustering, legitimate under the fully unsupervised protocol (informational)",
        "match.json",
        overcluster,
        base="unsup",
    )

    def overcluster_undeclared(files: Files) -> None:
        overcluster(files)
        declarations = {k: v for k, v in UNSUP_DECLARATIONS.items() if k != "Protocol"}
        files["method.txt"] = method_text(declarations, dict(UNSUP_FIELDS))

    b.folder(
        "warn/J006-many-to-one-no-protocol",
        "the over-clustered submission of info/J006-many-to-one, with no protocol given "
        "(no --protocol, no Protocol: line), where over-clustering cannot be judged",
        "match.json",
        overcluster_undeclared,
        base="unsup",
        args=[],
    )
    used_semi = sorted({int(v) for s in samples for v in np.unique(s.pred)})
    identity = write_match({c: c for c in used_semi}).encode()
    b.folder(
        "warn/P005-match-json-under-semi",
        "an identity match.json shipped with the semi-supervised submission",
        "match.json",
        put("match.json", identity),
    )
    return b.examples


def _match_without_zero(match: dict[int, int], keep_zero: bool) -> bytes:
    entries = {k: v for k, v in sorted(match.items()) if keep_zero or k != 0}
    body = ",\n".join(f'  "{k}": {v}' for k, v in entries.items())
    return ("{\n" + body + "\n}\n").encode()


# --- writing --------------------------------------------------------------------------------


def _write_files(root: Path, files: Files) -> None:
    for name, data in sorted(files.items()):
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _readme(examples: list[Example]) -> str:
    lines = [
        "# Example submissions",
        "",
        "Generated by `python examples/make_examples.py` (deterministic; do not edit by hand).",
        "A mini ImageNet-S50 validation set of 12 tiny images over 4 of 50 made-up categories",
        "(`dataset/`, `manifest.json`), and submissions checked against it, e.g.:",
        "",
        "```",
        "submitkit check examples/submissions/valid --manifest examples/manifest.json "
        "--protocol semi",
        "submitkit check examples/submissions/valid-unsupervised "
        "--manifest examples/manifest.json --protocol unsupervised",
        "```",
        "",
        "`valid*` pass. Each `broken/<CODE>-<slug>` is a valid submission with exactly one fault",
        "and fails with error CODE; each `warn/<CODE>-<slug>` raises warning CODE: it passes,",
        "and fails with `--strict`; each `info/<CODE>-<slug>` raises CODE as information only",
        "and passes even with `--strict`. `examples.json` holds the flags each example is",
        "checked with (`--protocol semi` unless noted) and the file its diagnostic names.",
        "",
    ]
    for ex in examples:
        note = f" (checked with `{' '.join(ex.args)}`)" if ex.args != SEMI_ARGS else ""
        if not ex.args:
            note = " (checked without --protocol)"
        also = f" (also raises {', '.join(ex.also)})" if ex.also else ""
        lines.append(f"- `{ex.name}`: {ex.what}{note}{also}")
    return "\n".join(lines) + "\n"


def generate(out: Path) -> list[Example]:
    """Write the whole example tree below ``out``; returns the examples."""
    out.mkdir(parents=True, exist_ok=True)
    for owned in ("dataset", "submissions"):
        if (out / owned).exists():
            shutil.rmtree(out / owned)
    rng = random.Random(SEED)
    samples = _make_samples(rng)
    dataset: Files = {}
    for s in samples:
        dataset[f"{DATASET}/validation/{s.key}.JPEG"] = s.jpeg
        dataset[f"{DATASET}/validation-segmentation/{s.key}.png"] = _png(s.gt)
    _write_files(out, dataset)
    manifest = manifest_from_names(
        K,
        Split.validation,
        [s.key for s in samples],
        sizes={s.key: (s.height, s.width) for s in samples},
        categories=CATEGORIES,
        source="examples/make_examples.py",
    )
    manifest.save(out / "manifest.json")

    examples = build_examples(samples)
    index = []
    for ex in examples:
        target = out / "submissions" / ex.name
        if ex.zip_bytes is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(ex.zip_bytes)
        else:
            assert ex.files is not None
            target.mkdir(parents=True, exist_ok=True)
            _write_files(target, ex.files)
        index.append(
            {
                "name": ex.name,
                "kind": ex.kind,
                "code": ex.code,
                "file": ex.file,
                "also": ex.also,
                "args": ex.args,
                "what": ex.what,
            }
        )
    (out / "examples.json").write_text(
        json.dumps({"manifest": "manifest.json", "examples": index}, indent=1) + "\n",
        encoding="utf-8",
    )
    (out / "README.md").write_text(_readme(examples), encoding="utf-8")
    return examples


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path(__file__).resolve().parent
    examples = generate(out)
    print(f"wrote {len(examples)} example submissions below {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
