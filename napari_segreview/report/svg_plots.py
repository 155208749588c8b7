"""Box plots with the values beside them as a strip, drawn as inline SVG (no plotting library and no script,
so the report opens offline in any browser).

One plot per metric, one box per class; each value is a dot (its case name as a tooltip), jittered sideways by
a fixed rule so that the same report draws the same picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

from .statistics import BoxStatistics, box_statistics

WIDTH, HEIGHT = 380, 210
SLOT_MIN = 34  # pixels per box: with many classes the plot grows wider (and the page scrolls sideways)
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 16, 14, 34
BOX_COLOR, DOT_COLOR, OUTLIER_COLOR = "#4c78a8", "#f58518", "#d62728"
# past this many values a group's dots become a histogram beside its box (a page of thousands of cases stays small)
STRIP_LIMIT = 300
HISTOGRAM_BINS = 20
UNIT_RANGE_METRICS = ("dice", "iou", "nsd")  # always on 0..1, so plots of two reports compare at a glance


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top`` (> 0): steps of 1, 2 or 5 times a power of ten."""
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [i * step for i in range(int(math.ceil(top / step - 1e-9)) + 1)]


def _number(value: float) -> str:
    return f"{value:.4g}"


def _jitter(index: int) -> float:
    """A spread in [-1, 1] that looks random but is the same every time (golden-ratio sequence)."""
    return ((index * 0.6180339887) % 1.0) * 2 - 1


def box_plot_svg(
    metric: str, unit: str, groups: Sequence[tuple[str, Sequence[float], Sequence[str]]], axis_name: str = ""
) -> str:
    """An ``<svg>`` of ``metric`` with one box per group ``(name, finite values, their case names)``.

    ``unit`` is shown on the axis (e.g. "mm", or "" for Dice). Groups without values get an empty slot that
    says "no finite value". ``axis_name`` is written under the boxes' names (e.g. "label" when they are numbers).
    """
    values = [value for _name, group_values, _cases in groups for value in group_values]
    if metric in UNIT_RANGE_METRICS:
        top = 1.0
    else:
        top = max(values, default=0.0) or 1.0
    ticks = nice_ticks(top)
    top = ticks[-1]
    width = max(WIDTH, MARGIN_LEFT + MARGIN_RIGHT + SLOT_MIN * len(groups))
    height = HEIGHT + (14 if axis_name else 0)
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM

    def y(value: float) -> float:
        return MARGIN_TOP + plot_h * (1 - value / top)

    title = f"{metric} ({unit})" if unit else metric
    parts = [
        f'<svg class="plot" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)} by class">'
    ]
    for tick in ticks:
        ty = y(tick)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{ty:.1f}" x2="{width - MARGIN_RIGHT}" y2="{ty:.1f}" stroke="#e3e3e3"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" class="tick">{_number(tick)}</text>'
        )
    parts.append(
        f'<text x="14" y="{MARGIN_TOP + plot_h / 2:.1f}" text-anchor="middle" class="axis" '
        f'transform="rotate(-90 14 {MARGIN_TOP + plot_h / 2:.1f})">{escape(title)}</text>'
    )
    if axis_name:
        parts.append(
            f'<text x="{MARGIN_LEFT + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle" class="axis">'
            f"{escape(axis_name)}</text>"
        )
    slot = plot_w / max(len(groups), 1)
    for index, (name, group_values, cases) in enumerate(groups):
        centre = MARGIN_LEFT + slot * (index + 0.5)
        parts.append(
            f'<text x="{centre:.1f}" y="{HEIGHT - 12}" text-anchor="middle" class="axis">{escape(name)}</text>'
        )
        box = box_statistics(group_values)
        if box is None:
            parts.append(
                f'<text x="{centre:.1f}" y="{MARGIN_TOP + plot_h / 2:.1f}" text-anchor="middle" class="tick">'
                "no finite value</text>"
            )
            continue
        half = min(slot * 0.22, 40)
        parts.append(_box(box, centre, half, y))
        spread = min(slot * 0.12, 22)
        if len(group_values) > STRIP_LIMIT:
            parts.append(_histogram(group_values, centre + half + 6, spread, top, y))
            continue
        for number, (value, case) in enumerate(zip(group_values, cases, strict=True)):
            dx = centre + half + 6 + spread * (1 + _jitter(number)) / 2
            parts.append(
                f'<circle cx="{dx:.1f}" cy="{y(value):.1f}" r="2.6" fill="{DOT_COLOR}" fill-opacity="0.7">'
                f"<title>{escape(case)}: {_number(value)}</title></circle>"
            )
    parts.append(
        f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{MARGIN_TOP + plot_h}" stroke="#888"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _histogram(values: Sequence[float], left: float, length: float, top: float, y) -> str:
    """Bars from ``left`` sideways, one per twentieth of the axis, as long as their share of the values (the
    longest ``length``), each with its count as a tooltip: the distribution of a large group in a fixed size."""
    counts, edges = np.histogram(np.asarray(values, dtype=float), bins=HISTOGRAM_BINS, range=(0.0, top))
    most = max(int(counts.max()), 1)
    parts = []
    for count, low, high in zip(counts, edges[:-1], edges[1:], strict=True):
        if count:
            parts.append(
                f'<rect x="{left:.1f}" y="{y(high):.1f}" width="{length * count / most:.1f}" '
                f'height="{max(y(low) - y(high) - 0.5, 0.5):.1f}" fill="{DOT_COLOR}" fill-opacity="0.7">'
                f"<title>{_number(low)}-{_number(high)}: {int(count)}</title></rect>"
            )
    return "".join(parts)


def _box(box: BoxStatistics, centre: float, half: float, y) -> str:
    left, right = centre - half, centre + half
    q3, q1 = y(box.q3), y(box.q1)
    tip = (
        f"n {box.count}, median {_number(box.median)}, quartiles {_number(box.q1)}-{_number(box.q3)}, "
        f"mean {_number(box.mean)}"
    )
    parts = [
        f"<g><title>{escape(tip)}</title>",
        f'<line x1="{centre:.1f}" y1="{y(box.high_whisker):.1f}" x2="{centre:.1f}" y2="{q3:.1f}" stroke="#333"/>',
        f'<line x1="{centre:.1f}" y1="{q1:.1f}" x2="{centre:.1f}" y2="{y(box.low_whisker):.1f}" stroke="#333"/>',
        f'<line x1="{centre - half / 2:.1f}" y1="{y(box.high_whisker):.1f}" x2="{centre + half / 2:.1f}" '
        f'y2="{y(box.high_whisker):.1f}" stroke="#333"/>',
        f'<line x1="{centre - half / 2:.1f}" y1="{y(box.low_whisker):.1f}" x2="{centre + half / 2:.1f}" '
        f'y2="{y(box.low_whisker):.1f}" stroke="#333"/>',
        f'<rect x="{left:.1f}" y="{q3:.1f}" width="{2 * half:.1f}" height="{max(q1 - q3, 0.5):.1f}" '
        f'fill="{BOX_COLOR}" fill-opacity="0.35" stroke="{BOX_COLOR}"/>',
        f'<line x1="{left:.1f}" y1="{y(box.median):.1f}" x2="{right:.1f}" y2="{y(box.median):.1f}" '
        'stroke="#222" stroke-width="2"/>',
    ]
    for value in box.outliers:
        parts.append(f'<circle cx="{centre:.1f}" cy="{y(value):.1f}" r="3" fill="none" stroke="{OUTLIER_COLOR}"/>')
    parts.append("</g>")
    return "".join(parts)
