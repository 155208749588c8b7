"""The heatmap's colour bar, drawn by Qt in the dock beside the limit it ends at.

napari's own colour bar (a canvas overlay) was tried first: its first draw builds the bar's and its tick
labels' shaders and renders every glyph of the labels as a signed-distance texture, 130-580 ms with the window
frozen in Mesa's software renderer, once for the 2D heatmap and again for the 3D surface. Painting the same
colours in a small widget costs well under a millisecond, and the bar sits next to the limit the user types.
"""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import QRectF, QSize, Qt
from qtpy.QtGui import QColor, QImage, QPainter
from qtpy.QtWidgets import QSizePolicy, QWidget

BAR_HEIGHT = 9
STEPS = 256


def format_value(value: float) -> str:
    """A tick label: as few digits as tell the value (0, 2.5, 14.6, 120)."""
    if value == 0:
        return "0"
    text = f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return text.replace("-", "−")


class ColourBar(QWidget):
    """A horizontal bar of a napari ``Colormap`` from ``low`` to ``high`` (physical units), with the two ends
    and the middle written under it and what it shows (with the unit) in its tooltip."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.colours = np.zeros((0, 4), np.float32)
        self.low, self.high, self.caption = 0.0, 1.0, ""
        self.image: QImage | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(60)

    def show_map(self, colormap, low: float, high: float, caption: str) -> None:
        """Show ``colormap`` (napari ``Colormap``) over [low, high]; ``caption`` names the quantity and unit."""
        self.colours = np.asarray(colormap.map(np.linspace(0.0, 1.0, STEPS)), np.float32)
        rgba = np.ascontiguousarray((np.clip(self.colours, 0, 1) * 255).astype(np.uint8)[None])
        self.image = QImage(rgba.data, STEPS, 1, 4 * STEPS, QImage.Format.Format_RGBA8888).copy()
        self.set_range(low, high)
        self.caption = caption
        self.setToolTip(f"{caption}: {self.tick_labels()[0]} to {self.tick_labels()[-1]}")
        self.update()

    def set_range(self, low: float, high: float) -> None:
        self.low, self.high = float(low), float(high)
        if self.caption:
            self.setToolTip(f"{self.caption}: {self.tick_labels()[0]} to {self.tick_labels()[-1]}")
        self.update()

    def tick_labels(self) -> list[str]:
        return [format_value(v) for v in (self.low, (self.low + self.high) / 2, self.high)]

    def sizeHint(self) -> QSize:
        return QSize(160, BAR_HEIGHT + self.fontMetrics().height() + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(60, self.sizeHint().height())

    def paintEvent(self, _event) -> None:
        if self.image is None:
            return
        painter = QPainter(self)
        bar = QRectF(0.5, 0.5, self.width() - 1.0, BAR_HEIGHT)
        painter.drawImage(bar, self.image)  # scaled: smooth enough for a colour ramp
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawRect(bar)
        text_top = BAR_HEIGHT + 2
        height = self.height() - text_top
        width = self.width()
        flags = Qt.AlignmentFlag.AlignTop
        low, middle, high = self.tick_labels()
        painter.drawText(QRectF(0, text_top, width, height), flags | Qt.AlignmentFlag.AlignLeft, low)
        painter.drawText(QRectF(0, text_top, width, height), flags | Qt.AlignmentFlag.AlignHCenter, middle)
        painter.drawText(QRectF(0, text_top, width, height), flags | Qt.AlignmentFlag.AlignRight, high)
        painter.end()

    def colour_at(self, fraction: float) -> QColor:
        """The colour drawn at ``fraction`` (0 left, 1 right) of the bar (tests, tooltips)."""
        r, g, b, a = self.colours[min(STEPS - 1, max(0, round(fraction * (STEPS - 1))))]
        return QColor.fromRgbF(float(r), float(g), float(b), float(a))
