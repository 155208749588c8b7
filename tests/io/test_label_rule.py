"""Which arrays open as labels: whole non-negative values, plus a segmentation name or few distinct values."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.io import read_npy
from napari_segreview.io.label_rule import MAX_LABEL_VALUES, as_label_array, looks_like_segmentation

RNG = np.random.default_rng(1)
MRI_LIKE = RNG.integers(0, 4000, size=(8, 16, 16)).astype(np.int16)
FEW_VALUES = RNG.integers(0, 3, size=(8, 16, 16)).astype(np.int16)


@pytest.mark.parametrize(
    "name",
    ["case01_seg", "seg", "labels", "liver-mask", "case_gt", "GT", "pred_unet", "annotation", "aseg_label"],
)
def test_segmentation_names_make_labels_of_whole_numbers(name):
    assert looks_like_segmentation(MRI_LIKE, name)


@pytest.mark.parametrize("name", ["t1", "length", "ct_abdomen", "image", "flair"])
def test_other_names_need_few_values(name):
    assert not looks_like_segmentation(MRI_LIKE, name)
    assert looks_like_segmentation(FEW_VALUES, name)


def test_boundary_of_the_distinct_value_count():
    at_limit = np.arange(MAX_LABEL_VALUES).reshape(8, -1)
    over_limit = np.arange(MAX_LABEL_VALUES + 1)
    assert looks_like_segmentation(at_limit, "image")
    assert not looks_like_segmentation(over_limit, "image")


def test_float_images_are_never_labels_but_float_label_maps_are():
    probabilities = RNG.random((8, 16, 16)).astype(np.float32)
    assert not looks_like_segmentation(probabilities, "brain_mask")
    assert looks_like_segmentation(FEW_VALUES.astype(np.float32), "anything")


def test_negative_values_are_an_image():
    signed = FEW_VALUES - 1
    assert not looks_like_segmentation(signed, "seg")


def test_float_labels_become_the_smallest_unsigned_type():
    converted = as_label_array(np.array([0.0, 2.0, 300.0]))
    assert converted.dtype == np.uint16
    np.testing.assert_array_equal(converted, [0, 2, 300])


def test_npy_rgb_image_stays_an_image(tmp_path):
    rgb = RNG.integers(0, 3, size=(20, 30, 3)).astype(np.uint8)
    np.save(tmp_path / "lesion_mask.npy", rgb)
    volume = read_npy(tmp_path / "lesion_mask.npy")
    assert not volume.is_labels
    assert volume.scale == (1.0, 1.0)
