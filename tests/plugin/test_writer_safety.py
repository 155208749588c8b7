"""The labels writer never replaces a file nobody asked it to replace, and refuses what it cannot write exactly
with one sentence (a folder as the target, a scale of 0 or NaN, labels that are not whole numbers)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from napari_segreview.plugin.writer import OVERWRITE_KEY, write_labels
from tests.nifti_cases import AFFINES, write_nifti

PLUGIN = "napari-segreview"


@pytest.fixture
def labels() -> np.ndarray:
    data = np.zeros((4, 5, 6), np.uint8)
    data[1:3, 2:4, 2:5] = 2
    return data


def _one_sentence(error: BaseException) -> str:
    text = str(error)
    assert "\n" not in text and text.endswith(".") and "Errno" not in text
    return text


def test_an_existing_file_is_kept_unless_asked(tmp_path, labels):
    out = tmp_path / "seg.nii.gz"
    out.write_bytes(b"keep me")
    with pytest.raises(FileExistsError) as refused:
        write_labels(str(out), labels, {})
    assert _one_sentence(refused.value) == (
        f"{out.name} already exists; napari-segreview replaces a file only when asked: save it from napari's "
        f"Save dialog (which asks first), or set layer.metadata[{OVERWRITE_KEY!r}] = True."
    )
    assert out.read_bytes() == b"keep me"
    assert write_labels(str(out), labels, {}, overwrite=True) == [str(out)]
    np.testing.assert_array_equal(np.asanyarray(nib.load(out).dataobj), labels)


def test_the_metadata_flag_asks_for_it(tmp_path, labels):
    out = tmp_path / "seg.nii.gz"
    out.write_bytes(b"old")
    assert write_labels(str(out), labels, {"metadata": {OVERWRITE_KEY: True}}) == [str(out)]
    assert nib.load(out).shape == labels.shape


def test_saving_over_the_layers_own_source_through_layer_save_is_refused(make_napari_viewer, tmp_path, labels):
    source = write_nifti(tmp_path / "seg.nii.gz", labels, AFFINES["LPS"])
    before = source.read_bytes()
    viewer = make_napari_viewer()
    [layer] = viewer.open(str(source), plugin=PLUGIN)
    layer.data[0, 0, 0] = 5
    with pytest.raises(FileExistsError, match="seg.nii.gz already exists"):
        layer.save(str(source), plugin=PLUGIN)
    assert source.read_bytes() == before
    layer.metadata[OVERWRITE_KEY] = True
    assert layer.save(str(source), plugin=PLUGIN) == [str(source)]
    assert int(np.asanyarray(nib.load(source).dataobj).max()) == 5


def test_naparis_save_dialog_has_asked_so_it_replaces(make_napari_viewer, tmp_path, labels, monkeypatch):
    """File > Save Selected Layers: Qt's dialog asks before it returns an existing file, so the writer writes."""
    from qtpy.QtWidgets import QFileDialog

    source = write_nifti(tmp_path / "seg.nii.gz", labels, AFFINES["LPS"])
    affine = nib.load(source).affine
    viewer = make_napari_viewer()
    [layer] = viewer.open(str(source), plugin=PLUGIN)
    layer.data[0, 0, 0] = 5
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(source), "NIfTI labels (source affine) (*.nii.gz)")
    )
    viewer.layers.selection = {layer}
    viewer.window._qt_viewer._save_layers_dialog(selected=True)
    assert int(np.asanyarray(nib.load(source).dataobj).max()) == 5
    np.testing.assert_array_equal(nib.load(source).affine, affine)


def test_a_folder_as_the_target_is_named_not_a_temporary_file(tmp_path, labels):
    folder = tmp_path / "seg.nii.gz"
    folder.mkdir()
    with pytest.raises(IsADirectoryError) as refused:
        write_labels(str(folder), labels, {}, overwrite=True)
    assert _one_sentence(refused.value) == "seg.nii.gz is a folder; give a file name ending in .nii or .nii.gz."
    assert list(tmp_path.iterdir()) == [folder] and not list(folder.iterdir())


@pytest.mark.parametrize(
    "attributes, message",
    [
        ({"scale": (0.0, 1.0, 1.0)}, "the layer's scale (0, 1, 1) has a zero or non-finite value"),
        ({"scale": (np.nan, 1.0, 1.0)}, "the layer's scale (nan, 1, 1) has a zero or non-finite value"),
        ({"scale": (1.0, np.inf, 1.0)}, "the layer's scale (1, inf, 1) has a zero or non-finite value"),
        ({"translate": (np.nan, 0.0, 0.0)}, "the layer's translate (nan, 0, 0) has a non-finite value"),
    ],
)
def test_a_scale_of_zero_or_nan_is_one_sentence(tmp_path, labels, attributes, message):
    out = tmp_path / "seg.nii.gz"
    with pytest.raises(ValueError) as refused:
        write_labels(str(out), labels, attributes)
    assert _one_sentence(refused.value) == f"Cannot write seg.nii.gz: {message}."
    assert not out.exists()


@pytest.mark.parametrize("values, shown", [((0.0, 0.5), "0.5"), ((1.0, np.nan), "nan"), ((2.7, 1.0), "2.7")])
def test_labels_that_are_not_whole_numbers_are_refused_not_truncated(tmp_path, labels, values, shown):
    data = labels.astype(np.float32)
    data[0, 0, :2] = values
    out = tmp_path / "seg.nii.gz"
    with pytest.raises(ValueError) as refused:
        write_labels(str(out), data, {})
    assert _one_sentence(refused.value) == (
        f"Cannot write seg.nii.gz: labels are whole numbers, but this layer holds float32 values such as {shown}."
    )
    assert not out.exists()


def test_whole_valued_float_labels_are_written_exactly(tmp_path, labels):
    out = tmp_path / "seg.nii.gz"
    write_labels(str(out), labels.astype(np.float64), {})
    written = np.asanyarray(nib.load(out).dataobj)
    assert np.issubdtype(written.dtype, np.integer)
    np.testing.assert_array_equal(written, labels)
