"""The TP / FP / FN overlay: where the prediction agrees with the ground truth and where it does not."""

from __future__ import annotations

import numpy as np

TRUE_POSITIVE, FALSE_POSITIVE, FALSE_NEGATIVE, WRONG_CLASS = 1, 2, 3, 4
OVERLAY_NAMES = {
    TRUE_POSITIVE: "true positive",
    FALSE_POSITIVE: "false positive (predicted, not in GT)",
    FALSE_NEGATIVE: "false negative (in GT, missed)",
    WRONG_CLASS: "wrong class",
}
# TP a faint white (agreement needs no attention), errors in colours the turbo heatmap does not use as
# areas: FP magenta, FN yellow, wrong class orange
OVERLAY_COLORS = {
    None: "transparent",
    0: "transparent",
    TRUE_POSITIVE: "#ffffff59",
    FALSE_POSITIVE: "#e7298a",
    FALSE_NEGATIVE: "#f5d905",
    WRONG_CLASS: "#ff7f00",
}


def error_overlay(gt: np.ndarray, pred: np.ndarray, label: int | None = None) -> np.ndarray:
    """uint8 map: 1 TP, 2 FP, 3 FN, 4 both labelled but with different classes (only when ``label`` is None).

    With ``label`` given, only that class is compared (other classes count as background).
    """
    if label is not None:
        gt, pred = gt == label, pred == label
        overlay = np.zeros(gt.shape, np.uint8)
        overlay[gt & pred] = TRUE_POSITIVE
        overlay[pred & ~gt] = FALSE_POSITIVE
        overlay[gt & ~pred] = FALSE_NEGATIVE
        return overlay
    in_gt, in_pred = gt != 0, pred != 0
    overlay = np.zeros(gt.shape, np.uint8)
    overlay[in_gt & in_pred & (gt == pred)] = TRUE_POSITIVE
    overlay[in_pred & ~in_gt] = FALSE_POSITIVE
    overlay[in_gt & ~in_pred] = FALSE_NEGATIVE
    overlay[in_gt & in_pred & (gt != pred)] = WRONG_CLASS
    return overlay
