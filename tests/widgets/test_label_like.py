"""Which layers the review dock offers as segmentations: image layers judged by the reader's rule, the verdict
kept per layer while its data and name stay (the dock asks on every layer event) and judged anew when either
changes."""

import numpy as np
from napari.layers import Image, Labels

from napari_segreview.widgets import review_inputs
from napari_segreview.widgets.review_inputs import is_label_like
from napari_segreview.widgets.review_layers import ROLE_KEY


def test_labels_layers_are_segmentations_and_review_layers_never():
    assert is_label_like(Labels(np.zeros((4, 4), np.uint8)))
    assert not is_label_like(Labels(np.zeros((4, 4), np.uint8), metadata={ROLE_KEY: "errors"}))


def test_an_image_with_few_values_is_a_segmentation_and_a_photo_is_not():
    mask = np.zeros((32, 32), np.uint8)
    mask[8:20, 8:20] = 255
    assert is_label_like(Image(mask, name="picture"))
    photo = np.arange(32 * 32, dtype=np.uint16).reshape(32, 32)
    assert not is_label_like(Image(photo, name="picture"))
    assert not is_label_like(Image(photo.astype(np.float32), name="mask"))  # floats with fractions never


def test_the_verdict_follows_new_data_and_a_new_name(monkeypatch):
    photo = np.arange(32 * 32, dtype=np.uint16).reshape(32, 32)
    layer = Image(photo, name="picture")
    assert not is_label_like(layer)
    layer.name = "picture_seg"  # a segmentation name: whole non-negative values suffice
    assert is_label_like(layer)
    layer.name = "picture"
    layer.data = (photo > 500).astype(np.uint16)
    assert is_label_like(layer)

    judged = []
    original = review_inputs.looks_like_segmentation
    monkeypatch.setattr(review_inputs, "looks_like_segmentation", lambda *a: judged.append(1) or original(*a))
    for _ in range(5):
        assert is_label_like(layer)
    assert judged == []  # unchanged layer: the kept verdict, no new look at the data
