"""Opens napari at 1280×800 with the MNI sample, the plugin's three docks (as its Plugins menu does) and a
computed review, then prints the layout as JSON. Run by test_dock_layout.py in its own process: a shown window
with several docks is not freed within napari's per-test leak check."""

from __future__ import annotations

import json
import sys
import time

import napari
from qtpy.QtWidgets import QApplication, QDockWidget, QScrollArea, QStyle, QStyleOptionComboBox

PLUGIN = "napari-segreview"
DOCKS = ("Segmentation review", "Run model", "Dataset browser")


def wait(seconds: float, until=lambda: False) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        QApplication.processEvents()
        time.sleep(0.01)


def text_fits(combo) -> bool:
    """Whether a combo box's current text fits its edit field (else Qt elides it)."""
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    return combo.fontMetrics().horizontalAdvance(combo.currentText()) <= field.width()


def main(width: int, height: int) -> None:
    viewer = napari.Viewer()
    window = viewer.window._qt_window
    window.resize(width, height)
    viewer.open_sample(PLUGIN, "mni152")
    docks = [viewer.window.add_plugin_dock_widget(PLUGIN, name)[1] for name in DOCKS]
    wait(0.5)
    review = docks[0]
    review.compute_button.click()
    wait(60, until=lambda: review.result is not None and not review.busy)
    wait(0.5)
    frames = [dock.parent() for dock in docks]
    cut = {}
    for dock, frame in zip(docks, frames, strict=True):
        frame.raise_()
        wait(0.1)
        scroll = dock.findChild(QScrollArea)
        cut[type(dock).__name__] = scroll.widget().width() - scroll.viewport().width()
    table = review.table
    frames[0].raise_()
    wait(0.2)
    class_chooser = review.inputs.label
    class_text = [class_chooser.currentText(), text_fits(class_chooser)]
    layout = {
        "min_size": [window.minimumSizeHint().width(), window.minimumSizeHint().height()],
        "window": [window.width(), window.height()],
        "canvas_width": viewer.window._qt_viewer.canvas.native.width(),
        "tabbed": [bool(set(window.tabifiedDockWidgets(f)) & set(frames)) for f in frames],
        "all_docks": all(isinstance(f, QDockWidget) for f in frames),
        "cut_px": cut,
        "table_columns": [
            review.table_model.headerData(c, 1).split(" (")[0]
            for c in range(review.table_model.columnCount()) if not table.isColumnHidden(c)
        ],
        "table_hscroll": table.horizontalScrollBar().isVisible(),
        "table_rows_visible": table.viewport().height() // max(table.rowHeight(0), 1),
    }  # fmt: skip
    # a visit to 3D and back (the review's surface layer comes and goes with its layer controls)
    canvas = viewer.window._qt_viewer.canvas.native
    canvas_before_3d = canvas.width()
    viewer.dims.ndisplay = 3
    wait(3)
    window_3d = [window.width(), window.height()]
    viewer.dims.ndisplay = 2
    wait(1)
    layout.update(class_text=class_text, canvas_width_2d_before_3d=canvas_before_3d,
                  canvas_width_2d_after_3d=canvas.width(), window_3d=window_3d,
                  window_2d_after_3d=[window.width(), window.height()])  # fmt: skip
    print("LAYOUT " + json.dumps(layout))
    viewer.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
