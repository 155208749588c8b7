"""Screenshots for the README, at 1280×800 as a laptop shows them (run under a display or xvfb-run):

xvfb-run -a -s "-screen 0 1280x800x24" python scripts/readme_screenshots.py docs/images

review_2d.png (the review at the worst white-matter slice of the cerebrum, default view), review_failing_zoom.png
(that slice's disagreement, canvas only), review_surface_3d.png (the 3D view), run_model.png (the Run model tab
after a run), dataset_browser.png (the browser on a two-case dataset made from the sample).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import nibabel as nib
import numpy as np
from qtpy.QtWidgets import QApplication

import napari_segreview.data
from napari_segreview.cli import main as cli_main
from napari_segreview.cli.demo import open_demo_viewer, save_screenshot, wait_for

SAMPLE = Path(napari_segreview.data.__file__).parent


def settle(seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        time.sleep(0.01)


def raise_dock(viewer, name: str) -> None:
    for title, frame in viewer.window.dock_widgets.items():
        if title.startswith(name):
            frame.parent().raise_()
    settle()


def two_case_dataset(folder: Path) -> tuple[Path, Path, Path]:
    """images/, gt/, pred/: the sample as case mni_a, and case mni_b whose prediction is shifted 3 voxels."""
    images, gt, pred = (folder / name for name in ("images", "gt", "pred"))
    for path in (images, gt, pred):
        path.mkdir(parents=True)
    for case in ("mni_a", "mni_b"):
        shutil.copy(SAMPLE / "mni152/t1.nii.gz", images / f"{case}.nii.gz")
        shutil.copy(SAMPLE / "mni152/tissue_seg.nii.gz", gt / f"{case}.nii.gz")
    shutil.copy(SAMPLE / "mni152/demo_prediction.nii.gz", pred / "mni_a.nii.gz")
    moved = nib.load(SAMPLE / "mni152/demo_prediction.nii.gz")
    data = np.roll(np.asarray(moved.dataobj), 3, axis=0)
    nib.save(nib.Nifti1Image(data, moved.affine, moved.header), pred / "mni_b.nii.gz")
    return images, gt, pred


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    viewer, dock = open_demo_viewer()
    wait_for(dock)
    settle()
    # the worst white-matter slice of the cerebrum (slices 40-150; below them the brainstem has little white
    # matter), in the default view: TP/FP/FN overlay above the contour-distance heatmap
    white = 2
    cerebrum = [
        r for r in dock.current_rows() if r["label"] == white and r["status"] == "ok" and 40 <= r["slice"] <= 150
    ]
    slice_index = min(cerebrum, key=lambda r: r["dice"])["slice"]
    viewer.reset_view()
    dock.go_to_slice(slice_index, white)
    camera = viewer.scene.camera if hasattr(viewer, "scene") else viewer.camera
    camera.zoom *= 1.6
    settle()
    save_screenshot(viewer, folder / "review_2d.png", fit=False)

    camera.zoom *= 2.0
    settle()
    viewer.screenshot(str(folder / "review_failing_zoom.png"), canvas_only=True)

    viewer.dims.ndisplay = 3  # the review hides the volume layers and shows the surface, seen from above
    settle(2.0)
    save_screenshot(viewer, folder / "review_surface_3d.png", fit=False)
    viewer.dims.ndisplay = 2
    settle()

    raise_dock(viewer, "Run model")
    run = next(w for t, w in viewer.window.dock_widgets.items() if t.startswith("Run model"))
    run.run_button.click()
    end = time.monotonic() + 600
    while run.busy and time.monotonic() < end:
        settle(0.2)
    viewer.reset_view()
    save_screenshot(viewer, folder / "run_model.png", fit=False)

    with tempfile.TemporaryDirectory() as scratch:
        images, gt, pred = two_case_dataset(Path(scratch))
        report = Path(scratch) / "report.json"
        cli_main(["evaluate", str(gt), str(pred), "--out", str(report)])
        _, browser = viewer.window.add_plugin_dock_widget("napari-segreview", "Dataset browser")
        for role, path in (("image", images), ("gt", gt), ("pred", pred)):
            browser.folders[role].setText(str(path))
        browser.load_report(report)
        browser.open_case(browser.table.item(0, 0).text())
        end = time.monotonic() + 120
        while browser.loading and time.monotonic() < end:
            settle(0.2)
        dock.compute()  # the opened case, reviewed
        wait_for(dock)
        settle()
        raise_dock(viewer, "Dataset browser")
        save_screenshot(viewer, folder / "dataset_browser.png")
    viewer.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images"))
