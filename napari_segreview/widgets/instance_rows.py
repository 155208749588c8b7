"""The instances view's rows, their order, the status overlay and "next missed": pure numpy, no Qt (unit-tested
without a viewer). They belong beside ``napari_segreview.instances`` and live here only because that package is
another helper's; nothing here changes a number of the matching."""

from __future__ import annotations

import math

import numpy as np

from ..instances import InstanceMatching

MATCHED, MISSED, FALSE_POSITIVE = 1, 2, 3
STATUS_CODES = {"matched": MATCHED, "missed": MISSED, "false positive": FALSE_POSITIVE}
STATUS_NAMES = {
    MATCHED: "matched (GT instance found)",
    MISSED: "missed (GT instance not found)",
    FALSE_POSITIVE: "false positive (predicted, no GT instance)",
}
SHORT_STATUS = {"matched": "found", "missed": "missed", "false positive": "FP"}
# Apart, by CIEDE2000 (> 20), from the review's TP/FP/FN/wrong-class overlay (white, magenta, yellow, green),
# its red distance heatmap and the samples' class colours (orange, sky blue), and from each other (> 35):
# matched a cyan, missed a violet blue, false positive an olive
STATUS_COLORS = {
    None: "transparent",
    0: "transparent",
    MATCHED: "#00e6e680",  # half transparent: a found object needs the least attention
    MISSED: "#7a6cff",
    FALSE_POSITIVE: "#8c8c1a",
}
# table order: what needs a look first
_RANK = {"missed": 0, "false positive": 1, "matched": 2}


def ordered_rows(matching: InstanceMatching) -> list[dict]:
    """``matching.rows()`` missed first (largest first: the biggest misses matter most), then false positives
    (largest first), then matched instances from the worst IoU up."""
    rows = matching.rows()

    def key(row: dict):
        rank = _RANK[row["status"]]
        return (rank, row["iou"] if rank == 2 else -row["voxels"], row["kind"], row["id"])

    return sorted(rows, key=key)


def next_with_status(rows: list[dict], status: str, current: int | None) -> int | None:
    """Position of the next row (after ``current``, wrapping around) whose status is ``status``; None if none."""
    positions = [i for i, row in enumerate(rows) if row["status"] == status]
    if not positions:
        return None
    if current is None:
        return positions[0]
    later = [i for i in positions if i > current]
    return later[0] if later else positions[0]


def status_overlay(gt_instances: np.ndarray, pred_instances: np.ndarray, matching: InstanceMatching) -> np.ndarray:
    """uint8 map: each GT instance's voxels MATCHED or MISSED, each false-positive prediction's voxels
    FALSE_POSITIVE (drawn over a matched GT instance it touches, never over a missed one: the miss is the news).

    In brats mode a GT lesion is several input instances (``parts``); each of them takes the lesion's status.
    """
    gt_lookup = np.zeros(int(gt_instances.max(initial=0)) + 1, np.uint8)
    for instance in matching.gt:
        for part in instance.parts or (instance.id,):
            if part < len(gt_lookup):
                gt_lookup[part] = STATUS_CODES[instance.status]
    pred_lookup = np.zeros(int(pred_instances.max(initial=0)) + 1, bool)
    for instance in matching.pred:
        if instance.status == "false positive" and instance.id < len(pred_lookup):
            pred_lookup[instance.id] = True
    overlay = gt_lookup[gt_instances]
    overlay[pred_lookup[pred_instances] & (overlay != MISSED)] = FALSE_POSITIVE
    return overlay


def _number(summary: dict, key: str) -> str:
    value = summary.get(key, math.nan)
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}"


def summary_text(summary: dict) -> str:
    """One short line: counts, F1 and PQ at the threshold (BraTS mode: lesion-wise Dice instead of PQ)."""
    last = (
        f"lesion Dice {_number(summary, 'lesion_dice')}"
        if summary.get("mode") == "brats"
        else f"PQ {_number(summary, 'pq')}"
    )
    return f"TP {summary['tp']} · FP {summary['fp']} · FN {summary['fn']} · F1 {_number(summary, 'f1')} · {last}"


def summary_tip(summary: dict) -> str:
    """The rest of the summary, for the line's tooltip."""
    return (
        f"precision {_number(summary, 'precision')}, recall {_number(summary, 'recall')}, "
        f"mean matched IoU {_number(summary, 'mean_matched_iou')}, SQ {_number(summary, 'sq')}, "
        f"RQ {_number(summary, 'rq')}, PQ {_number(summary, 'pq')}; lesion-wise Dice "
        f"{_number(summary, 'lesion_dice')}, HD95 {_number(summary, 'lesion_hd95')} (BraTS: misses and false "
        f"positives count Dice 0 and the HD95 penalty)"
    )
