"""Hand-computed answers, symmetry, the empty-mask policy and multi-label behaviour."""

from __future__ import annotations

import math

import numpy as np
import pytest

from napari_segreview.metrics import CONVENTIONS, ROW_KEYS, slice_metrics, volume_metrics

ALL = pytest.mark.parametrize("convention", CONVENTIONS)


def _box(shape, start, stop) -> np.ndarray:
    mask = np.zeros(shape, bool)
    mask[tuple(slice(a, b) for a, b in zip(start, stop, strict=True))] = True
    return mask


@ALL
@pytest.mark.parametrize("axis, k", [(0, 1), (0, 3), (1, 2), (2, 4)])
def test_translation_by_k_voxels_gives_hd_k_times_spacing(convention, axis, k):
    spacing = (2.5, 0.8, 1.1)
    gt = _box((30, 30, 30), (8, 8, 8), (20, 20, 20))
    pred = np.roll(gt, k, axis=axis)
    row = volume_metrics(gt, pred, spacing=spacing, convention=convention)[1]
    assert row["hd"] == pytest.approx(k * spacing[axis])
    assert row["dice"] == pytest.approx((12 - k) / 12)


@ALL
def test_identical_masks_are_perfect(convention):
    gt = _box((10, 12, 9), (2, 3, 1), (8, 9, 7))
    row = volume_metrics(gt, gt.copy(), spacing=(3, 1, 1), convention=convention)[1]
    assert (row["dice"], row["iou"], row["hd"], row["hd95"], row["assd"], row["nsd"]) == (1, 1, 0, 0, 0, 1)
    assert row["status"] == "ok"


@ALL
def test_two_single_voxels_five_apart(convention):
    gt, pred = np.zeros((8, 8), int), np.zeros((8, 8), int)
    gt[1, 1], pred[4, 5] = 1, 1  # 3 rows and 4 columns apart: a 3-4-5 triangle
    row = volume_metrics(gt, pred, convention=convention)[1]
    assert row["dice"] == 0 and row["iou"] == 0
    assert row["hd"] == row["hd95"] == pytest.approx(5.0)
    assert row["nsd"] == 0.0


def test_dice_and_iou_from_counts():
    gt = np.array([[1, 1, 1, 1, 0, 0, 0]])
    pred = np.array([[0, 1, 1, 1, 1, 1, 1]])
    row = volume_metrics(gt, pred)[1]
    assert row["dice"] == pytest.approx(2 * 3 / (4 + 6))
    assert row["iou"] == pytest.approx(3 / 7)
    assert (row["gt_voxels"], row["pred_voxels"]) == (4, 6)


def test_border_nsd_counts_points_within_tolerance_in_both_directions():
    # a 1-voxel-thick GT line and a prediction one row lower: every border point is 1 away
    gt, pred = np.zeros((5, 6), bool), np.zeros((5, 6), bool)
    gt[1, 1:5], pred[2, 1:5] = True, True
    assert volume_metrics(gt, pred, nsd_tolerance=1.0)[1]["nsd"] == 1.0
    assert volume_metrics(gt, pred, nsd_tolerance=0.99)[1]["nsd"] == 0.0
    assert volume_metrics(gt, pred, spacing=(2.0, 1.0), nsd_tolerance=1.0)[1]["nsd"] == 0.0


def test_border_hd95_interpolates_linearly_between_the_directed_distances():
    # GT: a row of 10 voxels; prediction: the same row plus one voxel 10 rows below its last voxel
    gt, pred = np.zeros((12, 10), bool), np.zeros((12, 10), bool)
    gt[0, :], pred[0, :] = True, True
    pred[10, 9] = True
    row = volume_metrics(gt, pred, convention="border")[1]
    # pred->GT: ten 0s and one 10; the 95th percentile of 11 sorted values sits at position 9.5, halfway
    # between the last 0 and the 10. GT->pred: all 0.
    assert row["hd95"] == pytest.approx(5.0)
    assert row["hd"] == 10.0
    assert row["assd"] == pytest.approx(10.0 / (10 + 11))
    # MedPy's pooled percentile: 21 values, position 19 -> the last 0
    assert volume_metrics(gt, pred, convention="pooled")[1]["hd95"] == 0.0


@ALL
def test_swapping_gt_and_prediction_keeps_every_symmetric_metric(convention):
    rng = np.random.default_rng(5)
    gt, pred = rng.random((12, 14, 10)) < 0.3, rng.random((12, 14, 10)) < 0.4
    forward = volume_metrics(gt, pred, spacing=(1.5, 0.7, 1.0), convention=convention)[1]
    backward = volume_metrics(pred, gt, spacing=(1.5, 0.7, 1.0), convention=convention)[1]
    for key in ("dice", "iou", "hd", "hd95", "assd", "nsd"):
        assert forward[key] == pytest.approx(backward[key], rel=1e-12)


@ALL
def test_empty_masks_follow_the_policy_never_nan(convention):
    empty, full = np.zeros((6, 6, 6), bool), _box((6, 6, 6), (1, 1, 1), (4, 4, 4))
    missed = volume_metrics(full, empty, labels=[1], convention=convention)[1]
    hallucinated = volume_metrics(empty, full, labels=[1], convention=convention)[1]
    nothing = volume_metrics(empty, empty, labels=[1], convention=convention)[1]
    for row, status in ((missed, "pred_empty"), (hallucinated, "gt_empty")):
        assert row["status"] == status
        assert (row["dice"], row["iou"], row["nsd"]) == (0.0, 0.0, 0.0)
        assert row["hd"] == row["hd95"] == row["assd"] == math.inf
    assert nothing == {
        "dice": 1.0, "iou": 1.0, "hd": 0.0, "hd95": 0.0, "assd": 0.0, "nsd": 1.0,
        "gt_voxels": 0, "pred_voxels": 0, "status": "both_empty",
    }  # fmt: skip


def test_rows_have_exactly_the_spec_keys():
    gt = _box((5, 5), (1, 1), (3, 3))
    assert tuple(volume_metrics(gt, gt)[1]) == ROW_KEYS
    rows = slice_metrics(gt[None].repeat(3, 0), gt[None].repeat(3, 0))
    assert tuple(rows[0]) == ("slice", "label", *ROW_KEYS)


def test_each_label_is_evaluated_as_its_own_binary_mask():
    rng = np.random.default_rng(3)
    gt, pred = rng.integers(0, 4, (10, 11, 12)), rng.integers(0, 4, (10, 11, 12))
    pred[pred == 3] = 0  # label 3 only in GT
    rows = volume_metrics(gt, pred, spacing=(2, 1, 1))
    assert sorted(rows) == [1, 2, 3]
    for label in (1, 2):
        assert rows[label] == volume_metrics(gt == label, pred == label, spacing=(2, 1, 1))[1]
    assert rows[3]["status"] == "pred_empty"


def test_labels_default_to_those_present_and_explicit_absent_labels_are_both_empty():
    gt = np.zeros((4, 4), np.uint16)
    gt[1, 1] = 7
    assert list(volume_metrics(gt, gt)) == [7]
    assert volume_metrics(gt, gt, labels=[2])[2]["status"] == "both_empty"


def test_slice_metrics_give_one_row_per_slice_and_label_using_in_plane_spacing():
    gt = np.zeros((4, 10, 10), np.uint8)
    gt[1:3, 2:6, 2:6] = 1
    gt[2, 7:9, 7:9] = 2
    pred = np.roll(gt, 1, axis=2)
    rows = slice_metrics(gt, pred, axis=0, spacing=(100.0, 2.0, 0.5))
    assert [(r["slice"], r["label"]) for r in rows] == [(s, label) for s in range(4) for label in (1, 2)]
    shifted = [r for r in rows if r["status"] == "ok"]
    assert {(r["slice"], r["label"]) for r in shifted} == {(1, 1), (2, 1), (2, 2)}
    # a shift of one column is 0.5 physical units in-plane; the 100 of the slice axis never enters
    assert all(r["hd"] == pytest.approx(0.5) for r in shifted)
    assert [r["status"] for r in rows if r["slice"] in (0, 3)] == ["both_empty"] * 4
