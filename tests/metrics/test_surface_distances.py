"""The per-surface-point distances the heatmaps paint are the numbers the metrics come from."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial.distance import cdist

from napari_segreview.metrics import evaluate_label, slice_metrics, volume_metrics

SPACING = (2.0, 0.7, 0.9)


def _ball(shape, centre, radius) -> np.ndarray:
    grid = np.indices(shape)
    return sum((g - c) ** 2 for g, c in zip(grid, centre, strict=True)) <= radius**2


@pytest.fixture
def pair():
    gt = _ball((16, 22, 20), (8, 11, 10), 6)
    pred = _ball((16, 22, 20), (8, 12, 9), 5) | _ball((16, 22, 20), (3, 3, 3), 1)
    return gt.astype(np.uint8), pred.astype(np.uint8)


def test_border_points_are_the_border_voxels_and_distances_are_brute_force(pair):
    gt, pred = pair
    evaluation = evaluate_label(gt, pred, 1, spacing=SPACING)
    gt_border = gt.astype(bool) ^ ndimage.binary_erosion(gt.astype(bool))
    pred_border = pred.astype(bool) ^ ndimage.binary_erosion(pred.astype(bool))
    assert {tuple(p) for p in evaluation.points("gt").astype(int)} == {tuple(p) for p in np.argwhere(gt_border)}
    pred_points = evaluation.points("pred")
    assert {tuple(p) for p in pred_points.astype(int)} == {tuple(p) for p in np.argwhere(pred_border)}
    brute = cdist(pred_points * SPACING, np.argwhere(gt_border) * SPACING).min(axis=1)
    np.testing.assert_allclose(evaluation.distances.pred_to_gt, brute, rtol=1e-12)


def test_hd95_is_the_percentile_of_the_painted_distances(pair):
    gt, pred = pair
    evaluation = evaluate_label(gt, pred, 1, spacing=SPACING)
    expected = max(
        np.percentile(evaluation.distances.gt_to_pred, 95), np.percentile(evaluation.distances.pred_to_gt, 95)
    )
    assert evaluation.rows[0]["hd95"] == pytest.approx(expected, rel=1e-12)
    assert evaluation.rows[0] == volume_metrics(gt, pred, spacing=SPACING)[1]


def test_signed_distances_are_positive_where_the_prediction_is_too_large():
    gt = _ball((20, 20, 20), (10, 10, 10), 5)
    larger, smaller = _ball((20, 20, 20), (10, 10, 10), 7), _ball((20, 20, 20), (10, 10, 10), 3)
    for convention in ("border", "surfel"):
        over = evaluate_label(gt, larger, 1, convention=convention).distances
        under = evaluate_label(gt, smaller, 1, convention=convention).distances
        assert np.all(over.pred_signed > 0) and np.all(over.gt_signed > 0)
        assert np.all(under.pred_signed < 0) and np.all(under.gt_signed < 0)
        np.testing.assert_array_equal(np.abs(over.pred_signed), over.pred_to_gt)


def test_surfels_sit_on_voxel_corners_and_carry_their_sizes(pair):
    gt, pred = pair
    evaluation = evaluate_label(gt, pred, 1, spacing=SPACING, convention="surfel")
    corners = evaluation.points("gt")
    np.testing.assert_array_equal(corners % 1, 0.5)
    assert np.all(evaluation.distances.gt.weights > 0)


def test_per_slice_points_carry_their_slice_and_in_plane_distances(pair):
    gt, pred = pair
    evaluation = evaluate_label(gt, pred, 1, spacing=SPACING, axis=1)
    points = evaluation.points("pred")
    assert points.shape[1] == 3
    # every point lies in its own slice's border, and slice rows match slice_metrics
    for point in points[:50].astype(int):
        plane = np.take(pred, point[1], axis=1).astype(bool)
        in_plane = (point[0], point[2])
        assert plane[in_plane] and not ndimage.binary_erosion(plane)[in_plane]
    rows = [row for row in slice_metrics(gt, pred, axis=1, spacing=SPACING) if row["label"] == 1]
    assert [{k: v for k, v in row.items() if k not in ("slice", "label")} for row in rows] == evaluation.rows


@pytest.mark.parametrize("length", [300, 32_766, 32_767, 40_000])
def test_points_far_along_a_long_array_keep_their_positions(length):
    """The kept points use the smallest integer type for the array's extent: positions past int16 stay exact."""
    gt = np.zeros((4, 5, length), np.uint8)
    gt[1:3, 1:4, length - 5 : length] = 1
    pred = np.zeros_like(gt)
    pred[0:2, 1:4, length - 4 : length] = 1
    borders = [np.argwhere(m.astype(bool) ^ ndimage.binary_erosion(m.astype(bool))) for m in (gt, pred)]
    evaluation = evaluate_label(gt, pred, 1, spacing=(1.0, 1.0, 1.0))
    assert {tuple(p) for p in evaluation.points("gt").astype(int)} == {tuple(p) for p in borders[0]}
    brute = cdist(evaluation.points("gt"), borders[1]).min(axis=1)
    np.testing.assert_allclose(evaluation.distances.gt_to_pred, brute, rtol=1e-12)
    by_slice = evaluate_label(gt, pred, 1, spacing=(1.0, 1.0, 1.0), axis=2)  # the groups run along the long axis
    assert by_slice.points("pred")[:, 2].max() == length - 1
    assert by_slice.distances.pred.groups.dtype.itemsize == (2 if length <= 32_767 else 4)
