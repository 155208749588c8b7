"""``segreview demo``: open napari with the MNI152 sample (T1, tissue ground truth, the demo model's
prediction), the review dock (computed) and the Run model dock."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import UsageError

SAMPLES = {"3d": "mni152", "2d": "mni152_slice"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="open napari with the sample brain MRI and its ground truth")
    parser.add_argument("--2d", dest="two_d", action="store_true", help="open the 2D axial slice sample")
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PNG",
        help="save a screenshot of the window to PNG and close it (for headless machines and docs)",
    )
    parser.add_argument("--force", action="store_true", help="replace the --screenshot file if it exists")
    parser.set_defaults(run=run)


# a laptop screen: the window and the screenshots are made at this size
WINDOW_SIZE = (1280, 800)


def _has_display() -> bool:
    return sys.platform != "linux" or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_demo_viewer(two_d: bool = False):
    """A napari viewer showing the sample with the demo model's prediction and the review dock (computing).

    Returns (viewer, dock) so tests and scripts can drive them.
    """
    import napari

    viewer = napari.Viewer(title="napari-segreview demo")
    viewer.window.resize(*WINDOW_SIZE)
    viewer.open_sample("napari-segreview", SAMPLES["2d" if two_d else "3d"])
    ground_truth = viewer.layers["tissue ground truth"]
    # opened as napari's Plugins menu opens them: the docks share the right side as tabs, the review in front
    viewer.window.add_plugin_dock_widget("napari-segreview", "Run model")
    _, dock = viewer.window.add_plugin_dock_widget("napari-segreview", "Segmentation review")
    if not two_d:
        # start in the middle of the brain rather than at its top slice
        viewer.dims.set_current_step(0, ground_truth.data.shape[0] // 2)
    dock.compute()
    return viewer, dock


def wait_for(dock, seconds: float = 120.0) -> None:
    """Process Qt events until the dock's computation has finished."""
    import time

    from qtpy.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while dock.busy and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)


def save_screenshot(viewer, path: Path, fit: bool = True) -> None:
    """Resize the window, optionally fit the data to the canvas, and save the whole window as PNG."""
    from qtpy.QtWidgets import QApplication, QWidget

    viewer.window.resize(*WINDOW_SIZE)
    QApplication.processEvents()
    if fit:
        viewer.reset_view()
    for _ in range(5):  # let Qt lay out the docks and vispy draw before grabbing
        QApplication.processEvents()
    # notification toasts (e.g. napari's notice about the Qt binding) would cover the canvas in the picture
    for widget in viewer.window._qt_window.findChildren(QWidget):
        if type(widget).__name__ == "NapariQtNotification":
            widget.close()
    QApplication.processEvents()
    viewer.screenshot(str(path), canvas_only=False)


def run(args: argparse.Namespace) -> int:
    if args.screenshot is not None and args.screenshot.suffix.lower() != ".png":
        raise UsageError(f"the screenshot must be a .png file, not {args.screenshot.name}.")
    if args.screenshot is not None and args.screenshot.exists() and not args.force:
        raise UsageError(f"{args.screenshot} already exists; use --force to replace it.")
    if not _has_display():
        raise UsageError(
            "no display found (DISPLAY is not set); run it on a desktop, or headless with "
            "`xvfb-run -a segreview demo --screenshot demo.png`."
        )
    import napari

    viewer, dock = open_demo_viewer(two_d=args.two_d)
    if args.screenshot is not None:
        wait_for(dock)
        save_screenshot(viewer, args.screenshot)
        viewer.close()
        print(f"screenshot saved to {args.screenshot}")
        return 0
    napari.run()
    return 0
