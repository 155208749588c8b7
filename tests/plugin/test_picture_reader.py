"""The plugin reader opens pictures: masks (PNG/TIFF/BMP) as Labels by the one-class rule (0/255 is label 1), photos
as images (RGB or grey), JPEG always as an image; npe2 offers it for those files and ordinary pictures still open
as what they are."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile
from npe2 import PluginManager
from skimage.io import imsave

from napari_segreview.io.errors import LossyMaskWarning
from napari_segreview.metrics import volume_metrics
from napari_segreview.plugin.reader import get_reader, read_layers

PLUGIN = "napari-segreview"
RNG = np.random.default_rng(5)
PHOTO = RNG.integers(0, 256, (32, 40, 3), dtype=np.uint8)
LESION = np.zeros((32, 40), np.uint8)
LESION[8:20, 10:30] = 1


@pytest.fixture(scope="module")
def plugins() -> PluginManager:
    """The installed plugins as npe2 discovers them (its own instance, so napari's is left as it is)."""
    manager = PluginManager()
    manager.discover(include_npe1=False)
    return manager


@pytest.mark.parametrize(
    "name", ["ISIC_1.png", "ISIC_1.PNG", "mask.tif", "mask.tiff", "mask.TIF", "mask.bmp", "ISIC_1.jpg", "a.JPEG"]
)
def test_npe2_offers_the_reader_for_pictures(plugins, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"x")
    assert PLUGIN in {reader.plugin_name for reader in plugins.iter_compatible_readers([str(path)])}
    assert get_reader(str(path)) is read_layers


def test_a_tiff_stack_is_left_to_other_readers(tmp_path):
    """A multi-page TIFF (a microscopy stack) is not a picture: our reader declines it rather than refuse it."""
    tifffile.imwrite(tmp_path / "stack.tif", np.zeros((5, 16, 16), np.uint8))
    assert get_reader(str(tmp_path / "stack.tif")) is None
    tifffile.imwrite(tmp_path / "plane.tif", np.zeros((16, 16), np.uint8))
    assert get_reader(str(tmp_path / "plane.tif")) is read_layers


@pytest.mark.parametrize("name, value", [("ISIC_1_segmentation.png", 255), ("mask.tif", 65535), ("m.bmp", 255)])
def test_a_one_class_mask_is_labels_with_label_1(tmp_path, name, value):
    stored = LESION.astype(np.uint16 if value > 255 else np.uint8) * value
    path = tmp_path / name
    tifffile.imwrite(path, stored) if name.endswith(".tif") else imsave(path, stored, check_contrast=False)
    [(data, kwargs, layer_type)] = read_layers(str(path))
    assert layer_type == "labels"
    np.testing.assert_array_equal(data, LESION)
    assert kwargs["scale"] == (1.0, 1.0)


def test_a_mask_with_several_values_keeps_them(tmp_path):
    classes = LESION * 255
    classes[22:28, 5:9] = 128
    imsave(tmp_path / "classes.png", classes, check_contrast=False)
    [(data, _, layer_type)] = read_layers(str(tmp_path / "classes.png"))
    assert layer_type == "labels"
    assert set(np.unique(data).tolist()) == {0, 128, 255}


def test_a_mask_saved_as_rgb_is_labels(tmp_path):
    imsave(tmp_path / "rgb_mask.png", np.repeat((LESION * 255)[..., None], 3, axis=-1), check_contrast=False)
    [(data, _, layer_type)] = read_layers(str(tmp_path / "rgb_mask.png"))
    assert layer_type == "labels"
    np.testing.assert_array_equal(data, LESION)


def test_photos_stay_images(tmp_path):
    imsave(tmp_path / "ISIC_1.png", PHOTO, check_contrast=False)
    grey = (np.arange(32 * 40).reshape(32, 40) % 251).astype(np.uint8)
    imsave(tmp_path / "grey.png", grey, check_contrast=False)
    # a colour picture with few colours (a chart, a screenshot) is a picture, not a mask
    chart = np.zeros((32, 40, 3), np.uint8)
    chart[:, :20] = (255, 0, 0)
    imsave(tmp_path / "chart.png", chart, check_contrast=False)
    (rgb, rgb_kwargs, rgb_type), (flat, grey_kwargs, grey_type), (few, few_kwargs, few_type) = read_layers(
        [str(tmp_path / "ISIC_1.png"), str(tmp_path / "grey.png"), str(tmp_path / "chart.png")]
    )
    assert (rgb_type, rgb_kwargs["rgb"]) == ("image", True)
    np.testing.assert_array_equal(rgb, PHOTO)
    assert (grey_type, grey_kwargs["rgb"], grey_kwargs["colormap"]) == ("image", False, "gray")
    np.testing.assert_array_equal(flat, grey)
    assert (few_type, few_kwargs["rgb"]) == ("image", True)


def test_a_jpeg_is_an_image_even_when_it_looks_like_a_mask(tmp_path):
    imsave(tmp_path / "ISIC_1_segmentation.jpg", LESION * 255, check_contrast=False)
    with pytest.warns(LossyMaskWarning, match=r"^ISIC_1_segmentation\.jpg looks like a mask but is stored as JPEG"):
        [(_, kwargs, layer_type)] = read_layers(str(tmp_path / "ISIC_1_segmentation.jpg"))
    assert layer_type == "image" and kwargs["rgb"] is False


def test_photo_mask_and_prediction_review_in_a_viewer(make_napari_viewer, tmp_path):
    """The ISIC triple opened as napari opens dropped files: photo, 0/255 ground truth, 0/1 prediction."""
    imsave(tmp_path / "ISIC_1.jpg", PHOTO, check_contrast=False)
    imsave(tmp_path / "ISIC_1_segmentation.png", LESION * 255, check_contrast=False)
    prediction = np.roll(LESION, 2, axis=1)
    imsave(tmp_path / "ISIC_1_pred.png", prediction, check_contrast=False)
    viewer = make_napari_viewer()
    for name in ("ISIC_1.jpg", "ISIC_1_segmentation.png", "ISIC_1_pred.png"):
        viewer.open(str(tmp_path / name), plugin=PLUGIN)
    photo, truth, predicted = viewer.layers
    assert (photo._type_string, photo.rgb) == ("image", True)
    assert truth._type_string == predicted._type_string == "labels"
    assert tuple(photo.scale) == tuple(truth.scale) == tuple(predicted.scale) == (1.0, 1.0)
    assert set(np.unique(truth.data).tolist()) == set(np.unique(predicted.data).tolist()) == {0, 1}
    rows = volume_metrics(np.asarray(truth.data), np.asarray(predicted.data))
    assert list(rows) == [1]
    assert rows[1]["dice"] == pytest.approx(volume_metrics(LESION, prediction)[1]["dice"])


def test_the_review_dock_scores_a_dropped_0_255_mask_as_class_1(make_napari_viewer, qtbot, tmp_path):
    imsave(tmp_path / "ISIC_1.jpg", PHOTO, check_contrast=False)
    imsave(tmp_path / "ISIC_1_segmentation.png", LESION * 255, check_contrast=False)
    prediction = np.roll(LESION, 2, axis=1)
    imsave(tmp_path / "ISIC_1_pred.png", prediction, check_contrast=False)
    viewer = make_napari_viewer()
    _, dock = viewer.window.add_plugin_dock_widget(PLUGIN, "Segmentation review")
    for name in ("ISIC_1.jpg", "ISIC_1_segmentation.png", "ISIC_1_pred.png"):
        viewer.open(str(tmp_path / name), plugin=PLUGIN)
    assert (dock.inputs.gt.currentText(), dock.inputs.pred.currentText()) == ("ISIC_1_segmentation", "ISIC_1_pred")
    assert dock.compute_button.isEnabled(), dock.status.text()
    dock.compute_button.click()
    qtbot.waitUntil(lambda: dock.result is not None and not dock.busy, timeout=60_000)
    assert list(dock.result.volume) == [1]
    assert dock.result.volume[1]["dice"] == pytest.approx(volume_metrics(LESION, prediction)[1]["dice"])


def test_napari_still_opens_an_ordinary_photo_as_an_rgb_image(make_napari_viewer, tmp_path):
    imsave(tmp_path / "holiday.png", PHOTO, check_contrast=False)
    viewer = make_napari_viewer()
    [ours] = viewer.open(str(tmp_path / "holiday.png"), plugin=PLUGIN)
    [builtin] = viewer.open(str(tmp_path / "holiday.png"), plugin="napari")
    assert ours._type_string == builtin._type_string == "image"
    assert ours.rgb and builtin.rgb
    np.testing.assert_array_equal(ours.data, builtin.data)
