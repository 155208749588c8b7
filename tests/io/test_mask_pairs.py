"""Loading a GT / prediction pair for evaluation: voxel orders that cannot line up are refused."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.io import imsave

from napari_segreview.io import ImageReadError
from napari_segreview.io.masks import load_mask_pair
from napari_segreview.metrics import volume_metrics
from tests.nifti_cases import AFFINES, write_nifti


def test_nifti_with_a_plain_array_is_refused(tmp_path):
    mask = (np.random.default_rng(0).random((6, 6, 6)) > 0.5).astype(np.uint8)
    write_nifti(tmp_path / "gt.nii.gz", mask, AFFINES["RAS"])
    np.save(tmp_path / "pred.npy", mask)
    with pytest.raises(ImageReadError, match="gt.nii.gz is NIfTI .* but pred.npy has no affine"):
        load_mask_pair(tmp_path / "gt.nii.gz", tmp_path / "pred.npy")


def test_ras_and_lps_files_of_one_grid_line_up(tmp_path, labels_volume):
    write_nifti(tmp_path / "gt.nii.gz", labels_volume, AFFINES["RAS"])
    # the same voxels stored with the first two axes reversed, described by the matching LPS affine
    lps = AFFINES["RAS"].copy()
    lps[:2, :2] *= -1
    # the old last voxel along i and j is the new first: its position becomes the origin
    lps[:2, 3] = AFFINES["RAS"][:2, 3] + np.array([0.8, 0.9]) * (np.array(labels_volume.shape[:2]) - 1)
    write_nifti(tmp_path / "pred.nii.gz", labels_volume[::-1, ::-1], lps)
    pair = load_mask_pair(tmp_path / "gt.nii.gz", tmp_path / "pred.nii.gz")
    assert all(row["dice"] == 1.0 for row in volume_metrics(pair.gt, pair.pred).values())


def test_a_one_class_value_that_is_a_label_of_the_other_file_is_kept(tmp_path):
    """A 0/255 prediction against a 0/128/255 ground truth: 255 is one of the pair's labels, so it stays 255."""
    gt = np.zeros((10, 10), np.uint8)
    gt[2:5, 2:5], gt[6:9, 6:9] = 255, 128
    pred = np.where(gt == 255, 255, 0).astype(np.uint8)
    imsave(tmp_path / "gt.png", gt, check_contrast=False)
    imsave(tmp_path / "pred.png", pred, check_contrast=False)
    pair = load_mask_pair(tmp_path / "gt.png", tmp_path / "pred.png")
    rows = volume_metrics(pair.gt, pair.pred)
    assert rows[255]["dice"] == 1.0 and rows[128]["status"] == "pred_empty"
