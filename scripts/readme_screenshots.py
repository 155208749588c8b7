"""Screenshots of the review dock on the MNI sample for the README (run under a display or xvfb-run).

xvfb-run -a -s "-screen 0 1800x1100x24" python scripts/readme_screenshots.py docs/images
"""

from __future__ import annotations

import sys
from pathlib import Path

from qtpy.QtWidgets import QApplication

from napari_segreview.cli.demo import open_demo_viewer, save_screenshot, wait_for
from napari_segreview.widgets.review_layers import find_layer

HEATMAP_LIMIT_MM = 3.0


def settle(rounds: int = 30) -> None:
    for _ in range(rounds):
        QApplication.processEvents()


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    viewer, dock = open_demo_viewer()
    wait_for(dock)
    dock.inputs.label.setCurrentIndex(dock.inputs.label.findText("white matter"))
    dock.compute()
    wait_for(dock)
    dock.clamp.setValue(HEATMAP_LIMIT_MM)
    camera = viewer.scene.camera if hasattr(viewer, "scene") else viewer.camera

    # the worst white-matter slice of the cerebrum (slices 40-150; below them the brainstem has little white
    # matter): the TP/FP/FN overlay with the table and the plot
    cerebrum = [r for r in dock.current_rows() if r["status"] == "ok" and 40 <= r["slice"] <= 150]
    slice_index = min(cerebrum, key=lambda r: r["dice"])["slice"]
    viewer.layers["tissue ground truth"].visible = False
    find_layer(viewer, "distance").visible = False
    viewer.window.resize(1600, 1000)
    settle()
    viewer.reset_view()
    dock.go_to_slice(slice_index)
    camera.zoom *= 1.4
    save_screenshot(viewer, folder / "review_2d.png", fit=False)

    # the heatmap alone on the T1, zoomed on the disagreement
    find_layer(viewer, "errors").visible = False
    find_layer(viewer, "distance").visible = True
    dock.go_to_slice(slice_index)
    camera.zoom *= 2.2
    settle()
    viewer.screenshot(str(folder / "review_heatmap.png"), canvas_only=True)

    # the prediction's 3D surface coloured by distance to the GT surface
    for name in ("Segmentation review", "Run model", "Per-slice plot"):
        viewer.window.remove_dock_widget(viewer.window.dock_widgets[name])
    surface = find_layer(viewer, "surface")
    surface.shading = "smooth"
    for layer in viewer.layers:
        layer.visible = layer is surface
    viewer.dims.ndisplay = 3
    viewer.reset_view()
    camera.angles = (-60, 30, 150)
    settle()
    viewer.screenshot(str(folder / "review_surface_3d.png"), canvas_only=True)
    viewer.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images"))
