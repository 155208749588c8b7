"""The detection summary of a matching: counts, precision/recall/F1, panoptic quality, BraTS lesion-wise scores.

Zero denominators: with no GT and no prediction at all every ratio is 1 (nothing to find, nothing invented: the
SPEC's both-empty rule); otherwise an undefined ratio is 0 (stardist's ``_safe_divide`` gives 0 in both cases).
"""

from __future__ import annotations

import math

from .results import GtInstance, PredInstance


def _ratio(numerator: float, denominator: float, both_empty: bool) -> float:
    if denominator > 0:
        return float(numerator / denominator)
    return 1.0 if both_empty else 0.0


def lesion_wise_scores(gt: list[GtInstance], n_fp: int, hd95_penalty: float) -> tuple[float, float]:
    """BraTS 2023's lesion-wise Dice and HD95 over the counted GT instances and ``n_fp`` false positives.

    Dice: sum of each GT instance's Dice (0 when missed) over (n_gt + n_fp). HD95: each GT instance's HD95, an
    infinite one (missed) replaced by ``hd95_penalty``, plus the penalty per false positive, over (n_gt + n_fp).
    Nothing on either side gives Dice 1 and HD95 0, as the reference does.
    """
    counted = [g for g in gt if g.counted]
    n = len(counted) + n_fp
    if n == 0:
        return 1.0, 0.0
    dice = sum(g.dice for g in counted) / n
    hd95 = (sum(hd95_penalty if math.isinf(g.hd95) else g.hd95 for g in counted) + n_fp * hd95_penalty) / n
    return float(dice), float(hd95)


def detection_summary(gt: list[GtInstance], pred: list[PredInstance], hd95_penalty: float) -> dict:
    """tp, fp, fn, precision, recall, f1, accuracy (tp / (tp+fp+fn), the DSB-2018 "average precision" at one
    threshold), mean_matched_iou (= sq), mean_true_iou (sum of matched IoUs / n_gt, stardist's
    mean_true_score), sq, rq, pq, lesion_dice, lesion_hd95, n_gt, n_pred.

    TP counts matched GT instances and FN missed ones (brats: counted lesions only); FP counts predicted
    instances matched to nothing. One-to-one modes have tp matched predictions too; in brats mode several
    components may share a lesion, so F1 is 2 TP / (2 TP + FP + FN) and RQ = TP / (TP + FP/2 + FN/2).
    """
    counted = [g for g in gt if g.counted]
    tp = sum(g.status == "matched" for g in counted)
    fn = len(counted) - tp
    fp = sum(p.status == "false positive" for p in pred)
    both_empty = not counted and not pred
    matched_iou = sum(g.iou for g in counted if g.status == "matched")
    sq = _ratio(matched_iou, tp, both_empty)
    rq = _ratio(tp, tp + fp / 2 + fn / 2, both_empty)
    lesion_dice, lesion_hd95 = lesion_wise_scores(gt, fp, hd95_penalty)
    return {
        "tp": int(tp),
        "fp": int(fp),
        "fn": int(fn),
        "precision": _ratio(tp, tp + fp, both_empty),
        "recall": _ratio(tp, tp + fn, both_empty),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn, both_empty),
        "accuracy": _ratio(tp, tp + fp + fn, both_empty),
        "mean_matched_iou": sq,
        "mean_true_iou": _ratio(matched_iou, len(counted), both_empty),
        "sq": sq,
        "rq": rq,
        "pq": sq * rq,
        "lesion_dice": lesion_dice,
        "lesion_hd95": lesion_hd95,
        "n_gt": len(counted),
        "n_pred": len(pred),
    }
