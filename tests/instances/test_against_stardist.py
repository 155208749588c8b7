"""Our optimal matching equals stardist's ``matching`` at every threshold 0.1-0.9 (2D, 3D, real nuclei).

Definitions that differ, and why:
- stardist computes its scores in float32 and compares them with the threshold rounded to float32; we compute
  and compare in float64. A pair whose score lies within float32 rounding of the threshold can be decided
  differently (IoU 0.7 at threshold 0.70000001: float32 rounds both to 0.69999999 and matches). Where such a
  pair exists the test compares our assignment run on float32 scores and threshold with stardist's.
- stardist's ``mean_true_score`` (sum of matched IoUs / n_true) is our ``mean_true_iou``; our
  ``mean_matched_iou`` is stardist's ``mean_matched_score`` (= SQ).
- No instance on either side: stardist gives precision, recall, f1, PQ 0; we give 1 (the SPEC's both-empty rule).
"""

from __future__ import annotations

import numpy as np
import pytest
from stardist.matching import matching

from napari_segreview.instances import average_precision, joint_counts, match_instances
from napari_segreview.instances.assignment import optimal_pairs

from .cases import nuclei, perturbed, random_instances

THRESHOLDS = [round(float(t), 1) for t in np.arange(0.1, 0.91, 0.1)]


def _cases():
    rng = np.random.default_rng(14)
    cases = []
    for k in range(4):
        gt = random_instances((96, 96), 60, rng)
        cases.append((f"2d-perturbed-{k}", gt, perturbed(gt, rng)))
        cases.append((f"2d-independent-{k}", gt, random_instances((96, 96), 60, rng)))
        gt3 = random_instances((28, 30, 26), 50, rng, radius=4.0)
        cases.append((f"3d-perturbed-{k}", gt3, perturbed(gt3, rng)))
        cases.append((f"3d-independent-{k}", gt3, random_instances((28, 30, 26), 50, rng, radius=4.0)))
    _, gt, pred = nuclei()
    cases.append(("nuclei", gt, pred))
    return cases


CASES = _cases()


def _on_the_edge(gt, pred, threshold) -> bool:
    """A pair that float32 and float64 put on different sides of the threshold."""
    scores = joint_counts(gt, pred).scores("iou")
    return bool(np.any((scores >= threshold) != (scores.astype(np.float32) >= np.float32(threshold))))


@pytest.mark.parametrize("name, gt, pred", CASES, ids=[c[0] for c in CASES])
def test_optimal_matching_equals_stardist_at_every_threshold(name, gt, pred):
    for threshold in THRESHOLDS:
        theirs = matching(gt, pred, thresh=threshold, criterion="iou")
        ours = match_instances(gt, pred, threshold=threshold, distances=False).summary
        if _on_the_edge(gt, pred, threshold):
            overlaps = joint_counts(gt, pred)
            scores32 = overlaps.scores("iou").astype(np.float32)
            assert len(optimal_pairs(overlaps, scores32, np.float32(threshold))[0]) == theirs.tp, (name, threshold)
            continue
        assert (ours["tp"], ours["fp"], ours["fn"]) == (theirs.tp, theirs.fp, theirs.fn), (name, threshold)
        assert (ours["n_gt"], ours["n_pred"]) == (theirs.n_true, theirs.n_pred)
        for key, their_key in (
            ("precision", "precision"),
            ("recall", "recall"),
            ("f1", "f1"),
            ("accuracy", "accuracy"),
            ("mean_true_iou", "mean_true_score"),
            ("mean_matched_iou", "mean_matched_score"),
            ("pq", "panoptic_quality"),
        ):
            # float32 sums on their side
            assert ours[key] == pytest.approx(getattr(theirs, their_key), rel=1e-5, abs=1e-6), (name, threshold, key)


@pytest.mark.parametrize("name, gt, pred", CASES[:4], ids=[c[0] for c in CASES[:4]])
def test_matched_pairs_equal_stardists(name, gt, pred):
    for threshold in (0.3, 0.5, 0.7):
        if _on_the_edge(gt, pred, threshold):
            continue
        theirs = matching(gt, pred, thresh=threshold, report_matches=True)
        their_pairs = {theirs.matched_pairs[i] for i in theirs.matched_tps}
        result = match_instances(gt, pred, threshold=threshold, distances=False)
        our_pairs = {(g.id, g.matched[0]) for g in result.gt if g.status == "matched"}
        assert our_pairs == their_pairs


def test_dice_criterion_counts_equal_stardists_iou_matching_at_the_equivalent_threshold():
    # stardist has no Dice criterion; Dice >= d exactly when IoU >= d / (2 - d), so the number of matches at
    # Dice d is stardist's at IoU d / (2 - d)
    _, gt, pred = CASES[0]
    for dice_threshold in THRESHOLDS:
        threshold = dice_threshold / (2 - dice_threshold)
        if _on_the_edge(gt, pred, threshold):
            continue
        theirs = matching(gt, pred, thresh=threshold)
        ours = match_instances(gt, pred, threshold=dice_threshold, criterion="dice", distances=False).summary
        assert (ours["tp"], ours["fp"], ours["fn"]) == (theirs.tp, theirs.fp, theirs.fn)


def test_average_precision_is_stardists_accuracy_averaged_over_0_5_to_0_95():
    _, gt, pred = nuclei()
    thresholds = np.round(np.arange(0.5, 0.951, 0.05), 2)
    expected = np.mean([matching(gt, pred, thresh=float(t)).accuracy for t in thresholds])
    assert average_precision(gt, pred) == pytest.approx(expected, rel=1e-6)


def test_a_pair_just_below_the_threshold_is_missed_where_stardists_float32_matches_it():
    gt = np.zeros((1, 10), np.int32)
    pred = np.zeros((1, 10), np.int32)
    gt[0, :7] = 1
    pred[0, :10] = 1  # IoU 7/10 exactly, below 0.70000001
    assert match_instances(gt, pred, threshold=0.70000001, distances=False).summary["tp"] == 0
    assert matching(gt, pred, thresh=0.70000001).tp == 1  # both round to float32 0.69999999
    assert match_instances(gt, pred, threshold=0.7, distances=False).summary["tp"] == 1


def test_nothing_on_either_side_scores_one_where_stardist_scores_zero():
    empty = np.zeros((8, 8), np.int32)
    ours = match_instances(empty, empty).summary
    theirs = matching(empty, empty, thresh=0.5)
    assert (ours["precision"], ours["recall"], ours["f1"], ours["pq"]) == (1.0, 1.0, 1.0, 1.0)
    assert (theirs.precision, theirs.recall, theirs.f1, theirs.panoptic_quality) == (0, 0, 0, 0)
