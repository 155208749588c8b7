"""A folder of DICOM slices opens through the npe2 reader, and in napari, like the NIfTI files do."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from napari_segreview.plugin.reader import get_reader, read_layers
from tests.dicom_cases import write_series
from tests.nifti_cases import AFFINES, write_nifti

PLUGIN = "napari-segreview"


def _axial_series(folder, description: str = "Abdomen CT") -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    slices = [rng.integers(-1000, 2000, size=(6, 5)).astype(np.int16) for _ in range(4)]
    write_series(
        folder,
        slices,
        first_position=(-100.0, -80.0, -40.0),
        step=(0.0, 0.0, 2.5),
        orientation=(1, 0, 0, 0, 1, 0),
        pixel_spacing=(0.7, 0.5),
        description=description,
    )
    return slices


def test_dicom_folder_gets_our_reader_and_one_image_layer(tmp_path):
    slices = _axial_series(tmp_path / "ct")
    reader = get_reader(str(tmp_path / "ct"))
    assert reader is read_layers
    [(data, kwargs, layer_type)] = reader(str(tmp_path / "ct"))
    assert layer_type == "image" and kwargs["name"] == "Abdomen CT"
    assert kwargs["scale"] == pytest.approx((2.5, 0.7, 0.5))
    assert kwargs["axis_labels"] == ("inferior", "posterior", "left")
    assert kwargs["metadata"]["nifti_geometry"].affine.shape == (4, 4)
    np.testing.assert_array_equal(data[0], slices[-1])  # the most superior slice first


def test_folders_without_dicom_files_get_none(tmp_path, labels_volume):
    (tmp_path / "empty").mkdir()
    (tmp_path / "niftis").mkdir()
    write_nifti(tmp_path / "niftis" / "case1.nii.gz", labels_volume, AFFINES["RAS"])
    (tmp_path / "niftis" / "notes.txt").write_text("no DICOM here")
    assert get_reader(str(tmp_path / "empty")) is None
    assert get_reader(str(tmp_path / "niftis")) is None


def test_dicom_folder_gets_none_without_pydicom(tmp_path, monkeypatch):
    _axial_series(tmp_path / "ct")
    monkeypatch.setitem(sys.modules, "pydicom", None)
    assert get_reader(str(tmp_path / "ct")) is None


def test_several_dicom_folders_give_one_layer_each(tmp_path):
    _axial_series(tmp_path / "first", description="first series")
    _axial_series(tmp_path / "second", description="second series")
    paths = [str(tmp_path / "first"), str(tmp_path / "second")]
    assert get_reader(paths) is read_layers
    assert [kwargs["name"] for _, kwargs, _ in read_layers(paths)] == ["first series", "second series"]


def test_open_dicom_folder_in_napari(make_napari_viewer, tmp_path):
    _axial_series(tmp_path / "ct")
    viewer = make_napari_viewer()
    [layer] = viewer.open(str(tmp_path / "ct"), plugin=PLUGIN)
    assert layer._type_string == "image" and layer.name == "Abdomen CT"
    assert layer.data.shape == (4, 6, 5)
    assert tuple(layer.scale) == pytest.approx((2.5, 0.7, 0.5))
    assert tuple(layer.translate) == pytest.approx((32.5, -80.0, -100.0))
    assert viewer.dims.axis_labels == ("inferior", "posterior", "left")
