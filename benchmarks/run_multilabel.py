"""Many labels at CT scale (issue 12): ours against DeepMind's per-label loop, MONAI and MedPy, in one process.

    python benchmarks/run_multilabel.py               # both CT-sized cases (several minutes, ~3 GB)
    python benchmarks/run_multilabel.py --scale 0.3   # the same cases shrunk, for a quick look
    python benchmarks/run_multilabel.py --noisy       # also 1000 labels on 512^3 with a shift and 1% noise

The maps are synthetic, TotalSegmentator-like: ellipsoidal organs placed over each other (so they touch), two cut
by the array's ends, winding tubes along the body axis, tiny lesions; the prediction moves, grows or shrinks each
label a voxel, misses three labels and adds one false-positive label.

Every tool computes Dice, HD, HD95, ASSD and NSD (tolerance 1 mm) of every label, as its users would call it:
- ours: one ``volume_metrics`` call in the convention that equals the peer;
- DeepMind surface-distance: a loop over the labels on ``gt == label`` / ``pred == label``, every label;
  (a label missing from one map is skipped: it has no distances, and DeepMind's code fails on it under NumPy 2);
- MONAI (one-hot of [background, label] per label) and MedPy: the same loop over a SUBSET of the labels
  (they take minutes per case), spread over the labels by size; their time for all labels is the subset's time
  scaled by labels / subset labels, an extrapolation, marked ``~``.
"previous" is the per-label implementation this replaced (full-size masks per label, the code of commit
5d42c38), rows checked identical. "labelled pass" is one ``find_objects`` over each map, the floor the goal
is measured against. Times are the best of ``--repeat`` runs for ours and one run for the peers; peak memory
is what tracemalloc sees during the call (numpy and Python allocations; torch's CPU allocator is not traced,
so MONAI's figure is a lower bound), compared with the size of the two input maps.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_metrics import deepmind_all, medpy_all, monai_all  # noqa: E402

from napari_segreview.metrics import evaluate as evaluate_module  # noqa: E402
from napari_segreview.metrics import evaluate_labels, slice_metrics, volume_metrics  # noqa: E402
from napari_segreview.metrics import scattered_labels as scattered_module  # noqa: E402
from napari_segreview.metrics.boxes import label_boxes  # noqa: E402
from napari_segreview.metrics.distances import stack_surface_distances  # noqa: E402
from napari_segreview.metrics.rows import distance_metrics, metric_rows  # noqa: E402
from napari_segreview.metrics.validation import present_labels  # noqa: E402
from napari_segreview.review.compute import ReviewSettings, run_review  # noqa: E402

TOLERANCE = 1.0
CASES = {
    "104 labels": {"shape": (400, 300, 300), "spacing": (1.5, 1.5, 1.5), "organs": 80, "tubes": 12, "lesions": 12},
    "40 labels": {"shape": (400, 512, 512), "spacing": (1.5, 0.8, 0.8), "organs": 28, "tubes": 6, "lesions": 6},
}


# ---- synthetic label maps ----------------------------------------------------------------------------------


def _ellipsoid(label_map: np.ndarray, centre, radii, label: int) -> None:
    """Paint an ellipsoid, computed in its own box only."""
    shape = np.array(label_map.shape)
    low = np.clip(np.floor(centre - radii).astype(int), 0, shape)
    high = np.clip(np.ceil(centre + radii).astype(int) + 1, 0, shape)
    if np.any(high <= low):
        return
    box = tuple(slice(a, b) for a, b in zip(low, high, strict=True))
    grid = np.ogrid[box]
    inside = sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre, radii, strict=True)) <= 1
    label_map[box][inside] = label


def synthetic_gt(shape, organs: int, tubes: int, lesions: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    shape_array = np.array(shape, float)
    gt = np.zeros(shape, np.uint8 if organs + tubes + lesions < 255 else np.uint16)
    label = 0
    body = shape_array / 2, shape_array * np.array([0.5, 0.42, 0.42])
    for index in range(organs):
        label += 1
        radii = np.exp(rng.uniform(np.log(4), np.log(0.16 * shape_array.min()), 3)) * rng.uniform(0.7, 1.3, 3)
        if index < 2:  # cut by the array's ends, like lungs or legs at the edge of the field of view
            centre = np.array([0.0 if index == 0 else shape[0] - 1, *(shape_array[1:] / 2)])
            radii = shape_array * np.array([0.15, 0.2, 0.2])
        else:
            centre = body[0] + body[1] * rng.uniform(-0.8, 0.8, 3)
        _ellipsoid(gt, centre, radii, label)
    z = np.arange(shape[0])
    for _ in range(tubes):  # vessels along the body axis, winding, over the organs
        label += 1
        radius = rng.uniform(2, 7)
        start, stop = sorted(rng.integers(0, shape[0], 2))
        phase, period = rng.uniform(0, 2 * np.pi, 2), rng.uniform(40, 160, 2)
        base = body[0][1:] + body[1][1:] * rng.uniform(-0.6, 0.6, 2)
        for k in z[start : max(stop, start + 40)]:
            centre = base + 25 * np.sin(k / period + phase)
            _ellipsoid(gt[k : k + 1], np.array([0.0, *centre]), np.array([0.5, radius, radius]), label)
    for _ in range(lesions):
        label += 1
        _ellipsoid(gt, body[0] + body[1] * rng.uniform(-0.7, 0.7, 3), np.full(3, rng.uniform(1.0, 2.5)), label)
    return gt


def synthetic_prediction(gt: np.ndarray, seed: int = 1) -> np.ndarray:
    """Each label moved by up to a voxel per axis and grown, shrunk or kept (in its own box); the first organ,
    the first tube and the last lesion missed; one false-positive label that the GT lacks."""
    rng = np.random.default_rng(seed)
    pred = np.zeros_like(gt)
    boxes = label_boxes(gt)
    labels = sorted(boxes)
    missed = {labels[2], labels[-20 if len(labels) > 60 else -10], labels[-1]}
    for label in labels:
        if label in missed:
            continue
        box = tuple(slice(max(s.start - 3, 0), min(s.stop + 3, n)) for s, n in zip(boxes[label], gt.shape, strict=True))
        mask = np.roll(gt[box] == label, tuple(rng.integers(-1, 2, 3)), axis=(0, 1, 2))
        change = rng.random()
        if change < 0.3:
            mask = ndimage.binary_dilation(mask)
        elif change < 0.6 and mask.sum() > 200:
            mask = ndimage.binary_erosion(mask)
        pred[box][mask] = label
    centre = np.array(gt.shape) * np.array([0.6, 0.3, 0.7])
    _ellipsoid(pred, centre, np.array([6.0, 9.0, 7.0]), max(labels) + 1)
    return pred


def noisy_pair(shape=(512, 512, 512), n_labels: int = 1000, seed: int = 2):
    """1000 labels: blocks of a grid with jittered walls; prediction shifted a voxel, 1% of voxels random."""
    rng = np.random.default_rng(seed)
    per_axis = int(np.ceil(n_labels ** (1 / 3)))
    cells = [np.minimum((np.arange(n) * per_axis) // n, per_axis - 1) for n in shape]
    gt = np.zeros(shape, np.uint16)
    for z in range(shape[0]):
        plane = (cells[0][z] * per_axis + cells[1][:, None]) * per_axis + cells[2][None, :]
        gt[z] = np.where(plane < n_labels, plane + 1, 0)
    pred = np.roll(gt, 1, axis=(0, 1, 2))
    for z in range(shape[0]):
        noise = rng.random(shape[1:]) < 0.01
        pred[z][noise] = rng.integers(0, n_labels + 1, noise.sum())
    return gt, pred


# ---- the per-label implementation this replaced (kept here to time it and to check the rows) ------------


def previous_rows(gt, pred, spacing, convention: str, axis: int | None) -> list:
    spacing = np.asarray(spacing, float)
    result = []
    for label in present_labels(gt, pred):
        if axis is None:
            gt_stack, pred_stack, plane_spacing = (gt == label)[None], (pred == label)[None], spacing
        else:
            gt_stack, pred_stack = np.moveaxis(gt, axis, 0) == label, np.moveaxis(pred, axis, 0) == label
            plane_spacing = np.delete(spacing, axis)
        distances = stack_surface_distances(gt_stack, pred_stack, plane_spacing, convention)
        by_distance = distance_metrics(distances, gt_stack.shape[0], convention, TOLERANCE, 95.0)
        plane_axes = tuple(range(1, gt_stack.ndim))
        sums = [stack.sum(axis=plane_axes) for stack in (gt_stack, pred_stack, gt_stack & pred_stack)]
        result.append((label, metric_rows(*sums, by_distance)))
    return result


# ---- measuring ----------------------------------------------------------------------------------------------


def measure(function: Callable[[], object], repeat: int, traced_apart: bool = False) -> tuple[float, float, object]:
    """(best seconds, peak MiB, last result) of ``function``; ``measure.cpu`` is the least CPU time of the runs
    (all threads), which other work on the machine disturbs less than the wall clock.

    tracemalloc slows every allocation; ``traced_apart`` times ``repeat`` untraced runs and takes the peak from
    one more, traced run (ours: many small allocations per label). Otherwise the runs are timed traced (the
    peers, whose single run takes minutes)."""
    best, peak, result, measure.cpu = np.inf, 0.0, None, np.inf
    for run in range(repeat + int(traced_apart)):
        traced = not traced_apart or run == repeat
        result = None
        gc.collect()
        if traced:
            tracemalloc.start()
        start, cpu = time.perf_counter(), time.process_time()
        result = function()
        if not traced or not traced_apart:
            best = min(best, time.perf_counter() - start)
            measure.cpu = min(measure.cpu, time.process_time() - cpu)
        if traced:
            peak = max(peak, tracemalloc.get_traced_memory()[1] / 2**20)
            tracemalloc.stop()
    return best, peak, result


def per_label_loop(peer: Callable, gt, pred, spacing, labels) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for label in labels:
            gt_mask, pred_mask = gt == label, pred == label
            # a label missing from one map has no distances (and DeepMind's code fails on it under NumPy 2)
            if gt_mask.any() and pred_mask.any():
                peer(gt_mask, pred_mask, spacing)


def subset_by_size(gt, pred, count: int) -> list[int]:
    """``count`` labels spread evenly over the labels sorted by voxel count (GT and prediction)."""
    labels = present_labels(gt, pred)
    sizes = np.bincount(gt.ravel(), minlength=max(labels) + 1) + np.bincount(pred.ravel(), minlength=max(labels) + 1)
    by_size = sorted(labels, key=lambda label: sizes[label])
    return [by_size[int(i)] for i in np.linspace(0, len(by_size) - 1, count).round()]


def faster_than_previous(old_seconds: float, seconds: float, same: bool) -> str:
    return f"ours {old_seconds / seconds:.1f}x faster, rows identical: {same}"


def line(name: str, seconds: float, peak: float | None, note: str = "") -> None:
    peak_text = f"{peak:9.1f}" if peak is not None else f"{'':9s}"
    print(f"  {name:44s} {seconds:9.2f} {peak_text}   {note}", flush=True)


def run_case(name: str, gt, pred, spacing, repeat: int, subset: int, previous: bool, peers: bool = True) -> None:
    labels = present_labels(gt, pred)
    inputs = (gt.nbytes + pred.nbytes) / 2**20
    print(
        f"\n=== {name}: shape {gt.shape} {gt.dtype}, spacing {spacing}, {len(labels)} labels evaluated "
        f"(GT {len(label_boxes(gt))}, prediction {len(label_boxes(pred))}); inputs {inputs:.0f} MiB",
        flush=True,
    )
    print(f"  {'':44s} {'seconds':>9s} {'peak MiB':>9s}")
    labelled_pass, _, _ = measure(lambda: (label_boxes(gt), label_boxes(pred)), repeat, traced_apart=True)
    pass_cpu = measure.cpu
    line("one labelled pass over both maps (find_objects)", labelled_pass, None, f"CPU {pass_cpu:.2f} s")
    ours = {}
    for convention in ("border", "surfel", "pooled"):
        call = lambda c=convention: volume_metrics(gt, pred, spacing=spacing, convention=c, nsd_tolerance=TOLERANCE)  # noqa: E731
        seconds, peak, rows = measure(call, repeat, traced_apart=True)
        ours[convention] = seconds
        line(
            f"ours volume_metrics ({convention})",
            seconds,
            peak,
            f"{seconds / labelled_pass:5.1f}x the labelled pass (CPU {measure.cpu / pass_cpu:.1f}x); "
            f"peak {peak / inputs:.0%} of the inputs",
        )
        if previous and convention == "border":
            old_seconds, old_peak, old = measure(lambda: previous_rows(gt, pred, spacing, "border", None), 1)
            same = all(rows[label] == label_rows[0] for label, label_rows in old)
            line(
                "previous volume_metrics (border)",
                old_seconds,
                old_peak,
                faster_than_previous(old_seconds, seconds, same),
            )

    if peers:
        seconds, peak, _ = measure(lambda: per_label_loop(deepmind_all, gt, pred, spacing, labels), 1)
        line(
            "DeepMind loop, all labels (surfel)", seconds, peak, f"ours (surfel) {seconds / ours['surfel']:.1f}x faster"
        )
        chosen = subset_by_size(gt, pred, subset)
        tiny = np.zeros((8, 8, 8), bool)
        tiny[2:5, 2:5, 2:5] = True
        for function in (monai_all, medpy_all):  # imports (torch) before the clock starts
            per_label_loop(function, tiny, np.roll(tiny, 1), spacing, [True])
        for peer, function, convention in (("MONAI", monai_all, "border"), ("MedPy", medpy_all, "pooled")):
            seconds, peak, _ = measure(lambda f=function: per_label_loop(f, gt, pred, spacing, chosen), 1)
            total = seconds * len(labels) / len(chosen)
            line(f"{peer} loop, {len(chosen)} labels (measured)", seconds, peak)
            line(
                f"{peer} loop, all labels (extrapolated)",
                total,
                None,
                f"~ours ({convention}) {total / ours[convention]:.0f}x faster",
            )

    options = {"axis": 0, "spacing": spacing, "nsd_tolerance": TOLERANCE}
    for convention in ("border", "surfel"):
        call = lambda c=convention: slice_metrics(gt, pred, convention=c, **options)  # noqa: E731
        seconds, peak, rows = measure(call, repeat, traced_apart=True)
        line(f"ours slice_metrics axis 0 ({convention})", seconds, peak)
        if previous:
            old_seconds, old_peak, old = measure(lambda c=convention: previous_rows(gt, pred, spacing, c, 0), 1)
            by_key = {(row["slice"], row["label"]): row for row in rows}
            same = all(
                {k: v for k, v in by_key[(index, label)].items() if k not in ("slice", "label")} == row
                for label, label_rows in old
                for index, row in enumerate(label_rows)
            )
            line(
                f"previous slice_metrics axis 0 ({convention})",
                old_seconds,
                old_peak,
                faster_than_previous(old_seconds, seconds, same),
            )
    settings = ReviewSettings(spacing=tuple(spacing), axis=0)
    seconds, peak, _ = measure(lambda: list(run_review(gt, pred, settings)), 1)
    line("ours run_review (volume + every axial slice)", seconds, peak)


def run_noisy(repeat: int, check_labels: int) -> None:
    gt, pred = noisy_pair()
    spacing = (1.0, 1.0, 1.0)
    inputs = (gt.nbytes + pred.nbytes) / 2**20
    print(
        f"\n=== 1000 labels, noisy: shape {gt.shape} {gt.dtype}, shift + 1% noise; inputs {inputs:.0f} MiB", flush=True
    )
    print(f"  {'':44s} {'seconds':>9s} {'peak MiB':>9s}")
    labelled_pass, _, _ = measure(lambda: (label_boxes(gt), label_boxes(pred)), repeat, traced_apart=True)
    line("one labelled pass over both maps (find_objects)", labelled_pass, None)

    def with_progress() -> dict:
        rows, started = {}, time.perf_counter()
        for evaluation in evaluate_labels(gt, pred, spacing=spacing, nsd_tolerance=TOLERANCE):
            rows[evaluation.label] = evaluation.rows[0]
            if len(rows) % 100 == 0:  # what a progress bar would show
                elapsed = time.perf_counter() - started
                print(f"    label {len(rows)}/1000  {elapsed:6.1f} s", file=sys.stderr, flush=True)
        return rows

    # which label ranges the scattered border points are gathered in (one pass over each map per range)
    ranges, gathered_borders = [], scattered_module.gathered_borders
    scattered_module.gathered_borders = lambda label_map, *labels: (
        ranges.append(labels) or gathered_borders(label_map, *labels)
    )
    cpu = time.process_time()
    try:
        seconds, peak, rows = measure(with_progress, 1)
    finally:
        scattered_module.gathered_borders = gathered_borders
    cpu = time.process_time() - cpu
    line(
        "ours volume_metrics (border), with progress",
        seconds,
        peak,
        f"{seconds / labelled_pass:5.1f}x the labelled pass; peak {peak / inputs:.0%} of the inputs; CPU {cpu:.1f} s",
    )
    bounds = sorted(set(ranges))
    print(f"    border points gathered in {len(bounds)} label ranges {bounds} (a census pass, then a pass per range)")
    # the rows of a few labels through each label's own box (the path the scattered labels replace)
    chosen = sorted(rows)[:: max(1, len(rows) // check_labels)][:check_labels]
    started, threshold = time.perf_counter(), evaluate_module.SCATTERED_WHEN_BOXES_COVER
    evaluate_module.SCATTERED_WHEN_BOXES_COVER = float("inf")
    try:
        boxed = {
            evaluation.label: evaluation.rows[0]
            for evaluation in evaluate_labels(gt, pred, chosen, spacing=spacing, nsd_tolerance=TOLERANCE)
        }
    finally:
        evaluate_module.SCATTERED_WHEN_BOXES_COVER = threshold
    seconds = time.perf_counter() - started
    same = all(boxed[label] == rows[label] for label in chosen)
    line(f"  {len(chosen)} labels each on its own box", seconds, None, f"rows identical: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the cases' shapes by this factor")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--subset", type=int, default=4, help="labels timed for MONAI and MedPy")
    parser.add_argument("--no-previous", action="store_true", help="skip timing the replaced implementation")
    parser.add_argument("--no-peers", action="store_true", help="skip the DeepMind, MONAI and MedPy loops")
    parser.add_argument("--noisy", action="store_true", help="also the 1000-label 512^3 noisy case")
    parser.add_argument("--only-noisy", action="store_true")
    parser.add_argument("--check-labels", type=int, default=3, help="noisy case: labels also evaluated on their boxes")
    args = parser.parse_args()
    if not args.only_noisy:
        for name, case in CASES.items():
            shape = tuple(max(16, int(n * args.scale)) for n in case["shape"])
            gt = synthetic_gt(shape, case["organs"], case["tubes"], case["lesions"])
            pred = synthetic_prediction(gt)
            run_case(name, gt, pred, case["spacing"], args.repeat, args.subset, not args.no_previous, not args.no_peers)
            del gt, pred
    if args.noisy or args.only_noisy:
        run_noisy(args.repeat, args.check_labels)


if __name__ == "__main__":
    main()
