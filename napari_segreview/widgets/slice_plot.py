"""The per-slice plot: Dice (or HD95) against slice index, the failing threshold, a marker at the current slice.
Follows napari's theme; a click jumps to the clicked slice. The legend sits outside the axes (it never covers a
line); with many classes the plot shows the worst and the mean class per slice instead of one line each."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from qtpy.QtCore import QTimer, Signal
from qtpy.QtGui import QColor, QPainter
from qtpy.QtWidgets import QVBoxLayout, QWidget

LINE_COLORS = ("#ff9d2e", "#3fa7ff", "#7bd88f", "#e06cff", "#f4f45c", "#ff6b6b", "#5ee0d8", "#c8a2ff")
# up to this many classes get a line (and a legend entry) each; more would be a tangle no legend can name
MAX_CLASS_LINES = len(LINE_COLORS)
PLACEHOLDER = "no review yet: choose the ground truth and the prediction, then Compute review"


def theme_colors(viewer) -> tuple[str, str]:
    """(background, text) of the viewer's current napari theme."""
    try:
        from napari.utils.theme import get_theme

        theme = get_theme(viewer.theme)
        return theme.canvas.as_hex(), theme.text.as_hex()
    except Exception:  # a theme without these fields: fall back to napari's dark defaults
        return "#000000", "#f0f1f2"


def _column(rows, key: str, dtype) -> np.ndarray:
    """One column of rows given as dicts or as ``{key: array}`` columns."""
    if isinstance(rows, dict):
        return np.asarray(rows[key]).astype(dtype, copy=False)
    if dtype is str:
        return np.array([row[key] for row in rows], dtype=str)
    return np.fromiter((row[key] for row in rows), dtype=dtype, count=len(rows))


class PlotCanvas(FigureCanvasQTAgg):
    """matplotlib's Qt canvas whose idle redraw (after a resize, a theme change) is a short timer rather than a
    posted event. A posted event runs before the window's pending timers and input: a resize caused by napari
    adding a layer (its controls widen the panel) redrew the plot in the same freeze as the layer's creation.
    Until the redraw, a paint shows the figure's background, never an empty (white) buffer."""

    REDRAW_DELAY_MS = 15

    def __init__(self, figure):
        super().__init__(figure)
        self.redraw_timer = QTimer(self)
        self.redraw_timer.setSingleShot(True)
        self.redraw_timer.setInterval(self.REDRAW_DELAY_MS)
        self.redraw_timer.timeout.connect(self._redraw)

    def draw_idle(self) -> None:
        try:
            if not self.redraw_timer.isActive():  # not restarted: a stream of requests still draws every 15 ms
                self.redraw_timer.start()
        except RuntimeError:  # the widget is gone (a theme change after the dock closed): nothing to draw
            pass

    def _redraw(self) -> None:
        if self.width() > 0 and self.height() > 0:
            self.draw()

    def draw(self) -> None:
        self.redraw_timer.stop()  # drawn now: a pending idle redraw would draw the same again
        super().draw()

    def paintEvent(self, event) -> None:
        if self.redraw_timer.isActive():  # resized, not yet redrawn: the buffer has the old size or none
            painter = QPainter(self)
            painter.fillRect(self.rect(), QColor.fromRgbF(*self.figure.get_facecolor()))
            painter.end()
            return
        super().paintEvent(event)


class SlicePlot(QWidget):
    slice_clicked = Signal(int)

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.figure = Figure(figsize=(4, 1.8), layout="constrained")
        self.canvas = PlotCanvas(self.figure)
        # a laptop screen: napari's layer controls grow in 3D (434 px with the surface's), and the window must stay
        # <= 800 px with them and this dock at its minimum
        self.canvas.setMinimumHeight(80)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        self.axes = self.figure.add_subplot()
        self.marker = None
        self.message: str | None = None
        self.background = None  # (pixels without the marker, canvas size), saved after each full draw
        self.laid_out = None  # (layout engine, canvas size) of a plot laid out and not yet rendered
        self.canvas.mpl_connect("button_press_event", self._on_click)
        self.canvas.mpl_connect("draw_event", self._on_draw)
        viewer.events.theme.connect(lambda event: self.redraw_theme())
        self.show_message(PLACEHOLDER)

    def show_message(self, text: str) -> None:
        """Show one sentence instead of a plot (before a review, or when there is nothing to plot), in the
        theme's colours, with no axes."""
        self._give_back_engine()
        self.axes.clear()
        self.marker = None
        self.message = text
        self.axes.set_axis_off()
        self.axes.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, wrap=True, transform=self.axes.transAxes)
        self.redraw_theme()

    def redraw_theme(self, now: bool = False) -> None:
        """Apply the theme's colours and redraw: at the next idle moment, or ``now`` (the review's plot steps
        render in turns of their own; left to the idle draw, the rendering fell into the turn of the next step,
        napari making a layer, and the two froze the window together)."""
        self._apply_theme()
        if now:
            self.canvas.draw()
        else:
            self.canvas.draw_idle()

    def _apply_theme(self) -> None:
        background, text = theme_colors(self.viewer)
        self.figure.set_facecolor(background)
        self.axes.set_facecolor(background)
        for spine in self.axes.spines.values():
            spine.set_color(text)
        self.axes.tick_params(colors=text, labelsize=8)
        self.axes.xaxis.label.set_color(text)
        self.axes.yaxis.label.set_color(text)
        self.axes.title.set_color(text)
        for entry in self.axes.texts:
            entry.set_color(text)
        legend = self.axes.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor(background)
            legend.get_frame().set_edgecolor(text)
            for entry in legend.get_texts():
                entry.set_color(text)

    def plot(self, rows: list[dict] | dict[str, np.ndarray], class_names: dict[int, str], metric: str,
             threshold: float, unit: str, n_slices: int, current: int | None, render: bool = True) -> None:  # fmt: skip
        """Redraw from slice rows (dicts, or columns ``{key: array}`` as ``SliceRows.columns`` gives);
        both-empty slices leave gaps, misses (inf) are marked at the axis top. Up to MAX_CLASS_LINES classes get a
        line each; more get two lines: the worst and the mean class per slice. ``render`` False: laid out now,
        drawn by :meth:`render`."""
        self._give_back_engine()
        self.axes.clear()
        self.message = None
        self.axes.set_axis_on()
        slices, labels = _column(rows, "slice", np.int64), _column(rows, "label", np.int64)
        values = _column(rows, metric, float)
        counted = _column(rows, "status", str) != "both_empty"
        dice = _column(rows, "dice", float)
        failing = counted & (dice < threshold)
        classes = np.unique(labels[counted]) if len(labels) else np.zeros(0, np.int64)
        if len(classes) <= MAX_CLASS_LINES:
            for number, label in enumerate(classes):
                mine = (labels == label) & counted
                name = class_names.get(int(label), f"class {label}")
                self._line(slices[mine], values[mine], failing[mine], n_slices, metric,
                           LINE_COLORS[number % len(LINE_COLORS)], name)  # fmt: skip
        else:
            self._summary_lines(slices[counted], values[counted], failing[counted], n_slices, metric)
            self.axes.set_title(f"{len(classes)} classes: the worst and the mean per slice (choose a class for its "
                                "own line)", fontsize=8, loc="left")  # fmt: skip
        if metric == "dice":
            self.axes.axhline(threshold, color="#c8283c", linestyle="--", linewidth=1)
            self.axes.set_ylim(-0.02, 1.02)
            self.axes.set_ylabel("Dice", fontsize=8)
        else:
            self.axes.set_ylabel(f"HD95 ({unit}), x = missed", fontsize=8)
        self.axes.set_xlabel("slice", fontsize=8)
        self.axes.set_xlim(-0.5, max(n_slices - 0.5, 0.5))
        if self.axes.get_legend_handles_labels()[0]:
            # outside the axes, right of them: a legend inside would cover the failing slices it names
            self.axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                             framealpha=0.6, handlelength=1.2)  # fmt: skip
        # animated: left out of full draws and drawn over their saved pixels (move_marker)
        self.marker = self.axes.axvline(current if current is not None else 0, color="#bbbbbb", linewidth=1,
                                        animated=True)  # fmt: skip
        self.marker.set_visible(current is not None)
        if render:
            self.redraw_theme(now=True)
        else:
            self._apply_theme()
            self._lay_out()

    def _lay_out(self) -> None:
        """Place the axes and the legend now (matplotlib's constrained layout, about half of a draw's time) and
        hold the layout engine back, so that :meth:`render`, in another turn, only draws."""
        engine = self.figure.get_layout_engine()
        engine.execute(self.figure)
        self.laid_out = (engine, self._size())
        self.figure.set_layout_engine("none")

    def render(self) -> None:
        """Draw what ``plot(..., render=False)`` laid out; the layout engine is back for later draws (a resize
        in between: laid out again at the new size)."""
        if self.laid_out is None:
            return
        if self.laid_out[1] != self._size():
            self._give_back_engine()
        self.canvas.draw()
        self._give_back_engine()

    def _size(self) -> tuple[int, int]:
        """The canvas in physical pixels: a device-pixel-ratio change alone gives matplotlib a new renderer."""
        return self.canvas.get_width_height(physical=True)

    def _give_back_engine(self) -> None:
        if self.laid_out is not None:
            self.figure.set_layout_engine(self.laid_out[0])
            self.laid_out = None

    def _line(self, slices, values, failing, n_slices: int, metric: str, color: str, name: str) -> None:
        """One class: its values by slice (NaN gaps where it is absent from both), failing slices dotted,
        misses (inf) as x at the top."""
        series = np.full(n_slices, np.nan)
        finite = np.isfinite(values)
        series[slices[finite]] = values[finite]
        self.axes.plot(np.arange(n_slices), series, color=color, linewidth=1.2, label=name)
        if metric == "dice" and failing.any():
            self.axes.plot(slices[failing], series[slices[failing]], "o", color=color, markersize=2.5)
        missed = slices[np.isinf(values)]
        if len(missed):
            top = np.nanmax(series) if np.isfinite(series).any() else 1.0
            self.axes.plot(missed, np.full(len(missed), top), "x", color=color, markersize=4)

    def _summary_lines(self, slices, values, failing, n_slices: int, metric: str) -> None:
        """Many classes: per slice the worst class (lowest Dice, highest HD95) and the mean over the classes
        present (finite values)."""
        worst_fn = np.fmin if metric == "dice" else np.fmax
        worst = np.full(n_slices, np.nan)
        worst_fn.at(worst, slices, values)  # fmin/fmax skip the NaN start
        finite = np.isfinite(values)
        totals = np.bincount(slices[finite], values[finite], minlength=n_slices)
        counts = np.bincount(slices[finite], minlength=n_slices)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)
        missed = np.isinf(worst)
        shown_worst = np.where(missed, np.nan, worst)
        self.axes.plot(np.arange(n_slices), shown_worst, color=LINE_COLORS[0], linewidth=1.2, label="worst class")
        self.axes.plot(np.arange(n_slices), mean, color=LINE_COLORS[1], linewidth=1.2, label="mean of classes")
        failing_slices = np.unique(slices[failing])
        if metric == "dice" and len(failing_slices):
            self.axes.plot(failing_slices, shown_worst[failing_slices], "o", color=LINE_COLORS[0], markersize=2.5)
        if missed.any():
            top = np.nanmax(shown_worst) if np.isfinite(shown_worst).any() else 1.0
            self.axes.plot(np.flatnonzero(missed), np.full(int(missed.sum()), top), "x", color=LINE_COLORS[0],
                           markersize=4)  # fmt: skip

    def move_marker(self, index: int) -> None:
        """Move the current-slice marker: drawn over the plot's saved pixels (a few ms), not a full redraw of
        the figure (40-60 ms with its layout and text), which would run on every step of the slice slider."""
        if self.marker is None:
            return
        self.marker.set_xdata([index, index])
        self.marker.set_visible(True)
        if self.laid_out is not None or self.canvas.redraw_timer.isActive():
            return  # a full draw is coming (render, or a pending redraw): it draws the marker where it now is
        if self.background is None or self.background[1] != self._size():
            self.canvas.draw_idle()  # not drawn at this size yet: the full draw draws the marker too
            return
        self.canvas.restore_region(self.background[0])
        self._draw_marker()
        self.canvas.blit(self.figure.bbox)

    def _on_draw(self, _event) -> None:
        """After each full draw (which leaves out the animated marker): keep the pixels, then draw the marker
        into them (the full draw repaints the widget itself)."""
        self.background = (self.canvas.copy_from_bbox(self.figure.bbox), self._size())
        self._draw_marker()

    def _draw_marker(self) -> None:
        if self.marker is not None and self.marker.get_visible():
            self.axes.draw_artist(self.marker)

    def _on_click(self, event) -> None:
        if self.message is None and event.inaxes is self.axes and event.xdata is not None:
            self.slice_clicked.emit(int(round(event.xdata)))
