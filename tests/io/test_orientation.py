"""The display orientation rule on hand-made volumes: anatomy lands where a radiologist expects it."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from napari_segreview.io import ObliqueAffineWarning, read_nifti
from tests.nifti_cases import AFFINES, OBLIQUE_AFFINE, SPACING, write_nifti


def _marker_volume(affine: np.ndarray, shape, ras_point) -> tuple[np.ndarray, tuple[int, ...]]:
    """A zero volume with one voxel set at the voxel nearest to the RAS point."""
    index = np.rint(np.linalg.solve(affine[:3, :3], np.asarray(ras_point) - affine[:3, 3])).astype(int)
    data = np.zeros(shape, dtype=np.uint8)
    data[tuple(index)] = 1
    return data, tuple(index)


@pytest.mark.parametrize("convention", sorted(AFFINES))
def test_right_anterior_superior_marker_is_top_left_of_first_slices(tmp_path, convention):
    affine = AFFINES[convention]
    shape = (40, 40, 40) if convention != "SAL" else (16, 40, 40)
    corners = nib.affines.apply_affine(affine, np.array(np.meshgrid(*[[0, n - 1] for n in shape])).reshape(3, -1).T)
    low, high = corners.min(axis=0), corners.max(axis=0)
    # a point three quarters of the way towards Right, Anterior and Superior
    ras_point = low + 0.75 * (high - low)
    data, _ = _marker_volume(affine, shape, ras_point)
    volume = read_nifti(write_nifti(tmp_path / f"{convention}_seg.nii.gz", data, affine))

    where = np.argwhere(volume.data == 1)[0]
    display_shape = np.array(volume.data.shape)
    # superior -> early slices; anterior -> top rows; patient's right -> left columns (radiological view)
    assert np.all(where < display_shape / 2), (where, display_shape)


@pytest.mark.parametrize("convention", sorted(AFFINES))
def test_world_coordinates_are_ras_millimetres_along_inferior_posterior_left(tmp_path, convention):
    affine = AFFINES[convention]
    data, index = _marker_volume(affine, (16, 20, 24), nib.affines.apply_affine(affine, (3, 5, 7)))
    volume = read_nifti(write_nifti(tmp_path / "marker_mask.nii.gz", data, affine))

    shown_index = np.argwhere(volume.data == 1)[0]
    world = np.array(volume.translate) + np.array(volume.scale) * shown_index
    x, y, z = nib.affines.apply_affine(affine, index)
    np.testing.assert_allclose(world, [-z, -y, -x], atol=1e-9)
    np.testing.assert_allclose(sorted(volume.scale), sorted(SPACING))


def test_anisotropic_spacing_follows_the_axes_it_belongs_to(tmp_path):
    data = np.zeros((10, 12, 5), dtype=np.uint8)
    volume = read_nifti(write_nifti(tmp_path / "ct_seg.nii.gz", data, AFFINES["RAS"]))
    # display axes: inferior (file k), posterior (file j), left (file i)
    assert volume.data.shape == (5, 12, 10)
    assert volume.scale == pytest.approx((2.5, 0.9, 0.8))


def test_oblique_affine_is_shown_deobliqued_with_a_warning_and_kept(tmp_path):
    data = np.zeros((12, 14, 6), dtype=np.uint8)
    data[6, 7, 3] = 1
    path = write_nifti(tmp_path / "oblique_seg.nii.gz", data, OBLIQUE_AFFINE)
    with pytest.warns(ObliqueAffineWarning, match="oblique"):
        volume = read_nifti(path)
    assert volume.oblique
    assert volume.scale == pytest.approx((2.5, 0.9, 0.8))
    np.testing.assert_allclose(volume.geometry.affine, nib.load(path).affine)
    # the volume centre sits at its true world position
    centre = (np.array(volume.data.shape) - 1) / 2
    x, y, z = nib.affines.apply_affine(OBLIQUE_AFFINE, (np.array(data.shape) - 1) / 2)
    np.testing.assert_allclose(np.array(volume.translate) + np.array(volume.scale) * centre, [-z, -y, -x])


def test_tiny_qform_rounding_is_not_called_oblique(tmp_path, recwarn):
    nearly_axis_aligned = AFFINES["RAS"].copy()
    nearly_axis_aligned[0, 1] = 1e-7
    volume = read_nifti(write_nifti(tmp_path / "a_seg.nii.gz", np.zeros((4, 4, 4), np.uint8), nearly_axis_aligned))
    assert not volume.oblique
    assert not [w for w in recwarn if issubclass(w.category, ObliqueAffineWarning)]


def test_two_dimensional_file_becomes_a_2d_array(tmp_path):
    data = np.arange(6 * 8, dtype=np.uint8).reshape(6, 8) % 3
    volume = read_nifti(write_nifti(tmp_path / "slice_seg.nii.gz", data, AFFINES["RAS"]))
    # file i (Right->Left flipped) becomes columns, file j (Anterior->Posterior flipped) becomes rows
    assert volume.data.shape == (8, 6)
    np.testing.assert_array_equal(volume.data, data[::-1, ::-1].T)
    assert volume.scale == pytest.approx((0.9, 0.8))
    assert volume.geometry.display_axis_names == ("posterior", "left")
