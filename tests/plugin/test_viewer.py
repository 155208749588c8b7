"""The plugin in a real napari viewer (Xvfb): sample data, reading, writing through napari."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from napari_segreview.plugin.sample_data import TISSUE_CLASSES, sample_path
from tests.nifti_cases import AFFINES, write_nifti

PLUGIN = "napari-segreview"


def test_mni_sample_opens_with_1mm_scale_and_tissue_labels(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152")
    image, tissue, prediction = viewer.layers
    assert prediction.name == "demo model prediction" and prediction.data.shape == tissue.data.shape
    assert image.data.shape == tissue.data.shape == (189, 233, 197)
    assert tuple(image.scale) == tuple(tissue.scale) == (1.0, 1.0, 1.0)
    np.testing.assert_allclose(image.translate, tissue.translate)
    assert set(np.unique(tissue.data)) == {0, 1, 2}
    assert tissue.metadata["class_names"] == TISSUE_CLASSES
    assert tuple(str(u) for u in image.units) == ("millimeter",) * 3
    # the file's affine is kept unchanged
    np.testing.assert_array_equal(
        tissue.metadata["nifti_geometry"].affine, nib.load(sample_path("tissue_seg.nii.gz")).affine
    )


def test_two_dimensional_sample_is_one_slice(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152_slice")
    image, tissue, _prediction = viewer.layers
    assert image.ndim == tissue.ndim == 2
    assert image.data.shape == (233, 197)
    assert {1, 2} <= set(np.unique(tissue.data))


def test_open_anisotropic_nifti_through_napari(make_napari_viewer, tmp_path, labels_volume):
    path = write_nifti(tmp_path / "ct_seg.nii.gz", labels_volume, AFFINES["LPS"])
    viewer = make_napari_viewer()
    [layer] = viewer.open(str(path), plugin=PLUGIN)
    assert layer._type_string == "labels"
    assert tuple(layer.scale) == pytest.approx((2.5, 0.9, 0.8))
    assert viewer.dims.axis_labels == ("inferior", "posterior", "left")


def test_save_painted_labels_through_napari_writes_the_source_affine(make_napari_viewer, tmp_path, labels_volume):
    source = write_nifti(tmp_path / "ct_seg.nii.gz", labels_volume, AFFINES["SAL"])
    viewer = make_napari_viewer()
    [layer] = viewer.open(str(source), plugin=PLUGIN)
    layer.data[0, 0, 0] = 7
    out = tmp_path / "edited_seg.nii.gz"
    written = layer.save(str(out), plugin=PLUGIN)
    assert written == [str(out)]
    saved = nib.load(out)
    np.testing.assert_array_equal(saved.affine, nib.load(source).affine)
    expected = labels_volume.copy()
    # SAL: display voxel (most superior, anterior, right) is file i=last, j=last, k=0
    expected[-1, -1, 0] = 7
    np.testing.assert_array_equal(np.asanyarray(saved.dataobj), expected)


def test_labels_made_in_napari_save_with_their_scale(make_napari_viewer, tmp_path):
    viewer = make_napari_viewer()
    data = np.zeros((5, 6, 7), dtype=np.uint8)
    data[2, 3, 4] = 1
    layer = viewer.add_labels(data, scale=(3.0, 1.0, 0.5), translate=(1.0, 2.0, 3.0))
    out = tmp_path / "new_seg.nii.gz"
    layer.save(str(out), plugin=PLUGIN)
    [reopened] = viewer.open(str(out), plugin=PLUGIN)
    np.testing.assert_array_equal(reopened.data, data)
    assert tuple(reopened.scale) == pytest.approx((3.0, 1.0, 0.5))
    assert tuple(reopened.translate) == pytest.approx((1.0, 2.0, 3.0))


def test_corrupt_file_raises_a_readable_error_in_napari(make_napari_viewer, tmp_path):
    path = tmp_path / "corrupt.nii.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    viewer = make_napari_viewer()
    with pytest.raises(Exception, match=r"Cannot read corrupt\.nii\.gz as NIfTI"):
        viewer.open(str(path), plugin=PLUGIN)
    assert len(viewer.layers) == 0
