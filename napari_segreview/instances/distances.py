"""HD95 and ASSD of one instance against its matched prediction(s), with the metrics core, on their box."""

from __future__ import annotations

import numpy as np

from ..metrics import evaluate_label
from ..metrics.boxes import Box


def instance_distances(
    gt: np.ndarray,
    gt_ids,
    pred: np.ndarray,
    pred_ids,
    box: Box,
    *,
    spacing: np.ndarray,
    convention: str,
    percentile: float,
) -> tuple[float, float]:
    """(hd95, assd) in the unit of ``spacing`` between the voxels of ``gt_ids`` in ``gt`` and of ``pred_ids`` in
    ``pred``; ``box`` must hold both. Cropping changes no distance: outside the box both masks are empty, as they
    are outside the array. An empty side gives inf (the SPEC's empty-mask policy)."""
    gt_mask = np.isin(gt[box], np.atleast_1d(gt_ids)).view(np.uint8)
    pred_mask = np.isin(pred[box], np.atleast_1d(pred_ids)).view(np.uint8)
    row = evaluate_label(gt_mask, pred_mask, 1, spacing=spacing, convention=convention, percentile=percentile).rows[0]
    return float(row["hd95"]), float(row["assd"])
