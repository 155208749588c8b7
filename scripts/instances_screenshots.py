"""Screenshots of the review dock's Instances tab for the README, at 1280×800 (run under a display or xvfb-run):

xvfb-run -a -s "-screen 0 1920x1200x24" python scripts/instances_screenshots.py docs/images

instances_nuclei.png: the nuclei sample matched as given, the first missed nucleus selected (zoomed to it), the
prediction drawn as contours over the status overlay (the ground truth's own random colours hidden).
instances_lesions.png: the lesion sample matched by connected components, the worst matched lesion selected (the
table lists the three missed lesions and the false positives above it).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import napari
from napari.settings import get_settings
from qtpy.QtWidgets import QApplication

PLUGIN = "napari-segreview"


def settle(seconds: float = 0.5, until=lambda: False) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        QApplication.processEvents()
        time.sleep(0.01)


def shoot(sample: str, gt_name: str, pred_name: str, path: Path, status: str = "missed") -> None:
    viewer = napari.Viewer()
    viewer.window._qt_window.resize(1280, 800)
    settle()
    viewer.open_sample(PLUGIN, sample)
    _, dock = viewer.window.add_plugin_dock_widget(PLUGIN, "Segmentation review")
    dock.result_tabs.setCurrentWidget(dock.instances)
    settle()
    view = dock.instances
    view.compute_button.click()
    settle(120, until=lambda: view.matching is not None and view.worker is None)
    viewer.layers[gt_name].visible = False
    prediction = viewer.layers[pred_name]
    prediction.visible, prediction.contour, prediction.opacity = True, 1, 1.0
    viewer.layers.selection.active = viewer.layers[pred_name]
    position = next(i for i, row in enumerate(view.model.rows) if row["status"] == status)
    view.select(position)  # as a click on that row does
    settle(1.0)
    viewer.screenshot(str(path), canvas_only=False)
    row = view.model.rows[position]
    print(f"wrote {path}: {view.summary.text()}; selected {row['kind']} {row['id']} ({row['status']})")
    viewer.close()


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    # no notification toasts over the canvas (napari's PyQt5 deprecation warning); napari saves its settings,
    # so the user's level is put back afterwards
    settings = get_settings().application
    level = settings.gui_notification_level
    settings.gui_notification_level = "error"
    try:
        shoot("nuclei", "nuclei ground truth", "watershed prediction", folder / "instances_nuclei.png")
        shoot("mni152_lesions", "lesion ground truth", "lesion prediction", folder / "instances_lesions.png", "matched")
    finally:
        settings.gui_notification_level = level


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images"))
