"""A dock's contents in a vertical scroll area: a side panel may then be shorter and narrower than everything in
it wants to be, so no dock forces napari's window beyond a laptop screen."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QComboBox, QFrame, QScrollArea, QVBoxLayout, QWidget

# combo boxes show this many characters at least, then elide: long item texts must not widen a dock
COMBO_CHARACTERS = 10


def scrolling_layout(dock: QWidget) -> QVBoxLayout:
    """The layout to fill with ``dock``'s contents, inside a scroll area that fills ``dock``."""
    content = QWidget()
    layout = QVBoxLayout(content)
    layout.setContentsMargins(4, 4, 4, 4)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(content)
    outer = QVBoxLayout(dock)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)
    return layout


def narrow_combos(widget: QWidget, characters: int = COMBO_CHARACTERS) -> None:
    """Let every combo box in ``widget`` be narrowed below its longest item (the popup still shows it whole)."""
    for combo in [widget] if isinstance(widget, QComboBox) else widget.findChildren(QComboBox):
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(characters)
        combo.setMinimumWidth(36)
