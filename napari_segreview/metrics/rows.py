"""Metric rows from surface distances and voxel counts, with the empty-mask policy of the SPEC."""

from __future__ import annotations

import numpy as np

from .distances import SurfaceDistances
from .statistics import GroupedDistances

ROW_KEYS = ("dice", "iou", "hd", "hd95", "assd", "nsd", "gt_voxels", "pred_voxels", "status")
DISTANCE_KEYS = ("hd", "hd95", "assd")
# Both masks empty: perfect agreement. One mask empty: total miss, distances infinite (never NaN, never 0).
BOTH_EMPTY = {"dice": 1.0, "iou": 1.0, "hd": 0.0, "hd95": 0.0, "assd": 0.0, "nsd": 1.0}
ONE_EMPTY = {"dice": 0.0, "iou": 0.0, "hd": np.inf, "hd95": np.inf, "assd": np.inf, "nsd": 0.0}


def distance_metrics(
    distances: SurfaceDistances, n_groups: int, convention: str, tolerance: float, percentile: float
) -> dict[str, np.ndarray]:
    """HD, HD95 (at ``percentile``), ASSD and NSD (at ``tolerance``) per group, in the given convention."""
    gt, pred = distances.gt, distances.pred
    if convention == "surfel":
        gt_weights, pred_weights = gt.weights, pred.weights
    else:
        gt_weights, pred_weights = np.ones(len(gt.groups)), np.ones(len(pred.groups))
    gt_sorted = GroupedDistances(gt.groups, distances.gt_to_pred, n_groups, gt.weights)
    pred_sorted = GroupedDistances(pred.groups, distances.pred_to_gt, n_groups, pred.weights)
    hd = np.fmax(gt_sorted.linear_percentile(100.0), pred_sorted.linear_percentile(100.0))
    if convention == "surfel":
        hd95 = np.fmax(gt_sorted.weighted_percentile(percentile), pred_sorted.weighted_percentile(percentile))
    elif convention == "pooled":
        pooled = GroupedDistances(
            np.concatenate([gt.groups, pred.groups]),
            np.concatenate([distances.gt_to_pred, distances.pred_to_gt]),
            n_groups,
        )
        hd95 = pooled.linear_percentile(percentile)
    else:
        hd95 = np.fmax(gt_sorted.linear_percentile(percentile), pred_sorted.linear_percentile(percentile))

    def per_group(groups, values):
        return np.bincount(groups, weights=values, minlength=n_groups)

    total = per_group(gt.groups, gt_weights) + per_group(pred.groups, pred_weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        assd = (
            per_group(gt.groups, gt_weights * distances.gt_to_pred)
            + per_group(pred.groups, pred_weights * distances.pred_to_gt)
        ) / total
        nsd = (
            per_group(gt.groups, gt_weights * (distances.gt_to_pred <= tolerance))
            + per_group(pred.groups, pred_weights * (distances.pred_to_gt <= tolerance))
        ) / total
    return {"hd": hd, "hd95": hd95, "assd": assd, "nsd": nsd}


def metric_rows(
    gt_voxels: np.ndarray, pred_voxels: np.ndarray, overlap: np.ndarray, by_distance: dict[str, np.ndarray]
) -> list[dict]:
    """One row per group: Dice and IoU from voxel counts, distances from ``by_distance``, then the policy."""
    rows = []
    counts = zip(gt_voxels.tolist(), pred_voxels.tolist(), overlap.tolist(), strict=True)
    for group, (n_gt, n_pred, n_both) in enumerate(counts):
        row: dict = {}
        if n_gt == 0 and n_pred == 0:
            row.update(BOTH_EMPTY, status="both_empty")
        elif n_gt == 0 or n_pred == 0:
            row.update(ONE_EMPTY, status="gt_empty" if n_gt == 0 else "pred_empty")
        else:
            row["dice"] = 2.0 * n_both / (n_gt + n_pred)
            row["iou"] = n_both / (n_gt + n_pred - n_both)
            row.update({key: float(values[group]) for key, values in by_distance.items()})
            row["status"] = "ok"
        row["gt_voxels"], row["pred_voxels"] = int(n_gt), int(n_pred)
        rows.append({key: row[key] for key in ROW_KEYS})
    return rows
