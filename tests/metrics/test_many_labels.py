"""Many labels in one map: one labelled pass and each label on its box give exactly the per-label rows.

The references are the straightforward per-label approach, written out here: ``gt == label`` and
``pred == label`` as full-size binary masks for every label, their surface points found on the whole array.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from napari_segreview.metrics import evaluate_label, evaluate_labels, slice_metrics, volume_metrics
from napari_segreview.metrics import label_surfaces as slabs
from napari_segreview.metrics.distances import SurfaceDistances, nearest_distances, stack_surface_distances
from napari_segreview.metrics.rows import distance_metrics, metric_rows
from napari_segreview.metrics.surfaces import surface_points

CONVENTIONS = ("border", "surfel", "pooled")
OPTIONS = {"nsd_tolerance": 1.5, "percentile": 95.0}


def label_map_pair(shape, seed):
    """Random multi-label maps: blocks of labels 1-7 overwriting each other (touching labels), some reaching the
    array edge; the prediction shifted, with one label missing (2), one only there (9), stray voxels."""
    rng = np.random.default_rng(seed)
    gt = np.zeros(shape, np.uint8)
    for label in rng.permutation(np.arange(1, 8).repeat(2)):
        low = rng.integers(0, np.array(shape) - 1)
        high = np.minimum(low + rng.integers(2, np.maximum(3, np.array(shape) // 2)), shape)
        if rng.random() < 0.3:  # to the array edge
            high[rng.integers(len(shape))] = shape[0]
        gt[tuple(slice(a, b) for a, b in zip(low, high, strict=True))] = label
    pred = np.roll(gt, rng.integers(-1, 2, len(shape)), axis=tuple(range(len(shape))))
    pred[pred == 2] = 0
    pred[tuple(slice(0, 2) for _ in shape)] = 9
    stray = rng.random(shape) < 0.01
    pred[stray] = rng.integers(0, 8, stray.sum())
    return gt, pred


def reference_evaluation(gt, pred, label, spacing, convention, axis=None, crop=True):
    """One label from full-size binary masks: cropped to its box as before (``stack_surface_distances``) or,
    ``crop=False``, with the surface points of the whole array."""
    gt_mask, pred_mask = gt == label, pred == label
    if axis is None:
        gt_stack, pred_stack, plane_spacing = gt_mask[None], pred_mask[None], np.asarray(spacing, float)
    else:
        gt_stack, pred_stack = np.moveaxis(gt_mask, axis, 0), np.moveaxis(pred_mask, axis, 0)
        plane_spacing = np.delete(np.asarray(spacing, float), axis)
    if crop:
        distances = stack_surface_distances(gt_stack, pred_stack, plane_spacing, convention)
    else:
        gt_points, pred_points = surface_points(gt_stack, pred_stack, convention, plane_spacing)
        plane_shape = gt_stack.shape[1:]
        distances = SurfaceDistances(
            gt=gt_points,
            pred=pred_points,
            gt_to_pred=nearest_distances(gt_points, pred_points, plane_spacing, plane_shape),
            pred_to_gt=nearest_distances(pred_points, gt_points, plane_spacing, plane_shape),
        )
    n_groups = gt_stack.shape[0]
    by_distance = distance_metrics(distances, n_groups, convention, OPTIONS["nsd_tolerance"], OPTIONS["percentile"])
    plane_axes = tuple(range(1, gt_stack.ndim))
    rows = metric_rows(
        gt_stack.sum(axis=plane_axes), pred_stack.sum(axis=plane_axes), (gt_stack & pred_stack).sum(axis=plane_axes),
        by_distance,
    )  # fmt: skip
    return rows, distances


def present(gt, pred):
    return sorted((set(np.unique(gt).tolist()) | set(np.unique(pred).tolist())) - {0})


CASES = [((9, 11, 10), (2.5, 0.8, 0.9)), ((13, 12, 9), None), ((17, 19), (0.7, 1.3)), ((16, 16), None)]


@pytest.fixture(params=["one slab", "many slabs"])
def slab_voxels(request, monkeypatch):
    """Each box read whole, or a few voxels at a time (slabs of one layer, stitched)."""
    if request.param == "many slabs":
        monkeypatch.setattr(slabs, "SLAB_VOXELS", 5)
        monkeypatch.setattr(slabs, "SMALLEST_SLAB_VOXELS", 5)
    return request.param


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize(("shape", "spacing"), CASES)
@pytest.mark.parametrize("seed", range(4))
def test_volume_rows_equal_the_per_label_reference(shape, spacing, convention, seed, slab_voxels):
    gt, pred = label_map_pair(shape, seed)
    rows = volume_metrics(gt, pred, spacing=spacing, convention=convention, **OPTIONS)
    labels = present(gt, pred)
    assert list(rows) == labels and 2 in labels and 9 in labels
    for label in labels:
        expected, _ = reference_evaluation(gt, pred, label, spacing or (1.0,) * gt.ndim, convention)
        assert rows[label] == expected[0], label
        uncropped, _ = reference_evaluation(gt, pred, label, spacing or (1.0,) * gt.ndim, convention, crop=False)
        assert rows[label]["status"] == uncropped[0]["status"]
        numbers = {key: value for key, value in uncropped[0].items() if key != "status"}
        assert {key: rows[label][key] for key in numbers} == pytest.approx(numbers, rel=1e-12), label


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("seed", range(3))
def test_slice_rows_equal_the_per_label_reference(axis, convention, seed, slab_voxels):
    gt, pred = label_map_pair((9, 11, 10), seed)
    spacing = (2.5, 0.8, 0.9)
    rows = slice_metrics(gt, pred, axis=axis, spacing=spacing, convention=convention, labels=[1, 2, 3, 8, 9], **OPTIONS)
    expected = {label: reference_evaluation(gt, pred, label, spacing, convention, axis)[0] for label in (1, 2, 3, 8, 9)}
    assert len(rows) == gt.shape[axis] * 5
    for row in rows:
        assert {k: v for k, v in row.items() if k not in ("slice", "label")} == expected[row["label"]][row["slice"]]


@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("axis", [None, 0, 2])
def test_evaluation_points_and_distances_are_in_full_array_coordinates(axis, convention, slab_voxels):
    gt, pred = label_map_pair((9, 11, 10), 5)
    spacing = (2.5, 0.8, 0.9)
    for label in (1, 4, 9):
        ours = evaluate_label(gt, pred, label, spacing=spacing, axis=axis, convention=convention, **OPTIONS)
        rows, distances = reference_evaluation(gt, pred, label, spacing, convention, axis)
        assert ours.rows == rows
        for which in ("gt", "pred"):
            mine, theirs = getattr(ours.distances, which), getattr(distances, which)
            np.testing.assert_array_equal(mine.groups, theirs.groups)
            np.testing.assert_array_equal(mine.index, theirs.index)
            np.testing.assert_array_equal(mine.outside_other, theirs.outside_other)
            np.testing.assert_array_equal(mine.on_other, theirs.on_other)
            if theirs.weights is not None:
                np.testing.assert_array_equal(mine.weights, theirs.weights)
        np.testing.assert_array_equal(ours.distances.gt_to_pred, distances.gt_to_pred)
        np.testing.assert_array_equal(ours.distances.pred_to_gt, distances.pred_to_gt)
        # border points are voxels of their own mask, wherever the label's box is
        if convention != "surfel":
            positions = ours.points("pred").astype(int)
            assert np.all(pred[tuple(positions.T)] == label)


def test_large_label_values_are_renumbered_with_the_same_rows():
    gt, pred = label_map_pair((9, 11, 10), 1)
    values = np.array([0, 3, 70_000, 2**40, 5, 2**33, 12, 2**50, 99, 7], np.int64)
    big_gt, big_pred = values[gt], values[pred]
    rows = volume_metrics(big_gt, big_pred, spacing=(2.5, 0.8, 0.9))
    expected = volume_metrics(gt, pred, spacing=(2.5, 0.8, 0.9))
    assert rows == {int(values[label]): row for label, row in expected.items()}
    assert volume_metrics(big_gt, big_pred, labels=[2**40, 4])[4]["status"] == "both_empty"


def test_bool_maps_are_label_one():
    gt, pred = label_map_pair((9, 11, 10), 2)
    assert volume_metrics(gt == 3, pred == 3) == {1: volume_metrics(gt, pred, labels=[3])[3]}


def test_many_labels_allocate_far_less_than_the_maps():
    """No full-size temporary per label: the peak stays below one full-size bool mask (half the two uint8 maps).

    At this small size the labels' surface points weigh most; the benchmark measures CT-sized maps."""
    shape = (128, 192, 192)
    grid = np.indices(shape, sparse=True)
    gt = np.zeros(shape, np.uint8)
    for label in range(1, 41):  # 40 touching balls and their neighbours
        centre = (np.array(shape) * np.random.default_rng(label).random(3)).astype(int)
        gt[sum((g - c) ** 2 for g, c in zip(grid, centre, strict=True)) < 18**2] = label
    pred = np.roll(gt, 2, axis=1)
    for convention in CONVENTIONS:
        volume_metrics(gt[:8], pred[:8], convention=convention)  # imports and the surfel table, once per process
        tracemalloc.start()
        volume_metrics(gt, pred, spacing=(1.5, 0.8, 0.8), convention=convention)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 0.4 * (gt.nbytes + pred.nbytes), (convention, peak / (gt.nbytes + pred.nbytes))


def test_shortest_step_axes():
    from napari_segreview.metrics.surfaces import nearest_axes

    assert nearest_axes((2.5, 0.8, 0.9)) == (1,)
    assert nearest_axes((1.0, 1.0, 1.0)) == (0, 1, 2)
    assert nearest_axes((0.8, 0.8 * (1 + 1e-12), 1.5)) == (0, 1)
    assert nearest_axes((1.0, 1.0 + 1e-7, 2.0)) == ()  # too close to tell which step is shorter: search all
    assert nearest_axes((1.0 + 1e-5, 1.0)) == (1,)


@pytest.mark.parametrize(
    "spacing",
    [(0.8, 0.8 * (1 + 1e-12), 0.9), (1.0, 1.0 + 1e-7, 2.0), (1.0, 1.0 + 1e-5, 1.3), (3e-7, 0.9, 3e-7), (7.1, 7.1, 7.1)],
)
@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("axis", [None, 1])
def test_distances_one_step_away_are_the_searched_ones(spacing, convention, axis, slab_voxels):
    """Points one shortest step from the other surface take that step without a KD-tree search: the very
    numbers the search gives, also with spacings (nearly) equal along several axes."""
    gt, pred = label_map_pair((13, 12, 11), 7)
    for label in present(gt, pred):
        ours = evaluate_label(gt, pred, label, spacing=spacing, axis=axis, convention=convention, **OPTIONS)
        rows, distances = reference_evaluation(gt, pred, label, spacing, convention, axis)
        assert ours.rows == rows
        np.testing.assert_array_equal(ours.distances.gt_to_pred, distances.gt_to_pred)
        np.testing.assert_array_equal(ours.distances.pred_to_gt, distances.pred_to_gt)


@pytest.fixture(params=["one slab", "slabs of one layer"])
def scattered_pass(request, monkeypatch):
    """Every label's border points gathered in one pass (as for noisy maps), the maps read whole or a layer at
    a time."""
    from napari_segreview.metrics import evaluate as evaluate_module
    from napari_segreview.metrics import scattered_labels

    monkeypatch.setattr(evaluate_module, "SCATTERED_WHEN_BOXES_COVER", 0.0)
    if request.param != "one slab":
        monkeypatch.setattr(scattered_labels, "SLAB_VOXELS", 1)
    gathered = []
    original = scattered_labels.ScatteredBorders.label_surfaces
    monkeypatch.setattr(
        scattered_labels.ScatteredBorders,
        "label_surfaces",
        lambda self, label: gathered.append(label) or original(self, label),
    )
    return gathered


@pytest.mark.parametrize("convention", ["border", "pooled"])
@pytest.mark.parametrize(("shape", "spacing"), [*CASES, ((12, 7, 16), (0.9, 0.9, 0.9))])
@pytest.mark.parametrize("seed", range(3))
def test_border_points_gathered_in_one_pass_give_the_same_rows(shape, spacing, convention, seed, scattered_pass):
    gt, pred = label_map_pair(shape, seed)
    spacing = spacing or (1.0,) * gt.ndim
    labels = present(gt, pred)
    evaluations = list(evaluate_labels(gt, pred, [*labels, 11], spacing=spacing, convention=convention, **OPTIONS))
    assert scattered_pass == [*labels, 11]
    for ours in evaluations:
        rows, distances = reference_evaluation(gt, pred, ours.label, spacing, convention)
        assert ours.rows == rows, ours.label
        for which in ("gt", "pred"):
            mine, theirs = getattr(ours.distances, which), getattr(distances, which)
            for field in ("groups", "index", "outside_other", "on_other"):
                np.testing.assert_array_equal(getattr(mine, field), getattr(theirs, field))
        np.testing.assert_array_equal(ours.distances.gt_to_pred, distances.gt_to_pred)
        np.testing.assert_array_equal(ours.distances.pred_to_gt, distances.pred_to_gt)


def test_noisy_labels_are_gathered_in_one_pass_with_the_same_rows(monkeypatch):
    """Stray voxels of every label all over the prediction: the labels' boxes cover the volume many times."""
    from napari_segreview.metrics import scattered_labels

    calls = []
    original = scattered_labels.scattered_borders
    monkeypatch.setattr(
        "napari_segreview.metrics.evaluate.scattered_borders", lambda *a: calls.append(1) or original(*a)
    )
    rng = np.random.default_rng(3)
    gt = (np.indices((24, 20, 22)).sum(axis=0) // 6 + 1).astype(np.uint16)  # diagonal bands, labels 1-11
    pred = np.roll(gt, 1, axis=0)
    noise = rng.random(gt.shape) < 0.02
    pred[noise] = rng.integers(0, 12, noise.sum())
    rows = volume_metrics(gt, pred, spacing=(1.2, 0.7, 0.7), **OPTIONS)
    assert calls == [1]
    for label in present(gt, pred):
        assert rows[label] == reference_evaluation(gt, pred, label, (1.2, 0.7, 0.7), "border")[0][0], label


def test_border_points_gathered_in_one_pass_with_a_bool_map(scattered_pass):
    gt, pred = label_map_pair((13, 12, 11), 4)
    for first, second in ((gt == 3, pred), (gt, pred == 3), (gt == 3, pred == 3)):
        rows = volume_metrics(first, second, spacing=(1.2, 0.7, 0.7), **OPTIONS)
        for label, row in rows.items():
            assert row == reference_evaluation(first, second, label, (1.2, 0.7, 0.7), "border")[0][0], label
