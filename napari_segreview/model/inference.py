"""The inference engine: a model over a 2D image or a 3D volume, slice by slice along an axis, in batches.

:func:`run_inference` is a generator: it yields :class:`Progress` after every batch and returns a
:class:`Prediction` (``result = yield from run_inference(...)``, or :func:`predict` to just get it). Widgets wrap
it in napari's ``thread_worker``; stopping the iteration (``close()``, or napari's ``worker.quit()``) or a
``should_stop`` callable that returns True ends it between two batches.

Speed (see ``benchmarks/run_inference.py``): ``torch.inference_mode``, channels-last convolutions, float16 autocast
on CUDA (bfloat16 on the CPU when asked for), one network pass per batch, and slices of one constant value (the
empty slices around a scan) computed once per value. Out of memory on a batch halves the batch size and retries
it; at one slice per batch the error is reported as an InferenceError.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .devices import default_batch_size, is_out_of_memory, release_cached_memory, resolve_device
from .errors import InferenceCancelled, InferenceError, ModelInputError
from .normalisation import intensity_transform
from .precision import resolve_precision
from .runners import LoadedModel
from .slice_batch import Augmentation, batch_probabilities, slices_to_tensor, to_labels


@dataclass(frozen=True)
class Progress:
    """Slices finished out of ``total``; ``batch_size`` is the current one (it halves on out-of-memory)."""

    done: int
    total: int
    batch_size: int
    device: str


@dataclass(frozen=True)
class Prediction:
    """labels: the image's spatial shape, uint8 (int32 above 256 classes), 0 = background.
    probabilities: (classes, *spatial shape) float32 when asked for, else None (for a one-channel model the one
    channel is the foreground probability).
    device, batch_size: where it ran and the batch size it ended with; precision: the network's arithmetic
    (float32, bfloat16, float16, or "as saved" for ONNX); seconds: wall time."""

    labels: np.ndarray
    probabilities: np.ndarray | None
    device: str
    batch_size: int
    seconds: float
    precision: str = "float32"


@dataclass(frozen=True)
class _SlicePlan:
    """Which slices go through the network; every other slice copies the result of its ``source``."""

    computed: np.ndarray  # slice indices, ascending
    copies: dict[int, list[int]]  # computed index -> slices of the same constant value


def _plan_slices(slices: np.ndarray) -> _SlicePlan:
    """Slices holding one value everywhere (per channel) give the same output: compute one per value."""
    spatial = (1, 2)
    low, high = slices.min(axis=spatial), slices.max(axis=spatial)
    constant = low == high if low.ndim == 1 else (low == high).all(axis=1)
    source_of: dict[bytes, int] = {}
    copies: dict[int, list[int]] = {}
    computed = []
    for index in range(len(slices)):
        if constant[index]:
            key = np.ascontiguousarray(low[index]).tobytes()
            if key in source_of:
                copies[source_of[key]].append(index)
                continue
            source_of[key] = index
            copies[index] = []
        computed.append(index)
    return _SlicePlan(np.asarray(computed, dtype=np.intp), copies)


def _checked_layout(image: np.ndarray, rgb: bool, in_channels: int) -> tuple[np.ndarray, int]:
    """The image with at most ``in_channels`` channels and its number of spatial dimensions."""
    if image.dtype == bool or not np.issubdtype(image.dtype, np.number) or np.iscomplexobj(image):
        raise ModelInputError(f"the image holds {image.dtype} values; a model needs real-valued intensities.")
    spatial_ndim = image.ndim - 1 if rgb else image.ndim
    if spatial_ndim not in (2, 3):
        raise ModelInputError(f"the image has {spatial_ndim} spatial dimension(s); only 2D and 3D are supported.")
    channels = image.shape[-1] if rgb else 1
    if rgb and channels == 4 and in_channels == 3:
        image, channels = image[..., :3], 3  # alpha is transparency, not colour
    if channels != in_channels:
        kinds = {1: " (grey)", 3: " (RGB)"}
        raise ModelInputError(
            f"the model takes {in_channels} input channel(s){kinds.get(in_channels, '')} but the image has "
            f"{channels}{kinds.get(channels, '')}."
        )
    return image, spatial_ndim


def _checked_options(batch_size: int | None, scales: Sequence[float], fixed_size: bool) -> tuple[float, ...]:
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1
    ):
        raise ModelInputError(f"the batch size must be a positive whole number, not {batch_size!r}.")
    scales = tuple(float(s) for s in scales)
    if not scales or not all(0.1 <= s <= 4.0 for s in scales):
        raise ModelInputError(f"test-time scales must lie between 0.1 and 4, not {scales!r}.")
    if fixed_size and scales != (1.0,):
        raise ModelInputError("multi-scale test-time augmentation needs a model that takes any slice size.")
    return scales


def _checked_precision(model: LoadedModel, precision: str, device: torch.device) -> str:
    """The precision the run uses; a lower one than float32 only for models that torch's autocast can lower."""
    resolved = resolve_precision(precision, device)
    if model.runner.uses_torch_autocast:
        return resolved
    if str(precision).strip().lower() not in ("auto", "float32"):
        raise ModelInputError("an ONNX model runs in the precision it was saved in; use precision auto or float32.")
    return "as saved"


def run_inference(
    model: LoadedModel,
    image: np.ndarray,
    *,
    rgb: bool = False,
    axis: int | None = None,
    device: str | torch.device = "auto",
    batch_size: int | None = None,
    precision: str = "auto",
    flip_tta: bool = False,
    scales: Sequence[float] = (1.0,),
    probabilities: bool = False,
    should_stop: Callable[[], bool] | None = None,
) -> Generator[Progress, None, Prediction]:
    """Segment ``image`` with ``model``; yields Progress per batch, returns a Prediction.

    image: 2D (rows, cols) or 3D (slices, rows, cols) intensities in any real dtype, with a trailing channel
        axis when ``rgb`` (RGBA drops its alpha); 3D volumes are cut into 2D slices along ``axis`` (default: the
        config's ``slice_axis``). Normalisation follows the config, with statistics of the whole image.
    device: "auto" (CUDA, then MPS, then CPU), "cpu", "cuda", "cuda:N", "mps".
    batch_size: slices per network pass (halved on out-of-memory); results do not depend on it. None: 2 on the
        CPU, 8 on a GPU (see ``devices.default_batch_size``).
    precision: "auto" (float16 autocast on CUDA, float32 elsewhere), "float32" (labels as the plain float32 network
        gives them, up to rounding of near-ties), "bfloat16" (1.5-2.1x faster on CPUs with AVX512-BF16 or AMX, but
        labels move where classes are close) or "float16" (GPU only); see ``precision.resolve_precision``. ONNX
        models run in the precision they were exported in: "auto" and "float32" only.
    flip_tta / scales: test-time augmentation, e.g. ``scales=(0.75, 1.0, 1.25)``; each multiplies the time.
    probabilities: also return the (classes, ...) float32 probabilities.
    should_stop: checked before every batch; when it returns True, InferenceCancelled is raised.

    Raises ModelInputError (image or options do not fit the model), DeviceError, InferenceError (out of memory
    at one slice per batch) and InferenceCancelled, each with one sentence.
    """
    started = time.perf_counter()
    config = model.config
    image, spatial_ndim = _checked_layout(np.asarray(image), rgb, config.in_channels)
    fixed_size = config.input_size is not None
    augmentation = Augmentation(flips=flip_tta, scales=_checked_options(batch_size, scales, fixed_size))
    if spatial_ndim == 3:
        axis = config.slice_axis if axis is None else axis
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -3 <= axis < 3:
            raise ModelInputError(f"the slice axis of a 3D image must be 0, 1 or 2, not {axis!r}.")
        axis = int(axis) % 3
        slices = np.moveaxis(image, axis, 0)
    else:
        axis, slices = None, image[np.newaxis]

    torch_device = resolve_device(device)
    precision = _checked_precision(model, precision, torch_device)
    model.runner.to(torch_device)
    transform = intensity_transform(image, config.normalisation, channel_last=rgb)
    plan = _plan_slices(slices)
    total = len(slices)
    labels = np.zeros(slices.shape[:3], dtype=np.uint8 if config.classes <= 256 else np.int32)
    probability_maps = np.zeros((config.classes, *slices.shape[:3]), dtype=np.float32) if probabilities else None

    done, position = 0, 0
    size = int(batch_size) if batch_size is not None else default_batch_size(torch_device)
    yield Progress(0, total, size, model.runner.device_label)
    while position < len(plan.computed):
        if should_stop is not None and should_stop():
            raise InferenceCancelled(f"inference was cancelled after {done} of {total} slices.")
        indices = plan.computed[position : position + size]
        out_of_memory = False
        try:
            with torch.inference_mode():
                batch = slices_to_tensor(slices[indices], transform, model.runner.device, channel_last=rgb)
                batch_maps = batch_probabilities(model.runner, batch, config, augmentation, precision)
                batch_labels = to_labels(batch_maps, config.classes).cpu().numpy()
                batch_maps = batch_maps.cpu().numpy() if probability_maps is not None else None
        except Exception as error:
            if not is_out_of_memory(error):
                raise
            out_of_memory = True  # retried outside this block, so the failed batch's tensors can be freed first
        if out_of_memory:
            release_cached_memory(torch_device)
            if size == 1:
                advice = "a smaller model or smaller images" + (" or the CPU" if torch_device.type != "cpu" else "")
                raise InferenceError(f"{torch_device} ran out of memory even with one slice per batch; use {advice}.")
            size //= 2
            continue

        for row, index in enumerate(indices):
            targets = [index, *plan.copies.get(int(index), [])]
            labels[targets] = batch_labels[row]
            if probability_maps is not None:
                probability_maps[:, targets] = batch_maps[row][:, None]
            done += len(targets)
        position += len(indices)
        yield Progress(done, total, size, model.runner.device_label)

    if axis is None:
        labels = labels[0]
        probability_maps = probability_maps[:, 0] if probability_maps is not None else None
    else:
        labels = np.ascontiguousarray(np.moveaxis(labels, 0, axis))
        if probability_maps is not None:
            probability_maps = np.ascontiguousarray(np.moveaxis(probability_maps, 1, axis + 1))
    return Prediction(
        labels=labels,
        probabilities=probability_maps,
        device=model.runner.device_label,
        batch_size=size,
        seconds=time.perf_counter() - started,
        precision=precision,
    )


def predict(model: LoadedModel, image: np.ndarray, **options) -> Prediction:
    """Run :func:`run_inference` to the end and return its Prediction (same options)."""
    steps = run_inference(model, image, **options)
    while True:
        try:
            next(steps)
        except StopIteration as finished:
            return finished.value
