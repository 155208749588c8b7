"""The HTML report as one self-contained page: styles, a few lines of script (sorting a table by a click on
its header) and the pictures (inline SVG plots, PNG thumbnails as data: URIs) are all inside the file, so it
opens offline and can be mailed as it is. Every text from the report (case names, messages, options) is
escaped."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from typing import Any

from .. import __version__
from ..review.overlay import FALSE_NEGATIVE, FALSE_POSITIVE, OVERLAY_COLORS
from .cases import Folders, WorstCase
from .page_assets import SCRIPT, STYLE
from .policy_text import CONVENTION_NOTE, CONVENTIONS, EMPTY_MASK_POLICY, EXCLUSION_NOTE
from .statistics import DISTANCE_METRICS, METRICS, ClassStatistics
from .svg_plots import box_plot_svg
from .thumbnails import GT_CONTOUR, PRED_CONTOUR

SECTIONS = ("summary", "plots", "classes", "worst-cases", "failed-cases", "conventions", "options")
UNITS = {"hd": "mm", "hd95": "mm", "assd": "mm"}
# past this many classes a box's name is its label number alone (the axis says "label")
NAMED_BOXES = 6


@dataclass(frozen=True)
class ReportContent:
    """Everything the page shows. ``options`` is the report's recorded options record (None: none recorded)."""

    title: str
    source: str  # the report's file name
    rows: Sequence[dict]
    classes: Sequence[ClassStatistics]
    worst: Sequence[WorstCase]
    options: dict[str, Any] | None
    folders: Folders
    created: datetime | None = None


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return "inf" if math.isinf(value) else f"{value:.4g}"


def _cell(value: float | None) -> str:
    """A numeric table cell that sorts by its value (empty and infinite sort last / first as numbers do)."""
    if value is None:
        return '<td class="num" data-value="-1e308"></td>'
    key = "1e308" if math.isinf(value) else repr(float(value))
    return f'<td class="num" data-value="{key}">{_number(value)}</td>'


def _summary(content: ReportContent) -> str:
    rows = content.rows
    cases = len({row["case"] for row in rows})
    failed = len({row["case"] for row in rows if row["status"] == "error"})
    no_label = len({row["case"] for row in rows if row["status"] == "both_empty" and row.get("label") is None})
    both_empty = sum(c.both_empty for c in content.classes)
    inf_rows = sum(c.inf_rows for c in content.classes)
    plain = [c for c in content.classes if not c.is_region]
    labels = ", ".join(c.title.removeprefix("label ") for c in plain) or "none"
    if len(plain) > NAMED_BOXES:
        labels = f"{len(plain)} ({plain[0].label} to {plain[-1].label})"
    regions = [c.name for c in content.classes if c.is_region]
    counts = (
        ("cases", cases),
        ("failed cases (no metric)", failed),
        ("cases where neither mask holds a label", no_label),
        ("labels", labels),
        *((("regions", ", ".join(regions)),) if regions else ()),
        ("both-empty label rows (left out)", both_empty),
        ("label rows with an infinite distance", inf_rows),
    )
    header = "".join(f"<th>{escape(name)}</th>" for name, _value in counts)
    values = "".join(f"<td>{escape(str(value))}</td>" for _name, value in counts)
    table = f'<table class="counts"><tr>{header}</tr><tr>{values}</tr></table>'
    return f'<section id="summary"><h2>Summary</h2>{table}</section>'


def _left_out(entry: ClassStatistics, metric: str) -> str:
    """``15 shown, 5 left out (2 failed, 3 infinite)``; the reasons that count none are not named."""
    reasons = [("both empty", entry.both_empty), ("failed", entry.error_rows)]
    if metric in DISTANCE_METRICS:
        reasons.append(("infinite", entry.rows - len(entry.values[metric])))
    words = f"{len(entry.values[metric])} shown"
    if entry.excluded(metric):
        words += f", {entry.excluded(metric)} left out ({', '.join(f'{n} {why}' for why, n in reasons if n)})"
    return words


def _caption(classes: Sequence[ClassStatistics], metric: str) -> str:
    """What the plot of ``metric`` shows and leaves out, per class; classes with the same counts share a clause
    (``labels 1, 3: 20 shown; label 2 (core): 15 shown, 5 left out (2 failed, 3 infinite)``)."""
    by_words: dict[str, list[ClassStatistics]] = {}
    for entry in classes:
        by_words.setdefault(_left_out(entry, metric), []).append(entry)
    return "; ".join(f"{_titles(entries)}: {words}" for words, entries in by_words.items())


def _titles(entries: Sequence[ClassStatistics]) -> str:
    """``labels 1, 2`` for unnamed labels, else each one's title (``label 1 (edema), region whole tumour``)."""
    if len(entries) > 1 and all(not e.is_region and not e.name for e in entries):
        return "labels " + ", ".join(str(e.label) for e in entries)
    return ", ".join(e.title for e in entries)


def _plots(content: ReportContent) -> str:
    if not content.classes:
        return '<section id="plots"><h2>Per-class distributions</h2><p>No label row to plot.</p></section>'
    named = len(content.classes) <= NAMED_BOXES
    figures = []
    for metric in METRICS:
        groups = [
            (c.short_title if named else (c.name if c.is_region else str(c.label)), c.values[metric], c.cases[metric])
            for c in content.classes
        ]
        caption = _caption(content.classes, metric)
        svg = box_plot_svg(metric, UNITS.get(metric, ""), groups, axis_name="" if named else "label")
        wide = "" if named else ' class="wide"'  # a wide plot has a row to itself, its caption too
        figures.append(f'<figure id="plot-{metric}"{wide}>{svg}<figcaption>{escape(caption)}.</figcaption></figure>')
    return (
        '<section id="plots"><h2>Per-class distributions</h2>'
        f'<p class="note">{escape(EXCLUSION_NOTE)}</p><div class="plots">{"".join(figures)}</div></section>'
    )


def _classes(content: ReportContent) -> str:
    head = ["label", "class", "rows", "both empty", "inf rows", "failed cases"]
    for metric in METRICS:
        head += [f"{metric} median", f"{metric} mean"]
    lines = []
    for c in content.classes:
        kind = f"{c.name} (region)" if c.is_region else c.name
        cells = [_cell(c.label), f"<td>{escape(kind)}</td>", _cell(c.rows), _cell(c.both_empty), _cell(c.inf_rows)]
        cells.append(_cell(c.error_rows))
        for metric in METRICS:
            box = c.box(metric)
            cells += [_cell(box and box.median), _cell(box and box.mean)]
        lines.append("<tr>" + "".join(cells) + "</tr>")
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return (
        '<section id="classes"><h2>Per-class statistics</h2>'
        '<p class="note">Medians and means of the finite values shown in the plots (both-empty rows, failed '
        "cases and, for distances, infinite values left out; their counts are in the table). Click a header to "
        "sort.</p>"
        f'<div style="overflow-x:auto"><table class="sortable"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table></div></section>"
    )


def _legend() -> str:
    items = [
        (GT_CONTOUR, "ground-truth contour"),
        (PRED_CONTOUR, "prediction contour"),
        (OVERLAY_COLORS[FALSE_POSITIVE], "false positive (predicted, not in GT)"),
        (OVERLAY_COLORS[FALSE_NEGATIVE], "false negative (in GT, missed)"),
        ("#dddddd", "true positive (faint white)"),
    ]
    return "".join(f'<span class="swatch" style="background:{c}"></span>{escape(t)}' for c, t in items)


def _worst(content: ReportContent) -> str:
    folders = content.folders
    if folders.for_thumbnails:
        where = f"ground truth from {folders.gt}, predictions from {folders.pred}"
        where += f", images from {folders.images}" if folders.images else " (no images folder: the GT is shown in grey)"
        intro = (
            "Each case's worst label on its worst slice along axis 0 (axial for NIfTI): the lowest Dice among the "
            "slices where the GT or the prediction holds at least a tenth of the label's largest slice, cropped to "
            f"the label; {where}."
        )
        legend = f"<p>{_legend()}</p>"
    else:
        intro = (
            "No thumbnails: the report does not say where its files are; give the ground-truth and prediction "
            "folders (segreview report --gt DIR --pred DIR) to see each case's worst slice."
        )
        legend = ""
    titles = {c.label: c.title for c in content.classes if not c.is_region}
    cards = []
    for rank, case in enumerate(content.worst, start=1):
        picture = (
            f'<img class="thumb" src="{case.png_uri}" alt="worst slice of {escape(case.case, quote=True)}">'
            if case.png_uri
            else ""
        )
        where = ""
        if case.slice_dice is not None:
            where = "" if case.slice_index is None else f"slice {case.slice_index}: "
            where = f"<br>{where}Dice {_number(case.slice_dice)} on this slice"
        note = f"<div class='note'>{escape(case.note)}</div>" if case.note else ""
        label = escape(titles.get(case.label, f"label {case.label}"))
        cards.append(
            f'<figure class="case"><figcaption><b>{rank}. {escape(case.case)}</b><br>{label}: Dice '
            f"{_number(case.dice)} · mean Dice {_number(case.mean_dice)}{where}</figcaption>{picture}{note}</figure>"
        )
    body = "".join(cards) or "<p>No case has a label to rank.</p>"
    return (
        f'<section id="worst-cases"><h2>Worst cases</h2><p class="note">Ranked by their worst label\'s Dice '
        f'(ties: lower mean Dice). {escape(intro)}</p>{legend}<div class="cases">{body}</div></section>'
    )


def _failed(content: ReportContent) -> str:
    failed = [row for row in content.rows if row["status"] == "error"]
    if not failed:
        return '<section id="failed-cases"><h2>Failed cases</h2><p>None.</p></section>'
    items = "".join(f"<li><b>{escape(r['case'])}</b>: {escape(r.get('message') or '')}</li>" for r in failed)
    return (
        f'<section id="failed-cases"><h2>Failed cases</h2><p class="note">{len(failed)} case(s) could not be '
        f"evaluated; they have no metric and are left out of every plot.</p><ul>{items}</ul></section>"
    )


def _conventions(content: ReportContent) -> str:
    used = (content.options or {}).get("convention")
    items = "".join(
        f"<li><b>{escape(name)}</b>{' (used here)' if name == used else ''}: {escape(text)}</li>"
        for name, text in CONVENTIONS.items()
    )
    which = (
        f"This report was computed with the <b>{escape(str(used))}</b> convention."
        if used
        else "The report does not record which convention it was computed with."
    )
    return (
        '<section id="conventions"><h2>Conventions and empty masks</h2>'
        f"<p>{which}</p><ul>{items}</ul><p>{escape(CONVENTION_NOTE)}</p>"
        f'<p id="empty-mask-policy">{escape(EMPTY_MASK_POLICY)}</p></section>'
    )


def _options(content: ReportContent) -> str:
    options = content.options
    if options is None:
        recorded = (
            "<p>The report records no options (a report of an older version, a single-pair report, or a CSV "
            "report without its options file).</p>"
        )
    else:
        recorded = (
            "<table>"
            + "".join(
                f"<tr><th>{escape(str(key))}</th><td>{escape(_option_text(key, value))}</td></tr>"
                for key, value in options.items()
            )
            + "</table>"
        )
    folders = content.folders
    given = "".join(
        f"<tr><th>{role}</th><td>{escape(str(path)) if path else 'not given'}</td></tr>"
        for role, path in (("ground truth", folders.gt), ("predictions", folders.pred), ("images", folders.images))
    )
    return (
        f'<section id="options"><h2>Options</h2><p>Metric options recorded in {escape(content.source)}:</p>'
        f"{recorded}<p>Folders given for the thumbnails:</p><table>{given}</table></section>"
    )


def _option_text(key: str, value: Any) -> str:
    if value is None:
        return {"labels": "every label present", "spacing": "each file's header"}.get(key, "none")
    return json.dumps(value) if not isinstance(value, str) else value


def render_page(content: ReportContent) -> str:
    """The whole HTML document."""
    created = (content.created or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(content.title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(content.title)}</h1>"
        f'<p class="meta">{escape(content.source)} · segreview {escape(__version__)} · {created}</p>'
        f"{_summary(content)}{_plots(content)}{_classes(content)}{_worst(content)}{_failed(content)}"
        f"{_conventions(content)}{_options(content)}"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
