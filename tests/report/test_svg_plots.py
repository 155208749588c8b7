"""The SVG box plots: a dot per value (its case as a tooltip) for small groups, a histogram for large ones, the
box where the statistics put it."""

from __future__ import annotations

import re

import numpy as np
import pytest

from napari_segreview.report.svg_plots import (
    HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    STRIP_LIMIT,
    box_plot_svg,
    nice_ticks,
)


def test_a_dot_per_value_with_its_case():
    values = [0.2, 0.5, 0.9]
    svg = box_plot_svg("dice", "", [("label 1", values, ["a<1>", "b&2", 'c"3'])])
    titles = re.findall(r"<circle[^>]*><title>([^<]*)</title>", svg)
    assert titles == ["a&lt;1&gt;: 0.2", "b&amp;2: 0.5", "c&quot;3: 0.9"]


def test_the_median_line_sits_at_the_median():
    values = list(np.linspace(0, 1, 11))
    svg = box_plot_svg("dice", "", [("label 1", values, [str(i) for i in range(11)])])
    plot_h = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    median_y = MARGIN_TOP + plot_h * (1 - 0.5)
    assert re.search(rf'y1="{median_y:.1f}" x2="[\d.]+" y2="{median_y:.1f}" stroke="#222" stroke-width="2"', svg)


def test_a_large_group_is_a_histogram_of_every_value():
    values = list(np.random.default_rng(0).uniform(0, 1, STRIP_LIMIT + 200))
    svg = box_plot_svg("dice", "", [("label 1", values, ["case"] * len(values))])
    assert "<circle" not in svg.replace('fill="none"', "")  # no dots (outlier rings have no fill)
    counts = [int(n) for n in re.findall(r"<rect[^>]*><title>[^:]*: (\d+)</title>", svg)]
    assert 10 <= len(counts) <= 20 and sum(counts) == len(values)


@pytest.mark.parametrize(("top", "expected"), [(1.0, 0.2), (7.3, 2.0), (73.0, 20.0), (0.03, 0.01)])
def test_ticks_are_round_and_reach_the_top(top, expected):
    ticks = nice_ticks(top)
    assert ticks[1] - ticks[0] == pytest.approx(expected) and ticks[-1] >= top
