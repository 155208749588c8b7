"""Metrics speed, side by side in one process: ours against MONAI, DeepMind surface-distance and MedPy.

    python benchmarks/run_metrics.py            # both cases (the CT-sized one needs ~3 GB and a few minutes)
    python benchmarks/run_metrics.py --quick    # MNI grey matter only

Every tool computes the same metrics on the same masks, as its users would call it:
- volume: Dice, HD, HD95, ASSD, NSD (tolerance 1 mm) of one label;
- per slice: the same for every axial slice (peers in a Python loop over the slices where both masks are
  non-empty; ours over every slice in one call, empty slices included).
Times are the best of ``--repeat`` runs; peak memory is what tracemalloc sees (numpy and Python allocations;
torch's CPU allocator is not traced, so MONAI's figure is a lower bound).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cases import ellipsoid_pair, mni_grey_matter_pair  # noqa: E402

from napari_segreview.metrics import slice_metrics, volume_metrics  # noqa: E402

TOLERANCE = 1.0


def measure(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(best seconds, peak MiB) of ``function``."""
    best, peak = np.inf, 0.0
    for _ in range(repeat):
        gc.collect()
        tracemalloc.start()
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
        peak = max(peak, tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return best, peak


def monai_all(gt: np.ndarray, pred: np.ndarray, spacing) -> None:
    import torch
    from monai.metrics import (
        compute_average_surface_distance,
        compute_dice,
        compute_hausdorff_distance,
        compute_surface_dice,
    )

    y_pred = torch.from_numpy(np.stack([~pred, pred])[None])
    y = torch.from_numpy(np.stack([~gt, gt])[None])
    spacing = [float(s) for s in spacing]
    compute_dice(y_pred, y, include_background=False)
    compute_hausdorff_distance(y_pred, y, spacing=spacing)
    compute_hausdorff_distance(y_pred, y, percentile=95, spacing=spacing)
    compute_average_surface_distance(y_pred, y, symmetric=True, spacing=spacing)
    compute_surface_dice(y_pred, y, [TOLERANCE], spacing=spacing)


def deepmind_all(gt: np.ndarray, pred: np.ndarray, spacing) -> None:
    import surface_distance as sd

    distances = sd.compute_surface_distances(gt, pred, [float(s) for s in spacing])
    sd.compute_dice_coefficient(gt, pred)
    sd.compute_robust_hausdorff(distances, 100)
    sd.compute_robust_hausdorff(distances, 95)
    sd.compute_average_surface_distance(distances)
    sd.compute_surface_dice_at_tolerance(distances, TOLERANCE)


def medpy_all(gt: np.ndarray, pred: np.ndarray, spacing) -> None:
    from medpy.metric import binary

    binary.dc(pred, gt)
    binary.hd(pred, gt, spacing)
    binary.hd95(pred, gt, spacing)
    binary.assd(pred, gt, spacing)


PEERS = {"MONAI": monai_all, "DeepMind": deepmind_all, "MedPy": medpy_all}
OURS_FOR = {"MONAI": "border", "DeepMind": "surfel", "MedPy": "pooled"}


def slice_loop(peer: Callable, gt: np.ndarray, pred: np.ndarray, spacing) -> None:
    plane_spacing = spacing[1:]
    for index in range(gt.shape[0]):
        if gt[index].any() and pred[index].any():
            peer(gt[index], pred[index], plane_spacing)


def run_case(name: str, gt: np.ndarray, pred: np.ndarray, spacing, repeat: int, peers: list[str]) -> None:
    print(
        f"\n=== {name}: shape {gt.shape}, spacing {tuple(float(s) for s in spacing)}, "
        f"GT {int(gt.sum())} voxels, prediction {int(pred.sum())} voxels"
    )
    for mode in ("volume", "per slice (axis 0, every slice)"):
        print(f"\n{mode}")
        print(f"  {'tool':34s} {'seconds':>9s} {'peak MiB':>9s}   ours faster by")
        for peer in peers:
            convention = OURS_FOR[peer]
            if mode == "volume":
                ours = lambda c=convention: volume_metrics(gt, pred, spacing=spacing, convention=c)  # noqa: E731
                theirs = lambda p=PEERS[peer]: p(gt, pred, spacing)  # noqa: E731
            else:
                ours = lambda c=convention: slice_metrics(gt, pred, axis=0, spacing=spacing, convention=c)  # noqa: E731
                theirs = lambda p=PEERS[peer]: slice_loop(p, gt, pred, spacing)  # noqa: E731
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                their_seconds, their_peak = measure(theirs, 1 if peer == "MONAI" and mode != "volume" else repeat)
            our_seconds, our_peak = measure(ours, repeat)
            print(f"  {peer + ' (' + convention + ' convention)':34s} {their_seconds:9.3f} {their_peak:9.1f}")
            ratio = their_seconds / our_seconds
            print(f"  {'ours (' + convention + ')':34s} {our_seconds:9.3f} {our_peak:9.1f}   {ratio:6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="MNI grey matter only")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peers", default="MONAI,DeepMind,MedPy")
    args = parser.parse_args()
    peers = args.peers.split(",")
    run_case("MNI152 grey matter", *mni_grey_matter_pair(), repeat=args.repeat, peers=peers)
    if not args.quick:
        run_case("CT-sized ellipsoids", *ellipsoid_pair(), repeat=1, peers=[p for p in peers if p != "MedPy"])


if __name__ == "__main__":
    main()
