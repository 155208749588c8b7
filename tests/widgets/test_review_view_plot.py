"""The per-slice plot: themed from the start, a sentence instead of an empty plot, a legend that never covers
the lines, and with many classes the worst and mean class per slice instead of a tangle of lines."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_hex
from napari.utils.theme import get_theme

from napari_segreview.widgets.slice_plot import MAX_CLASS_LINES, SlicePlot


def _rows(n_labels, n_slices=30, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(n_slices):
        for label in range(1, n_labels + 1):
            dice = float(rng.random())
            rows.append({"slice": index, "label": label, "dice": dice, "hd95": 3 * (1 - dice), "status": "ok"})
    return rows


def _plot(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    plot = SlicePlot(viewer)
    qtbot.addWidget(plot)
    plot.resize(900, 220)
    return viewer, plot


def test_before_a_review_the_plot_is_a_themed_sentence_not_a_white_box(make_napari_viewer, qtbot):
    viewer, plot = _plot(make_napari_viewer, qtbot)
    canvas = get_theme(viewer.theme).canvas.as_hex()
    assert to_hex(plot.figure.get_facecolor()) == to_hex(canvas)
    assert to_hex(plot.figure.get_facecolor()) != "#ffffff"
    assert plot.message and "no review yet" in plot.message
    assert not plot.axes.axison and [text.get_text() for text in plot.axes.texts] == [plot.message]
    viewer.theme = "light"
    assert to_hex(plot.figure.get_facecolor()) == to_hex(get_theme("light").canvas.as_hex())


def test_show_message_replaces_the_plot(make_napari_viewer, qtbot):
    _, plot = _plot(make_napari_viewer, qtbot)
    plot.plot(_rows(2), {}, "dice", 0.8, "mm", 30, 3)
    assert plot.axes.axison and plot.message is None
    plot.show_message("One 2D image is one slice: see the numbers above.")
    assert not plot.axes.axison and plot.axes.get_lines() == []
    assert plot.axes.texts[0].get_text().startswith("One 2D image")


def test_the_legend_sits_outside_the_axes(make_napari_viewer, qtbot):
    _, plot = _plot(make_napari_viewer, qtbot)
    plot.plot(_rows(3), {1: "grey matter", 2: "white matter"}, "dice", 0.8, "mm", 30, 3)
    plot.canvas.draw()
    renderer = plot.canvas.get_renderer()
    legend = plot.axes.get_legend().get_window_extent(renderer)
    axes = plot.axes.get_window_extent(renderer)
    assert legend.x0 >= axes.x1  # right of the data area: it can cover no line
    assert [text.get_text() for text in plot.axes.get_legend().get_texts()] == ["grey matter", "white matter",
                                                                                  "class 3"]  # fmt: skip


def test_many_classes_give_the_worst_and_the_mean_class_per_slice(make_napari_viewer, qtbot):
    _, plot = _plot(make_napari_viewer, qtbot)
    rows = _rows(MAX_CLASS_LINES + 1)
    plot.plot(rows, {}, "dice", 0.8, "mm", 30, None)
    legend = [text.get_text() for text in plot.axes.get_legend().get_texts()]
    assert legend == ["worst class", "mean of classes"]
    assert str(MAX_CLASS_LINES + 1) in plot.axes.get_title(loc="left")
    lines = {line.get_label(): line.get_ydata() for line in plot.axes.get_lines()}
    for index in (0, 7, 29):
        values = [row["dice"] for row in rows if row["slice"] == index]
        assert lines["worst class"][index] == min(values)
        assert lines["mean of classes"][index] == sum(values) / len(values)
