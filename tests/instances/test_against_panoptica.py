"""PQ, SQ, RQ and the matched pairs equal panoptica's, on random 2D/3D instance maps and the real nuclei.

Definitions that differ, and why:
- panoptica's ``NaiveThresholdMatching`` is greedy (pairs best IoU first, each instance once): it equals our
  ``greedy`` mode at every threshold.
- panoptica's ``MaxBipartiteMatching`` minimises the sum of (1 - IoU) with a cost of 1 + 1e-6 for no match, so it
  may trade a second match for a better first one; ours (stardist's rule) first maximises the number of matches.
  For IoU thresholds >= 0.5 the candidate pairs never share an instance and both give the same pairs; below 0.5
  they can differ (pinned by a hand-built case).
"""

from __future__ import annotations

import numpy as np
import pytest
from panoptica import InputType, MaxBipartiteMatching, Metric, NaiveThresholdMatching, Panoptica_Evaluator
from panoptica.utils.citation_reminder import disable_citation_reminder
from panoptica.utils.processing_pair import UnmatchedInstancePair

from napari_segreview.instances import match_instances

from .cases import nuclei, perturbed, random_instances

disable_citation_reminder()


def _cases():
    rng = np.random.default_rng(2023)
    cases = []
    for k in range(3):
        gt = random_instances((80, 90), 50, rng)
        cases.append((f"2d-perturbed-{k}", gt, perturbed(gt, rng)))
        gt3 = random_instances((24, 26, 22), 40, rng, radius=4.0)
        cases.append((f"3d-perturbed-{k}", gt3, perturbed(gt3, rng)))
        cases.append((f"3d-independent-{k}", gt3, random_instances((24, 26, 22), 40, rng, radius=4.0)))
    _, gt, pred = nuclei()
    cases.append(("nuclei", gt, pred))
    return cases


CASES = _cases()


def _their_pairs(gt, pred, matcher) -> set[tuple[int, int]]:
    """(GT id, predicted id) of panoptica's matches: it relabels each matched prediction with its GT id."""
    matched = matcher.match_instances(UnmatchedInstancePair(pred.astype(np.int32), gt.astype(np.int32)))
    assert np.array_equal(matched.reference_arr, gt)
    pairs = set()
    for p in np.unique(pred[pred != 0]):
        value = int(matched.prediction_arr[pred == p][0])
        if value in set(int(i) for i in matched.matched_instances):
            pairs.add((value, int(p)))
    return pairs


def _our_pairs(result) -> set[tuple[int, int]]:
    return {(g.id, g.matched[0]) for g in result.gt if g.status == "matched"}


def _their_quality(gt, pred, matcher):
    evaluator = Panoptica_Evaluator(
        expected_input=InputType.UNMATCHED_INSTANCE,
        instance_matcher=matcher,
        instance_metrics=[Metric.IOU],
        global_metrics=[],
        verbose=False,
    )
    return next(iter(evaluator.evaluate(pred.astype(np.int32), gt.astype(np.int32), verbose=False).values()))


@pytest.mark.parametrize("name, gt, pred", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_greedy_mode_equals_panopticas_naive_threshold_matching(name, gt, pred, threshold):
    ours = match_instances(gt, pred, threshold=threshold, mode="greedy", distances=False)
    matcher = NaiveThresholdMatching(matching_metric=Metric.IOU, matching_threshold=threshold)
    assert _our_pairs(ours) == _their_pairs(gt, pred, matcher)
    theirs = _their_quality(gt, pred, matcher)
    assert (ours.summary["tp"], ours.summary["fp"], ours.summary["fn"]) == (theirs.tp, theirs.fp, theirs.fn)
    if theirs.tp:  # panoptica's edge-case handler decides SQ without matches; see the empty-case test
        for key in ("pq", "sq", "rq"):
            assert ours.summary[key] == pytest.approx(getattr(theirs, key), rel=1e-9), key


@pytest.mark.parametrize("name, gt, pred", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.75, 0.9])
def test_optimal_mode_equals_panopticas_max_bipartite_matching_from_iou_0_5(name, gt, pred, threshold):
    ours = match_instances(gt, pred, threshold=threshold, mode="optimal", distances=False)
    matcher = MaxBipartiteMatching(matching_metric=Metric.IOU, matching_threshold=threshold)
    assert _our_pairs(ours) == _their_pairs(gt, pred, matcher)
    theirs = _their_quality(gt, pred, matcher)
    if theirs.tp:
        for key in ("pq", "sq", "rq"):
            assert ours.summary[key] == pytest.approx(getattr(theirs, key), rel=1e-9), key


def test_below_iou_0_5_optimal_keeps_more_matches_than_panopticas_max_bipartite():
    # one row of voxels: A = [5, 15), B = [15, 25); X = [8, 17), Y = [0, 8)
    # IoU(A, X) = 7/12 = 0.583, IoU(A, Y) = 3/15 = 0.2, IoU(B, X) = 2/17 = 0.118, B and Y do not touch.
    # At threshold 0.1 two matches are possible only as A-Y, B-X (stardist's rule: tp 2); panoptica's costs
    # (1 - IoU, 1.000001 for none) prefer A-X alone: 0.417 + 1.000001 < 0.8 + 0.882.
    gt = np.zeros((1, 30), np.int32)
    pred = np.zeros((1, 30), np.int32)
    gt[0, 5:15], gt[0, 15:25] = 1, 2
    pred[0, 8:17], pred[0, 0:8] = 1, 2
    ours = match_instances(gt, pred, threshold=0.1, distances=False)
    assert _our_pairs(ours) == {(1, 2), (2, 1)}
    matcher = MaxBipartiteMatching(matching_metric=Metric.IOU, matching_threshold=0.1)
    assert _their_pairs(gt, pred, matcher) == {(1, 1)}
    greedy = match_instances(gt, pred, threshold=0.1, mode="greedy", distances=False)
    assert _our_pairs(greedy) == {(1, 1)}
