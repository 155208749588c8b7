"""2D pictures (PNG/JPEG/TIFF): read as images or masks, masks written as ISIC-style PNG."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.io import imread, imsave

from napari_segreview.io import ImageReadError, read_volume, write_label_picture


def test_colour_picture_is_an_rgb_image_with_unit_pixels(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    imsave(tmp_path / "lesion.png", pixels, check_contrast=False)
    volume = read_volume(tmp_path / "lesion.png")
    np.testing.assert_array_equal(volume.data, pixels)
    assert (volume.name, volume.is_labels, volume.scale, volume.translate) == ("lesion", False, (1.0, 1.0), (0.0, 0.0))


def test_grey_mask_is_labels_and_a_grey_photo_is_an_image(tmp_path):
    mask = np.zeros((20, 20), np.uint8)
    mask[5:12, 4:9] = 255
    imsave(tmp_path / "ISIC_0000000_segmentation.png", mask, check_contrast=False)
    photo = np.arange(400, dtype=np.uint16).reshape(20, 20) * 100
    imsave(tmp_path / "slice.tif", photo, check_contrast=False)
    assert read_volume(tmp_path / "ISIC_0000000_segmentation.png").is_labels
    grey = read_volume(tmp_path / "slice.tif")
    assert not grey.is_labels and grey.data.dtype == np.uint16
    np.testing.assert_array_equal(grey.data, photo)


def test_a_stack_of_pages_is_not_a_picture(tmp_path):
    imsave(tmp_path / "stack.tif", np.zeros((5, 16, 16), np.uint8), check_contrast=False)
    with pytest.raises(ImageReadError, match=r"^stack.tif has shape \(5, 16, 16\); a 2D grey or colour picture"):
        read_volume(tmp_path / "stack.tif")


@pytest.mark.parametrize(
    "labels, binary, stored",
    [
        (np.array([[0, 1], [1, 0]]), True, np.array([[0, 255], [255, 0]])),  # one class: the ISIC 0/255 convention
        (np.array([[0, 1], [2, 3]]), False, np.array([[0, 1], [2, 3]])),  # several classes keep their values
        # a multi-class model whose prediction holds only label 1 still writes 1, not 255
        (np.array([[0, 1], [1, 0]]), False, np.array([[0, 1], [1, 0]])),
    ],
)
def test_label_pictures_store_one_class_as_255_and_several_as_values(tmp_path, labels, binary, stored):
    write_label_picture(tmp_path / "mask.png", labels, binary=binary)
    written = imread(tmp_path / "mask.png")
    assert written.dtype == np.uint8
    np.testing.assert_array_equal(written, stored)


@pytest.mark.parametrize(
    "labels, binary, message",
    [
        (np.zeros((2, 3, 4), np.uint8), False, "a PNG holds 2D labels, not 3D"),
        (np.full((3, 3), 300), False, "labels up to 255"),
        (np.full((3, 3), 2), True, "a binary mask holds labels 0 and 1, not 2"),
    ],
)
def test_label_pictures_refuse_what_a_png_mask_cannot_hold_and_keep_the_old_file(tmp_path, labels, binary, message):
    (tmp_path / "mask.png").write_bytes(b"keep me")
    with pytest.raises(ValueError, match=message):
        write_label_picture(tmp_path / "mask.png", labels, binary=binary)
    assert (tmp_path / "mask.png").read_bytes() == b"keep me"
