"""Bad input raises ValueError with one sentence that names the problem."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.metrics import slice_metrics, volume_metrics

MASK = np.zeros((4, 5, 6), np.uint8)


@pytest.mark.parametrize(
    "gt, pred, options, message",
    [
        (MASK, MASK[:, :, :5], {}, r"gt has shape \(4, 5, 6\) but pred has shape \(4, 5, 5\)"),
        (MASK, MASK, {"spacing": (1.0, 1.0)}, "spacing has 2 values but the arrays are 3D"),
        (MASK, MASK, {"spacing": (1.0, 0.0, 1.0)}, "spacing must be positive and finite"),
        (MASK, MASK, {"spacing": (1.0, -2.0, 1.0)}, "spacing must be positive and finite"),
        (MASK, MASK, {"spacing": (1.0, np.nan, 1.0)}, "spacing must be positive and finite"),
        (MASK, MASK.astype(float) + 0.5, {}, r"pred holds non-integer values \(e.g. 0.5\)"),
        (MASK.astype(np.int8) - 1, MASK, {}, "gt holds the negative label -1"),
        (np.zeros((2, 2, 2, 2)), np.zeros((2, 2, 2, 2)), {}, "gt must be a 2D or 3D array, not 4D"),
        (np.zeros(5), np.zeros(5), {}, "gt must be a 2D or 3D array, not 1D"),
        (MASK, MASK, {"convention": "hausdorff"}, "convention must be one of border, surfel, pooled"),
        (MASK, MASK, {"nsd_tolerance": -1}, "nsd_tolerance must be a distance of 0 or more"),
        (MASK, MASK, {"percentile": 101}, "percentile must lie between 0 and 100"),
        (MASK, MASK, {"labels": [0]}, "label 0 cannot be evaluated"),
        (MASK, MASK, {"labels": [1.5]}, "labels must be whole numbers"),
        (MASK.astype(str), MASK, {}, r"gt has dtype <U\d+; it must hold integer labels or booleans"),
    ],
)
def test_volume_metrics_rejects(gt, pred, options, message):
    with pytest.raises(ValueError, match=message) as caught:
        volume_metrics(gt, pred, **options)
    text = str(caught.value)
    assert text.endswith(".") and "\n" not in text


def test_float_label_maps_with_whole_values_are_accepted():
    gt = MASK.astype(np.float32)
    gt[1, 1, 1] = 2.0
    assert volume_metrics(gt, gt)[2]["dice"] == 1.0


@pytest.mark.parametrize(
    "gt, axis, message",
    [
        (MASK[0], 0, "slice metrics need a 3D volume; these arrays are 2D"),
        (MASK, 3, "axis must be 0, 1 or 2"),
        (MASK, 1.0, "axis must be 0, 1 or 2"),
    ],
)
def test_slice_metrics_rejects(gt, axis, message):
    with pytest.raises(ValueError, match=message):
        slice_metrics(gt, gt, axis=axis)


@pytest.mark.parametrize(
    "gt, options, message",
    [
        (np.zeros((0, 4, 4), np.uint8), {}, r"gt is empty \(shape \(0, 4, 4\)\)"),
        (np.full((3, 3), 1e30), {}, "gt holds the value 1e\\+30, too large to be a label"),
        (MASK, {"nsd_tolerance": "1"}, "nsd_tolerance must be a number"),
        (MASK, {"labels": ["a"]}, "labels must be whole numbers"),
    ],
)
def test_more_bad_input(gt, options, message):
    with pytest.raises(ValueError, match=message):
        volume_metrics(gt, gt, **options)


def test_labels_as_a_numpy_scalar_or_array():
    gt = MASK.copy()
    gt[1, 1, 1] = 3
    assert list(volume_metrics(gt, gt, labels=np.array(3))) == [3]
    assert list(volume_metrics(gt, gt, labels=np.array([3]))) == [3]
