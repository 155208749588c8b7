"""Training data layouts, pairing by name, and one-sentence errors naming the file (loading stops)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.io import imsave

from napari_segreview.io import read_nifti
from napari_segreview.training import TrainingDataError, load_training_data

from .synthetic import nifti_pair, png_folder


def test_masks_of_0_and_255_become_0_and_1_and_images_are_normalised(tmp_path):
    data = load_training_data(png_folder(tmp_path / "data", count=3))
    assert [case.name for case in data.cases] == ["case_0", "case_1", "case_2"]
    for case in data.cases:
        assert case.images.shape == (1, 1, 24, 20) and case.images.dtype == np.uint8  # kept as read
        assert set(np.unique(case.labels).tolist()) == {0, 1}
        normalised = case.normalised(0)
        assert normalised.shape == (1, 24, 20) and normalised.dtype == np.float32
        # z-score over the image, as inference normalises
        assert abs(float(normalised.mean())) < 1e-4 and float(normalised.std()) == pytest.approx(1, abs=1e-4)


def test_rgb_images_give_three_channels(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    rgb = np.random.default_rng(0).integers(0, 255, (8, 8, 3)).astype(np.uint8)
    imsave(tmp_path / "images" / "a.jpg", rgb, check_contrast=False)
    imsave(tmp_path / "masks" / "a_mask.png", np.eye(8, dtype=np.uint8) * 2, check_contrast=False)
    data = load_training_data(tmp_path)
    assert data.in_channels == 3 and data.cases[0].images.shape == (1, 3, 8, 8)
    assert data.label_count == 3  # label values other than 0/255 are kept


def test_an_unreadable_image_stops_loading_naming_the_file(tmp_path):
    root = png_folder(tmp_path / "data", count=3)
    (root / "images" / "case_1.png").write_bytes(b"not a png at all")
    message = r"^Cannot read case_1\.png as an image: it is damaged or not a PNG file\.$"
    with pytest.raises(TrainingDataError, match=message):
        load_training_data(root)


def test_an_image_without_mask_is_named(tmp_path):
    root = png_folder(tmp_path / "data", count=2)
    (root / "masks" / "case_1_segmentation.png").unlink()
    with pytest.raises(TrainingDataError, match=r"case_1\.png has no mask"):
        load_training_data(root)


def test_nifti_pairs_in_a_folder_are_found_by_the_seg_suffix(tmp_path):
    image, _ = nifti_pair(tmp_path)
    data = load_training_data(tmp_path, axis=2)
    assert data.source == "nifti" and data.slice_axis == 2
    # slices along display axis 2, as io.read_nifti and the inference engine order the volume
    rows, cols, slices = read_nifti(image).data.shape
    assert data.cases[0].images.shape == (slices, 1, rows, cols) and data.cases[0].labels.shape == (slices, rows, cols)


def test_missing_or_odd_data_paths_are_named(tmp_path):
    with pytest.raises(TrainingDataError, match="does not exist"):
        load_training_data(tmp_path / "nothing")
    with pytest.raises(TrainingDataError, match="neither images/ and masks/"):
        load_training_data(tmp_path)
    image, _ = nifti_pair(tmp_path / "pair")
    with pytest.raises(TrainingDataError, match="give its label volume"):
        load_training_data(image)


def test_volumes_are_normalised_as_the_inference_engine_normalises_them(tmp_path):
    from napari_segreview.model.normalisation import intensity_transform

    image, labels = nifti_pair(tmp_path)
    volume = read_nifti(image).data
    case = load_training_data(image, labels=labels, axis=1).cases[0]
    transform = intensity_transform(volume, {"kind": "zscore"})
    expected = (volume.astype(np.float32) - transform.offset) * transform.scale
    np.testing.assert_allclose(np.moveaxis(case.normalised(slice(None))[:, 0], 0, 1), expected, atol=1e-5)


def test_input_size_resizes_each_slice_as_inference_resizes_a_fixed_size_model(tmp_path):
    """Images: clipped, then the engine's own bilinear resize (so training sees what inference feeds); labels:
    nearest neighbour; normalisation statistics from the image at its own size, as inference takes them."""
    import torch

    from napari_segreview.model.slice_batch import _resized

    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (40, 30, 3)).astype(np.uint8)
    mask = np.zeros((40, 30), np.uint8)
    mask[10:30, 5:20] = 255
    imsave(tmp_path / "images" / "lesion.png", image, check_contrast=False)
    imsave(tmp_path / "masks" / "lesion_segmentation.png", mask, check_contrast=False)
    normalisation = {"kind": "zscore", "clip": [20, 230]}
    whole = load_training_data(tmp_path, normalisation=normalisation)
    small = load_training_data(tmp_path, normalisation=normalisation, input_size=(16, 12))
    assert small.input_size == (16, 12) and whole.input_size is None
    case, original = small.cases[0], whole.cases[0]
    assert case.images.shape == (1, 3, 16, 12) and case.labels.shape == (1, 16, 12)
    np.testing.assert_array_equal(case.offset, original.offset)  # statistics of the full-size image
    np.testing.assert_array_equal(case.scale, original.scale)
    expected = _resized(torch.from_numpy(original.normalised(slice(0, 1))), (16, 12)).numpy()
    np.testing.assert_allclose(case.normalised(slice(0, 1)), expected, atol=1e-5)
    # nearest neighbour at pixel centres: row r of 16 samples source row floor((r + 0.5) * 40 / 16)
    rows, cols = (np.arange(16) + 0.5) * 40 / 16, (np.arange(12) + 0.5) * 30 / 12
    np.testing.assert_array_equal(case.labels[0], (mask[np.ix_(rows.astype(int), cols.astype(int))] == 255))
