"""The heatmaps' default colour limit: small errors keep a colour of their own, one far outlier does not stretch
the scale, and empty or perfect pairs still give a usable limit."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.review.compute import ReviewSettings, run_review
from napari_segreview.review.heatmaps import default_limit
from tests.generators import drain

SPACING = (2.0, 0.8, 0.9)


def _evaluations(gt, pred, spacing=SPACING):
    _, result = drain(run_review(gt, pred, ReviewSettings(spacing=spacing)))
    return result, list(result.evaluations.values())


def test_a_far_outlier_does_not_stretch_the_limit_to_the_largest_distance():
    gt = np.zeros((20, 40, 60), np.uint8)
    gt[4:16, 8:32, 8:28] = 1
    pred = np.roll(gt, 3, axis=2)  # every side face 3 voxels (2.7 mm) off along the last axis
    pred[9:11, 19:21, 54:56] = 1  # and a small false positive far away
    result, evaluations = _evaluations(gt, pred)
    hd = result.volume[1]["hd"]
    limit = default_limit(evaluations, SPACING)
    assert hd > 20.0
    assert limit == pytest.approx(3 * SPACING[2], abs=0.5)  # the typical error, not the outlier
    assert limit < hd / 5


def test_a_near_perfect_match_gives_a_few_voxels_not_zero():
    gt = np.zeros((10, 20, 20), np.uint8)
    gt[2:8, 5:15, 5:15] = 1
    _, evaluations = _evaluations(gt, gt.copy())
    assert default_limit(evaluations, SPACING) == pytest.approx(2 * min(SPACING))
    assert default_limit(evaluations) == pytest.approx(2.0)  # no spacing given: voxels of 1


def test_empty_and_missed_classes_give_a_finite_positive_limit():
    gt = np.zeros((10, 20, 20), np.uint8)
    gt[2:8, 5:15, 5:15] = 1
    _, evaluations = _evaluations(gt, np.zeros_like(gt))  # the prediction missed everything: HD is inf
    limit = default_limit(evaluations, SPACING)
    assert np.isfinite(limit) and limit > 0
    assert default_limit([], SPACING) == pytest.approx(2 * min(SPACING))
    assert default_limit([], (0.0, 0.0, 0.0)) > 0  # a degenerate spacing still gives a usable limit
