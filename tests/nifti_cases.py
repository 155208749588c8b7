"""Synthetic NIfTI files with known anatomy, shared by io and plugin tests."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np


def write_nifti(path: Path, data: np.ndarray, affine: np.ndarray) -> Path:
    image = nib.Nifti1Image(data, affine)
    image.set_sform(affine, code=1)
    image.set_qform(affine, code=1)
    nib.save(image, path)
    return path


def rotation_about_z(degrees: float) -> np.ndarray:
    angle = np.deg2rad(degrees)
    return np.array([[np.cos(angle), -np.sin(angle), 0.0], [np.sin(angle), np.cos(angle), 0.0], [0.0, 0.0, 1.0]])


def affine(linear: np.ndarray, origin) -> np.ndarray:
    result = np.eye(4)
    result[:3, :3] = linear
    result[:3, 3] = origin
    return result


SPACING = (0.8, 0.9, 2.5)  # anisotropic, as in a CT with thick slices
# Voxel-to-RAS affines of one grid stored in different on-disk conventions.
AFFINES = {
    # i -> Right, j -> Anterior, k -> Superior
    "RAS": affine(np.diag(SPACING), (-20.0, -30.0, -40.0)),
    # DICOM/ITK convention: i -> Left, j -> Posterior, k -> Superior
    "LPS": affine(np.diag((-SPACING[0], -SPACING[1], SPACING[2])), (20.0, 30.0, -40.0)),
    # slices first on disk: i -> Superior, j -> Anterior, k -> Left
    "SAL": affine(
        np.array([[0.0, 0.0, -SPACING[0]], [0.0, SPACING[1], 0.0], [SPACING[2], 0.0, 0.0]]),
        (20.0, -30.0, -40.0),
    ),
}
OBLIQUE_AFFINE = affine(rotation_about_z(12.0) @ np.diag(SPACING), (-20.0, -30.0, -40.0))
