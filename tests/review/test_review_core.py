"""The review core without Qt: progress, partial updates, overlay, heatmaps, surface, navigation."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.metrics import slice_metrics, volume_metrics
from napari_segreview.review.compare import changed_slices
from napari_segreview.review.compute import ReviewSettings, run_review, update_review
from napari_segreview.review.heatmaps import distance_image
from napari_segreview.review.navigation import disagreement_centre, failing_slices, next_failing, worst_slice
from napari_segreview.review.overlay import FALSE_NEGATIVE, FALSE_POSITIVE, TRUE_POSITIVE, WRONG_CLASS, error_overlay
from napari_segreview.review.surface import prediction_surface
from tests.generators import drain

SPACING = (2.5, 0.8, 0.9)


@pytest.fixture
def pair():
    grid = np.indices((12, 20, 18))
    gt = np.zeros((12, 20, 18), np.uint8)
    gt[((grid[1] - 10) ** 2 + (grid[2] - 9) ** 2 < 36) & (grid[0] > 1) & (grid[0] < 10)] = 1
    gt[2:9, 3:6, 3:6] = 2
    pred = np.roll(gt, 1, axis=2)
    pred[5] = 0  # one slice missed
    return gt, pred


def test_run_review_yields_progress_and_returns_the_library_rows(pair):
    gt, pred = pair
    steps, result = drain(run_review(gt, pred, ReviewSettings(spacing=SPACING, axis=0)))
    assert [s.done for s in steps] == [0, 1, 2] and steps[-1].total == 2
    assert steps[0].message.startswith("label 1:") and steps[1].message.startswith("label 2:")
    assert result.volume == volume_metrics(gt, pred, spacing=SPACING)
    assert result.slice_rows() == slice_metrics(gt, pred, axis=0, spacing=SPACING)


def test_progress_names_each_label_when_class_names_are_given(pair):
    gt, pred = pair
    settings = ReviewSettings(spacing=SPACING, class_names={1: "liver", 3: "spleen"})
    steps, result = drain(run_review(gt, pred, settings))
    assert [s.message.split(":")[0] for s in steps[:-1]] == ["liver (label 1)", "label 2"]
    # names change no number
    assert result.volume == drain(run_review(gt, pred, ReviewSettings(spacing=SPACING)))[1].volume


def test_partial_update_equals_a_full_recompute(pair):
    gt, pred = pair
    settings = ReviewSettings(spacing=SPACING, axis=1)
    _, before = drain(run_review(gt, pred, settings))
    edited_pred = pred.copy()
    edited_pred[3:6, 7, 4:12] = 1
    edited_pred[:, 15, :] = 0
    edited = changed_slices(pred, edited_pred, axis=1)
    assert edited.tolist() == [7, 15]
    _, after = drain(update_review(before, gt, edited_pred, edited))
    _, full = drain(run_review(gt, edited_pred, settings))
    assert after.slice_rows() == full.slice_rows()
    assert after.volume == full.volume


def test_overlay_codes():
    gt = np.array([[1, 1, 0, 2, 0]])
    pred = np.array([[1, 0, 1, 1, 0]])
    assert error_overlay(gt, pred).tolist() == [[TRUE_POSITIVE, FALSE_NEGATIVE, FALSE_POSITIVE, WRONG_CLASS, 0]]
    assert error_overlay(gt, pred, label=1).tolist() == [
        [TRUE_POSITIVE, FALSE_NEGATIVE, FALSE_POSITIVE, FALSE_POSITIVE, 0]
    ]


def test_heatmap_paints_exactly_the_distances_behind_hd95(pair):
    gt, pred = pair
    _, result = drain(run_review(gt, pred, ReviewSettings(spacing=SPACING)))
    evaluation = result.evaluations[1]
    image = distance_image(gt.shape, [evaluation], "pred")
    painted = image[tuple(evaluation.points("pred").astype(int).T)]
    np.testing.assert_array_equal(painted, evaluation.distances.pred_to_gt.astype(np.float32))
    assert np.isnan(image).sum() == image.size - len(painted)
    expected = max(
        np.percentile(evaluation.distances.pred_to_gt, 95), np.percentile(evaluation.distances.gt_to_pred, 95)
    )
    assert result.volume[1]["hd95"] == pytest.approx(expected)


def test_surface_vertices_carry_distances_to_the_gt_surface(pair):
    gt, pred = pair
    _, result = drain(run_review(gt, pred, ReviewSettings(spacing=SPACING)))
    mesh = prediction_surface(pred, gt, result.evaluations[1], SPACING)
    assert mesh.vertices.shape[1] == 3 and len(mesh.faces) > 0
    assert mesh.values.min() >= 0 and mesh.values.max() <= result.volume[1]["hd"] + np.linalg.norm(SPACING)
    identical = prediction_surface(
        gt, gt, drain(run_review(gt, gt, ReviewSettings(spacing=SPACING)))[1].evaluations[1], SPACING
    )
    # on identical masks every vertex lies within half a voxel diagonal of a GT border voxel
    assert identical.values.max() <= 0.5 * np.linalg.norm(SPACING) + 1e-6


def test_navigation():
    rows = [
        {"slice": 0, "label": 1, "dice": 1.0, "hd95": 0.0, "status": "both_empty"},
        {"slice": 1, "label": 1, "dice": 0.5, "hd95": 3.0, "status": "ok"},
        {"slice": 2, "label": 1, "dice": 0.9, "hd95": 1.0, "status": "ok"},
        {"slice": 3, "label": 1, "dice": 0.5, "hd95": 9.0, "status": "ok"},
    ]
    assert failing_slices(rows, 0.8) == [1, 3]
    assert worst_slice(rows) == 3  # equal Dice: the larger HD95
    assert next_failing([1, 3], 1) == 3 and next_failing([1, 3], 3) == 1
    assert next_failing([1, 3], 2, forward=False) == 1 and next_failing([], 0) is None
    gt, pred = np.zeros((10, 10)), np.zeros((10, 10))
    pred[2:4, 6:9] = 1
    np.testing.assert_allclose(disagreement_centre(gt, pred), [2.5, 7.0])


def test_partial_update_with_a_new_and_an_erased_label_equals_a_full_recompute(pair):
    gt, pred = pair
    settings = ReviewSettings(spacing=SPACING, axis=2)
    _, before = drain(run_review(gt, pred, settings))
    edited_pred = pred.copy()
    edited_pred[edited_pred == 2] = 0  # label 2 erased: its rows stay, now pred_empty / both_empty
    edited_pred[4:7, 2:5, 16] = 5  # label 5 new: all its slices computed
    edited = changed_slices(pred, edited_pred, axis=2)
    _, after = drain(update_review(before, gt, edited_pred, edited))
    _, full = drain(run_review(gt, edited_pred, ReviewSettings(spacing=SPACING, axis=2, labels=(1, 2, 5))))
    assert after.labels == (1, 2, 5)
    assert after.slice_rows() == full.slice_rows()
    assert after.volume == full.volume
