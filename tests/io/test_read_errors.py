"""Damaged and unsupported files give one sentence naming the file, never a traceback wall."""

from __future__ import annotations

import gzip

import nibabel as nib
import numpy as np
import pytest

from napari_segreview.io import ImageReadError, read_volume
from tests.nifti_cases import AFFINES, write_nifti


def _assert_one_sentence(message: str, file_name: str):
    assert file_name in message
    assert "\n" not in message
    assert message.endswith(".")


def test_garbage_bytes_named_nii_gz(tmp_path):
    path = tmp_path / "broken.nii.gz"
    path.write_bytes(b"this is not a nifti file at all" * 20)
    with pytest.raises(ImageReadError) as caught:
        read_volume(path)
    _assert_one_sentence(str(caught.value), "broken.nii.gz")


def test_truncated_gzip(tmp_path, labels_volume):
    good = write_nifti(tmp_path / "good.nii.gz", labels_volume, AFFINES["RAS"])
    truncated = tmp_path / "truncated.nii.gz"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(ImageReadError) as caught:
        read_volume(truncated)
    _assert_one_sentence(str(caught.value), "truncated.nii.gz")


def test_header_only_nifti_with_missing_voxels(tmp_path, labels_volume):
    good = write_nifti(tmp_path / "good.nii", labels_volume, AFFINES["RAS"])
    short = tmp_path / "short.nii"
    short.write_bytes(good.read_bytes()[:400])
    with pytest.raises(ImageReadError) as caught:
        read_volume(short)
    _assert_one_sentence(str(caught.value), "short.nii")


def test_missing_file(tmp_path):
    with pytest.raises(ImageReadError, match="does not exist"):
        read_volume(tmp_path / "nowhere.nii.gz")


def test_four_dimensional_series_is_refused(tmp_path):
    path = write_nifti(tmp_path / "bold.nii.gz", np.zeros((4, 4, 4, 3), np.int16), AFFINES["RAS"])
    with pytest.raises(ImageReadError, match="4D"):
        read_volume(path)


def test_trailing_singleton_dimension_is_accepted(tmp_path):
    path = write_nifti(tmp_path / "seg.nii.gz", np.ones((4, 5, 6, 1), np.uint8), AFFINES["RAS"])
    assert read_volume(path).data.shape == (6, 5, 4)


def test_gzip_of_a_npy_named_npy(tmp_path):
    path = tmp_path / "array.npy"
    path.write_bytes(gzip.compress(b"not npy"))
    with pytest.raises(ImageReadError) as caught:
        read_volume(path)
    _assert_one_sentence(str(caught.value), "array.npy")


def test_pickled_object_npy_is_refused_without_unpickling(tmp_path):
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ImageReadError, match="objects.npy"):
        read_volume(path)


def test_rgb_nifti_is_refused_in_one_sentence(tmp_path):
    rgb = np.zeros((4, 4, 4), dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    path = tmp_path / "colour.nii"
    nib.save(nib.Nifti1Image(rgb, np.eye(4)), path)
    with pytest.raises(ImageReadError, match="colour.nii holds .* voxels"):
        read_volume(path)


@pytest.mark.parametrize("name", ["huge.nii", "huge.nii.gz"])
def test_a_header_declaring_more_voxels_than_memory_holds_is_one_sentence(tmp_path, name):
    header = nib.Nifti1Image(np.zeros((4, 4, 4), np.uint8), np.eye(4)).header
    header["dim"] = [3, 32767, 32767, 32767, 1, 1, 1, 1]  # 35 TB of uint8 in a file of a few hundred bytes
    data = header.binaryblock + bytes(4 + 64)
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    with pytest.raises(ImageReadError) as caught:
        read_volume(path)
    _assert_one_sentence(str(caught.value), name)
    # where the allocation fails (no memory overcommit) the sentence names the declared size, not "MemoryError"
    assert "MemoryError" not in str(caught.value)
