"""Average precision over IoU thresholds, as the Data Science Bowl 2018 / stardist / cellpose score nuclei."""

from __future__ import annotations

import numpy as np

from ..metrics.validation import check_masks
from .assignment import optimal_pairs
from .components import instances_as_given
from .overlap import joint_counts

DEFAULT_THRESHOLDS = tuple(np.round(np.arange(0.5, 0.951, 0.05), 2).tolist())


def average_precision(gt_instances, pred_instances, thresholds=DEFAULT_THRESHOLDS, criterion: str = "iou") -> float:
    """Mean over ``thresholds`` of TP / (TP + FP + FN) with optimal one-to-one matching at each threshold.

    This is the DSB-2018 "average precision" (cellpose's ``average_precision``, stardist's ``accuracy``), not
    the area under a precision-recall curve: segmentations carry no confidence ranking. One joint count serves
    every threshold. No instance on either side gives 1.
    """
    check_masks(gt_instances, pred_instances)
    overlaps = joint_counts(instances_as_given(gt_instances), instances_as_given(pred_instances))
    scores = overlaps.scores(criterion)
    n_gt, n_pred = len(overlaps.gt_ids), len(overlaps.pred_ids)
    thresholds = np.atleast_1d(np.asarray(thresholds, float))
    if thresholds.size == 0 or np.any(~np.isfinite(thresholds)) or np.any(thresholds <= 0) or np.any(thresholds > 1):
        raise ValueError("thresholds must be one or more numbers above 0 and at most 1.")
    if n_gt == 0 and n_pred == 0:
        return 1.0
    values = []
    for threshold in thresholds:
        tp = len(optimal_pairs(overlaps, scores, float(threshold))[0])
        values.append(tp / (n_gt + n_pred - tp))
    return float(np.mean(values))
