"""Every convention equals its reference library wherever both masks are non-empty (hypothesis + hand cases)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from napari_segreview.metrics import slice_metrics, volume_metrics
from tests.metrics.references import MONAI_ABSOLUTE, REFERENCES, RELATIVE

# a tolerance no distance on these grids hits exactly, so float32 rounding in MONAI cannot flip a comparison
TOLERANCE = 1.2345
SPACINGS = st.floats(0.25, 3.0).map(lambda s: round(s, 2))


@st.composite
def mask_pairs(draw, ndim: int, largest: int = 9):
    """Two masks of one random shape: hypothesis-drawn bits for small shapes, seeded noise of a drawn density
    for larger ones (sparse speckle to nearly full, so edges, holes and single voxels all occur)."""
    shape = tuple(draw(st.lists(st.integers(1, largest), min_size=ndim, max_size=ndim)))
    if largest <= 9:
        gt, pred = draw(arrays(bool, shape)), draw(arrays(bool, shape))
    else:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        density = draw(st.sampled_from([0.02, 0.3, 0.7, 0.97]))
        gt, pred = rng.random(shape) < density, rng.random(shape) < density
    assume(gt.any() and pred.any())
    spacing = tuple(draw(st.lists(SPACINGS, min_size=ndim, max_size=ndim)))
    return gt, pred, spacing


def _assert_matches(ours: dict, reference: dict, convention: str):
    absolute = MONAI_ABSOLUTE if convention == "border" else 0.0
    for key, expected in reference.items():
        assert ours[key] == pytest.approx(expected, rel=RELATIVE, abs=absolute), (key, ours[key], expected)


@pytest.mark.parametrize("convention", ["border", "surfel", "pooled"])
@pytest.mark.parametrize("ndim", [2, 3])
@pytest.mark.parametrize("largest", [9, 24])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_masks_match_the_reference(convention, ndim, largest, data):
    gt, pred, spacing = data.draw(mask_pairs(ndim, largest))
    ours = volume_metrics(gt, pred, spacing=spacing, convention=convention, nsd_tolerance=TOLERANCE)[1]
    _assert_matches(ours, REFERENCES[convention](gt, pred, spacing, TOLERANCE), convention)


def _ellipsoid(shape, centre, radii) -> np.ndarray:
    grid = np.indices(shape, dtype=float)
    return sum(((g - c) / r) ** 2 for g, c, r in zip(grid, centre, radii, strict=True)) <= 1.0


HAND_CASES = {
    "ellipsoids, anisotropic": (
        _ellipsoid((24, 30, 28), (12, 15, 14), (8, 11, 9)),
        _ellipsoid((24, 30, 28), (13, 14, 15), (7, 12, 8)),
        (2.5, 0.8, 0.8),
    ),
    "touching every array edge": (np.ones((6, 7, 5), bool), _ellipsoid((6, 7, 5), (3, 3, 2), (3, 4, 3)), (1, 1, 1)),
    "single voxels": (
        np.pad(np.ones((1, 1, 1), bool), ((2, 5), (3, 1), (0, 4))),
        np.pad(np.ones((1, 1, 1), bool), ((6, 1), (0, 4), (4, 0))),
        (0.5, 1.5, 2.0),
    ),
    "distant false-positive blob": (
        _ellipsoid((20, 40, 20), (10, 10, 10), (6, 6, 6)),
        _ellipsoid((20, 40, 20), (10, 10, 10), (6, 6, 6)) | _ellipsoid((20, 40, 20), (10, 33, 10), (2, 2, 2)),
        (1.0, 1.0, 1.0),
    ),
    "2D discs": (
        _ellipsoid((40, 50), (20, 25), (12, 15)),
        _ellipsoid((40, 50), (22, 24), (10, 16)),
        (0.7, 1.3),
    ),
}


@pytest.mark.parametrize("convention", ["border", "surfel", "pooled"])
@pytest.mark.parametrize("case", sorted(HAND_CASES))
def test_hand_made_cases_match_the_reference(convention, case):
    gt, pred, spacing = HAND_CASES[case]
    ours = volume_metrics(gt, pred, spacing=spacing, convention=convention, nsd_tolerance=TOLERANCE)[1]
    _assert_matches(ours, REFERENCES[convention](gt, pred, spacing, TOLERANCE), convention)


@pytest.mark.parametrize("convention", ["border", "surfel", "pooled"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_every_slice_matches_the_reference_on_that_slice(convention, axis):
    gt, pred, spacing = HAND_CASES["ellipsoids, anisotropic"]
    rows = slice_metrics(gt, pred, axis=axis, spacing=spacing, convention=convention, nsd_tolerance=TOLERANCE)
    assert [row["slice"] for row in rows] == list(range(gt.shape[axis]))
    plane_spacing = tuple(np.delete(spacing, axis))
    compared = 0
    for row in rows:
        gt_slice, pred_slice = np.take(gt, row["slice"], axis), np.take(pred, row["slice"], axis)
        if not (gt_slice.any() and pred_slice.any()):
            assert row["status"] != "ok"
            continue
        _assert_matches(row, REFERENCES[convention](gt_slice, pred_slice, plane_spacing, TOLERANCE), convention)
        compared += 1
    assert compared >= 10
