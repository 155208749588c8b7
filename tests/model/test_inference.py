"""The inference engine on CPU: 2D grey, 2D RGB and 3D along any axis; batch-size independence; test-time
augmentation; cancel between batches; out-of-memory halving; one-sentence errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from napari_segreview.model import (
    DeviceError,
    InferenceCancelled,
    InferenceError,
    LoadedModel,
    ModelConfig,
    ModelInputError,
    Progress,
    load_model,
    predict,
    run_inference,
)
from napari_segreview.model.devices import available_devices, resolve_device
from napari_segreview.model.precision import resolve_precision
from napari_segreview.model.slice_batch import SEED_SCALES
from tests.generators import drain

from .models import TINY, random_unet, save_random_checkpoint, smooth_image


@pytest.fixture
def model(tmp_path):
    """A 3-class random model read back from a checkpoint file."""
    return load_model(save_random_checkpoint(tmp_path / "tiny.pt")[0])


class CountingRunner:
    """Wraps a runner, counting network passes and the batch sizes they saw; optionally fails above a size."""

    def __init__(self, runner, fail_above: int | None = None, error: type[Exception] = torch.OutOfMemoryError):
        self.runner, self.fail_above, self.error = runner, fail_above, error
        self.sizes: list[int] = []

    def __getattr__(self, name):
        return getattr(self.runner, name)

    def to(self, device):
        self.runner.to(device)

    def __call__(self, batch):
        if self.fail_above is not None and len(batch) > self.fail_above:
            raise self.error("CUDA out of memory. Tried to allocate 2.00 GiB")
        self.sizes.append(len(batch))
        return self.runner(batch)


def _counting(model: LoadedModel, **kwargs) -> tuple[LoadedModel, CountingRunner]:
    runner = CountingRunner(model.runner, **kwargs)
    return LoadedModel(model.name, model.config, runner, model.source), runner


def test_two_dimensional_grey_image(model):
    image = smooth_image((37, 29))
    progress, prediction = drain(run_inference(model, image))
    assert prediction.labels.shape == (37, 29) and prediction.labels.dtype == np.uint8
    assert len(np.unique(prediction.labels)) >= 2  # the random model is not constant: the checks below mean something
    assert [(p.done, p.total) for p in progress] == [(0, 1), (1, 1)]
    assert prediction.device == "cpu" and prediction.probabilities is None


def test_two_dimensional_rgb_image_and_rgba_alpha_dropped(tmp_path):
    model = load_model(save_random_checkpoint(tmp_path / "rgb.pt", in_channels=3)[0])
    rgb = smooth_image((33, 40), channels=3).clip(0, 255).astype(np.uint8)
    labels = predict(model, rgb, rgb=True).labels
    assert labels.shape == (33, 40)
    rgba = np.concatenate([rgb, np.full((33, 40, 1), 255, np.uint8)], axis=-1)
    np.testing.assert_array_equal(predict(model, rgba, rgb=True).labels, labels)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_volume_slice_by_slice_along_any_axis_equals_the_slices_one_by_one(tmp_path, axis):
    """With fixed normalisation a volume's prediction is exactly its slices' 2D predictions, stacked."""
    path, _ = save_random_checkpoint(tmp_path / "m.pt", normalisation={"kind": "fixed", "mean": 50, "std": 60})
    model = load_model(path)
    volume = smooth_image((6, 20, 17))
    volume[:, :, 3] = 0  # a constant slice along axis 2 (computed once, copied)
    labels = predict(model, volume, axis=axis, batch_size=4).labels
    assert labels.shape == volume.shape
    one_by_one = [predict(model, np.take(volume, i, axis=axis)).labels for i in range(volume.shape[axis])]
    np.testing.assert_array_equal(labels, np.stack(one_by_one, axis=axis))


def test_batch_size_does_not_change_labels_or_probabilities(model):
    volume = smooth_image((11, 24, 19))
    one = predict(model, volume, batch_size=1, probabilities=True)
    many = predict(model, volume, batch_size=4, probabilities=True)
    everything = predict(model, volume, batch_size=64, probabilities=True)
    np.testing.assert_array_equal(one.labels, many.labels)
    np.testing.assert_array_equal(one.labels, everything.labels)
    np.testing.assert_allclose(one.probabilities, many.probabilities, atol=1e-6)
    assert one.probabilities.shape == (3, 11, 24, 19)
    np.testing.assert_allclose(one.probabilities.sum(axis=0), 1.0, atol=1e-5)
    np.testing.assert_array_equal(one.probabilities.argmax(axis=0), one.labels)


def test_one_output_channel_is_thresholded_at_one_half(tmp_path):
    model = load_model(save_random_checkpoint(tmp_path / "binary.pt", classes=1)[0])
    prediction = predict(model, smooth_image((4, 16, 24)), probabilities=True)
    assert prediction.probabilities.shape == (1, 4, 16, 24)
    np.testing.assert_array_equal(prediction.labels, (prediction.probabilities[0] > 0.5).astype(np.uint8))
    assert set(np.unique(prediction.labels)) == {0, 1}


def test_flip_tta_is_mirror_equivariant(model):
    """Averaging over the four mirrors, each undone on the output: a mirrored image gives the mirrored result."""
    image = smooth_image((26, 21))
    plain = predict(model, image, flip_tta=True, probabilities=True)
    mirrored = predict(model, image[:, ::-1], flip_tta=True, probabilities=True)
    np.testing.assert_allclose(mirrored.probabilities, plain.probabilities[:, :, ::-1], atol=1e-5)
    without = predict(model, image, probabilities=True)
    assert not np.allclose(without.probabilities, plain.probabilities, atol=1e-3)


def test_multiscale_tta_runs_every_scale_and_returns_the_image_size(model):
    counted, runner = _counting(model)
    prediction = predict(counted, smooth_image((3, 22, 18)), batch_size=3, flip_tta=True, scales=SEED_SCALES)
    assert prediction.labels.shape == (3, 22, 18)
    assert len(runner.sizes) == 4 * 3  # four mirrors at each of three scales, one batch


def test_cancel_stops_between_batches(model):
    counted, runner = _counting(model)
    passes_when_asked = []

    def should_stop() -> bool:
        passes_when_asked.append(len(runner.sizes))
        return len(runner.sizes) >= 2

    with pytest.raises(InferenceCancelled, match="^inference was cancelled after 4 of 9 slices.$"):
        drain(run_inference(counted, smooth_image((9, 16, 16)), batch_size=2, should_stop=should_stop))
    assert runner.sizes == [2, 2]
    assert passes_when_asked == [0, 1, 2]  # checked before every batch, never during one


def test_closing_the_generator_stops_it_too(model):
    counted, runner = _counting(model)
    steps = run_inference(counted, smooth_image((9, 16, 16)), batch_size=2)
    next(steps), next(steps)  # the start, then one batch
    steps.close()
    assert runner.sizes == [2]


def test_out_of_memory_halves_the_batch_and_gives_the_same_labels(model):
    volume = smooth_image((7, 16, 20))
    counted, runner = _counting(model, fail_above=2)
    progress, prediction = drain(run_inference(counted, volume, batch_size=8))
    assert prediction.batch_size == 2 and set(runner.sizes) <= {1, 2}
    assert progress[-1] == Progress(7, 7, 2, "cpu")
    np.testing.assert_array_equal(prediction.labels, predict(model, volume).labels)


@pytest.mark.parametrize("error", [torch.OutOfMemoryError, RuntimeError])
def test_out_of_memory_at_one_slice_per_batch_is_one_sentence(model, error):
    counted, _ = _counting(model, fail_above=0, error=error)
    with pytest.raises(InferenceError) as raised:
        predict(counted, smooth_image((3, 16, 16)), batch_size=4)
    assert (
        str(raised.value)
        == "cpu ran out of memory even with one slice per batch; use a smaller model or smaller images."
    )


def test_other_errors_are_not_mistaken_for_out_of_memory(model):
    counted, runner = _counting(model, fail_above=0, error=ValueError)
    with pytest.raises(ValueError, match="out of memory"):
        predict(counted, smooth_image((3, 16, 16)), batch_size=4)
    assert runner.sizes == []  # no retry with smaller batches


def test_fixed_input_size_resizes_slices_and_refuses_multiscale(tmp_path):
    model = load_model(save_random_checkpoint(tmp_path / "fixed.pt", input_size=(32, 32))[0])
    assert predict(model, smooth_image((2, 21, 45))).labels.shape == (2, 21, 45)
    with pytest.raises(ModelInputError, match="needs a model that takes any slice size"):
        predict(model, smooth_image((21, 45)), scales=SEED_SCALES)


@pytest.mark.parametrize(
    "image, options, message",
    [
        (np.zeros((8, 8, 3)), {"rgb": True}, "the model takes 1 input channel(s) (grey) but the image has 3 (RGB)."),
        (np.zeros((2, 3, 8, 8)), {}, "the image has 4 spatial dimension(s); only 2D and 3D are supported."),
        (np.zeros((8, 8), bool), {}, "the image holds bool values; a model needs real-valued intensities."),
        (np.zeros((4, 8, 8)), {"axis": 3}, "the slice axis of a 3D image must be 0, 1 or 2, not 3."),
        (np.zeros((8, 8)), {"batch_size": 0}, "the batch size must be a positive whole number, not 0."),
        (np.zeros((8, 8)), {"scales": (0.0,)}, "test-time scales must lie between 0.1 and 4, not (0.0,)."),
    ],
)
def test_input_that_does_not_fit_is_one_sentence(model, image, options, message):
    with pytest.raises(ModelInputError) as raised:
        predict(model, image, **options)
    assert str(raised.value) == message


def test_grey_image_into_an_rgb_model(tmp_path):
    model = load_model(save_random_checkpoint(tmp_path / "rgb.pt", in_channels=3)[0])
    with pytest.raises(ModelInputError, match=r"^the model takes 3 input channel\(s\) \(RGB\) but the image has 1"):
        predict(model, np.zeros((16, 16)))


def test_module_in_memory_runs_without_a_file():
    config = ModelConfig(classes=2, **TINY)
    model = LoadedModel.from_module(random_unet(config), config, name="in memory")
    assert predict(model, smooth_image((16, 16))).labels.shape == (16, 16)


def test_devices_on_this_machine():
    devices = available_devices()
    assert devices[-1] == "cpu"
    assert resolve_device("auto") == torch.device(devices[0])
    assert resolve_device("CPU") == torch.device("cpu")
    assert resolve_precision("auto", torch.device("cuda")) == "float16"  # the SPEC's AMP on CUDA
    assert resolve_precision("auto", torch.device("cpu")) == resolve_precision("auto", torch.device("mps")) == "float32"
    with pytest.raises(DeviceError, match="is not a device"):
        resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_is_one_sentence(model):
    with pytest.raises(DeviceError) as raised:
        predict(model, np.zeros((8, 8)), device="cuda")
    assert str(raised.value).startswith("CUDA was requested but this PyTorch")
    assert "\n" not in str(raised.value)


def test_float32_is_the_default_on_the_cpu_and_runs_without_autocast(model, monkeypatch):
    seen = []
    monkeypatch.setattr(torch, "autocast", lambda *args, **kwargs: seen.append(kwargs) or pytest.fail("autocast"))
    prediction = predict(model, smooth_image((24, 20)))
    assert prediction.precision == "float32" and seen == []


def test_bfloat16_runs_the_network_in_bfloat16_and_returns_float32_probabilities(model):
    image = smooth_image((6, 32, 24))
    exact = predict(model, image, axis=0, probabilities=True)
    fast = predict(model, image, axis=0, probabilities=True, precision="bfloat16")
    assert fast.precision == "bfloat16" and fast.probabilities.dtype == np.float32
    difference = np.abs(fast.probabilities - exact.probabilities)
    # bfloat16 keeps 8 significant bits: the probabilities move (so autocast really ran) but only a little
    assert 0 < difference.max() < 0.1
    assert (fast.labels == exact.labels).mean() > 0.9


def test_precision_the_device_cannot_run_is_one_sentence(model):
    with pytest.raises(
        DeviceError, match=r"^float16 needs a CUDA or MPS device; on the CPU use bfloat16 or float32\.$"
    ):
        predict(model, np.zeros((8, 8)), device="cpu", precision="float16")
    with pytest.raises(
        DeviceError, match=r"^'double' is not a precision; use one of auto, float32, bfloat16, float16\.$"
    ):
        predict(model, np.zeros((8, 8)), precision="double")


def test_torchscript_models_are_lowered_by_autocast_too_but_keep_their_memory_layout(tmp_path):
    path, config = save_random_checkpoint(tmp_path / "tiny.pt", classes=2)
    traced = torch.jit.trace(load_model(path).runner.module, torch.zeros(1, 1, 16, 16))
    scripted = LoadedModel.from_module(traced, config, name="traced")
    image = smooth_image((32, 24))
    exact = predict(scripted, image, precision="float32", probabilities=True)
    fast = predict(scripted, image, precision="bfloat16", probabilities=True)
    assert (exact.precision, fast.precision) == ("float32", "bfloat16")
    assert 0 < np.abs(fast.probabilities - exact.probabilities).max() < 0.1
    assert not scripted.runner.channels_last
