"""How long the Qt main thread stalls while the review dock computes the full review of the MNI sample, and
how long the current-slice readout takes to follow the slider.

    xvfb-run -a python benchmarks/run_review_stall.py

A QTimer heartbeat every 5 ms records the gaps between its ticks: the longest gap is the longest time the
window could not respond. Goals: stall <= 100 ms, readout <= 16 ms.
"""

from __future__ import annotations

import time

import napari
import numpy as np
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication

from napari_segreview.widgets.review_dock import ReviewDock


def measure_stall(dock) -> tuple[float, float, float]:
    """(longest gap ms, 99th percentile gap ms, seconds) of a QTimer heartbeat while the dock computes."""
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    heartbeat.start()
    start = time.perf_counter()
    dock.compute()
    while dock.busy:
        QApplication.processEvents()
        time.sleep(0.001)
    for _ in range(50):  # let the new layers draw
        QApplication.processEvents()
        time.sleep(0.002)
    total = time.perf_counter() - start
    heartbeat.stop()
    gaps = np.diff(ticks) * 1000
    return float(gaps.max()), float(np.percentile(gaps, 99)), total


def main() -> None:
    viewer = napari.Viewer(show=True)
    viewer.open_sample("napari-segreview", "mni152")
    dock = ReviewDock(viewer)
    viewer.window.add_dock_widget(dock)
    for _ in range(20):
        QApplication.processEvents()

    for attempt in ("first review (creates the overlay, heatmap and surface layers)",
                    "second review, surfel convention (updates those layers in place)"):  # fmt: skip
        if attempt.startswith("second"):
            dock.inputs.convention.setCurrentText("surfel")
        longest, typical, total = measure_stall(dock)
        print(f"{attempt}: {total:.2f} s; main-thread heartbeat longest gap {longest:.0f} ms, "
              f"99th percentile {typical:.0f} ms (goal: longest <= 100 ms)")  # fmt: skip

    durations = []
    for index in range(0, 189, 3):
        began = time.perf_counter()
        dock._on_slice_changed(index)
        durations.append((time.perf_counter() - began) * 1000)
    print(f"current-slice readout update: median {np.median(durations):.2f} ms, max {max(durations):.2f} ms "
          f"over {len(durations)} slices (goal: <= 16 ms)")  # fmt: skip
    viewer.close()


if __name__ == "__main__":
    main()
