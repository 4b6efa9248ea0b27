"""Findings as data: stable diagnostic codes, severities and the diagnostic record.

Codes never change meaning once published; each one has its page under
docs/codes/, generated from the docstrings and policies below (and the example and
fix in ``code_docs.py``) by ``submitkit docs``.
Code letters group them: L layout, Z zip container, N names, M mask content,
J match.json, T method.txt, P protocol, D dataset and manifest, E evaluation and
matching (what scoring found about the ids).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from pydantic import BaseModel, ConfigDict, field_validator

from submitkit.core.safetext import printable


class Severity(str, Enum):
    """How bad a finding is: errors fail the check, warnings fail only with --strict."""

    error = "error"
    warning = "warning"
    info = "info"


@dataclass(frozen=True)
class Policy:
    """What commands do about a code: decided here, once, never from the code's letter.

    A new code states its policy where it is declared, so no command can
    silently fall through a hand-written list.
    """

    blocks_scoring: bool = True
    """An error of this code stops evaluate, match and score: the official evaluator
    would crash on it or compute a wrong number. False for faults of the upload alone
    (method.txt, the protocol declaration), which do not change a score."""
    pack_repairs: bool = False
    """Packing removes it by construction (an enclosing folder, junk): not a fault of the zip."""
    pack_rejudges: bool = False
    """About method.txt: judged again on the method.txt that pack writes into the zip."""
    fix_repairs: bool = False
    """``submitkit fix`` repairs it, where that is possible without guessing."""
    fix_flag: str = ""
    """The option ``fix`` needs to repair it (``--drop-extra``), when it is not done by default."""
    fix_share: float = 0.0
    """Fix is proposed only when at least this share of the inspected masks show it: a
    whole label set to convert, not a fault in a few masks that the conversion would
    only hide (ids above K in 1 mask of 1,682 are a bug, not ImageNet-1k labels)."""


SCORED = Policy()
"""The default: a fault that changes or prevents the score."""
UPLOAD_ONLY = Policy(blocks_scoring=False)
"""A fault of the upload that a local score does not depend on."""
METHOD = Policy(blocks_scoring=False, pack_rejudges=True)
"""A method.txt or protocol finding: pack judges it again on what it writes."""
PACKED_AWAY = Policy(pack_repairs=True, fix_repairs=True)
"""A layout fault that both pack and fix remove."""
FIXABLE = Policy(fix_repairs=True)
"""A fault that fix repairs where it can do so without guessing."""
FIXABLE_UPLOAD = Policy(blocks_scoring=False, fix_repairs=True)
"""A fault of the upload alone that fix repairs (a misnamed method.txt)."""


class Code(str, Enum):
    """Every diagnostic submitkit can emit. The docstring of each member explains it."""

    severity: Severity
    policy: Policy

    def __new__(cls, value: str, severity: Severity, doc: str, policy: Policy = SCORED) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.severity = severity
        member.policy = policy
        member.__doc__ = doc
        return member

    def __str__(self) -> str:
        return str(self.value)

    def at(
        self,
        path: str,
        message: str,
        hint: str,
        severity: Severity | None = None,
        *,
        line: int | None = None,
    ) -> Diagnostic:
        """A diagnostic of this code about ``path`` (a file, zip member or ``""``).

        ``severity`` lowers the code's own severity where a rule makes the finding
        legitimate (many-to-one matches under the fully unsupervised protocol).
        """
        return Diagnostic(
            code=self,
            severity=severity or self.severity,
            path=path,
            message=message,
            hint=hint,
            line=line,
        )

    # --- layout -----------------------------------------------------------------
    ENCLOSING_FOLDER = (
        "L001",
        Severity.error,
        "Everything sits inside one enclosing folder (the folder was zipped instead of its "
        "contents). The server expects the wnid folders, method.txt and match.json at the root.",
        PACKED_AWAY,
    )
    JUNK_FILE = (
        "L002",
        Severity.warning,
        "Operating-system or editor junk (__MACOSX/, .DS_Store, Thumbs.db, desktop.ini, "
        "backups ending in ~, other hidden files). It must not be uploaded; pack leaves it out.",
        PACKED_AWAY,
    )
    STRAY_FILE = (
        "L003",
        Severity.warning,
        "A file outside the wnid folders that is neither method.txt nor match.json. "
        "The server ignores it at best; pack leaves it out.",
        PACKED_AWAY,
    )
    BAD_EXTENSION = (
        "L004",
        Severity.error,
        "A prediction whose name does not end in exactly `.png` (`.PNG`, `.jpg`, `.png.png`, "
        "none). The server looks up `<wnid>/<stem>.png` and will not find it.",
        FIXABLE,
    )
    METHOD_MISNAMED = (
        "L005",
        Severity.error,
        "A file that is evidently meant to be method.txt but has another name "
        "(`method.txt.txt`, `Method.txt`, `method`). fix renames it.",
        FIXABLE_UPLOAD,
    )
    MATCH_MISNAMED = (
        "L006",
        Severity.error,
        "A file that is evidently meant to be match.json but has another name "
        "(`match.json.txt`, `Match.json`, `match.txt`). fix renames it.",
        FIXABLE,
    )
    UNKNOWN_FOLDER = (
        "L007",
        Severity.error,
        "A top-level folder that is not a wnid of the track (or not shaped like a wnid, "
        "`n` and eight digits, when no category list is known). With the split's list, fix "
        "moves each prediction in it whose stem is an image of the split to its wnid folder.",
        FIXABLE,
    )
    NESTED_FILE = (
        "L008",
        Severity.error,
        "A file deeper than `<wnid>/<stem>.png`: predictions must sit directly in their "
        "wnid folder. With the split's list, fix moves each one to its wnid folder by its stem.",
        FIXABLE,
    )
    EMPTY_SUBMISSION = (
        "L009",
        Severity.error,
        "The submission holds no prediction at all.",
    )
    SYMLINK = (
        "L010",
        Severity.error,
        "A symbolic link in a submission folder (to a file or a folder, inside the submission "
        "or out of it). Links are never followed: one could pull a file from outside the "
        "submission into reports, CI logs and the upload. Zips refuse links too (Z002).",
    )
    SPECIAL_FILE = (
        "L011",
        Severity.error,
        "A named pipe, socket or device in a submission folder. It is never opened: reading "
        "one can block forever or never end.",
    )
    UNREADABLE_ENTRY = (
        "L012",
        Severity.error,
        "A folder of the submission that cannot be listed, or an entry that cannot be examined "
        "(permissions, a name too long): what it holds is not checked.",
    )
    FILE_TOO_LARGE = (
        "L013",
        Severity.error,
        "A file in a submission folder larger than any file of a submission can be "
        "(256 MiB, the limit zips have too, Z005): it is not read.",
    )
    # --- zip container ----------------------------------------------------------
    ZIP_UNSAFE_PATH = (
        "Z001",
        Severity.error,
        "A zip member with an absolute path, a drive letter, a backslash or a `..` component. "
        "Such archives are refused: they could write outside the target folder.",
    )
    ZIP_SYMLINK = (
        "Z002",
        Severity.error,
        "A zip member that is a symbolic link. Symlinks are refused in uploads.",
    )
    ZIP_ENCRYPTED = (
        "Z003",
        Severity.error,
        "A password-protected zip member: the server cannot read it.",
    )
    ZIP_UNSUPPORTED_COMPRESSION = (
        "Z004",
        Severity.error,
        "A zip member compressed with a method other than stored or deflate (e.g. Deflate64, "
        "bzip2, LZMA, zstd, as written by some archivers): the server's unzip cannot read it.",
    )
    ZIP_TOO_LARGE = (
        "Z005",
        Severity.error,
        "A zip member or the whole archive declares an absurd uncompressed size or "
        "compression ratio (a zip bomb, or not a submission).",
    )
    ZIP_CORRUPT = (
        "Z006",
        Severity.error,
        "The file is not a readable zip archive, or a member fails its CRC check.",
    )
    ZIP_DUPLICATE_ENTRY = (
        "Z007",
        Severity.error,
        "The same name appears twice in the zip (also after `./` prefixes are removed, as "
        "every unzipper does): which copy is read depends on the unzipper.",
    )
    ZIP_NAME_NOT_CANONICAL = (
        "Z008",
        Severity.error,
        "A zip member name with an empty or `.` component inside it (`n01//a.png`, "
        "`n01/./a.png`): unzippers disagree on the file it names. (A leading `./`, as written "
        "by some archivers, is harmless and removed.)",
    )
    ZIP_NAME_COLLISION = (
        "Z009",
        Severity.error,
        "Two zip member names that differ only in letter case or in Unicode normalisation "
        "(NFC/NFD): on Windows and macOS they are one file, and which copy survives depends "
        "on the unzipper.",
    )
    ZIP_NAME_CONTROL = (
        "Z010",
        Severity.error,
        "A zip member name with control characters (a line break, an escape sequence, NUL): "
        "unzippers rename or refuse such files differently, and terminals would obey them.",
    )
    ZIP_TOO_MANY_MEMBERS = (
        "Z011",
        Severity.error,
        "The zip's central directory declares more members than any submission has "
        "(60,000; a full 919-class test submission has about 28,000): it is not listed.",
    )
    ZIP_FILE_AND_FOLDER = (
        "Z012",
        Severity.error,
        "A zip member that is a file and also the folder of another member (`n01443537` "
        "beside `n01443537/ILSVRC2012_val_00000994.png`, or beside a folder entry "
        "`n01443537/`): no file system holds both, and Python's `ZipFile.extractall`, which "
        "the platform runs to unzip an upload, stops with NotADirectoryError or "
        "IsADirectoryError. The submission is never scored.",
    )
    # --- names ------------------------------------------------------------------
    MISSING_PREDICTION = (
        "N001",
        Severity.error,
        "An expected image has no prediction.",
    )
    EXTRA_PREDICTION = (
        "N002",
        Severity.error,
        "A prediction for an image that is not in the split's list (often: predictions of the "
        "other split, or of another track). `fix --drop-extra` leaves them out.",
        Policy(fix_repairs=True, fix_flag="--drop-extra"),
    )
    DUPLICATE_STEM = (
        "N003",
        Severity.error,
        "The same image stem has predictions in more than one wnid folder. fix keeps the copy "
        "in the folder the split's list names; if no copy is there, it cannot tell which is "
        "meant and leaves them all out.",
        FIXABLE,
    )
    WRONG_FOLDER = (
        "N004",
        Severity.error,
        "A prediction sits in another wnid folder than the one the split's list files its image "
        "under. For the test split that folder is the second column of "
        "`ImageNetS_im{K}_mapping_test.txt`, which is not always the image's ImageNet label "
        "folder (the first column): 291 of 1,682 (track 50), 1,196 of 9,088 (300) and 3,571 of "
        "27,423 (919) test images sit under another wnid. A pipeline that writes predictions "
        "under the ImageNet label puts those in the wrong folder. Stems are unique, so fix moves "
        "each prediction to its folder.",
        FIXABLE,
    )
    COUNT_MISMATCH = (
        "N005",
        Severity.error,
        "The number of predictions differs from the official count of the track and split "
        "(checked when no list of names is available).",
    )
    OTHER_SPLIT = (
        "N006",
        Severity.error,
        "The predictions are (mostly) the images of another split or another track of the "
        "official lists than the one checked: one finding instead of a missing and an extra "
        "finding per image. The dataset is not at fault; the split (or track) chosen is.",
    )
    # --- mask content -----------------------------------------------------------
    NOT_PNG = (
        "M001",
        Severity.error,
        "The file is not a PNG at all (often a JPEG renamed .png, which also corrupts ids).",
    )
    CORRUPT_PNG = (
        "M002",
        Severity.error,
        "The PNG is truncated or damaged and cannot be decoded.",
    )
    MODE_GRAYSCALE = (
        "M003",
        Severity.error,
        "A single-channel PNG (mode 1, L, I or I;16). The official evaluator indexes "
        "channel 1 and crashes on it; ids must be encoded as RGB.",
        FIXABLE,
    )
    MODE_PALETTE = (
        "M004",
        Severity.error,
        "A palette PNG (mode P): the evaluator would read palette indices as a 2-D array "
        "and crash.",
        FIXABLE,
    )
    MODE_ALPHA = (
        "M005",
        Severity.error,
        "A PNG with an alpha channel (RGBA or LA). Masks must be plain 8-bit RGB.",
        FIXABLE,
    )
    BIT_DEPTH_16 = (
        "M006",
        Severity.error,
        "A 16-bit-per-channel RGB PNG. Masks must have 8 bits per channel. How ids sit in "
        "16-bit colour channels is not defined, so fix cannot convert it without guessing.",
    )
    SIZE_MISMATCH = (
        "M007",
        Severity.error,
        "The mask's width x height differs from its source image (a forgotten upscale of a "
        "large image, swapped axes, a crop).",
        FIXABLE,
    )
    BLUE_NONZERO = (
        "M008",
        Severity.error,
        "The blue channel is not zero: the file is probably a colour visualisation, not an id map.",
    )
    ID_OUT_OF_RANGE = (
        "M009",
        Severity.error,
        "A mask uses an id above K (with no match.json to map it). Models trained with "
        "ImageNet-1k labels predict ImageNet-1k classes (ids 1..1000): `fix --from imagenet1k` "
        "converts them to the track's ids.",
        Policy(fix_repairs=True, fix_flag="--from imagenet1k", fix_share=0.5),
    )
    ID_IGNORE = (
        "M010",
        Severity.error,
        "A mask uses id 1000, the ground truth's ignore label, which a prediction must never "
        "contain.",
    )
    MASK_TOO_LARGE = (
        "M011",
        Severity.error,
        "The file is far larger than a PNG of its declared width and height can be "
        "(hidden data, or a damaged header): it is not read whole. A mask holds only pixels.",
    )
    # --- match.json ---------------------------------------------------------------
    MATCH_INVALID_JSON = (
        "J001",
        Severity.error,
        "match.json is not valid UTF-8 JSON.",
    )
    MATCH_SCHEMA = (
        "J002",
        Severity.error,
        "match.json does not follow schemas/match.schema.json: an object with decimal "
        "integer keys and integer values in 0..K.",
    )
    MATCH_ZERO = (
        "J003",
        Severity.error,
        'match.json lacks `"0": 0`, or maps 0 to a class: "other" must stay "other".',
    )
    MATCH_UNMAPPED_ID = (
        "J004",
        Severity.error,
        "A mask uses an id that match.json has no key for: the evaluator crashes on it.",
    )
    MATCH_UNUSED_KEY = (
        "J005",
        Severity.info,
        "match.json keys that no mask uses. Informational: a Hungarian matching maps every "
        "cluster, and a cluster need not appear in every set of masks.",
    )
    MATCH_MANY_TO_ONE = (
        "J006",
        Severity.warning,
        "Several predicted ids map to the same class (over-clustering). A warning, except "
        "under the fully unsupervised protocol where it is legitimate (reported as info); "
        "boundaries are taken on the unmapped ids.",
    )
    MATCH_TOO_LARGE = (
        "J007",
        Severity.error,
        "match.json is larger than 4 MiB. Every 16-bit id fits in about 1 MiB, so it is not "
        "read (a huge file would take minutes and gigabytes to parse).",
    )
    # --- method.txt ---------------------------------------------------------------
    METHOD_MISSING = (
        "T001",
        Severity.error,
        "The submission has no method.txt at its root.",
        METHOD,
    )
    METHOD_FIELD_MISSING = (
        "T002",
        Severity.error,
        "One of the six official method.txt fields is missing.",
        METHOD,
    )
    METHOD_FIELD_EMPTY = (
        "T003",
        Severity.error,
        "An official method.txt field is present but empty.",
        METHOD,
    )
    METHOD_PLACEHOLDER = (
        "T004",
        Severity.warning,
        "A method.txt field holds a placeholder (`null`, `TODO`, `TBD`, `xxx`, `<...>`).",
        METHOD,
    )
    METHOD_BAD_LINK = (
        "T005",
        Severity.warning,
        "`Paper/Project link` is neither an http(s) URL nor `null`.",
        METHOD,
    )
    METHOD_UNKNOWN_LINE = (
        "T006",
        Severity.warning,
        "A method.txt line before `Method description:` that is not a known `Field: value` line.",
        METHOD,
    )
    METHOD_BAD_DECLARATION = (
        "T007",
        Severity.error,
        "A declaration line (Protocol, Track or one of the rules-table rows) has a value "
        "submitkit cannot read (rows take yes/no).",
        METHOD,
    )
    METHOD_ENCODING = (
        "T008",
        Severity.error,
        "method.txt is not UTF-8 text.",
        METHOD,
    )
    METHOD_DUPLICATE_FIELD = (
        "T009",
        Severity.error,
        "A method.txt field appears twice with different values.",
        METHOD,
    )
    METHOD_TOO_LARGE = (
        "T010",
        Severity.error,
        "method.txt is larger than 64 KiB: six fields and a description never are, so it is "
        "not read.",
        METHOD,
    )
    # --- protocol -----------------------------------------------------------------
    PROTOCOL_VIOLATION = (
        "P001",
        Severity.error,
        "A declaration in method.txt contradicts a rule of the chosen protocol; the message "
        "cites the rule.",
        METHOD,
    )
    PROTOCOL_SUPERVISED_SCHEME = (
        "P002",
        Severity.error,
        "`Training scheme` names supervision (`Sup`) under the fully unsupervised or the "
        "distance-matching protocol.",
        METHOD,
    )
    PROTOCOL_NOTE1 = (
        "P003",
        Severity.error,
        "Training data names ImageNet-S919 or the full ImageNet for the 50 or 300 track under "
        "a protocol restricted to the track's own data (note 1 of the rules table).",
        METHOD,
    )
    PROTOCOL_MISMATCH = (
        "P004",
        Severity.error,
        "The protocol or track declared in method.txt differs from the one being checked.",
        METHOD,
    )
    MATCH_OUTSIDE_UNSUPERVISED = (
        "P005",
        Severity.warning,
        "match.json is shipped under a protocol other than fully unsupervised: the server "
        "will remap the predictions with it.",
        UPLOAD_ONLY,
    )
    # --- dataset and manifest -------------------------------------------------------
    NAMES_FROM_DATASET = (
        "D001",
        Severity.warning,
        "The expected names come from a local dataset copy alone, which can be incomplete; "
        "give --toolbox to verify against the official list.",
    )
    DATASET_INCOMPLETE = (
        "D002",
        Severity.warning,
        "The local dataset copy lacks images of the official list, so their sizes could not "
        "be verified.",
    )
    DATASET_UNREADABLE_IMAGE = (
        "D003",
        Severity.warning,
        "A source JPEG of the dataset copy has no readable size in its header.",
    )
    TRUTH_CACHE_DAMAGED = (
        "D004",
        Severity.warning,
        "The ground-truth cache of this dataset copy could not be trusted (bytes that fail "
        "their checksum, a malformed or foreign file, a FIFO, link or folder in its place): it "
        "was ignored, the ground truth decoded from its PNGs, and the cache written again where "
        "that is possible. The scores are those of `--no-cache`.",
        UPLOAD_ONLY,
    )

    # --- evaluation and matching ----------------------------------------------------
    IDS_LOOK_UNMATCHED = (
        "E001",
        Severity.warning,
        "Scored without a match, the predicted ids look like cluster ids: an image-level "
        "matching on the validation ground truth would raise the mIoU by far (see "
        "docs/matching.md for the rule). Run `submitkit match` and score with its match.json.",
        UPLOAD_ONLY,
    )
    IDS_ABOVE_CLUSTERS = (
        "E002",
        Severity.error,
        "`match` found predicted ids above K (or above --clusters) on scored pixels: the "
        "official matching would leave them out and the match.json written would not map "
        "them. Over-clustered predictions need --clusters N --protocol unsupervised.",
    )


class Diagnostic(BaseModel):
    """One finding about one file of a submission."""

    model_config = ConfigDict(frozen=True)

    code: Code
    severity: Severity
    path: str
    """File or zip member, relative to the submission root; ``""`` for the submission."""
    message: str
    hint: str
    line: int | None = None
    """1-based line in the file the finding is about, when known (method.txt)."""

    @field_validator("path", "message", "hint")
    @classmethod
    def _printable(cls, text: str) -> str:
        # Names and contents are escaped where they are quoted; this is the net
        # under that rule: no finding carries a control character to any output.
        return printable(text)
