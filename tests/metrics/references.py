"""The reference libraries, called as their users call them, for one pair of bool masks.

border: MONAI (returns float32), surfel: google-deepmind surface-distance, pooled: MedPy.
"""

from __future__ import annotations

import warnings

import numpy as np

# One tolerance anywhere both masks are non-empty: 1e-6 relative. MONAI casts its distances to float32
# (~6e-8 relative each), which a 1e-6 relative tolerance absorbs; a tiny absolute allowance covers results at 0.
RELATIVE = 1e-6
MONAI_ABSOLUTE = 1e-9


def monai_metrics(gt: np.ndarray, pred: np.ndarray, spacing, tolerance: float) -> dict[str, float]:
    import torch
    from monai.metrics import compute_average_surface_distance, compute_hausdorff_distance, compute_surface_dice
    from monai.metrics.utils import get_edge_surface_distance

    def one_hot(mask):
        return torch.from_numpy(np.stack([~mask, mask])[None].astype(np.float32))

    y_pred, y = one_hot(pred), one_hot(gt)
    spacing = [float(s) for s in spacing]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # compute_hausdorff_distance(percentile=95) takes torch.quantile of float32 distances in float32: its
        # interpolation position q*(n-1) is off by ~n*6e-8, which moves HD95 by up to 1e-5 of a distance once n
        # reaches a few thousand. So HD95 is MONAI's own directed edge distances with the same quantile in float64.
        _edges, (pred_to_gt, gt_to_pred), _areas = get_edge_surface_distance(
            y_pred[0, 1], y[0, 1], spacing=spacing, symmetric=True
        )
        hd95 = max(torch.quantile(d.double(), 0.95).item() for d in (pred_to_gt, gt_to_pred))
        return {
            "hd": compute_hausdorff_distance(y_pred, y, spacing=spacing).item(),
            "hd95": hd95,
            "assd": compute_average_surface_distance(y_pred, y, symmetric=True, spacing=spacing).item(),
            "nsd": compute_surface_dice(y_pred, y, [tolerance], spacing=spacing).item(),
        }


def deepmind_metrics(gt: np.ndarray, pred: np.ndarray, spacing, tolerance: float) -> dict[str, float]:
    import surface_distance

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = surface_distance.compute_surface_distances(gt, pred, [float(s) for s in spacing])
    areas_gt, areas_pred = found["surfel_areas_gt"], found["surfel_areas_pred"]
    pooled_mean = (
        np.sum(found["distances_gt_to_pred"] * areas_gt) + np.sum(found["distances_pred_to_gt"] * areas_pred)
    ) / (areas_gt.sum() + areas_pred.sum())
    return {
        "hd": surface_distance.compute_robust_hausdorff(found, 100),
        "hd95": surface_distance.compute_robust_hausdorff(found, 95),
        "assd": float(pooled_mean),
        "nsd": surface_distance.compute_surface_dice_at_tolerance(found, tolerance),
    }


def medpy_metrics(gt: np.ndarray, pred: np.ndarray, spacing, tolerance: float) -> dict[str, float]:
    from medpy.metric import binary

    spacing = [float(s) for s in spacing]
    return {
        "hd": binary.hd(pred, gt, spacing),
        "hd95": binary.hd95(pred, gt, spacing),
        "assd": binary.assd(pred, gt, spacing),
    }


REFERENCES = {"border": monai_metrics, "surfel": deepmind_metrics, "pooled": medpy_metrics}
