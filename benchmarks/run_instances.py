"""Instance matching at scale (issue 14): ours against stardist's ``matching`` and panoptica, in one process.

    python benchmarks/run_instances.py              # 1,000 nuclei in 1024^2 and 10,000 lesions in 256^3
    python benchmarks/run_instances.py --scale 0.5  # fewer instances in smaller images, for a quick look

Cases: touching blobs (Voronoi cells of random seeds cut to a radius, like nuclei or lesions); the prediction is
the GT shifted one voxel with a tenth of the objects dropped, a few merged and some spurious ones added, ids
renumbered. Every tool matches at IoU >= 0.5, one-to-one:
- ours: ``match_instances(..., distances=False)`` (the one joint count, the matching, every instance's record:
  size, centre, box) and, separately, the same with HD95/ASSD of every matched instance;
- stardist: ``stardist.matching.matching`` (a dense (n+1)^2 overlap matrix and ``linear_sum_assignment``);
- panoptica: ``Panoptica_Evaluator`` with ``MaxBipartiteMatching`` on the instance maps, IoU only (no global
  metrics), and ``NaiveThresholdMatching`` (greedy).
TP, FP, FN are checked equal. Times are the best of ``--repeat`` runs for ours, one run for the peers after a
warm-up call on a small crop (stardist's numba compilation and panoptica's imports are not timed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from napari_segreview.instances import match_instances  # noqa: E402
from napari_segreview.instances.overlap import joint_counts  # noqa: E402


def blobs(shape: tuple[int, ...], n: int, radius: float, rng: np.random.Generator) -> np.ndarray:
    seeds = np.zeros(shape, np.int32)
    seeds[tuple(rng.integers(0, s, n) for s in shape)] = np.arange(1, n + 1)
    distance, nearest = ndimage.distance_transform_edt(seeds == 0, return_indices=True)
    instances = seeds[tuple(nearest)]
    instances[distance > radius] = 0
    return instances


def prediction(gt: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    pred = np.roll(gt, 1, axis=0)
    ids = np.unique(pred[pred != 0])
    pred[np.isin(pred, rng.choice(ids, len(ids) // 10, replace=False))] = 0
    pairs = rng.choice(ids, (len(ids) // 50, 2), replace=False)
    lookup = np.arange(gt.max() + 1, dtype=np.int32)
    lookup[pairs[:, 1]] = pairs[:, 0]
    pred = lookup[pred]
    spurious = blobs(gt.shape, len(ids) // 20, 3.0, rng)
    free = (pred == 0) & (spurious != 0)
    pred[free] = spurious[free] + gt.max()
    values = np.unique(pred)
    table = np.zeros(values.max() + 1, np.int32)
    table[values[1:]] = rng.permutation(len(values) - 1) + 1
    return table[pred]


def timed(function, repeat: int = 1):
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def stardist_counts(gt, pred):
    from stardist.matching import matching

    found = matching(gt, pred, thresh=0.5)
    return found.tp, found.fp, found.fn


def panoptica_counts(gt, pred, greedy: bool):
    from panoptica import InputType, MaxBipartiteMatching, Metric, NaiveThresholdMatching, Panoptica_Evaluator
    from panoptica.utils.citation_reminder import disable_citation_reminder

    disable_citation_reminder()
    matcher = (NaiveThresholdMatching if greedy else MaxBipartiteMatching)(
        matching_metric=Metric.IOU, matching_threshold=0.5
    )
    evaluator = Panoptica_Evaluator(
        expected_input=InputType.UNMATCHED_INSTANCE,
        instance_matcher=matcher,
        instance_metrics=[Metric.IOU],
        global_metrics=[],
        verbose=False,
    )
    result = next(iter(evaluator.evaluate(pred, gt, verbose=False).values()))
    return result.tp, result.fp, result.fn


def run_case(name: str, shape, n: int, radius: float, repeat: int, peers: bool) -> None:
    rng = np.random.default_rng(14)
    gt = blobs(shape, n, radius, rng)
    pred = prediction(gt, rng)
    n_gt, n_pred = len(np.unique(gt)) - 1, len(np.unique(pred)) - 1
    print(f"\n{name}: {'x'.join(map(str, shape))}, {n_gt} GT and {n_pred} predicted instances")
    t_count, _ = timed(lambda: joint_counts(gt, pred), repeat)
    t_ours, ours = timed(lambda: match_instances(gt, pred, distances=False), repeat)
    counts = (ours.summary["tp"], ours.summary["fp"], ours.summary["fn"])
    print(f"  ours, tables + joint count        {t_count:8.3f} s")
    print(f"  ours, match_instances             {t_ours:8.3f} s   tp/fp/fn {counts}")
    t_dist, _ = timed(lambda: match_instances(gt, pred), 1)
    print(f"  ours, with HD95/ASSD per instance {t_dist:8.3f} s")
    if not peers:
        return
    # first calls compile stardist's numba kernel and import panoptica's stack: not what is measured
    crop = tuple(slice(0, 32) for _ in shape)
    stardist_counts(gt[crop], pred[crop])
    panoptica_counts(gt[crop], pred[crop], greedy=False)
    for label, call in (
        ("stardist matching", lambda: stardist_counts(gt, pred)),
        ("panoptica MaxBipartiteMatching", lambda: panoptica_counts(gt, pred, greedy=False)),
        ("panoptica NaiveThresholdMatching", lambda: panoptica_counts(gt, pred, greedy=True)),
    ):
        t_peer, theirs = timed(call)
        same = "same tp/fp/fn" if tuple(int(v) for v in theirs) == counts else f"DIFFERENT {theirs}"
        print(f"  {label:33s} {t_peer:8.3f} s   {t_peer / t_ours:7.1f}x ours   {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the images and instance counts")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-peers", action="store_true", help="only ours")
    args = parser.parse_args()
    print(f"$ python benchmarks/run_instances.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    side2, side3 = int(1024 * args.scale), int(256 * args.scale)
    run_case("nuclei-like 2D", (side2, side2), int(1000 * args.scale**2), 12.0, args.repeat, not args.no_peers)
    run_case("lesions 3D", (side3,) * 3, int(10_000 * args.scale**3), 5.0, args.repeat, not args.no_peers)


if __name__ == "__main__":
    main()
