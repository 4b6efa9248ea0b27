"""The evaluation as one self-contained HTML page: `evaluate --html` and Codabench's
``detailed_results.html``.

One file, readable offline forever: inline CSS and JavaScript, images as data
URIs, no network. It shows the headline metrics with their intervals, the
per-class IoU chart, a sortable and filterable table of every class (920 rows
on the 919 track), the largest confusions and the worst images. Every piece of
text that comes from data is escaped.

The table can be driven from the address for tests and links:
``report.html?sort=iou&dir=desc&filter=n014`` clicks the header and fills the
filter box as a user would; the page then marks ``<body data-sorted="iou:desc">``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from pathlib import Path

from submitkit._version import __version__
from submitkit.benchmark.tracks import TRACKS
from submitkit.core.atomic import write_text_atomic
from submitkit.render.scoreboard import SUMMARY_ROWS
from submitkit.scoring.bootstrap import SMALL_CLASS_IMAGES
from submitkit.workflows.analysis import ClassRef, ClassScore, WorstImage
from submitkit.workflows.evaluate import EvaluationOutput
from submitkit.workflows.preview import class_iou_image, png_bytes

_CSS = """
:root{--fg:#1d2127;--muted:#5d6670;--line:#dde1e6;--bg:#f6f7f9;--accent:#2f6fdf;--bad:#c0392b}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
margin:0;background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.sub{color:var(--muted);margin:0 0 18px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;
min-width:170px}
.card .k{color:var(--muted);font-size:13px}
.card .v{font-size:26px;font-weight:600}.card .ci{color:var(--muted);font-size:12px}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line);width:100%}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;
font-variant-numeric:tabular-nums}
td.n,th.n{text-align:right}
#classes th{cursor:pointer;user-select:none;position:sticky;top:0;background:#eef1f5}
#classes th[aria-sort=ascending]::after{content:" \\25B2"}
#classes th[aria-sort=descending]::after{content:" \\25BC"}
.scroll{max-height:520px;overflow:auto;border-radius:6px}
.tools{display:flex;gap:14px;align-items:center;margin:0 0 8px}
input[type=search]{font:inherit;padding:5px 8px;width:280px;border:1px solid var(--line);
border-radius:6px}
.small{color:var(--bad);font-weight:600}
.bar{display:inline-block;height:9px;background:var(--accent);border-radius:2px;
vertical-align:middle;margin-right:6px}
.note{background:#fff6e0;border:1px solid #f0d9a0;padding:8px 12px 8px 28px;border-radius:6px}
p.note{padding-left:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:14px}
figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px}
figure img{max-width:100%;display:block}figcaption{color:var(--muted);font-size:12px}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:20px;
align-items:start}
img.chart{max-width:100%;background:#fff;border:1px solid var(--line);border-radius:8px}
footer{color:var(--muted);font-size:12px;margin-top:32px}
"""

_JS = """
(function(){
var table=document.getElementById('classes');if(!table)return;
var body=table.tBodies[0],heads=table.tHead.rows[0].cells,box=document.getElementById('filter');
var only=document.getElementById('only-small'),shown=document.getElementById('shown');
var state={key:null,dir:1};
function sortBy(key,type){
  state.dir=state.key===key?-state.dir:1;state.key=key;
  var rows=Array.prototype.slice.call(body.rows),d=state.dir;
  rows.sort(function(a,b){
    var x=a.dataset[key],y=b.dataset[key],c;
    if(type==='num'){c=parseFloat(x)-parseFloat(y);}else{c=x.localeCompare(y);}
    return c*d||(parseInt(a.dataset.id,10)-parseInt(b.dataset.id,10));
  });
  rows.forEach(function(r){body.appendChild(r);});
  for(var i=0;i<heads.length;i++){heads[i].removeAttribute('aria-sort');}
  table.querySelector('th[data-key="'+key+'"]').setAttribute('aria-sort',
    d>0?'ascending':'descending');
  document.body.setAttribute('data-sorted',key+':'+(d>0?'asc':'desc'));
}
function filter(){
  var q=box.value.toLowerCase(),n=0;
  Array.prototype.forEach.call(body.rows,function(r){
    var ok=r.textContent.toLowerCase().indexOf(q)>=0&&(!only.checked||r.dataset.small==='1');
    r.hidden=!ok;if(ok)n++;
  });
  shown.textContent=n+' of '+body.rows.length+' classes';
}
Array.prototype.forEach.call(heads,function(th){
  th.addEventListener('click',function(){sortBy(th.dataset.key,th.dataset.type);});
});
box.addEventListener('input',filter);only.addEventListener('change',filter);
var q=new URLSearchParams(location.search),key=q.get('sort');
if(q.get('filter')){box.value=q.get('filter');}
filter();
if(key){var th=table.querySelector('th[data-key="'+key+'"]');
  if(th){th.click();if(q.get('dir')==='desc'){th.click();}}}
})();
"""


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _ci(interval: Sequence[float | None] | None) -> str:
    if not interval or interval[0] is None or interval[1] is None:
        return ""
    return f"[{interval[0]:.2f}, {interval[1]:.2f}]"


def _label(ref: ClassRef) -> str:
    return " ".join(filter(None, (str(ref.id), ref.wnid, ref.name)))


def write_report(document: EvaluationOutput) -> None:
    """Write the page `evaluate --html` asked for (``document.html``), if any, atomically.

    The workflow checked the path (never an input, never another output) and
    gathered the worst images; the page is written here, on the render side.
    """
    if document.html is not None:
        page = report_html(document, document.worst_images)
        write_text_atomic(Path(document.html), page)


def report_html(
    document: EvaluationOutput,
    worst: Sequence[WorstImage] = (),
    title: str | None = None,
    notes: Sequence[str] = (),
    split: str = "validation",
) -> str:
    """The whole page for one evaluation: ``worst`` thumbnails and ``notes`` (findings,
    caveats; shown under the title) are optional. The one call a scoring program needs."""
    run = title or document.submission
    note_list = "".join(f"<li>{escape(n)}</li>" for n in notes)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{escape(run)}: submitkit evaluation</title>",
        f"<style>{_CSS}</style></head><body><main>",
        _header(document, run, split),
        f"<ul class='note'>{note_list}</ul>" if notes else "",
        _metrics(document),
        _class_table(document.classes, document.bootstrap is not None),
        f"<div class='pair'><section>{_chart(document, run)}</section>"
        f"<section>{_confusions(document)}</section></div>",
        _worst(worst),
        f"<footer>Written by submitkit {escape(__version__)}. Metrics as the official "
        "ImageNet-S evaluator computes them, from exact integer counts.</footer>",
        f"</main><script>{_JS}</script></body></html>",
    ]
    return "\n".join(p for p in parts if p)


def _header(document: EvaluationOutput, run: str, split: str) -> str:
    track = TRACKS[document.track].name if document.track in TRACKS else str(document.track)
    bits = [f"{track} {split}", f"{document.images} images"]
    if document.protocol:
        bits.append(f"protocol: {document.protocol}")
    if document.matched:
        bits.append("ids mapped through match.json")
    return f"<h1>{escape(run)}</h1><p class='sub'>{escape(' · '.join(bits))}</p>"


def _metrics(document: EvaluationOutput) -> str:
    intervals = document.intervals or {}
    cards = []
    for key in ("mIoU", "Acc", "FMeasure", "mBIoU"):
        value = getattr(document.scores, key)
        cards.append(
            f"<div class='card'><div class='k'>{key}</div><div class='v'>{_fmt(value)}</div>"
            f"<div class='ci'>{escape(_ci(intervals.get(key)))}</div></div>"
        )
    rows = "".join(
        f"<tr><td>{key}</td><td class='n'>{_fmt(getattr(document.scores, key))}</td>"
        f"<td class='n'>{escape(_ci(intervals.get(key)))}</td><td>{escape(meaning)}</td></tr>"
        for key, meaning in SUMMARY_ROWS
    )
    out = [
        "<h2>Headline metrics</h2>",
        f"<div class='cards'>{''.join(cards)}</div>",
    ]
    b = document.bootstrap
    if b is not None:
        out.append(
            f"<p class='sub'>Intervals: {b.level:.0%} percentile bootstrap over images, "
            f"{b.samples} resamples, seed {b.seed}.</p>"
        )
        if b.note:
            out.append(f"<p class='note'>{escape(b.note)}</p>")
    out.append(
        "<details><summary>All twelve metrics</summary><table><thead><tr><th>metric</th>"
        "<th class='n'>value</th><th class='n'>interval</th><th>meaning</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )
    return "\n".join(out)


def _chart(document: EvaluationOutput, run: str) -> str:
    by_id = sorted(document.classes, key=lambda row: row.id)
    labels = [" ".join(filter(None, (str(r.id), r.wnid, r.name))) for r in by_id]
    image = class_iou_image([r.IoU for r in by_id], labels, title=f"Per-class IoU: {run}")
    return (
        "<h2>Per-class IoU</h2>"
        f"<img class='chart' alt='per-class IoU, sorted' src='{_data_uri(png_bytes(image))}'>"
    )


_COLUMNS = (
    ("id", "id", "num"),
    ("wnid", "wnid", "text"),
    ("name", "name", "text"),
    ("iou", "IoU", "num"),
    ("biou", "BIoU", "num"),
    ("images", "images", "num"),
    ("mistaken", "mostly mistaken for", "text"),
)


def _class_table(classes: Sequence[ClassScore], with_interval: bool) -> str:
    heads = "".join(
        f"<th data-key='{key}' data-type='{kind}'{' class=n' if kind == 'num' else ''}>{label}</th>"
        for key, label, kind in _COLUMNS
    )
    rows = "\n".join(_class_row(c, with_interval) for c in sorted(classes, key=lambda c: c.id))
    return (
        f"<h2>Every class ({len(classes)})</h2>"
        "<div class='tools'><input type='search' id='filter' placeholder='filter: id, wnid, "
        "name…'><label><input type='checkbox' id='only-small'> only classes held by fewer "
        f"than {SMALL_CLASS_IMAGES} images</label><span id='shown'></span></div>"
        "<p class='sub'>Click a header to sort. <span class='small'>*</span> marks a class "
        f"held by fewer than {SMALL_CLASS_IMAGES} validation images: its IoU alone says "
        "little.</p>"
        f"<div class='scroll'><table id='classes'><thead><tr>{heads}</tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def _class_row(c: ClassScore, with_interval: bool) -> str:
    mistaken = ""
    if c.mistaken_for is not None:
        m = c.mistaken_for
        mistaken = f"{_label(m.predicted)} ({m.share:.0f}%)"
    ci = f" <small>{escape(_ci(c.interval))}</small>" if with_interval else ""
    small = " <span class='small'>*</span>" if c.small else ""
    bar = f"<span class='bar' style='width:{max(0.0, min(c.IoU, 100.0)) * 0.6:.0f}px'></span>"
    attrs = (
        f"data-id='{c.id}' data-wnid='{escape(c.wnid or '')}' data-name='{escape(c.name or '')}' "
        f"data-iou='{c.IoU:.6f}' data-biou='{c.BIoU:.6f}' data-images='{c.images}' "
        f"data-mistaken='{escape(mistaken)}' data-small='{int(c.small)}'"
    )
    return (
        f"<tr {attrs}><td class='n'>{c.id}</td><td>{escape(c.wnid or '')}</td>"
        f"<td>{escape(c.name or '')}</td><td class='n'>{bar}{c.IoU:.2f}{ci}</td>"
        f"<td class='n'>{c.BIoU:.2f}</td><td class='n'>{c.images}{small}</td>"
        f"<td>{escape(mistaken)}</td></tr>"
    )


def _confusions(document: EvaluationOutput) -> str:
    if not document.confusions:
        return ""
    rows = "".join(
        f"<tr><td>{escape(_label(r.truth))}</td><td>{escape(_label(r.predicted))}</td>"
        f"<td class='n'>{r.pixels:,}</td><td class='n'>{r.share:.1f}%</td></tr>"
        for r in document.confusions
    )
    return (
        "<h2>Largest confusions</h2><table><thead><tr><th>ground truth</th>"
        "<th>predicted as</th><th class='n'>pixels</th><th class='n'>share of the class</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _worst(worst: Sequence[WorstImage]) -> str:
    if not worst:
        return ""
    figures = "".join(
        f"<figure><img alt='{escape(w.name)}' src='{_data_uri(w.png)}'>"
        f"<figcaption>{escape(w.name)}: image mIoU {w.mIoU:.1f} "
        "(left: prediction over the image, right: ground truth)</figcaption></figure>"
        for w in worst
    )
    return f"<h2>Worst images</h2><div class='grid'>{figures}</div>"
