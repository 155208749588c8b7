"""How long the Qt main thread stalls while the review dock computes the full review, and how long the
current-slice readout takes to follow the slider.

    xvfb-run -a python benchmarks/run_review_stall.py            # the three cases
    xvfb-run -a python benchmarks/run_review_stall.py 117        # only the 117-label case
    xvfb-run -a python benchmarks/run_review_stall.py ct104      # only the 104-label CT case

Cases: the MNI sample (3 tissue classes) and a 117-label parcellation of the same brain (Voronoi cells of the
tissue mask, the size of an atlas), each reviewed twice (creating the review layers, then updating them); and
the 104-label 400x300x300 CT-like case of issue 12 (``run_multilabel.py``'s synthetic maps): the dock's full
review with overlay, heatmap and surface (goal <= 10 s), its stall, and in a fresh viewer its peak memory
(tracemalloc: numpy and Python allocations) against the inputs and the layers it adds (goal: peak <= 2x the
inputs + the layers). The dock is opened as a user opens it, through napari's plugin menu path.

A QTimer heartbeat every 5 ms records the gaps between its ticks: the longest gap is the longest time the
window could not respond. Goals: stall <= 100 ms, readout <= 16 ms. Python's full garbage collections during
the review are timed too, and the longest gap less the collections in it is printed beside the longest gap:
such a collection scans napari's whole heap (~420k objects, ~180-200 ms here) and falls, when enough objects have
survived, into whichever turn allocates next; whether it falls into a review varies from run to run.
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from pathlib import Path
from typing import NamedTuple

import napari
import numpy as np
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))

MIB = 1 << 20


class Stall(NamedTuple):
    longest: float  # ms, the longest gap between heartbeat ticks
    typical: float  # ms, their 99th percentile
    seconds: float
    without_gc: float  # ms, the longest gap less the full (generation 2) garbage collections inside it
    full_gc: list[float]  # ms of each full garbage collection meanwhile

    def describe(self) -> str:
        collections = ", ".join(f"{ms:.0f} ms" for ms in self.full_gc) or "none"
        return (f"main-thread heartbeat longest gap {self.longest:.0f} ms, 99th percentile {self.typical:.0f} ms; "
                f"full garbage collections meanwhile: {collections}; longest gap less them "
                f"{self.without_gc:.0f} ms")  # fmt: skip


def measure_stall(dock) -> Stall:
    """A QTimer heartbeat's gaps while the dock computes, and the full garbage collections meanwhile: Python
    collects generation 2 (napari's whole heap, ~200 ms here) whenever enough objects have survived, in whatever
    turn allocates next, so a gap with one in it measures that collection more than the step it fell into."""
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    collections: list[tuple[float, float]] = []
    began: list[float] = []

    def on_gc(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            began.append(time.perf_counter())
        elif began:
            collections.append((began.pop(), time.perf_counter()))

    gc.callbacks.append(on_gc)
    heartbeat.start()
    start = time.perf_counter()
    try:
        dock.compute()
        while dock.busy:
            QApplication.processEvents()
            time.sleep(0.001)
        for _ in range(50):  # let the new layers draw
            QApplication.processEvents()
            time.sleep(0.002)
    finally:
        heartbeat.stop()
        gc.callbacks.remove(on_gc)
    total = time.perf_counter() - start
    ticks_array = np.array(ticks)
    gaps = np.diff(ticks_array) * 1000
    # each gap less the collections inside it: the work the window did besides collecting
    clean = [
        gap - 1000 * sum(max(0.0, min(b, end) - max(a, begin)) for begin, end in collections)
        for gap, a, b in zip(gaps, ticks_array[:-1], ticks_array[1:], strict=True)
    ]
    return Stall(float(gaps.max()), float(np.percentile(gaps, 99)), total, float(max(clean, default=0.0)),
                 [(end - begin) * 1000 for begin, end in collections])  # fmt: skip


def parcellation_pair(n_labels: int = 117, seed: int = 0) -> tuple[np.ndarray, np.ndarray, tuple]:
    """GT: the MNI tissue mask cut into ``n_labels`` Voronoi cells (random seeds inside the brain). Prediction:
    the GT shifted one voxel along the last axis with every 10th cell's label swapped with its neighbour's
    (wrong class) and one slab missed, so that every label has errors of its own."""
    from scipy.spatial import cKDTree

    from napari_segreview.io import read_nifti
    from napari_segreview.plugin.sample_data import sample_path

    tissue = read_nifti(sample_path("tissue_seg.nii.gz"))
    inside = np.argwhere(tissue.data > 0)
    rng = np.random.default_rng(seed)
    seeds = inside[rng.choice(len(inside), n_labels, replace=False)]
    _, nearest = cKDTree(seeds).query(inside, workers=-1)
    gt = np.zeros(tissue.data.shape, np.uint16)
    gt[tuple(inside.T)] = nearest + 1
    swapped = np.arange(n_labels + 1, dtype=np.uint16)
    for label in range(10, n_labels, 10):  # labels 10 and 11, 20 and 21, ... swap places
        swapped[label], swapped[label + 1] = label + 1, label
    pred = np.roll(swapped[gt], 1, axis=-1)
    depth = pred.shape[0]
    pred[int(0.63 * depth) : int(0.63 * depth) + 4] = 0
    return gt, pred, tissue.scale


def open_case(case: str):
    viewer = napari.Viewer(show=True)
    viewer.window.resize(1280, 800)
    if case == "mni152":
        viewer.open_sample("napari-segreview", "mni152")
    else:
        gt, pred, scale = ct_pair() if case == "ct104" else parcellation_pair(int(case))
        viewer.add_labels(gt, name="parcels_gt", scale=scale)
        viewer.add_labels(pred, name="parcels_pred", scale=scale)
    _, dock = viewer.window.add_plugin_dock_widget("napari-segreview", "Segmentation review")
    for _ in range(20):
        QApplication.processEvents()
    return viewer, dock


def ct_pair() -> tuple[np.ndarray, np.ndarray, tuple]:
    """Issue 12's 104-label case, 400x300x300 at 1.5 mm, as ``run_multilabel.py`` builds it."""
    from run_multilabel import CASES, synthetic_gt, synthetic_prediction

    case = CASES["104 labels"]
    gt = synthetic_gt(case["shape"], case["organs"], case["tubes"], case["lesions"])
    return gt, synthetic_prediction(gt), case["spacing"]


def review_layers_bytes(viewer) -> int:
    """Bytes of the arrays in the layers the review added (overlay, heatmap, and the surface mesh)."""
    from napari_segreview.widgets.review_layers import ROLES, find_layer

    layers = [find_layer(viewer, role) for role in ROLES]
    arrays = []
    for layer in layers:
        if layer is None:
            continue
        arrays.extend(layer.data[:3] if isinstance(layer.data, tuple) else [layer.data])
    return sum(np.asarray(array).nbytes for array in arrays)


def enter_3d(viewer) -> float:
    """Seconds to switch to 3D (the dock adds the surface layer then) and draw."""
    began = time.perf_counter()
    viewer.dims.ndisplay = 3
    for _ in range(50):
        QApplication.processEvents()
        time.sleep(0.002)
    return time.perf_counter() - began - 0.1


def run_ct_case() -> None:
    name = "CT-like, 104 labels, 400x300x300"
    viewer, dock = open_case("ct104")
    stall = measure_stall(dock)
    to_3d = enter_3d(viewer)
    print(f"[{name}] the dock's full review with overlay, heatmap and surface: {stall.seconds:.2f} s, then 3D with "
          f"the surface {to_3d:.2f} s (goal: <= 10 s); {stall.describe()}", flush=True)  # fmt: skip
    viewer.close()
    # peak memory in a fresh viewer: the first review, which adds the layers
    viewer, dock = open_case("ct104")
    inputs = sum(layer.data.nbytes for layer in viewer.layers)
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    measure_stall(dock)
    peak = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.reset_peak()
    enter_3d(viewer)
    peak_3d = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    layers = review_layers_bytes(viewer)
    budget = 2 * inputs + layers
    print(f"[{name}] peak memory of the dock's review: {peak / MIB:.0f} MiB, then in 3D {peak_3d / MIB:.0f} MiB "
          f"(above the memory before the review); inputs {inputs / MIB:.0f} MiB, layers added {layers / MIB:.0f} "
          f"MiB (goal: <= 2 x inputs + layers = {budget / MIB:.0f} MiB)", flush=True)  # fmt: skip
    viewer.close()


def run_case(case: str) -> None:
    if case == "ct104":
        run_ct_case()
        return
    viewer, dock = open_case(case)
    name = "MNI sample, 3 classes" if case == "mni152" else f"MNI parcellation, {case} labels"
    for attempt in ("first review (creates the overlay, heatmap and surface layers)",
                    "second review, surfel convention (updates those layers in place)"):  # fmt: skip
        if attempt.startswith("second"):
            dock.inputs.convention.setCurrentText("surfel")
        stall = measure_stall(dock)
        print(f"[{name}] {attempt}: {stall.seconds:.2f} s; {stall.describe()} (goal: longest <= 100 ms)",
              flush=True)  # fmt: skip

    # sorting the per-slice table by each column (a click on its header), as the user does
    durations = []
    for column in range(dock.table_model.columnCount()):
        began = time.perf_counter()
        dock.table.sortByColumn(column, 1)
        QApplication.processEvents()
        durations.append((time.perf_counter() - began) * 1000)
    rows = dock.table_model.rowCount()
    print(f"[{name}] sorting the per-slice table ({rows} rows) by a column: median {np.median(durations):.0f} ms, "
          f"max {max(durations):.0f} ms (goal: <= 100 ms)", flush=True)  # fmt: skip

    durations = []
    for index in range(0, dock.result.n_slices, 3):
        began = time.perf_counter()
        dock._on_slice_changed(index)
        durations.append((time.perf_counter() - began) * 1000)
    print(f"[{name}] current-slice readout update: median {np.median(durations):.2f} ms, "
          f"max {max(durations):.2f} ms over {len(durations)} slices (goal: <= 16 ms)", flush=True)  # fmt: skip
    viewer.close()


def main() -> None:
    cases = sys.argv[1:] or ["mni152", "117", "ct104"]
    for case in cases:
        run_case(case)


if __name__ == "__main__":
    main()
