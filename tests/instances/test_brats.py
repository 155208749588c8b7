"""BraTS mode against the reference's rule (rachitsaluja/BraTS-2023-Metrics, ``eval.py``
``get_LesionWiseScores`` / ``get_LesionWiseResults``), on hand-built 3D cases whose numbers are derived by hand
from that code in the comments:

- GT and prediction: 26-connected components; the GT dilated ``dil_factor`` times with
  ``generate_binary_structure(3, 2)``, GT components in one dilated component combined into one lesion;
- each lesion dilated again; every predicted component with a voxel in it belongs to the lesion (``tp``);
  ``dice(pred_tmp, gt_tmp)`` against the union of those components; HD95 ``compute_robust_hausdorff(.., 95)`` of
  DeepMind's surface distances, inf (no prediction) replaced by 374;
- false positives: components in no lesion's dilation; lesions of volume <= the threshold left out;
- LesionWise Dice = sum(Dice) / (n_lesions + n_fp), HD95 = (sum(HD95) + 374 n_fp) / (n_lesions + n_fp);
  nothing on either side (0/0) gives Dice 1 and HD95 0.
"""

from __future__ import annotations

import numpy as np
import pytest
import surface_distance

from napari_segreview.instances import instances_from_semantic, match_instances


def _brats(gt_mask, pred_mask, **options):
    gt = instances_from_semantic(gt_mask, connectivity=3)
    pred = instances_from_semantic(pred_mask, connectivity=3)
    return match_instances(gt, pred, mode="brats", **options)


def test_lesions_merged_by_dilation_and_components_in_the_dilation_merged_into_the_match():
    gt = np.zeros((20, 20, 20), bool)
    gt[2:5, 2:5, 2:5] = True  # A, 27 voxels
    gt[2:5, 2:5, 6:9] = True  # B, 27 voxels, one empty plane (index 5) from A: one dilation joins them
    gt[12:15, 12:15, 12:15] = True  # C, 27 voxels, nothing predicted
    pred = np.zeros_like(gt)
    pred[2:5, 2:5, 2:5] = True  # P1 = A
    pred[3, 3, 9] = True  # P2: outside the GT, next to B's face: inside B's one-voxel dilation
    pred[18, 18, 18] = True  # P3: far from everything: a false positive
    result = _brats(gt, pred, brats_dilation=1)
    by_parts = {len(g.parts): g for g in result.gt}
    ab, c = by_parts[2], by_parts[1]
    # A and B are one lesion of 54 voxels, matched to P1 and P2 (28 voxels, 27 shared): Dice 2*27/(54+28)
    assert ab.voxels == 54 and ab.status == "matched" and len(ab.matched) == 2
    assert ab.dice == pytest.approx(54 / 82)
    assert c.status == "missed" and c.dice == 0 and np.isinf(c.hd95)
    s = result.summary
    assert (s["tp"], s["fn"], s["fp"]) == (1, 1, 1)
    # the reference's HD95 of the AB lesion: DeepMind's surface distances between the two masks it builds
    lesion = gt.copy()
    lesion[12:15, 12:15, 12:15] = False
    union = pred.copy()
    union[18, 18, 18] = False
    hd_ab = surface_distance.compute_robust_hausdorff(
        surface_distance.compute_surface_distances(lesion, union, (1, 1, 1)), 95
    )
    assert ab.hd95 == pytest.approx(hd_ab)
    # two lesions and one false positive: Dice (54/82 + 0) / 3, HD95 (hd_ab + 374 + 374) / 3
    assert s["lesion_dice"] == pytest.approx((54 / 82) / 3)
    assert s["lesion_hd95"] == pytest.approx((hd_ab + 2 * 374) / 3)


def test_without_dilation_the_same_lesions_stay_apart_and_the_touching_voxel_is_a_false_positive():
    gt = np.zeros((20, 20, 20), bool)
    gt[2:5, 2:5, 2:5] = True
    gt[2:5, 2:5, 6:9] = True
    pred = np.zeros_like(gt)
    pred[2:5, 2:5, 2:5] = True
    pred[3, 3, 9] = True  # not in B itself, and B is not dilated
    result = _brats(gt, pred, brats_dilation=0)
    s = result.summary
    # A matched (Dice 1), B missed (0), P2 false positive: Dice (1 + 0) / 3
    assert (s["tp"], s["fn"], s["fp"]) == (1, 1, 1)
    assert s["lesion_dice"] == pytest.approx(1 / 3)


def test_exact_missed_and_false_positive_lesions_with_a_configured_penalty():
    gt = np.zeros((16, 16, 16), bool)
    gt[1:4, 1:4, 1:4] = True  # found exactly: Dice 1, HD95 0
    gt[10:13, 10:13, 10:13] = True  # missed: Dice 0, HD95 = penalty
    pred = np.zeros_like(gt)
    pred[1:4, 1:4, 1:4] = True
    pred[1, 12, 1] = True  # false positive: penalty
    result = _brats(gt, pred, brats_dilation=1, hd95_penalty=100.0)
    s = result.summary
    assert (s["tp"], s["fn"], s["fp"]) == (1, 1, 1)
    assert s["lesion_dice"] == pytest.approx(1 / 3)
    assert s["lesion_hd95"] == pytest.approx((0 + 100 + 100) / 3)


def test_one_component_touching_two_lesions_belongs_to_both_and_is_no_false_positive():
    gt = np.zeros((6, 6, 18), bool)
    gt[2:4, 2:4, 2:4] = True  # D, 8 voxels
    gt[2:4, 2:4, 12:14] = True  # E, 8 voxels, 8 planes apart: one dilation does not join them
    pred = np.zeros_like(gt)
    pred[2, 2, 2:14] = True  # a bar of 12 voxels through both, sharing 2 voxels with each
    result = _brats(gt, pred, brats_dilation=1)
    # each lesion: Dice 2*2 / (8 + 12) = 0.2; no false positive: lesion-wise Dice (0.2 + 0.2) / 2
    assert [g.dice for g in result.gt] == pytest.approx([0.2, 0.2])
    assert all(g.matched == result.gt[0].matched for g in result.gt)
    s = result.summary
    assert (s["tp"], s["fn"], s["fp"]) == (2, 0, 0)
    assert s["lesion_dice"] == pytest.approx(0.2)


def test_lesions_at_or_below_the_volume_threshold_are_left_out_but_false_positives_are_not():
    gt = np.zeros((16, 16, 16), bool)
    gt[1:5, 1:5, 1:5] = True  # 64 voxels x 1 mm^3, found exactly
    gt[10:12, 10:12, 10:12] = True  # 8 voxels: at spacing (1, 1, 2) 16 mm^3 <= 16, missed: left out
    pred = np.zeros_like(gt)
    pred[1:5, 1:5, 1:5] = True
    pred[14, 1, 14] = True  # false positive, counted whatever its size
    result = _brats(gt, pred, brats_dilation=1, spacing=(1, 1, 2), brats_min_volume=16.0)
    s = result.summary
    # the reference: Num_FN = len(fn) - fn_sub = 1 - 1; Dice (1) / (1 + 1); HD95 (0 + 374) / 2
    assert (s["tp"], s["fn"], s["fp"]) == (1, 0, 1)
    assert s["lesion_dice"] == pytest.approx(0.5)
    assert s["lesion_hd95"] == pytest.approx(187.0)


def test_nothing_on_either_side_gives_dice_1_and_hd95_0():
    empty = np.zeros((8, 8, 8), bool)
    s = _brats(empty, empty).summary
    assert (s["lesion_dice"], s["lesion_hd95"]) == (1.0, 0.0)


def test_a_lesion_keeps_the_smallest_id_of_its_parts():
    gt = np.zeros((10, 10, 10), np.int32)
    gt[1:3, 1:3, 1:3] = 7
    gt[1:3, 1:3, 4:6] = 3  # two voxels from 7: merged by the default three dilations
    result = match_instances(gt, np.zeros_like(gt), mode="brats")
    assert [(g.id, g.parts) for g in result.gt] == [(3, (3, 7))]


def test_a_prediction_of_a_lesion_left_out_by_volume_is_neither_counted_nor_a_false_positive():
    gt = np.zeros((16, 16, 16), bool)
    gt[1:5, 1:5, 1:5] = True  # 64 voxels, found exactly
    gt[10:12, 10:12, 10:12] = True  # 8 voxels <= 10: left out, but found
    pred = gt.copy()
    result = _brats(gt, pred, brats_dilation=1, brats_min_volume=10.0)
    # the reference: Num_TP = len(gt_tp) - gt_tp_sub = 2 - 1; the small lesion's component is in ``tp``, so not
    # in ``fp``; Dice 1 / (1 + 0)
    s = result.summary
    assert (s["tp"], s["fn"], s["fp"]) == (1, 0, 0)
    assert (s["lesion_dice"], s["lesion_hd95"]) == (1.0, 0.0)
