"""read -> write -> read keeps voxels, on-disk voxel order, affine and header codes."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from napari_segreview.io import (
    ObliqueAffineWarning,
    geometry_from_scale_translate,
    read_nifti,
    read_volume,
    write_nifti_labels,
)
from tests.nifti_cases import AFFINES, OBLIQUE_AFFINE, write_nifti


def _assert_same_file_content(written_path, original_path):
    written, original = nib.load(written_path), nib.load(original_path)
    np.testing.assert_array_equal(np.asanyarray(written.dataobj), np.asanyarray(original.dataobj))
    assert written.shape == original.shape
    np.testing.assert_array_equal(written.affine, original.affine)
    assert int(written.header["sform_code"]) == int(original.header["sform_code"])


@pytest.mark.parametrize("convention", sorted(AFFINES))
def test_labels_round_trip_is_exact(tmp_path, labels_volume, convention):
    original = write_nifti(tmp_path / "in_seg.nii.gz", labels_volume, AFFINES[convention])
    volume = read_nifti(original)
    assert volume.is_labels
    out = write_nifti_labels(tmp_path / "out_seg.nii.gz", volume.data, volume.geometry)
    _assert_same_file_content(out, original)
    again = read_nifti(out)
    np.testing.assert_array_equal(again.data, volume.data)
    assert again.scale == volume.scale and again.translate == volume.translate


def test_oblique_round_trip_keeps_the_true_affine(tmp_path, labels_volume):
    original = write_nifti(tmp_path / "oblique_seg.nii", labels_volume, OBLIQUE_AFFINE)
    with pytest.warns(ObliqueAffineWarning):
        volume = read_nifti(original)
    out = write_nifti_labels(tmp_path / "out_seg.nii", volume.data, volume.geometry)
    _assert_same_file_content(out, original)


def test_two_dimensional_file_round_trip_keeps_its_2d_shape(tmp_path):
    data = (np.arange(6 * 8).reshape(6, 8) % 3).astype(np.uint8)
    original = write_nifti(tmp_path / "slice_seg.nii.gz", data, AFFINES["LPS"])
    volume = read_nifti(original)
    out = write_nifti_labels(tmp_path / "out.nii.gz", volume.data, volume.geometry)
    _assert_same_file_content(out, original)


def test_edited_labels_are_written_where_they_were_painted(tmp_path, labels_volume):
    original = write_nifti(tmp_path / "seg.nii.gz", labels_volume, AFFINES["LPS"])
    volume = read_nifti(original)
    edited = volume.data.copy()
    edited[0, 0, 0] = 9  # display voxel (most superior, most anterior, most right)
    out = write_nifti_labels(tmp_path / "edited.nii.gz", edited, volume.geometry)
    on_disk = np.asanyarray(nib.load(out).dataobj)
    # LPS file: i grows to the left, j to posterior, k to superior -> the voxel is i=0, j=0, k=last
    assert on_disk[0, 0, -1] == 9
    assert (on_disk == 9).sum() == 1


def test_labels_without_a_source_file_round_trip_through_scale_and_translate(tmp_path, labels_volume):
    scale, translate = (3.0, 0.5, 0.7), (10.0, -4.0, 2.5)
    geometry = geometry_from_scale_translate(labels_volume.shape, scale, translate)
    out = write_nifti_labels(tmp_path / "painted.nii.gz", labels_volume, geometry)
    back = read_volume(out)
    np.testing.assert_array_equal(back.data, labels_volume)
    assert back.scale == pytest.approx(scale)
    assert back.translate == pytest.approx(translate)


def test_large_label_values_keep_their_value(tmp_path):
    data = np.zeros((4, 5, 6), dtype=np.int64)
    data[1, 2, 3] = 70_000
    geometry = geometry_from_scale_translate(data.shape, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
    back = read_volume(write_nifti_labels(tmp_path / "big_seg.nii.gz", data, geometry))
    assert back.data.max() == 70_000


def test_a_failed_write_leaves_the_existing_file_untouched(tmp_path, labels_volume):
    target = tmp_path / "keep_seg.nii.gz"
    write_nifti(target, labels_volume, AFFINES["RAS"])
    before = target.read_bytes()
    geometry = read_nifti(target).geometry
    with pytest.raises(ValueError, match="do not match"):
        write_nifti_labels(target, labels_volume[:-1], geometry)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep_seg.nii.gz"]


def test_writing_needs_a_nifti_name(tmp_path, labels_volume):
    geometry = geometry_from_scale_translate(labels_volume.shape, (1.0,) * 3, (0.0,) * 3)
    with pytest.raises(ValueError, match="not a NIfTI file name"):
        write_nifti_labels(tmp_path / "labels.tif", labels_volume, geometry)


def test_the_source_header_is_written_back(tmp_path, labels_volume):
    """qform kept even where it differs from the sform, codes, units and description unchanged."""
    image = nib.Nifti1Image(labels_volume, AFFINES["RAS"])
    qform = AFFINES["RAS"].copy()
    qform[:3, 3] += 1.5
    image.set_sform(AFFINES["RAS"], code=4)
    image.set_qform(qform, code=1)
    image.header.set_xyzt_units("micron", "sec")
    image.header["descrip"] = b"expert segmentation v2"
    nib.save(image, tmp_path / "in_seg.nii.gz")
    volume = read_nifti(tmp_path / "in_seg.nii.gz")
    out = nib.load(write_nifti_labels(tmp_path / "out_seg.nii.gz", volume.data, volume.geometry))
    np.testing.assert_allclose(out.get_sform(coded=True)[0], AFFINES["RAS"], atol=1e-6)  # stored as float32
    assert int(out.header["sform_code"]) == 4
    np.testing.assert_allclose(out.get_qform(), qform, atol=1e-5)
    assert int(out.header["qform_code"]) == 1
    assert out.header.get_xyzt_units() == ("micron", "sec")
    assert out.header["descrip"].tobytes().rstrip(b"\0") == b"expert segmentation v2"


def test_a_scaled_float_source_writes_plain_integer_labels(tmp_path):
    data = np.zeros((4, 5, 6), np.float32)
    data[1:3, 1:3, 1:3] = 2.0
    image = nib.Nifti1Image(data, AFFINES["RAS"])
    image.header.set_slope_inter(0.5, 0.0)
    nib.save(image, tmp_path / "float_seg.nii")
    volume = read_nifti(tmp_path / "float_seg.nii")
    out = nib.load(write_nifti_labels(tmp_path / "out.nii", volume.data, volume.geometry))
    assert out.get_data_dtype() == np.uint8
    as_read = np.asanyarray(nib.load(tmp_path / "float_seg.nii").dataobj)  # what every tool reads: scaled
    assert set(np.unique(as_read)) == {0.0, 1.0}
    np.testing.assert_array_equal(np.asanyarray(out.dataobj), as_read)


def test_replacing_a_file_keeps_its_permissions(tmp_path, labels_volume):
    target = write_nifti(tmp_path / "shared_seg.nii.gz", labels_volume, AFFINES["RAS"])
    target.chmod(0o644)
    volume = read_nifti(target)
    write_nifti_labels(target, volume.data, volume.geometry)
    assert target.stat().st_mode & 0o777 == 0o644
