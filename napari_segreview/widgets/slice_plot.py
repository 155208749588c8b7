"""The per-slice plot: Dice (or HD95) against slice index, the failing threshold, a marker at the current slice.
Follows napari's theme; a click jumps to the clicked slice."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from qtpy.QtCore import Signal
from qtpy.QtWidgets import QVBoxLayout, QWidget

from ..review.navigation import is_failing

LINE_COLORS = ("#ff9d2e", "#3fa7ff", "#7bd88f", "#e06cff", "#f4f45c", "#ff6b6b")


def theme_colors(viewer) -> tuple[str, str]:
    """(background, text) of the viewer's current napari theme."""
    try:
        from napari.utils.theme import get_theme

        theme = get_theme(viewer.theme)
        return theme.canvas.as_hex(), theme.text.as_hex()
    except Exception:  # a theme without these fields: fall back to napari's dark defaults
        return "#000000", "#f0f1f2"


class SlicePlot(QWidget):
    slice_clicked = Signal(int)

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.figure = Figure(figsize=(4, 1.8), layout="constrained")
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.setMinimumHeight(150)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        self.axes = self.figure.add_subplot()
        self.marker = None
        self.canvas.mpl_connect("button_press_event", self._on_click)
        viewer.events.theme.connect(lambda event: self.redraw_theme())

    def redraw_theme(self) -> None:
        background, text = theme_colors(self.viewer)
        self.figure.set_facecolor(background)
        self.axes.set_facecolor(background)
        for spine in self.axes.spines.values():
            spine.set_color(text)
        self.axes.tick_params(colors=text, labelsize=8)
        self.axes.xaxis.label.set_color(text)
        self.axes.yaxis.label.set_color(text)
        legend = self.axes.get_legend()
        if legend is not None:
            legend.get_frame().set_facecolor(background)
            for entry in legend.get_texts():
                entry.set_color(text)
        self.canvas.draw_idle()

    def plot(self, rows: list[dict], class_names: dict[int, str], metric: str, threshold: float, unit: str,
             n_slices: int, current: int | None) -> None:  # fmt: skip
        """Redraw from slice rows; both-empty slices leave gaps, misses (inf) are marked at the axis top."""
        self.axes.clear()
        labels = sorted({row["label"] for row in rows})
        for number, label in enumerate(labels):
            values = np.full(n_slices, np.nan)
            missed = []
            for row in rows:
                if row["label"] != label or row["status"] == "both_empty":
                    continue
                value = row[metric]
                if np.isinf(value):
                    missed.append(row["slice"])
                else:
                    values[row["slice"]] = value
            color = LINE_COLORS[number % len(LINE_COLORS)]
            self.axes.plot(np.arange(n_slices), values, color=color, linewidth=1.2,
                           label=class_names.get(label, f"class {label}"))  # fmt: skip
            failing = [r["slice"] for r in rows if r["label"] == label and is_failing(r, threshold)]
            if metric == "dice" and failing:
                self.axes.plot(failing, values[failing], "o", color=color, markersize=2.5)
            if missed:
                top = np.nanmax(values) if np.isfinite(np.nanmax(values, initial=np.nan)) else 1.0
                self.axes.plot(missed, [top] * len(missed), "x", color=color, markersize=4)
        if metric == "dice":
            self.axes.axhline(threshold, color="#c8283c", linestyle="--", linewidth=1)
            self.axes.set_ylim(-0.02, 1.02)
            self.axes.set_ylabel("Dice", fontsize=8)
        else:
            self.axes.set_ylabel(f"HD95 ({unit}), x = missed", fontsize=8)
        self.axes.set_xlabel("slice", fontsize=8)
        self.axes.set_xlim(-0.5, max(n_slices - 0.5, 0.5))
        if labels:
            self.axes.legend(fontsize=7, loc="lower right", framealpha=0.6)
        self.marker = self.axes.axvline(current if current is not None else 0, color="#bbbbbb", linewidth=1)
        self.marker.set_visible(current is not None)
        self.redraw_theme()

    def move_marker(self, index: int) -> None:
        if self.marker is not None:
            self.marker.set_xdata([index, index])
            self.marker.set_visible(True)
            self.canvas.draw_idle()

    def _on_click(self, event) -> None:
        if event.inaxes is self.axes and event.xdata is not None:
            self.slice_clicked.emit(int(round(event.xdata)))
