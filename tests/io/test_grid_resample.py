"""Two NIfTI masks on different grids: refused with what differs, or resampled onto the GT grid on request."""

import nibabel as nib
import numpy as np
import pytest

from napari_segreview.io import ImageReadError
from napari_segreview.io.grid_resample import grid_differences, resample_nearest
from napari_segreview.io.masks import load_mask_pair


def _save(path, data, affine):
    nib.save(nib.Nifti1Image(data.astype(np.uint8), affine), str(path))
    return path


def _blocky_gt(rng):
    """An 8x8x8 label map constant on 2x2x2 blocks, and the 4x4x4 map of those blocks."""
    coarse = rng.integers(0, 3, size=(4, 4, 4))
    return np.repeat(np.repeat(np.repeat(coarse, 2, 0), 2, 1), 2, 2), coarse


def test_coarser_prediction_is_refused_with_its_differences_then_resampled_exactly(tmp_path):
    fine, coarse = _blocky_gt(np.random.default_rng(0))
    gt = _save(tmp_path / "gt.nii.gz", fine, np.eye(4))
    # a 2 mm voxel j covers the 1 mm voxels 2j and 2j+1: its centre lies at 2j + 0.5 mm
    coarse_affine = np.diag([2.0, 2.0, 2.0, 1.0])
    coarse_affine[:3, 3] = 0.5
    pred = _save(tmp_path / "pred.nii.gz", coarse, coarse_affine)
    with pytest.raises(ImageReadError) as error:
        load_mask_pair(gt, pred)
    message = str(error.value)
    assert "shape (8, 8, 8) vs (4, 4, 4)" in message
    assert "spacing (1, 1, 1) vs (2, 2, 2) mm" in message
    assert "origin" in message and "--resample-prediction" in message
    assert "direction" not in message
    pair = load_mask_pair(gt, pred, resample_prediction=True)
    np.testing.assert_array_equal(pair.pred, pair.gt)


def test_shifted_origin_moves_labels_by_whole_voxels_and_fills_zero(tmp_path):
    data = np.zeros((6, 6, 6), np.uint8)
    data[1:3, 2:4, 2:5] = 1
    gt = _save(tmp_path / "gt.nii", data, np.eye(4))
    shifted = np.eye(4)
    shifted[0, 3] = 2.0  # the prediction's voxel 0 sits at x = 2 mm: its content lies 2 voxels further along x
    pred = _save(tmp_path / "pred.nii", data, shifted)
    with pytest.raises(ImageReadError, match=r"origin \(0, 0, 0\) vs"):
        load_mask_pair(gt, pred)
    pair = load_mask_pair(gt, pred, resample_prediction=True)
    expected = np.zeros_like(data)
    expected[3:5, 2:4, 2:5] = 1  # along RAS x; compared in the display order the reader gives both
    gt_expected = load_mask_pair(gt, _save(tmp_path / "expected.nii", expected, np.eye(4))).pred
    np.testing.assert_array_equal(pair.pred, gt_expected)


def test_rotated_grid_names_the_direction():
    turned = np.eye(4)
    turned[:2, :2] = [[0.0, -1.0], [1.0, 0.0]]
    words = grid_differences((4, 4, 4), np.eye(4), (4, 4, 4), turned)
    assert words == ["direction (axes turned by up to 90°)"]
    assert grid_differences((4, 4, 4), np.eye(4), (4, 4, 4), np.eye(4) + 1e-9) == []


def test_resample_is_nearest_and_keeps_the_label_values():
    data = np.zeros((3, 3, 3), np.uint16)
    data[1, 1, 1] = 1000
    half = np.diag([0.5, 0.5, 0.5, 1.0])  # target voxels half as large, first centre on the source's first
    out = resample_nearest(data, np.eye(4), (6, 6, 6), half)
    assert set(np.unique(out)) == {0, 1000} and out.dtype == data.dtype
    # source voxel 1 covers [0.5, 1.5) mm: the target centres 0.5 (index 1, a tie) .. 1.0 (index 2)
    assert out[2, 2, 2] == 1000 and out[4, 4, 4] == 0
