"""The joint count of overlapping (GT, prediction) instance pairs in one pass, and the IoU / Dice it gives.

Only voxels where both maps hold an object are counted, each pair once: an ``np.unique`` over one int64 key per
such voxel. The result is sparse (one entry per pair that touches), so no (n_gt x n_pred) matrix and no pass over
the image per pair is ever made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CRITERIA = ("iou", "dice")


def _ids_and_sizes(instances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-zero ids present and their voxel counts; bincount when the ids are dense enough, else a sort."""
    flat = instances.ravel()
    largest = int(flat.max()) if flat.size else 0
    if largest <= 4 * flat.size + 1024:
        counts = np.bincount(flat, minlength=largest + 1)
        ids = np.flatnonzero(counts)
        ids = ids[ids != 0]
        return ids.astype(np.int64), counts[ids].astype(np.int64)
    ids, counts = np.unique(flat[flat != 0], return_counts=True)
    return ids.astype(np.int64), counts.astype(np.int64)


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


def joint_counts(gt: np.ndarray, pred: np.ndarray) -> Overlaps:
    """Sizes of every instance and intersections of every overlapping pair of two instance maps of one shape."""
    gt_ids, gt_sizes = _ids_and_sizes(gt)
    pred_ids, pred_sizes = _ids_and_sizes(pred)
    both = (gt != 0) & (pred != 0)
    g = gt[both].astype(np.int64)
    p = pred[both].astype(np.int64)
    # one key per overlapping voxel; ids fit in int32, so gt * 2**32 + pred never overflows int64
    keys, counts = np.unique((g << 32) | p, return_counts=True)
    pair_gt = np.searchsorted(gt_ids, keys >> 32)
    pair_pred = np.searchsorted(pred_ids, keys & 0xFFFFFFFF)
    return Overlaps(gt_ids, pred_ids, gt_sizes, pred_sizes, pair_gt, pair_pred, counts.astype(np.int64))
