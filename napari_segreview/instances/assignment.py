"""One-to-one matching of GT and predicted instances on the sparse pair scores: optimal and greedy.

Both return index pairs (into ``Overlaps.gt_ids`` / ``pred_ids``) whose score is at least the threshold.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .overlap import Overlaps


def _is_matching(gt_index: np.ndarray, pred_index: np.ndarray) -> bool:
    return len(np.unique(gt_index)) == len(gt_index) and len(np.unique(pred_index)) == len(pred_index)


def optimal_pairs(overlaps: Overlaps, scores: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """The most pairs with score >= threshold, and among those the largest total score: stardist's rule.

    stardist minimises ``-(score >= t) - score / (2 min(n_gt, n_pred))`` over the full (n_gt x n_pred) matrix.
    Pairs that share no voxel cost 0 there, so the optimum splits over the connected components of the overlap
    graph: each component is solved alone, on its own small dense matrix with the same costs. A component whose
    candidate pairs (score >= t) already share no instance needs no solver: they are all matched, as they are in
    every optimum (for IoU >= 0.5 that is every component).
    """
    n_gt, n_pred = len(overlaps.gt_ids), len(overlaps.pred_ids)
    candidate = scores >= threshold
    if not candidate.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if _is_matching(overlaps.pair_gt[candidate], overlaps.pair_pred[candidate]):
        return overlaps.pair_gt[candidate], overlaps.pair_pred[candidate]
    graph = coo_matrix(
        (np.ones(len(scores)), (overlaps.pair_gt, n_gt + overlaps.pair_pred)), shape=(n_gt + n_pred,) * 2
    )
    _, component = connected_components(graph, directed=False)
    pair_component = component[overlaps.pair_gt]
    scale = 2.0 * min(n_gt, n_pred)
    chosen_gt, chosen_pred = [], []
    order = np.argsort(pair_component, kind="stable")
    bounds = np.flatnonzero(np.diff(pair_component[order])) + 1
    for pairs in np.split(order, bounds):
        wanted = pairs[candidate[pairs]]
        if not len(wanted):
            continue
        if _is_matching(overlaps.pair_gt[wanted], overlaps.pair_pred[wanted]):
            chosen_gt.append(overlaps.pair_gt[wanted])
            chosen_pred.append(overlaps.pair_pred[wanted])
            continue
        rows, row_index = np.unique(overlaps.pair_gt[pairs], return_inverse=True)
        cols, col_index = np.unique(overlaps.pair_pred[pairs], return_inverse=True)
        costs = np.zeros((len(rows), len(cols)))
        costs[row_index, col_index] = -candidate[pairs].astype(float) - scores[pairs] / scale
        score_matrix = np.zeros_like(costs)
        score_matrix[row_index, col_index] = scores[pairs]
        r, c = linear_sum_assignment(costs)
        ok = score_matrix[r, c] >= threshold
        chosen_gt.append(rows[r[ok]])
        chosen_pred.append(cols[c[ok]])
    return np.concatenate(chosen_gt).astype(np.int64), np.concatenate(chosen_pred).astype(np.int64)


def greedy_pairs(overlaps: Overlaps, scores: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs taken best score first, each instance at most once (ties: lower GT id, then lower prediction id)."""
    candidate = np.flatnonzero(scores >= threshold)
    order = candidate[np.lexsort((overlaps.pair_pred[candidate], overlaps.pair_gt[candidate], -scores[candidate]))]
    gt_taken = np.zeros(len(overlaps.gt_ids), bool)
    pred_taken = np.zeros(len(overlaps.pred_ids), bool)
    chosen = []
    for pair in order.tolist():
        g, p = overlaps.pair_gt[pair], overlaps.pair_pred[pair]
        if not gt_taken[g] and not pred_taken[p]:
            gt_taken[g] = pred_taken[p] = True
            chosen.append(pair)
    chosen = np.asarray(chosen, np.int64)
    return overlaps.pair_gt[chosen], overlaps.pair_pred[chosen]
