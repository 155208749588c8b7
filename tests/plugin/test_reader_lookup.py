"""get_reader answers from names alone: our callable for files we read, None (never an exception) otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.io import ImageReadError
from napari_segreview.plugin.reader import get_reader, read_layers
from tests.nifti_cases import AFFINES, write_nifti


@pytest.mark.parametrize("name", ["notes.txt", "scan.dcm", "image.gif", "archive.nii.gz.zip"])
def test_other_file_types_get_none(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"x")
    assert get_reader(str(path)) is None


def test_directory_missing_file_and_odd_input_get_none(tmp_path):
    (tmp_path / "folder.nii").mkdir()
    assert get_reader(str(tmp_path / "folder.nii")) is None
    assert get_reader(str(tmp_path / "missing.nii.gz")) is None
    assert get_reader([]) is None
    assert get_reader(12345) is None


def test_corrupt_nifti_is_accepted_at_lookup_and_fails_with_one_sentence_at_read(tmp_path):
    path = tmp_path / "corrupt.nii.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    reader = get_reader(str(path))
    assert reader is not None
    with pytest.raises(ImageReadError, match=r"^Cannot read corrupt\.nii\.gz as NIfTI: .*\.$"):
        reader(str(path))


def test_several_files_give_one_layer_each_in_order(tmp_path, labels_volume):
    intensities = np.random.default_rng(2).integers(0, 3000, size=labels_volume.shape).astype(np.int16)
    image = write_nifti(tmp_path / "t1.nii.gz", intensities, AFFINES["RAS"])
    labels = write_nifti(tmp_path / "t1_seg.nii.gz", labels_volume, AFFINES["RAS"])
    reader = get_reader([str(image), str(labels)])
    (image_data, image_kwargs, image_type), (_, labels_kwargs, labels_type) = reader([str(image), str(labels)])
    assert (image_type, labels_type) == ("image", "labels")
    assert image_kwargs["name"] == "t1" and labels_kwargs["name"] == "t1_seg"
    assert image_kwargs["scale"] == labels_kwargs["scale"] == pytest.approx((2.5, 0.9, 0.8))
    assert image_kwargs["metadata"]["nifti_geometry"].affine.shape == (4, 4)
    assert image_kwargs["axis_labels"] == ("inferior", "posterior", "left")
    assert image_data.shape == (7, 13, 11)


def test_npy_reads_as_unit_scale_labels(tmp_path, labels_volume):
    np.save(tmp_path / "pred.npy", labels_volume)
    [(data, kwargs, layer_type)] = read_layers(str(tmp_path / "pred.npy"))
    assert layer_type == "labels"
    assert kwargs["scale"] == (1.0, 1.0, 1.0)
    np.testing.assert_array_equal(data, labels_volume)
