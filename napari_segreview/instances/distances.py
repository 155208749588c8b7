"""HD95 and ASSD of each GT instance against its matched prediction(s), with the metrics core.

One-to-one matches (every prediction in at most one pair) are evaluated together: both maps are relabelled so
that pair k is label k in each, and one ``evaluate_labels`` call evaluates every pair on its own box, after one
labelled pass. A label's surface is found from ``map == label`` alone, so a pair's distances are those of the
two instances by themselves. Matches sharing a prediction (BraTS mode) are evaluated one by one on their box.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from ..metrics import evaluate_label, evaluate_labels
from ..metrics.boxes import Box


def _relabelled(instances: np.ndarray, ids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """``instances`` with each of ``ids`` replaced by its entry of ``labels`` and everything else 0."""
    largest = int(instances.max(initial=0))
    if largest <= 4 * instances.size + 1024:
        table = np.zeros(largest + 1, np.int32)
        table[ids] = labels
        return table[instances]
    order = np.argsort(ids)
    position = np.searchsorted(ids[order], instances)
    position = np.minimum(position, len(ids) - 1)
    found = ids[order][position] == instances
    return np.where(found, labels[order][position], 0).astype(np.int32)


def _one_pair(gt, gt_id, pred, pred_ids, box: Box, options: dict) -> tuple[float, float]:
    gt_mask = (gt[box] == gt_id).view(np.uint8)
    pred_mask = np.isin(pred[box], np.asarray(pred_ids)).view(np.uint8)
    row = evaluate_label(gt_mask, pred_mask, 1, **options).rows[0]
    return float(row["hd95"]), float(row["assd"])


def matched_distances(
    gt: np.ndarray,
    pred: np.ndarray,
    partners: dict[int, tuple[int, ...]],
    boxes: dict[int, Box],
    *,
    spacing: np.ndarray,
    convention: str,
    percentile: float,
    every: int = 50,
) -> Generator[int, None, dict[int, tuple[float, float]]]:
    """``{gt id: (hd95, assd)}`` in the unit of ``spacing`` for every GT id in ``partners`` (its matched
    prediction ids); ``boxes`` holds each pair's union box. Yields how many pairs are done every ``every``."""
    options = {"spacing": spacing, "convention": convention, "percentile": percentile}
    found: dict[int, tuple[float, float]] = {}
    pred_ids = [p for ids in partners.values() for p in ids]
    if len(set(pred_ids)) == len(pred_ids):
        gt_ids = np.fromiter(partners, np.int64, len(partners))
        labels = np.arange(1, len(gt_ids) + 1, dtype=np.int32)
        first_pred = np.asarray([ids[0] for ids in partners.values()], np.int64)
        if all(len(ids) == 1 for ids in partners.values()):
            gt_pairs = _relabelled(gt, gt_ids, labels)
            pred_pairs = _relabelled(pred, first_pred, labels)
            evaluations = evaluate_labels(gt_pairs, pred_pairs, labels.tolist(), **options)
            for k, evaluation in enumerate(evaluations):
                row = evaluation.rows[0]
                found[int(gt_ids[k])] = (float(row["hd95"]), float(row["assd"]))
                if (k + 1) % every == 0:
                    yield k + 1
            return found
    for k, (gt_id, ids) in enumerate(partners.items()):
        found[gt_id] = _one_pair(gt, gt_id, pred, ids, boxes[gt_id], options)
        if (k + 1) % every == 0:
            yield k + 1
    return found
