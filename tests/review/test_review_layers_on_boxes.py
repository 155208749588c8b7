"""The review layers built per label on its box equal the straightforward per-label full-volume layers.

The references are written out here: for every label ``pred == label`` as a full-size mask, padded, smoothed and
meshed on the whole array; the overlay of one class from full-size masks; the contour image as two full images.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial import cKDTree
from skimage.measure import marching_cubes

from napari_segreview.review import overlay as overlay_module
from napari_segreview.review.compute import ReviewSettings, run_review
from napari_segreview.review.heatmaps import contour_distance_image, distance_image
from napari_segreview.review.overlay import FALSE_NEGATIVE, FALSE_POSITIVE, TRUE_POSITIVE, WRONG_CLASS, error_overlay
from napari_segreview.review.surface import prediction_surfaces
from tests.generators import drain

SPACING = (1.5, 0.8, 1.1)


def label_map_pair(shape, seed):
    """Blocks and balls of labels 1-7 overwriting each other (touching labels), some reaching the array edge;
    the prediction shifted and grown, label 2 missing, label 9 only in the prediction (in a corner)."""
    rng = np.random.default_rng(seed)
    gt = np.zeros(shape, np.uint8)
    grid = np.indices(shape)
    for label in rng.permutation(np.arange(1, 8).repeat(2)):
        low = rng.integers(0, np.array(shape) - 1)
        high = np.minimum(low + rng.integers(3, np.maximum(4, np.array(shape) // 2)), shape)
        if rng.random() < 0.4:  # to the array edge
            axis = rng.integers(len(shape))
            (high if rng.random() < 0.5 else low)[axis] = shape[axis] if rng.random() < 0.5 else 0
            high = np.maximum(high, low + 1)
        if rng.random() < 0.5:
            centre, radius = (low + high) / 2, max(1.5, float(np.min(high - low)) / 2)
            gt[np.sum((grid - centre[:, None, None, None]) ** 2, axis=0) <= radius**2] = label
        else:
            gt[tuple(slice(a, b) for a, b in zip(low, high, strict=True))] = label
    pred = np.roll(gt, tuple(rng.integers(-1, 2, 3)), axis=(0, 1, 2))
    grown = ndimage.grey_dilation(pred, size=(1, 2, 2))
    pred = np.where(rng.random(shape) < 0.5, grown, pred).astype(np.uint8)
    pred[pred == 2] = 0
    pred[:3, :3, -3:] = 9
    return gt, pred


def reference_surface(pred, gt, evaluation, spacing, signed, step):
    """The whole-array surface of one label, as it was built before the boxes."""
    label = evaluation.label
    mask = pred == label
    gt_points = evaluation.points("gt")
    if not mask.any() or len(gt_points) == 0:
        return None
    padded = ndimage.gaussian_filter(np.pad(mask, 2).astype(np.float32), 0.8)
    if padded.max() < 0.5:
        padded = np.pad(mask, 2).astype(np.float32)
    vertices, faces, _normals, _values = marching_cubes(padded, 0.5, step_size=step, allow_degenerate=False)
    vertices = vertices - 2.0
    values, _ = cKDTree(gt_points * np.asarray(spacing)).query(vertices * np.asarray(spacing), k=1)
    if signed:
        nearest = np.clip(np.rint(vertices).astype(np.int64), 0, np.asarray(gt.shape) - 1)
        values = np.where(gt[tuple(nearest.T)] != label, values, -values)
    return vertices, faces, values


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(("signed", "step"), [(False, 1), (True, 1), (False, 2)])
def test_surface_per_label_on_its_box_equals_the_whole_array_surface(seed, signed, step):
    gt, pred = label_map_pair((19, 23, 21), seed)
    _, result = drain(run_review(gt, pred, ReviewSettings(spacing=SPACING)))
    evaluations = list(result.evaluations.values())
    mesh = prediction_surfaces(pred, gt, evaluations, SPACING, signed=signed, step=step)
    parts = [reference_surface(pred, gt, e, SPACING, signed, step) for e in evaluations]
    parts = [part for part in parts if part is not None]
    assert len(parts) >= 4  # labels touching, at the edge, and 9 (prediction only: no GT surface, no mesh)
    offsets = np.cumsum([0] + [len(part[0]) for part in parts[:-1]])
    np.testing.assert_allclose(mesh.vertices, np.concatenate([part[0] for part in parts]), atol=1e-5)
    np.testing.assert_array_equal(
        mesh.faces, np.concatenate([part[1] + offset for part, offset in zip(parts, offsets, strict=True)])
    )
    np.testing.assert_allclose(mesh.values, np.concatenate([part[2] for part in parts]), rtol=1e-5, atol=1e-5)


def test_no_surface_without_a_label_in_the_prediction():
    gt, pred = label_map_pair((12, 14, 13), 5)
    _, result = drain(run_review(gt, pred, ReviewSettings(spacing=SPACING, labels=(2,))))
    assert prediction_surfaces(pred, gt, list(result.evaluations.values()), SPACING) is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_overlay_of_one_class_on_its_box_equals_the_full_size_masks(seed):
    gt, pred = label_map_pair((17, 20, 22), seed)
    for label in (1, 2, 5, 9, 42):  # 2 only in the GT, 9 only in the prediction, 42 in neither
        in_gt, in_pred = gt == label, pred == label
        expected = np.zeros(gt.shape, np.uint8)
        expected[in_gt & in_pred] = TRUE_POSITIVE
        expected[in_pred & ~in_gt] = FALSE_POSITIVE
        expected[in_gt & ~in_pred] = FALSE_NEGATIVE
        np.testing.assert_array_equal(error_overlay(gt, pred, label), expected)


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("convention", ["border", "surfel"])
def test_contour_image_equals_the_two_images_merged(signed, convention):
    gt, pred = label_map_pair((15, 18, 16), 4)
    _, result = drain(run_review(gt, pred, ReviewSettings(spacing=SPACING, convention=convention)))
    evaluations = list(result.evaluations.values())
    expected = distance_image(gt.shape, evaluations, "pred", signed)
    gt_image = distance_image(gt.shape, evaluations, "gt", signed)
    free = np.isnan(expected)
    expected[free] = gt_image[free]
    np.testing.assert_array_equal(contour_distance_image(gt.shape, evaluations, signed), expected)


def test_a_structure_smaller_than_the_coarse_grid_still_gets_its_surface():
    gt = np.zeros((20, 20, 20), np.uint8)
    gt[4:14, 4:14, 4:14] = 1
    gt[16, 17, 17] = 2  # one voxel: between the points of a step-2 grid
    _, result = drain(run_review(gt, gt, ReviewSettings(spacing=SPACING)))
    mesh = prediction_surfaces(gt, gt, list(result.evaluations.values()), SPACING, step=2)
    near_the_voxel = np.all(np.abs(mesh.vertices - np.array([16, 17, 17])) <= 1.5, axis=1)
    assert near_the_voxel.any() and (~near_the_voxel).any()


def _whole_array_overlay(gt, pred):
    """The all-labels overlay written out on the whole arrays at once (the reference)."""
    in_gt, in_pred = gt != 0, pred != 0
    expected = np.zeros(gt.shape, np.uint8)
    expected[in_gt & in_pred & (gt == pred)] = TRUE_POSITIVE
    expected[in_pred & ~in_gt] = FALSE_POSITIVE
    expected[in_gt & ~in_pred] = FALSE_NEGATIVE
    expected[in_gt & in_pred & (gt != pred)] = WRONG_CLASS
    return expected


@pytest.mark.parametrize("slab_voxels", [1, 37, 1 << 22])
def test_the_all_labels_overlay_slab_by_slab_equals_the_whole_array_one(monkeypatch, slab_voxels):
    monkeypatch.setattr(overlay_module, "SLAB_VOXELS", slab_voxels)  # one slice, uneven slabs, one slab
    rng = np.random.default_rng(3)
    for shape in ((7, 9, 11), (13, 5), (1, 4, 4)):
        gt = rng.integers(0, 4, shape).astype(np.uint8)
        pred = rng.integers(0, 4, shape).astype(np.uint8)
        np.testing.assert_array_equal(error_overlay(gt, pred), _whole_array_overlay(gt, pred))


def test_the_all_labels_overlay_needs_little_more_memory_than_itself(monkeypatch):
    monkeypatch.setattr(overlay_module, "SLAB_VOXELS", 1 << 16)
    rng = np.random.default_rng(4)
    gt = rng.integers(0, 3, (64, 128, 128)).astype(np.uint8)
    pred = np.roll(gt, 1, axis=2)
    tracemalloc.start()
    overlay = error_overlay(gt, pred)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # the overlay and a few boolean masks of one slab (was: five volume-sized masks at once)
    assert peak <= overlay.nbytes + 8 * (1 << 16)
