"""Pictures of a submission: a contact sheet of sampled masks, and a per-class IoU chart.

Both are drawn with PIL alone (no matplotlib), at sizes meant to be read at a
glance: panels are scaled up or down to a fixed box, masks only ever with
nearest-neighbour so that a pixel keeps its class, and every class has one
stable colour wherever it appears, so prediction and ground truth compare
directly.
"""

from __future__ import annotations

import colorsys
import io
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from submitkit.benchmark.ids import IGNORE, OTHER
from submitkit.benchmark.tracks import TRACKS, Split, Track
from submitkit.checks.staged import resolve_target
from submitkit.core.atomic import Inputs, check_target, write_bytes_atomic
from submitkit.core.diagnostics import Severity
from submitkit.core.document import Document
from submitkit.core.errors import EnvironmentProblem, UsageError
from submitkit.inputs import png
from submitkit.inputs.config import RunContext
from submitkit.inputs.layout import Layout, read_layout
from submitkit.inputs.manifest import ManifestSources, dataset_split_dir, official_categories
from submitkit.inputs.match_json import MAX_MATCH_BYTES, load_match
from submitkit.inputs.png import IdArray, PngFault, read_label_map
from submitkit.inputs.source import MemberRef, open_source
from submitkit.workflows.fix_masks import resize_nearest
from submitkit.workflows.fix_read import read_prediction

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
RGB = tuple[int, int, int]

PANEL = 300
"""Width and height of the box each image is fitted into."""
_GAP = 12
_PAD = 16
_OVERLAY_ALPHA = 0.55
_BACKGROUND: RGB = (255, 255, 255)
_PANEL_BG: RGB = (48, 48, 48)
_TEXT: RGB = (25, 25, 25)
_MUTED: RGB = (105, 105, 105)
_WARN: RGB = (190, 30, 30)
_IGNORE_COLOUR: RGB = (160, 160, 160)
_TOP_CLASSES = 3
_NOTE_LINES = 2
_SOURCE_SUFFIXES = (".JPEG", ".jpeg", ".JPG", ".jpg")


def font(size: int) -> Font:
    """PIL's bundled font at ``size`` pixels (a bitmap fallback without FreeType)."""
    return ImageFont.load_default(size=size)


def class_colour(class_id: int) -> RGB:
    """A stable, well-separated colour for a class id (0, "other", is never coloured)."""
    if class_id == IGNORE:
        return _IGNORE_COLOUR
    # Golden-ratio hue steps keep neighbouring ids far apart on the colour wheel.
    hue = (class_id * 0.618033988749895) % 1.0
    saturation = (0.85, 0.65)[class_id % 2]
    value = (0.95, 0.8, 1.0)[class_id % 3]
    r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)


def colourize(ids: IdArray) -> npt.NDArray[np.uint8]:
    """H x W ids -> H x W x 3 colours; class 0 comes out black."""
    uniques, inverse = np.unique(ids, return_inverse=True)
    table = np.array(
        [(0, 0, 0) if i == OTHER else class_colour(int(i)) for i in uniques], dtype=np.uint8
    )
    out: npt.NDArray[np.uint8] = table[inverse.reshape(ids.shape)]
    return out


def _edges(ids: IdArray) -> npt.NDArray[np.bool_]:
    """Pixels on the border between two ids (drawn so regions read even where colours are close)."""
    edge = np.zeros(ids.shape, dtype=bool)
    horizontal = ids[:, 1:] != ids[:, :-1]
    vertical = ids[1:, :] != ids[:-1, :]
    edge[:, 1:] |= horizontal
    edge[:, :-1] |= horizontal
    edge[1:, :] |= vertical
    edge[:-1, :] |= vertical
    return edge


def overlay(source: Image.Image | None, ids: IdArray, size: tuple[int, int]) -> Image.Image:
    """The ids drawn over the source image (or a dark ground) at ``size`` (width, height)."""
    width, height = size
    scaled = resize_nearest(ids, height, width)
    colours = colourize(scaled).astype(np.float32)
    if source is not None:
        # A gray base lets the class colours, not the photo's own, carry the meaning.
        gray = source.convert("L").resize(size, Image.Resampling.BICUBIC)
        base = np.repeat(np.asarray(gray, dtype=np.float32)[..., None], 3, axis=2)
        base = 60 + base * 0.7
    else:
        base = np.empty((height, width, 3), dtype=np.float32)
        base[...] = _PANEL_BG
    painted = scaled != OTHER
    alpha = np.where(painted, _OVERLAY_ALPHA if source is not None else 1.0, 0.0)[..., None]
    mixed = base * (1 - alpha) + colours * alpha
    ignored = scaled == IGNORE
    if ignored.any():
        # Hatching, not a colour: "not scored" must not read as one more class.
        yy, xx = np.indices(scaled.shape)
        mixed[ignored & ((xx + yy) // 4 % 2 == 0)] = 235.0
    edges = _edges(scaled)
    mixed[edges] = 255.0
    return Image.fromarray(mixed.round().clip(0, 255).astype(np.uint8))


def top_classes(ids: IdArray, limit: int = _TOP_CLASSES) -> list[tuple[int, float]]:
    """The ``limit`` ids covering most pixels, with their share in percent."""
    uniques, counts = np.unique(ids, return_counts=True)
    total = int(counts.sum()) or 1
    order = np.lexsort((uniques, -counts))[:limit]
    return [(int(uniques[i]), 100.0 * int(counts[i]) / total) for i in order]


def fit(width: int, height: int, box: int = PANEL) -> tuple[int, int]:
    """Scale (width, height) to fit a ``box`` square, up or down, keeping the aspect."""
    scale = box / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


# --- the contact sheet -------------------------------------------------------------


@dataclass
class Tile:
    """One sampled prediction, with everything its tile shows."""

    key: str
    name: str
    prediction: IdArray | None = None
    ground_truth: IdArray | None = None
    source: Image.Image | None = None
    notes: list[str] = field(default_factory=list)
    """Problems worth a red line under the tile."""


class PreviewResult(Document):
    """What ``preview_sheet`` drew."""

    kind: ClassVar[str] = "preview"
    schema_file: ClassVar[str] = "preview.schema.json"

    output: Path
    track: int
    split: Split
    shown: list[str]
    total: int
    with_sources: int
    with_ground_truth: int
    mapped: bool = False
    """Whether the predicted ids were drawn mapped through match.json."""


def preview_sheet(
    path: Path,
    out: Path,
    context: RunContext,
    *,
    count: int = 12,
    seed: int = 0,
    match_file: Path | None = None,
) -> PreviewResult:
    """Draw ``count`` sampled predictions of the submission at ``path`` into the PNG ``out``.

    Predicted ids are labelled through ``match_file`` when given, else through the
    submission's own match.json if it has a usable one.
    Source images and (validation) ground truth come from the context's dataset.
    Raises ``SubmitkitError`` when the submission has nothing to show or the
    track and split cannot be told.
    """
    sources = context.sources
    _refuse_output(out, count, Inputs.of(path, *sources.paths, match_file))
    source = open_source(path)
    layout = read_layout(source)
    names = {**layout.misnamed, **layout.predictions}
    if not names:
        raise UsageError(f"{path} holds no prediction to preview")
    target = resolve_target(list(names), sources, context.track, context.split)
    if target is None:  # pragma: no cover - only happens without predictions
        raise UsageError("cannot tell the track and split", "give --track and --split")
    k, chosen_split, _how = target
    info = TRACKS[k]
    labels = _class_labels(sources, k)
    match, match_name = _match_of(layout, match_file, k)
    picked = sorted(random.Random(seed).sample(sorted(names), min(count, len(names))))
    split_dir, gt_dir = _image_folders(sources.dataset, info, chosen_split)
    tiles = [
        _load_tile(key, names[key], layout.source.ref, split_dir, gt_dir, match) for key in picked
    ]

    title = f"submitkit preview: {path.name or path}"
    subtitle = (
        f"{info.name} {chosen_split.value}: {len(tiles)} of {len(names)} predictions (seed {seed})"
    )
    mapped_by = match_name if match is not None else None
    legend = _legend(split_dir is not None, gt_dir is not None, mapped_by)
    sheet = _draw_sheet(tiles, title, subtitle, legend, labels, with_gt=gt_dir is not None)
    _write_png(sheet, out)
    return PreviewResult(
        output=out,
        track=k,
        split=chosen_split,
        shown=[t.key for t in tiles],
        total=len(names),
        with_sources=sum(1 for t in tiles if t.source is not None),
        with_ground_truth=sum(1 for t in tiles if t.ground_truth is not None),
        mapped=match is not None,
    )


def _refuse_output(out: Path, count: int, inputs: Inputs) -> None:
    """A usage error, before any work, for a count or an output the sheet cannot have."""
    if count < 1:
        raise UsageError("--count must be at least 1")
    if out.suffix.lower() != ".png":
        raise UsageError(f"{out} does not end in .png", "the contact sheet is written as a PNG")
    check_target(out, replace=True, exists_hint="", inputs=inputs)


def _image_folders(
    dataset: Path | None, info: Track, split: Split
) -> tuple[Path | None, Path | None]:
    """The split's source images and (validation only) ground truth in the dataset, if any."""
    split_dir = dataset_split_dir(dataset, info, split) if dataset else None
    gt_dir = split_dir.parent / "validation-segmentation" if split_dir else None
    if gt_dir is not None and not (split is Split.validation and gt_dir.is_dir()):
        gt_dir = None
    return split_dir, gt_dir


def _match_of(
    layout: Layout, match_file: Path | None, k: int
) -> tuple[Mapping[int, int] | None, str]:
    """The matching the ids are shown through, and its name: the one given, else the
    submission's own when it is usable (an unusable one only means ids shown unmapped)."""
    if match_file is not None:
        return _external_match(match_file, k), str(match_file)
    if layout.match is None:
        return None, "match.json"
    try:
        data = layout.source.ref(layout.match).read_head(MAX_MATCH_BYTES + 1)
    except Exception:
        data = b""
    loaded, diags = load_match(data, layout.match, k)
    if loaded is not None and not any(d.severity is Severity.error for d in diags):
        return loaded, "match.json"
    return None, "match.json"


def _legend(sources: bool, ground_truth: bool, match_name: str | None) -> str:
    """The sheet's legend line: what each tile shows."""
    parts = [
        "prediction over the source image"
        if sources
        else "predictions alone (no source images: give --dataset)"
    ]
    if ground_truth:
        parts.append("ground truth beside it (hatched = ignored)")
    if match_name is not None:
        parts.append(f"ids mapped through {match_name}")
    return " | ".join(parts)


def _external_match(match_file: Path, k: int) -> Mapping[int, int]:
    """A match.json given with --match: unlike the submission's own, it must be usable."""
    try:
        data = match_file.read_bytes()
    except OSError as exc:
        raise EnvironmentProblem(f"cannot read {match_file}: {exc.strerror}") from exc
    loaded, diags = load_match(data, str(match_file), k)
    errors = [d for d in diags if d.severity is Severity.error]
    if loaded is None or errors:
        first = errors[0] if errors else None
        detail = f"{first.code.value}: {first.message}" if first else "unreadable"
        raise UsageError(
            f"{match_file} cannot label the ids ({detail})",
            "check lists what is wrong with it (`submitkit check --help`)",
        )
    return loaded


def _write_png(image: Image.Image, out: Path) -> None:
    try:
        write_bytes_atomic(out, png_bytes(image))
    except OSError as exc:
        raise EnvironmentProblem(f"cannot write {out}: {exc.strerror or exc}") from exc


def _class_labels(sources: ManifestSources, k: int) -> dict[int, str]:
    """Class id -> wnid, from the official list only (a manifest or the toolbox)."""
    categories: list[str] = []
    if sources.loaded is not None:
        categories = sources.loaded.categories
    elif sources.toolbox is not None:
        try:
            categories = official_categories(sources.toolbox, TRACKS[k])
        except EnvironmentProblem:
            categories = []
    # A partial list (read off a dataset copy) would put wrong names on ids.
    if len(categories) != k:
        return {}
    return dict(enumerate(categories, start=1))


def _find_source(split_dir: Path | None, key: str) -> Path | None:
    if split_dir is None:
        return None
    for suffix in _SOURCE_SUFFIXES:
        candidate = split_dir / (key + suffix)
        if candidate.is_file():
            return candidate
    return None


def _load_tile(
    key: str,
    name: str,
    ref: Callable[[str], MemberRef],
    split_dir: Path | None,
    gt_dir: Path | None,
    match: Mapping[int, int] | None,
) -> Tile:
    tile = Tile(key=key, name=name)
    try:
        label = read_label_map(read_prediction(ref(name)), npy=True)
        tile.prediction = label.ids
        if label.stored_as is not None:
            tile.notes.append(f"stored as {label.detail}; shown as its ids")
    except PngFault as bad:
        tile.notes.append(f"{bad.code.value}: {bad.message}")
    except Exception as exc:
        # An unreadable file is drawn as a note, like any other fault.
        tile.notes.append(f"unreadable: {exc}")
    if tile.prediction is not None and match is not None:
        lookup = np.vectorize(lambda i: match.get(int(i), -1), otypes=[np.int32])
        uniques, inverse = np.unique(tile.prediction, return_inverse=True)
        mapped = lookup(uniques)
        if (mapped < 0).any():
            tile.notes.append("ids without a match.json key are shown unmapped")
            mapped = np.where(mapped < 0, uniques, mapped)
        tile.prediction = mapped[inverse.reshape(tile.prediction.shape)].astype(np.int32)
    source_path = _find_source(split_dir, key)
    if source_path is not None:
        try:
            with Image.open(source_path) as im:
                # draft() lets the JPEG decoder skip detail the panel cannot show.
                im.draft("RGB", (PANEL * 2, PANEL * 2))
                tile.source = im.convert("RGB")
                tile.source.info["size"] = im.size
        except Exception as exc:
            # A damaged source image should not stop the sheet.
            tile.notes.append(f"source image unreadable: {exc}")
    elif split_dir is not None:
        tile.notes.append("no source image in the dataset")
    if gt_dir is not None:
        gt_path = gt_dir / f"{key}.png"
        try:
            tile.ground_truth = png.read_official(png.file_opener(gt_path))
        except (OSError, PngFault):
            tile.notes.append("no readable ground truth")
    reference = _reference_size(tile)
    if tile.prediction is not None and reference is not None:
        h, w = tile.prediction.shape
        if (w, h) != reference:
            tile.notes.append(
                f"mask is {w}x{h} but its source {reference[0]}x{reference[1]}: stretched"
            )
    return tile


def pair_thumbnail(
    key: str,
    ref: Callable[[str], MemberRef],
    split_dir: Path | None,
    gt_dir: Path | None,
    match: Mapping[int, int] | None,
    box: int = 240,
) -> Image.Image:
    """The prediction over its source image, beside the ground truth over it (the report's
    worst images): the same drawing as a contact-sheet tile, without the text."""
    tile = _load_tile(key, f"{key}.png", ref, split_dir, gt_dir, match)
    reference = _reference_size(tile) or (box, box)
    size = fit(*reference, box=box)
    panels = [
        overlay(tile.source, ids, size) if ids is not None else Image.new("RGB", size, _PANEL_BG)
        for ids in (tile.prediction, tile.ground_truth)
    ]
    sheet = Image.new("RGB", (2 * size[0] + _GAP // 2, size[1]), _BACKGROUND)
    sheet.paste(panels[0], (0, 0))
    sheet.paste(panels[1], (size[0] + _GAP // 2, 0))
    return sheet


def _reference_size(tile: Tile) -> tuple[int, int] | None:
    """(width, height) every panel of the tile is drawn at, before fitting."""
    if tile.source is not None:
        w, h = tile.source.info.get("size", tile.source.size)
        return int(w), int(h)
    for ids in (tile.ground_truth, tile.prediction):
        if ids is not None:
            return ids.shape[1], ids.shape[0]
    return None


@dataclass(frozen=True)
class _Geometry:
    """Sizes of one tile; a single-panel tile is wider, so its captions still fit."""

    panels: int
    panel: int
    class_lines: int
    note_lines: int
    line: int = 19

    @property
    def span(self) -> int:
        return self.panels * self.panel + (self.panels - 1) * _GAP

    @property
    def height(self) -> int:
        # File name, the panels, the class lines of each panel, then the notes.
        captions = self.panels * self.class_lines + self.note_lines
        return (self.line + 2) + self.panel + 6 + captions * self.line


def _draw_sheet(
    tiles: list[Tile],
    title: str,
    subtitle: str,
    legend: str,
    labels: Mapping[int, str],
    *,
    with_gt: bool,
) -> Image.Image:
    f_title, f_name, f_text = font(22), font(15), font(14)
    # Room for notes only when some tile has one: a clean sheet stays compact.
    notes = _NOTE_LINES if any(t.notes for t in tiles) else 0
    geo = _Geometry(2, PANEL, 1, notes) if with_gt else _Geometry(1, PANEL + 40, 2, notes)
    columns = min(2 if with_gt else 4, len(tiles))
    header_h = 92
    rows = math.ceil(len(tiles) / columns)
    width = _PAD * 2 + columns * geo.span + (columns - 1) * _PAD * 2
    height = header_h + rows * (geo.height + _PAD * 2) + _PAD
    sheet = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    draw.text((_PAD, _PAD), title, font=f_title, fill=_TEXT)
    draw.text((_PAD, _PAD + 32), subtitle, font=f_text, fill=_MUTED)
    draw.text((_PAD, _PAD + 54), legend, font=f_text, fill=_MUTED)
    draw.line([(_PAD, header_h - 6), (width - _PAD, header_h - 6)], fill=(210, 210, 210), width=1)
    for index, tile in enumerate(tiles):
        x = _PAD + (index % columns) * (geo.span + _PAD * 2)
        y = header_h + _PAD // 2 + (index // columns) * (geo.height + _PAD * 2)
        _draw_tile(sheet, draw, tile, (x, y), geo, labels, (f_name, f_text))
    return sheet


def _draw_tile(
    sheet: Image.Image,
    draw: ImageDraw.ImageDraw,
    tile: Tile,
    at: tuple[int, int],
    geo: _Geometry,
    labels: Mapping[int, str],
    fonts: tuple[Font, Font],
) -> None:
    x, y = at
    f_name, f_text = fonts
    box, line = geo.panel, geo.line
    reference = _reference_size(tile)
    notes = tile.notes
    layers: list[tuple[str, str, IdArray | None]] = [("pred", "prediction", tile.prediction)]
    if geo.panels == 2:
        layers.append(("gt", "ground truth", tile.ground_truth))
    draw.text((x, y), _clip(draw, tile.name, f_name, geo.span), font=f_name, fill=_TEXT)
    y += line + 2
    for column, (_tag, caption, ids) in enumerate(layers):
        px = x + column * (box + _GAP)
        draw.rectangle([px, y, px + box - 1, y + box - 1], fill=(238, 238, 238))
        if ids is None or reference is None:
            missing = "no ids to show (see below)" if ids is None else "no size known"
            draw.text((px + 10, y + box // 2 - 8), missing, font=f_text, fill=_WARN)
        else:
            size = fit(*reference, box=box)
            image = overlay(tile.source, ids, size)
            sheet.paste(image, (px + (box - size[0]) // 2, y + (box - size[1]) // 2))
        # A caption on the panel itself: which side is which must not need the legend.
        width = int(draw.textlength(caption, font=f_text)) + 10
        draw.rectangle([px, y, px + width, y + line], fill=(20, 20, 20))
        draw.text((px + 5, y + 1), caption, font=f_text, fill=(255, 255, 255))

    ty = y + box + 6
    for tag, _caption, ids in layers:
        if ids is not None:
            _draw_classes(draw, (x, ty), geo, tag, top_classes(ids), labels, f_text)
            ty += geo.class_lines * line
    wrapped = [part for note in notes for part in _wrap(draw, note, f_text, geo.span)]
    for index, text in enumerate(wrapped[:_NOTE_LINES]):
        if index == _NOTE_LINES - 1 and len(wrapped) > _NOTE_LINES:
            text = _clip(draw, text + " " + " ".join(wrapped[_NOTE_LINES:]), f_text, geo.span)
        draw.text((x, ty), text, font=f_text, fill=_WARN)
        ty += line


def _class_name(class_id: int, labels: Mapping[int, str]) -> str:
    if class_id == OTHER:
        return "0 other"
    if class_id == IGNORE:
        return "ignored"
    return f"{class_id} {labels[class_id]}" if class_id in labels else f"class {class_id}"


def _draw_classes(
    draw: ImageDraw.ImageDraw,
    at: tuple[int, int],
    geo: _Geometry,
    tag: str,
    classes: list[tuple[int, float]],
    labels: Mapping[int, str],
    f_text: Font,
) -> None:
    x, y = at
    draw.text((x, y), f"{tag}:", font=f_text, fill=_MUTED)
    indent = x + 38
    cx, row = indent, 0
    for class_id, share in classes:
        text = f"{_class_name(class_id, labels)} {share:.0f}%"
        needed = 17 + int(draw.textlength(text, font=f_text))
        if cx > indent and cx + needed > x + geo.span:
            # Wrap rather than spill into the neighbouring tile; drop what still will not fit.
            row += 1
            if row >= geo.class_lines:
                return
            cx = indent
        ry = y + row * geo.line
        swatch = class_colour(class_id) if class_id != OTHER else (0, 0, 0)
        draw.rectangle([cx, ry + 3, cx + 12, ry + 15], fill=swatch, outline=(90, 90, 90))
        draw.text((cx + 17, ry), text, font=f_text, fill=_TEXT)
        cx += needed + 14


def _wrap(draw: ImageDraw.ImageDraw, text: str, f: Font, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and draw.textlength(candidate, font=f) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


def _clip(draw: ImageDraw.ImageDraw, text: str, f: Font, width: int) -> str:
    if draw.textlength(text, font=f) <= width:
        return text
    while text and draw.textlength(text + "…", font=f) > width:
        text = text[:-1]
    return text + "…"


# --- per-class IoU ----------------------------------------------------------------

_ROWS_LIMIT = 60
"""Up to this many classes get a labelled bar each; more get a profile plus best/worst lists."""


def _iou_colour(value: float) -> RGB:
    # Red (0) through amber to green (100): a bad class stands out at a glance.
    t = max(0.0, min(1.0, value / 100.0))
    r, g, b = colorsys.hsv_to_rgb(0.33 * t, 0.7, 0.85)
    return round(r * 255), round(g * 255), round(b * 255)


def plot_class_iou(
    ious: Sequence[float], names: Sequence[str], out: Path, *, title: str = "Per-class IoU"
) -> None:
    """Write :func:`class_iou_image` as a PNG at ``out``."""
    _write_png(class_iou_image(ious, names, title=title), out)


def png_bytes(image: Image.Image) -> bytes:
    """An image as PNG bytes (for data URIs in the HTML report)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def class_iou_image(
    ious: Sequence[float], names: Sequence[str], *, title: str = "Per-class IoU"
) -> Image.Image:
    """Draw per-class IoU (percent, 0..100, as ``Scores.IoUs``) sorted best first, as a PNG.

    ``names[i]`` labels ``ious[i]``. Up to 60 classes are drawn as labelled
    horizontal bars; more as a sorted profile with the mean and lists of the
    15 best and 15 worst classes. Raises ``ValueError`` on mismatched lengths.
    """
    if len(ious) != len(names):
        raise ValueError(f"{len(ious)} IoU values but {len(names)} names")
    if not ious:
        raise ValueError("no classes to plot")
    values = [0.0 if math.isnan(v) else float(v) for v in ious]
    order = sorted(range(len(values)), key=lambda i: (-values[i], names[i]))
    mean = sum(values) / len(values)
    if len(values) <= _ROWS_LIMIT:
        image = _bars(values, names, order, mean, title)
    else:
        image = _profile(values, names, order, mean, title)
    return image


def _bars(
    values: list[float], names: Sequence[str], order: list[int], mean: float, title: str
) -> Image.Image:
    f_title, f_text = font(20), font(14)
    row, bar_w = 22, 520
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    label_w = max(int(probe.textlength(names[i], font=f_text)) for i in order) + 14
    left, top = _PAD + label_w, 64
    width = left + bar_w + 70 + _PAD
    height = top + row * len(order) + 70
    image = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((_PAD, _PAD), title, font=f_title, fill=_TEXT)
    draw.text(
        (_PAD, _PAD + 26),
        f"{len(values)} classes, sorted best first; mean {mean:.1f} (dashed line)",
        font=f_text,
        fill=_MUTED,
    )
    # The mean line first, so bars and text are drawn over it; the values sit in
    # their own column right of the bar area, where the line never reaches.
    mx = left + round(bar_w * mean / 100)
    for y in range(top - 4, top + row * len(order), 8):
        draw.line([(mx, y), (mx, y + 4)], fill=(40, 40, 40), width=1)
    for rank, i in enumerate(order):
        y = top + rank * row
        name_w = probe.textlength(names[i], font=f_text)
        draw.text((left - 8 - name_w, y + 2), names[i], font=f_text, fill=_TEXT)
        length = round(bar_w * max(0.0, min(values[i], 100.0)) / 100)
        draw.rectangle(
            [left, y + 3, left + max(length, 1), y + row - 4], fill=_iou_colour(values[i])
        )
        draw.text((left + bar_w + 10, y + 2), f"{values[i]:.1f}", font=f_text, fill=_TEXT)
    axis_y = top + row * len(order) + 4
    _axis(draw, left, axis_y, bar_w, f_text)
    label = "IoU (%)"
    draw.text(
        (left + bar_w / 2 - probe.textlength(label, font=f_text) / 2, axis_y + 26),
        label,
        font=f_text,
        fill=_MUTED,
    )
    return image


def _axis(draw: ImageDraw.ImageDraw, left: int, y: int, length: int, f_text: Font) -> None:
    draw.line([(left, y), (left + length, y)], fill=_MUTED, width=1)
    for tick in (0, 25, 50, 75, 100):
        tx = left + round(length * tick / 100)
        draw.line([(tx, y), (tx, y + 5)], fill=_MUTED, width=1)
        label = str(tick)
        draw.text(
            (tx - draw.textlength(label, font=f_text) / 2, y + 7), label, font=f_text, fill=_MUTED
        )


def _profile(
    values: list[float], names: Sequence[str], order: list[int], mean: float, title: str
) -> Image.Image:
    f_title, f_text = font(20), font(14)
    n = len(order)
    column = max(1, 1000 // n)
    plot_w, plot_h = column * n, 300
    left, top = _PAD + 40, 70
    listed = 15
    list_top = top + plot_h + 44
    width = max(left + plot_w + 90 + _PAD, 2 * 420 + 2 * _PAD)
    height = list_top + 24 + listed * 20 + _PAD
    image = Image.new("RGB", (width, height), _BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text((_PAD, _PAD), title, font=f_title, fill=_TEXT)
    draw.text(
        (_PAD, _PAD + 26),
        f"{n} classes, sorted best first; mean {mean:.1f} (dashed)",
        font=f_text,
        fill=_MUTED,
    )
    for rank, i in enumerate(order):
        h = round(plot_h * max(0.0, min(values[i], 100.0)) / 100)
        x = left + rank * column
        if h:
            draw.rectangle(
                [x, top + plot_h - h, x + column - 1, top + plot_h], fill=_iou_colour(values[i])
            )
    draw.line([(left, top + plot_h), (left + plot_w, top + plot_h)], fill=_MUTED)
    draw.line([(left, top), (left, top + plot_h)], fill=_MUTED)
    for tick in (0, 25, 50, 75, 100):
        ty = top + plot_h - round(plot_h * tick / 100)
        draw.line([(left - 5, ty), (left, ty)], fill=_MUTED)
        label = str(tick)
        draw.text(
            (left - 8 - draw.textlength(label, font=f_text), ty - 8),
            label,
            font=f_text,
            fill=_MUTED,
        )
    my = top + plot_h - round(plot_h * mean / 100)
    for x in range(left, left + plot_w, 10):
        draw.line([(x, my), (x + 5, my)], fill=(40, 40, 40))
    mean_label = f"mean {mean:.1f}"
    draw.text((left + plot_w + 6, my - 8), mean_label, font=f_text, fill=(40, 40, 40))
    draw.text((_PAD, top - 22), "IoU (%)", font=f_text, fill=_MUTED)
    draw.text((left, top + plot_h + 6), "classes, sorted best first", font=f_text, fill=_MUTED)
    for col, (heading, picks) in enumerate(
        (("best", order[:listed]), ("worst", list(reversed(order[-listed:]))))
    ):
        x = _PAD + col * 420
        draw.text((x, list_top), f"{len(picks)} {heading}", font=font(15), fill=_TEXT)
        for r, i in enumerate(picks):
            text = f"{values[i]:5.1f}  {names[i]}"
            draw.text((x, list_top + 24 + r * 20), text, font=f_text, fill=_TEXT)
    return image
