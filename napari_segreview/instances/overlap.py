"""The joint count of overlapping (GT, prediction) instance pairs in one pass, and the IoU / Dice it gives.

Only voxels where both maps hold an object are counted: an ``np.unique`` over one int64 key (GT index x n_pred
+ prediction index) per such voxel. The result is sparse (one entry per pair that touches), so no (n_gt x
n_pred) matrix and no pass over the image per pair is ever made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import InstanceTable, instance_table, positions_in

CRITERIA = ("iou", "dice")


@dataclass(frozen=True)
class Overlaps:
    """Instances of both maps and every pair that shares voxels.

    gt_ids, pred_ids:     sorted non-zero ids present (int64)
    gt_sizes, pred_sizes: voxel count of each id
    pair_gt, pair_pred:   index into ``gt_ids`` / ``pred_ids`` of each overlapping pair
    intersection:         voxels the pair shares (> 0)
    """

    gt_ids: np.ndarray
    pred_ids: np.ndarray
    gt_sizes: np.ndarray
    pred_sizes: np.ndarray
    pair_gt: np.ndarray
    pair_pred: np.ndarray
    intersection: np.ndarray

    def scores(self, criterion: str = "iou") -> np.ndarray:
        """The score of every overlapping pair: IoU = |G∩P| / |G∪P| or Dice = 2|G∩P| / (|G| + |P|)."""
        g = self.gt_sizes[self.pair_gt].astype(float)
        p = self.pred_sizes[self.pair_pred].astype(float)
        inter = self.intersection.astype(float)
        if criterion == "iou":
            return inter / (g + p - inter)
        if criterion == "dice":
            return 2.0 * inter / (g + p)
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, not {criterion!r}.")


def joint_counts(
    gt: np.ndarray, pred: np.ndarray, gt_table: InstanceTable | None = None, pred_table: InstanceTable | None = None
) -> Overlaps:
    """Sizes of every instance and intersections of every overlapping pair of two instance maps of one shape.

    The tables (:func:`instance_table`, computed when not given) list each map's object voxels; the prediction
    is read only at the GT's object voxels, and each pair is one int64 key there.
    """
    gt_table = gt_table or instance_table(gt)
    pred_table = pred_table or instance_table(pred)
    predicted = pred.ravel()[gt_table.where]
    touching = predicted != 0
    pair_pred_index = positions_in(pred_table.ids, predicted[touching])
    n_pred = max(1, len(pred_table.ids))
    keys, counts = np.unique(gt_table.index[touching] * n_pred + pair_pred_index, return_counts=True)
    return Overlaps(
        gt_table.ids,
        pred_table.ids,
        gt_table.sizes,
        pred_table.sizes,
        keys // n_pred,
        keys % n_pred,
        counts.astype(np.int64),
    )
