"""Benchmark inputs: the MNI152 grey-matter pair and a large anisotropic ellipsoid pair."""

from __future__ import annotations

import numpy as np

from napari_segreview.io import read_nifti
from napari_segreview.plugin.sample_data import sample_path, simulated_prediction


def mni_grey_matter_pair() -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    """GT: grey matter of the shipped tissue labels (189x233x197 display order, 1 mm). Prediction: the grey
    matter of ``simulated_prediction`` (smoothed, shifted a voxel, a slab missed, a false-positive block)."""
    volume = read_nifti(sample_path("tissue_seg.nii.gz"))
    return volume.data == 1, simulated_prediction(volume.data) == 1, volume.scale


def ellipsoid_pair(shape=(300, 512, 512), spacing=(2.5, 0.8, 0.8)) -> tuple[np.ndarray, np.ndarray, tuple]:
    """A CT-sized pair: an ellipsoid and a slightly larger, offset one (built slice by slice to save memory)."""
    z, y, x = (np.arange(n, dtype=np.float32)[:, None, None] for n in shape)
    y, x = y.reshape(1, -1, 1), x.reshape(1, 1, -1)
    centre = np.array(shape, dtype=np.float32) / 2
    gt = ((z - centre[0]) / 100) ** 2 + ((y - centre[1]) / 180) ** 2 + ((x - centre[2]) / 150) ** 2 <= 1
    pred = ((z - centre[0] - 2) / 104) ** 2 + ((y - centre[1] + 3) / 176) ** 2 + ((x - centre[2]) / 155) ** 2 <= 1
    return gt, pred, spacing
