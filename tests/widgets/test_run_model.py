"""The "Run model" dock in a real napari viewer (Xvfb): the model runs off the main thread, the prediction
lands on the image's grid; cancel, a removed or replaced image layer and errors leave no layer behind."""

from __future__ import annotations

import time

import numpy as np
import pytest

from napari_segreview.model import load_model, predict
from napari_segreview.widgets import run_model
from napari_segreview.widgets.run_model import RunModelDock
from tests.model.models import save_random_checkpoint, smooth_image
from tests.nifti_cases import AFFINES, write_nifti

PLUGIN = "napari-segreview"
TIMEOUT = 30_000


@pytest.fixture
def checkpoint(tmp_path):
    return save_random_checkpoint(tmp_path / "tiny_unet.pt", class_names={1: "grey", 2: "white"})[0]


@pytest.fixture
def notifications(monkeypatch):
    """What the dock tells the user, by kind."""
    shown: dict[str, list[str]] = {"error": [], "warning": [], "info": []}
    for kind in shown:
        monkeypatch.setattr(run_model, f"show_{kind}", shown[kind].append)
    return shown


def _dock(viewer, checkpoint, **settings) -> RunModelDock:
    dock = RunModelDock(napari_viewer=viewer)
    viewer.window.add_dock_widget(dock, name="Run model")
    dock.model_path.setText(str(checkpoint))
    for name, value in settings.items():
        getattr(dock, name).setValue(value)
    return dock


def test_prediction_layer_has_the_image_geometry_and_the_engine_result(make_napari_viewer, qtbot, tmp_path, checkpoint):
    volume = smooth_image((12, 10, 5))
    source = write_nifti(tmp_path / "ct.nii.gz", volume, AFFINES["LPS"])  # anisotropic 2.5 x 0.9 x 0.8 mm
    viewer = make_napari_viewer()
    [image] = viewer.open(str(source), plugin=PLUGIN)
    dock = _dock(viewer, checkpoint, batch_size=2)
    assert dock.image.currentText() == "ct"
    axes = [dock.axis.itemText(i) for i in range(dock.axis.count())]
    assert axes == ["the model's (from its config)", "0 (axial)", "1 (coronal)", "2 (sagittal)"]
    assert dock.options()["axis"] is None  # the axis the model was trained on (0 here)
    assert [dock.device.itemText(i) for i in range(dock.device.count())][-1] == "cpu"

    dock.run_button.click()
    assert dock.busy and not dock.run_button.isEnabled()
    qtbot.waitUntil(lambda: not dock.busy, timeout=TIMEOUT)

    [_, labels] = viewer.layers
    assert labels._type_string == "labels" and labels.name == "tiny_unet prediction"
    assert tuple(labels.scale) == tuple(image.scale) == pytest.approx((2.5, 0.9, 0.8))
    np.testing.assert_allclose(labels.translate, image.translate)
    assert labels.metadata["nifti_geometry"] is image.metadata["nifti_geometry"]
    assert labels.metadata["class_names"] == {1: "grey", 2: "white"}
    expected = predict(load_model(checkpoint), image.data, axis=0)
    np.testing.assert_array_equal(labels.data, expected.labels)
    assert dock.run_button.isEnabled() and not dock.cancel_button.isEnabled()


def test_rgb_image_gives_a_2d_labels_layer(make_napari_viewer, qtbot, tmp_path):
    path, _ = save_random_checkpoint(tmp_path / "skin.pt", in_channels=3)
    viewer = make_napari_viewer()
    rgb = smooth_image((30, 40), channels=3).clip(0, 255).astype(np.uint8)
    image = viewer.add_image(rgb, name="lesion", rgb=True, scale=(0.05, 0.05))
    dock = _dock(viewer, path)
    assert not dock.axis.isEnabled()
    assert dock.precision.currentData() == "auto"
    dock.precision.setCurrentIndex(dock.precision.findData("bfloat16"))
    dock.run_button.click()
    qtbot.waitUntil(lambda: not dock.busy, timeout=TIMEOUT)
    labels = viewer.layers["skin prediction"]
    assert labels.data.shape == (30, 40) and tuple(labels.scale) == tuple(image.scale)
    assert " on cpu in bfloat16 " in dock.status.text()
    np.testing.assert_array_equal(labels.data, predict(load_model(path), rgb, rgb=True, precision="bfloat16").labels)


def _long_run(make_napari_viewer, qtbot, checkpoint, monkeypatch) -> tuple:
    """A dock running the model on a 64-slice image, one slice per batch and 20 ms per batch at least, past
    its first batch; returns (viewer, dock, the progress steps so far)."""
    original, steps = run_model.run_inference, []

    def recording(*args, **kwargs):  # the engine, keeping the progress it yields
        generator = original(*args, **kwargs)
        while True:
            try:
                step = next(generator)
            except StopIteration as finished:
                return finished.value
            steps.append(step)
            time.sleep(0.02)
            yield step

    monkeypatch.setattr(run_model, "run_inference", recording)
    viewer = make_napari_viewer()
    viewer.add_image(smooth_image((64, 24, 24)), name="long")
    dock = _dock(viewer, checkpoint, batch_size=1)
    dock.run_button.click()
    qtbot.waitUntil(lambda: len(steps) >= 2, timeout=TIMEOUT)
    return viewer, dock, steps


def test_cancel_stops_the_run_and_adds_nothing(make_napari_viewer, qtbot, checkpoint, notifications, monkeypatch):
    viewer, dock, steps = _long_run(make_napari_viewer, qtbot, checkpoint, monkeypatch)
    dock.cancel_button.click()
    qtbot.waitUntil(lambda: not dock.busy, timeout=TIMEOUT)
    assert len(viewer.layers) == 1
    assert steps[-1].done < 32  # stopped between batches, long before the last of 64 slices
    assert notifications["info"] == ["The model run was cancelled; no layer was added."]
    assert dock.status.text() == "Cancelled."


@pytest.mark.parametrize("change", ["removed", "replaced"])
def test_result_is_dropped_when_the_image_changes_during_the_run(
    make_napari_viewer, qtbot, checkpoint, notifications, change
):
    viewer = make_napari_viewer()
    image = viewer.add_image(smooth_image((8, 24, 24)), name="scan")
    viewer.add_image(smooth_image((24, 24)), name="other")
    dock = _dock(viewer, checkpoint)
    dock.image.setCurrentText("scan")
    dock.run_button.click()
    # the worker's result is delivered through the event loop, so this always happens before it arrives
    if change == "removed":
        viewer.layers.remove(image)
    else:
        image.data = smooth_image((8, 24, 24), seed=5)
    qtbot.waitUntil(lambda: not dock.busy, timeout=TIMEOUT)
    assert [layer._type_string for layer in viewer.layers] == ["image"] * (1 if change == "removed" else 2)
    assert notifications["warning"] == [
        "'scan' was removed or its data replaced while the model ran; the result was dropped."
    ]


def test_errors_become_one_sentence_notifications(make_napari_viewer, qtbot, tmp_path, notifications):
    viewer = make_napari_viewer()
    viewer.add_image(smooth_image((20, 20)), name="flat")
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a model")
    dock = _dock(viewer, broken)
    dock.run_button.click()
    qtbot.waitUntil(lambda: not dock.busy, timeout=TIMEOUT)
    rgb_model = save_random_checkpoint(tmp_path / "rgb.pt", in_channels=3)[0]
    dock.model_path.setText(str(rgb_model))
    dock.run_button.click()
    qtbot.waitUntil(lambda: not dock.busy, timeout=TIMEOUT)
    dock.model_path.setText(str(save_random_checkpoint(tmp_path / "grey.pt")[0]))
    dock.device.setCurrentIndex(dock.device.findData("cpu"))
    dock.precision.setCurrentIndex(dock.precision.findData("float16"))
    dock.run_button.click()
    qtbot.waitUntil(lambda: not dock.busy, timeout=TIMEOUT)
    assert notifications["error"] == [
        "Cannot read broken.pt as a PyTorch checkpoint: the file is damaged or in another format.",
        "the model takes 3 input channel(s) (RGB) but the image has 1 (grey).",
        "float16 needs a CUDA or MPS device; on the CPU use bfloat16 or float32.",
    ]
    assert len(viewer.layers) == 1


def test_missing_choices_are_warnings(make_napari_viewer, notifications, checkpoint):
    viewer = make_napari_viewer()
    dock = _dock(viewer, checkpoint)
    dock.run()
    viewer.add_image(smooth_image((20, 20)), name="flat")
    dock.model_path.setText("")
    dock.run()
    assert notifications["warning"] == ["Choose an image layer first.", "Choose a model file first."]
    assert not dock.busy


def test_closing_the_dock_stops_the_run_and_adds_nothing(make_napari_viewer, qtbot, checkpoint, monkeypatch):
    viewer, dock, steps = _long_run(make_napari_viewer, qtbot, checkpoint, monkeypatch)
    viewer.window.remove_dock_widget(dock)  # what the dock's close button does
    qtbot.waitUntil(lambda: not dock.busy, timeout=TIMEOUT)
    assert [layer.name for layer in viewer.layers] == ["long"]
    assert steps[-1].done < 32


def test_intensities_beyond_the_normalisation_range_are_one_sentence(
    make_napari_viewer, qtbot, checkpoint, notifications
):
    viewer = make_napari_viewer()
    image = smooth_image((6, 10, 12)).astype(np.float64)
    image[2, 3, 4] = 1e200  # squared in float64 it would overflow the normalisation
    viewer.add_image(image, name="scan")
    dock = _dock(viewer, checkpoint)
    dock.run_button.click()
    qtbot.waitUntil(lambda: not dock.busy, timeout=TIMEOUT)
    assert [layer.name for layer in viewer.layers] == ["scan"]
    (message,) = notifications["error"]
    assert message.startswith("The image holds intensities up to 1e+200") and "\n" not in message
