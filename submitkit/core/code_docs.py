"""An example and the fix for every diagnostic code: the rest of each code's page.

The ``Code`` catalogue says what a code means (its docstring) and what commands do
about it (its policy); this table adds what a user needs on the code's page under
docs/codes/: a small illustration of the fault and how to repair it. Kept beside
the catalogue, keyed by its members, so a new code without an entry fails the
docs drift test (``tests/project/test_docs_pages.py``) instead of getting an empty page.
``submitkit docs`` renders the pages from both.
"""

from __future__ import annotations

from dataclasses import dataclass

from submitkit.core.diagnostics import Code


@dataclass(frozen=True)
class CodeDoc:
    """The hand-written part of one code's page."""

    example: str
    """A few lines showing the fault (a file tree, a file's text, a message), shown verbatim."""
    fix: str
    """What to do about it, in Markdown."""


_ENCODE = (
    "\n\n```python\n"
    "# ids: an H x W integer array; R = id % 256, G = id // 256, B = 0\n"
    "rgb = np.zeros((*ids.shape, 3), np.uint8)\n"
    "rgb[..., 0] = ids % 256\n"
    "rgb[..., 1] = ids // 256  # ids above 255 exist on the 919 track\n"
    "Image.fromarray(rgb).save(path)\n"
    "```"
)
"""Python in pages is kept as `ruff format` writes it: it formats Markdown code blocks too."""

CODE_DOCS: dict[Code, CodeDoc] = {
    # --- layout -----------------------------------------------------------------
    Code.ENCLOSING_FOLDER: CodeDoc(
        "submission.zip\n└── submission/            <- the folder itself was zipped\n"
        "    ├── method.txt\n    └── n01443537/ILSVRC2012_val_00000994.png",
        "Zip the *contents* of the folder (`cd submission && zip -r ../submission.zip .`), "
        "or let `submitkit pack submission` write the zip.",
    ),
    Code.JUNK_FILE: CodeDoc(
        "__MACOSX/n01443537/._ILSVRC2012_val_00000994.png\nn01443537/.DS_Store",
        "Delete the files before zipping. On macOS, Finder's *Compress* adds `__MACOSX/`; "
        "`zip -r -X` from inside the folder does not.",
    ),
    Code.STRAY_FILE: CodeDoc(
        "README.txt\nscores.csv\nn01443537/...",
        "Remove files that are not predictions, method.txt or match.json before zipping.",
    ),
    Code.BAD_EXTENSION: CodeDoc(
        "n01443537/ILSVRC2012_val_00000994.PNG\nn01443537/ILSVRC2012_val_00000994.png.png",
        "Name every prediction `<wnid>/<stem>.png`, lower case, one extension.",
    ),
    Code.METHOD_MISNAMED: CodeDoc(
        "method.txt.txt      <- an editor added .txt\nn01443537/...",
        "Rename the file to exactly `method.txt` (watch for hidden extensions on Windows).",
    ),
    Code.MATCH_MISNAMED: CodeDoc(
        "match.json.txt\nn01443537/...",
        "Rename the file to exactly `match.json`.",
    ),
    Code.UNKNOWN_FOLDER: CodeDoc(
        "n01443537/...     <- a real ImageNet wnid, but not a class of ImageNet-S50\n"
        "predictions/...",
        "Put predictions only under the wnid folders of the track's category list "
        "(`data/categories/ImageNetS_categories_im{50,300,919}.txt` of the toolbox); "
        "check that you are checking the track you predicted.",
    ),
    Code.NESTED_FILE: CodeDoc(
        "n01443537/old/ILSVRC2012_val_00000994.png",
        "Keep exactly one level: `<wnid>/<stem>.png`; remove old copies kept in sub-folders.",
    ),
    Code.EMPTY_SUBMISSION: CodeDoc(
        "method.txt\n(no <wnid>/ folder at all)",
        "Point the command at the folder your inference writes to; the masks must sit in "
        "`<wnid>/<stem>.png` at its root.",
    ),
    # --- zip container ----------------------------------------------------------
    Code.ZIP_UNSAFE_PATH: CodeDoc(
        "../escape.png\n/home/me/n01443537/ILSVRC2012_val_00000994.png\n"
        "n01443537\\ILSVRC2012_val_00000994.png",
        "Create the zip from inside the submission folder with relative paths and forward "
        "slashes, e.g. with `submitkit pack`.",
    ),
    Code.ZIP_NAME_NOT_CANONICAL: CodeDoc(
        "n01443537/./ILSVRC2012_val_00000994.png   (a `.` component inside the name)",
        "Create the zip again from the folder with `submitkit pack`, which writes clean names.",
    ),
    Code.ZIP_NAME_COLLISION: CodeDoc(
        "n01443537/ILSVRC2012_val_00000994.png\nn01443537/ILSVRC2012_VAL_00000994.png",
        "Keep one of the two files (the one named exactly as the split's list names the image) "
        "and zip again.",
    ),
    Code.ZIP_NAME_CONTROL: CodeDoc(
        "n01443537/ILSVRC2012_val_00000994\\n.png   (a line break inside the name)",
        "Rename the file to `<stem>.png` with no control characters, then zip again.",
    ),
    Code.ZIP_TOO_MANY_MEMBERS: CodeDoc(
        "a zip whose central directory declares 2,000,000 members",
        "Zip only the submission folder (wnid folders, method.txt, match.json), e.g. with "
        "`submitkit pack`.",
    ),
    Code.ZIP_FILE_AND_FOLDER: CodeDoc(
        "n01443537                                  (a file)\n"
        "n01443537/ILSVRC2012_val_00000994.png      (a mask in a folder of the same name)",
        "Remove or rename the file that has a folder's name, then zip the folder again "
        "(`submitkit pack` writes only what a submission holds).",
    ),
    Code.ZIP_SYMLINK: CodeDoc(
        "latest.png -> n01443537/ILSVRC2012_val_00000994.png   (a link stored in the zip)",
        "Zip the files themselves (`zip -r` without `--symlinks`, or `submitkit pack`).",
    ),
    Code.ZIP_ENCRYPTED: CodeDoc(
        "zip -e submission.zip ...   (a password was set)",
        "Create the zip without a password.",
    ),
    Code.ZIP_UNSUPPORTED_COMPRESSION: CodeDoc(
        "notes.txt   compressed with bzip2 (7-Zip's default for some settings)",
        "Re-create the zip with stored or deflate entries: `zip -r`, or `submitkit pack`.",
    ),
    Code.ZIP_TOO_LARGE: CodeDoc(
        "model.ckpt   declares 40 GiB uncompressed",
        "A submission holds only masks, method.txt and match.json: leave everything else "
        "out, or zip with `submitkit pack`.",
    ),
    Code.ZIP_CORRUPT: CodeDoc(
        "the download stopped halfway; or one member fails its CRC check",
        "Re-create the zip from the folder (`submitkit pack`), or copy it again in binary mode.",
    ),
    Code.ZIP_DUPLICATE_ENTRY: CodeDoc(
        "n01443537/ILSVRC2012_val_00000994.png   (twice: `zip` was run twice on the same file)",
        "Delete the zip and create it again from the folder, e.g. with `submitkit pack`.",
    ),
    Code.SYMLINK: CodeDoc(
        "submission/method.txt -> ~/.aws/credentials   (a symbolic link)",
        "Replace the link by a copy of the file it points to (`cp --dereference`), or give "
        "submitkit the folder the files really live in.",
    ),
    Code.SPECIAL_FILE: CodeDoc(
        "submission/n01443537/pipe   (a named pipe made by `mkfifo`)",
        "Remove it: a submission holds only regular files.",
    ),
    Code.UNREADABLE_ENTRY: CodeDoc(
        "submission/n01443537/   (permission denied)",
        "Make the folder readable (`chmod -R u+rX submission`) and run the check again.",
    ),
    Code.FILE_TOO_LARGE: CodeDoc(
        "submission/n01443537/ILSVRC2012_val_00000994.png   (1.2 GB)",
        "Replace it with the real mask: no file of a submission is that large.",
    ),
    # --- names ------------------------------------------------------------------
    Code.MISSING_PREDICTION: CodeDoc(
        "no prediction for n01443537/ILSVRC2012_val_00000994",
        "Write a mask for every image of the split: the list comes from the toolbox "
        "(`--toolbox`) or a manifest (`submitkit manifest`). An all-zero mask is better than "
        "none: the evaluator stops on a missing file.",
    ),
    Code.EXTRA_PREDICTION: CodeDoc(
        "n01443537/ILSVRC2012_val_00050001.png is not an image of this split",
        "Remove it. If many are extra, check `--track` and `--split`: predictions of the "
        "validation split submitted as test (or the other way round) look like this.",
    ),
    Code.DUPLICATE_STEM: CodeDoc(
        "n01443537/ILSVRC2012_val_00000994.png\nn01530575/ILSVRC2012_val_00000994.png",
        "Keep only the copy in the folder the split's list names for that image.",
    ),
    Code.WRONG_FOLDER: CodeDoc(
        "n01530575/ILSVRC2012_val_00000994.png   belongs in n01443537/",
        "Move it where the split's list puts the image (the hint names the path). On the test "
        "split that is not always the image's ImageNet label folder: use the second column of "
        "`data/mapping/ImageNetS_im{K}_mapping_test.txt`.",
    ),
    Code.COUNT_MISMATCH: CodeDoc(
        "1,681 predictions, but ImageNet-S50 test has 1,682 images",
        "Give `--toolbox` (or `--manifest`, or `--dataset`) so the check can name the images "
        "that are missing or extra.",
    ),
    Code.OTHER_SPLIT: CodeDoc(
        "these 752 names are the ImageNet-S50 validation list; you are checking test",
        "Check (and submit) for the split and track the predictions are of: pass the right "
        "`--split` and `--track`, or run inference on the images of the split you mean.",
    ),
    # --- mask content -----------------------------------------------------------
    Code.MASK_TOO_LARGE: CodeDoc(
        "n01443537/ILSVRC2012_val_00000994.png   (a 6x6 PNG followed by 500 MB of other data)",
        "Write the mask again with Pillow or OpenCV: a PNG holds its pixels and nothing else.",
    ),
    Code.NOT_PNG: CodeDoc(
        "file n01443537/ILSVRC2012_val_00000994.png\n  -> JPEG image data, JFIF standard 1.01",
        f"Save the ids as PNG, never JPEG (lossy compression changes ids):{_ENCODE}",
    ),
    Code.CORRUPT_PNG: CodeDoc(
        "n01443537/ILSVRC2012_val_00000994.png: truncated (the copy stopped halfway)",
        "Regenerate the file, or copy it again in binary mode.",
    ),
    Code.MODE_GRAYSCALE: CodeDoc(
        "Image.fromarray(ids.astype(np.uint8)).save(path)   # mode L: one channel",
        f"Encode the ids as RGB, ids unchanged:{_ENCODE}",
    ),
    Code.MODE_PALETTE: CodeDoc(
        "img = Image.fromarray(ids.astype(np.uint8), 'P'); img.putpalette(colours)",
        "Write RGB-encoded ids; if the palette was attached only for viewing, its indices are "
        f"the ids:{_ENCODE}",
    ),
    Code.MODE_ALPHA: CodeDoc(
        "Image.fromarray(rgba).save(path)   # mode RGBA",
        "Drop the alpha channel (`img.convert('RGB')`) when alpha is the same everywhere; if it "
        "varies the file is likely a blended visualisation: export the id map itself.",
    ),
    Code.BIT_DEPTH_16: CodeDoc(
        "a 16-bit-per-channel RGB PNG written by OpenCV from a uint16 array",
        "Write a uint8 array: `Image.fromarray(rgb.astype(np.uint8))`.",
    ),
    Code.SIZE_MISMATCH: CodeDoc(
        "mask is 500x375 (WxH) but its source image is 1000x750",
        "Resize the prediction to the source image before saving, with nearest-neighbour "
        "interpolation (never bilinear: it invents ids). Pipelines that downscale images above "
        "1000x1000 pixels must scale back.",
    ),
    Code.BLUE_NONZERO: CodeDoc(
        "a colour rendering of the classes (a palette applied for viewing) saved instead of "
        "the ids",
        f"Save the raw ids, not a visualisation:{_ENCODE}",
    ),
    Code.ID_OUT_OF_RANGE: CodeDoc(
        "the mask uses ids above K=50: 51, 77",
        "Predict ids 0..K only, or (fully unsupervised) ship a match.json mapping your cluster "
        "ids to classes: `submitkit match` writes one.",
    ),
    Code.ID_IGNORE: CodeDoc(
        "the mask uses id 1000, the ground truth's ignore label",
        "Predict 0 (other) or a class for every pixel; the evaluator skips ignored regions anyway.",
    ),
    # --- match.json ---------------------------------------------------------------
    Code.MATCH_TOO_LARGE: CodeDoc(
        "match.json   (40 MB: keys for millions of ids)",
        "Keep one key per predicted id (at most 65,536 ids fit the RGB encoding); "
        "`submitkit match` writes such a file.",
    ),
    Code.MATCH_INVALID_JSON: CodeDoc(
        '{"0": 0, "1": 17, "2": 3,}      <- trailing comma',
        'Write a plain JSON object of integers: `{"0": 0, "1": 17}`.',
    ),
    Code.MATCH_SCHEMA: CodeDoc(
        '{"0": 0, "5": 77}      <- 77 is above K = 50\n{"0": 0, "c1": "17"}',
        "Keys are predicted ids as decimal strings, values ground-truth class ids in 0..K. "
        "`submitkit match` writes a valid file.",
    ),
    Code.MATCH_ZERO: CodeDoc(
        '{"1": 17, "2": 3}      <- no "0": 0',
        'Add `"0": 0`; map the cluster you mean for a class under its own id.',
    ),
    Code.MATCH_UNMAPPED_ID: CodeDoc(
        'a mask uses cluster id 42; match.json has no key "42"',
        "Give every predicted id a key (map a cluster that matches no class to 0). Check the "
        "masks were written with the same ids the matching saw.",
    ),
    Code.MATCH_UNUSED_KEY: CodeDoc(
        '{"0": 0, "1": 17, ...}   no mask uses id 1',
        "Nothing, if the matching was computed on another set of masks (e.g. validation). "
        "Otherwise check the masks and the matching use the same ids.",
    ),
    Code.MATCH_MANY_TO_ONE: CodeDoc(
        '{"0": 0, "1": 4, "2": 4}      <- clusters 1 and 2 both become class 4',
        "Under the fully unsupervised protocol (`--protocol unsupervised`) this is legitimate "
        "over-clustering. Under the others, map each id to its own class.",
    ),
    # --- method.txt ---------------------------------------------------------------
    Code.METHOD_TOO_LARGE: CodeDoc(
        "method.txt   (2 MB: a log file saved under that name)",
        "Write the six fields and a short description (see docs/method-txt.md); "
        "`submitkit pack --method` can write it for you.",
    ),
    Code.METHOD_MISSING: CodeDoc(
        "n01443537/...\n(no method.txt at the root)",
        "Add method.txt with the six fields (see docs/method-txt.md), or let `submitkit pack` "
        "write it from `--method FILE` or `[tool.submitkit.method]`. Validation predictions "
        "(PASS writes no method.txt for them) need none: there it is a warning.",
    ),
    Code.METHOD_FIELD_MISSING: CodeDoc(
        "Method name: PASS\nTraining data: ImageNet-S50 train\nTraining scheme: SSL\n"
        "Paper/Project link: null\nMethod description: ...      <- no Networks: line",
        "Add the missing `Field: value` line; the six fields are listed in docs/method-txt.md.",
    ),
    Code.METHOD_FIELD_EMPTY: CodeDoc("Networks:", "Write a value after the colon."),
    Code.METHOD_PLACEHOLDER: CodeDoc(
        "Networks: TODO",
        "Replace the placeholder with the real value. One rule in every field: `null`, "
        "`TODO`, `<...>` and PASS's defaults (`Method name: example submission`, `null`) are "
        'placeholders; only `Paper/Project link: null` is not (the official "unpublished").',
    ),
    Code.METHOD_BAD_LINK: CodeDoc(
        "Paper/Project link: see our paper",
        "Write an http(s) URL, or exactly `Paper/Project link: null` if there is none yet.",
    ),
    Code.METHOD_UNKNOWN_LINE: CodeDoc(
        "Backbone: ResNet-50      <- not a method.txt field",
        "Move the text into `Method description:` (the last field, which may span lines), "
        "or use one of the known fields and declarations (docs/method-txt.md).",
    ),
    Code.METHOD_BAD_DECLARATION: CodeDoc(
        "Fine-tuned with 1% annotations: maybe\nTrack: S50x",
        "Rules-table rows take `yes` or `no`; `Protocol:` one of unsupervised, distance, semi, "
        "free; `Track:` 50, 300 or 919.",
    ),
    Code.METHOD_ENCODING: CodeDoc(
        "method.txt saved as Latin-1 or UTF-16 (Méthode: byte 0xe9)",
        "Save method.txt as UTF-8 (in most editors: *Save As*, encoding UTF-8).",
    ),
    Code.METHOD_DUPLICATE_FIELD: CodeDoc(
        "Networks: ResNet-18\n...\nNetworks: ResNet-50",
        "Keep one line per field, with the value you mean.",
    ),
    # --- protocol -----------------------------------------------------------------
    Code.PROTOCOL_VIOLATION: CodeDoc(
        "Protocol: semi\nSupervised pre-trained weights: yes",
        "Submit to the protocol your method fits (the rules table in docs/guide.md), or "
        "correct the declaration if it was wrong.",
    ),
    Code.PROTOCOL_SUPERVISED_SCHEME: CodeDoc(
        "Protocol: unsupervised\nTraining scheme: SSL+Sup",
        "If no human labels were used write `Training scheme: SSL`; if they were, the "
        "semi-supervised or free protocol is the one to submit to.",
    ),
    Code.PROTOCOL_NOTE1: CodeDoc(
        "Track: 50\nProtocol: semi\nTraining data: ImageNet-S919 train",
        "On the 50 and 300 tracks, the fully unsupervised, distance-matching and "
        "semi-supervised protocols allow that track's own training data only: retrain on it, "
        "or submit to the free protocol.",
    ),
    Code.PROTOCOL_MISMATCH: CodeDoc(
        "method.txt: Protocol: free\nsubmitkit check outputs/s50-test --protocol semi",
        "Make the declaration and the leaderboard agree: change the `Protocol:`/`Track:` "
        "line, or check (and submit) for the one declared.",
    ),
    Code.MATCH_OUTSIDE_UNSUPERVISED: CodeDoc(
        "Protocol: semi\nmatch.json       <- shipped with a semi-supervised submission",
        "Under the other protocols masks already hold ground-truth ids: leave match.json out "
        "(`submitkit fix --apply-match` bakes it into the masks).",
    ),
    # --- dataset and manifest -------------------------------------------------------
    Code.NAMES_FROM_DATASET: CodeDoc(
        "submitkit check outputs/s50-val --dataset ~/data/ImageNetS  (no --toolbox or --manifest)",
        "Give `--toolbox` (a clone of the official toolbox) or a manifest built with it, so "
        "names are checked against the official list.",
    ),
    Code.DATASET_INCOMPLETE: CodeDoc(
        "ImageNetS50/test/ lacks 12 of the 1,682 images of the official list",
        "Complete the dataset copy, or accept that those masks' sizes are not verified.",
    ),
    Code.DATASET_UNREADABLE_IMAGE: CodeDoc(
        "ImageNetS50/test/n01443537/ILSVRC2012_val_00000994.JPEG: no size in its header",
        "Replace the damaged JPEG with a fresh copy from ImageNet.",
    ),
    Code.TRUTH_CACHE_DAMAGED: CodeDoc(
        "~/.cache/submitkit/ground-truth/3f9c….bin has an index that fails its checksum: "
        "ignored and rebuilt",
        "Nothing to do: the cache is rebuilt by this run. If the warning comes back on every "
        "run, something else writes there (a FIFO or a folder in its place): remove it, or "
        "point SUBMITKIT_CACHE_DIR elsewhere.",
    ),
    # --- evaluation and matching ----------------------------------------------------
    Code.IDS_LOOK_UNMATCHED: CodeDoc(
        "submitkit evaluate outputs/s50-val-clusters --dataset ~/data/ImageNetS\n"
        "  mIoU 1.91; an image-level matching of the same ids would score 31.99",
        "Compute the matching and score with it: `submitkit match outputs/s50-val-clusters "
        "--dataset ~/data/ImageNetS -o match.json`, then `submitkit evaluate "
        "outputs/s50-val-clusters --dataset ~/data/ImageNetS --match match.json` (the warning "
        "prints both with your paths). The rule "
        "is in [matching](../matching.md#unmatched-ids-in-evaluate).",
    ),
    Code.IDS_ABOVE_CLUSTERS: CodeDoc(
        "submitkit match outputs/s50-val-clusters --dataset ~/data/ImageNetS -o match.json\n"
        "  ids up to 100 found, K = 50",
        "Over-clustered predictions need the number of clusters and the fully unsupervised "
        "protocol: `submitkit match outputs/s50-val-clusters --dataset ~/data/ImageNetS -o "
        "match.json --clusters 100 --protocol unsupervised` "
        "([matching](../matching.md#ids-above-k)).",
    ),
    Code.BACKGROUND_MAPPED: CodeDoc(
        "submitkit match outputs/s50-val-clusters --dataset ~/data/ImageNetS --clusters 100 "
        "--protocol unsupervised -o match.json\n"
        "  E003 id 88 is the background cluster (93% of its pixels are background) and the "
        "matching maps it to class 12",
        "Write 0 for the background cluster in the masks (the official matching keeps id 0 as "
        "background and matches ids 1..K), then match again "
        "([matching](../matching.md#ties-and-the-tie-break-policy)).",
    ),
}
