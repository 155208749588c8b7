"""The per-slice plot: themed from the start, a sentence instead of an empty plot, a legend that never covers
the lines, and with many classes the worst and mean class per slice instead of a tangle of lines."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_hex, to_rgb
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


def _painted(plot) -> np.ndarray:
    """The canvas as the screen shows it: RGB pixels of the widget's own paint."""
    image = plot.canvas.grab().toImage().convertToFormat(4)  # QImage.Format_RGB32
    pixels = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint8)
    return pixels.reshape(image.height(), image.bytesPerLine() // 4, 4)[:, : image.width(), 2::-1]


def test_after_a_resize_the_plot_is_drawn_at_the_new_size_and_never_shown_blank(make_napari_viewer, qtbot):
    # the idle redraw is a short timer (not a posted event); meanwhile a paint shows the theme's background
    viewer, plot = _plot(make_napari_viewer, qtbot)
    plot.show()
    plot.plot(_rows(2), {}, "dice", 0.8, "mm", 30, 5)
    plot.resize(700, 300)
    qtbot.waitUntil(lambda: plot.canvas.width() == 700)
    white = (_painted(plot) == 255).all(axis=-1).mean()
    assert white < 0.5, "a blank (white) frame before the redraw"
    qtbot.waitUntil(lambda: not plot.canvas.redraw_timer.isActive(), timeout=2000)
    width, height = plot.canvas.get_width_height(physical=True)
    assert plot.canvas.buffer_rgba().shape[:2] == (height, width)
    background = np.array(to_rgb(get_theme(viewer.theme).canvas.as_hex())) * 255
    shown = _painted(plot)
    assert (
        np.abs(shown.astype(int) - background).sum(axis=-1) > 60
    ).mean() > 0.01  # lines and text, not only background


def test_a_stream_of_redraw_requests_still_draws(make_napari_viewer, qtbot):
    _, plot = _plot(make_napari_viewer, qtbot)
    plot.show()
    drawn = []
    plot.figure.canvas.mpl_connect("draw_event", lambda event: drawn.append(event))
    for _ in range(20):  # e.g. a splitter drag: a request every 5 ms, each sooner than the 15 ms delay
        plot.canvas.draw_idle()
        qtbot.wait(5)
    assert len(drawn) >= 3


def _marker_columns(plot) -> np.ndarray:
    """x pixels (in the canvas buffer) where the marker's grey fills most of the axes' height."""
    pixels = np.asarray(plot.canvas.buffer_rgba())[..., :3].astype(int)
    box = plot.axes.get_window_extent(plot.canvas.get_renderer())
    height = pixels.shape[0]
    rows = pixels[int(height - box.y1) + 2 : int(height - box.y0) - 2]
    grey = (np.abs(rows - 0xBB) <= 8).all(axis=-1).mean(axis=0)
    return np.flatnonzero(grey > 0.6)


def test_the_marker_moves_without_drawing_the_whole_plot_again(make_napari_viewer, qtbot):
    # a full draw (layout and text) is 40-60 ms: on every step of the slice slider it would stall the window
    _, plot = _plot(make_napari_viewer, qtbot)
    plot.show()
    plot.plot(_rows(2), {}, "dice", 0.8, "mm", 30, 5)
    qtbot.waitUntil(lambda: not plot.canvas.redraw_timer.isActive(), timeout=2000)
    before = _marker_columns(plot)
    drawn = []
    plot.figure.canvas.mpl_connect("draw_event", lambda event: drawn.append(event))
    plot.move_marker(20)
    qtbot.wait(50)
    assert drawn == []
    after = _marker_columns(plot)
    x_of = plot.axes.transData.transform
    assert len(before) and len(after)
    assert abs(after.mean() - x_of((20, 0))[0]) < 3 and abs(before.mean() - x_of((5, 0))[0]) < 3
    plot.resize(600, 260)  # a new size: drawn in full, with the marker where it now is
    qtbot.waitUntil(lambda: len(drawn) > 0, timeout=2000)
    plot.move_marker(10)
    qtbot.waitUntil(lambda: abs(_marker_columns(plot).mean() - plot.axes.transData.transform((10, 0))[0]) < 3)


def test_a_plot_laid_out_in_one_turn_and_drawn_in_the_next_keeps_its_layout(make_napari_viewer, qtbot):
    _, reference = _plot(make_napari_viewer, qtbot)
    reference.show()
    reference.plot(_rows(3), {1: "grey matter"}, "dice", 0.8, "mm", 30, 3)  # laid out and drawn at once
    whole = reference.axes.get_position().bounds
    _, plot = _plot(make_napari_viewer, qtbot)
    plot.show()
    qtbot.waitUntil(lambda: not plot.canvas.redraw_timer.isActive(), timeout=2000)
    placeholder = plot.axes.get_position().bounds
    plot.plot(_rows(3), {1: "grey matter"}, "dice", 0.8, "mm", 30, 3, render=False)
    assert not np.allclose(placeholder, whole, atol=1e-3)
    assert np.allclose(plot.axes.get_position().bounds, whole, atol=1e-3)  # placed already, before the draw
    drawn = []
    plot.figure.canvas.mpl_connect("draw_event", lambda event: drawn.append(event))
    plot.render()
    assert len(drawn) == 1 and np.allclose(plot.axes.get_position().bounds, whole, atol=1e-3)
    assert type(plot.figure.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"  # back for resizes
    plot.plot(_rows(3), {1: "grey matter"}, "dice", 0.8, "mm", 30, 3, render=False)
    plot.resize(500, 300)  # resized between the two turns: laid out again at the new size
    qtbot.waitUntil(lambda: plot.canvas.width() == 500)
    plot.render()
    legend = plot.axes.get_legend().get_window_extent(plot.canvas.get_renderer())
    assert legend.x1 <= plot.canvas.get_width_height()[0] + 1
    assert type(plot.figure.get_layout_engine()).__name__ == "ConstrainedLayoutEngine"


def test_a_marker_moved_while_a_full_draw_is_coming_waits_for_it(make_napari_viewer, qtbot):
    viewer, plot = _plot(make_napari_viewer, qtbot)
    plot.show()
    qtbot.waitUntil(lambda: not plot.canvas.redraw_timer.isActive(), timeout=2000)
    plot.plot(_rows(2), {}, "dice", 0.8, "mm", 30, 5, render=False)  # laid out; drawn in the next turn
    plot.move_marker(12)
    assert len(_marker_columns(plot)) == 0  # not blitted onto the placeholder still in the buffer
    plot.render()
    assert abs(_marker_columns(plot).mean() - plot.axes.transData.transform((12, 0))[0]) < 3
    viewer.theme = "light"  # a redraw pending: it draws the marker where the move left it
    plot.move_marker(20)
    qtbot.waitUntil(lambda: not plot.canvas.redraw_timer.isActive(), timeout=2000)
    assert abs(_marker_columns(plot).mean() - plot.axes.transData.transform((20, 0))[0]) < 3
