"""Choosing where inference runs (CUDA, then Apple's MPS, then the CPU), and autocast to the precision chosen by
``precision.resolve_precision``.

Only the CPU path is exercised by this project's tests (its machines have no GPU); the CUDA and MPS branches
use PyTorch's documented availability checks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

from .errors import DeviceError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[str]:
    """Devices this machine can run on, fastest first: ``cuda`` (and ``cuda:1``, ... with several GPUs), ``mps``,
    ``cpu``. ``cpu`` is always there."""
    devices: list[str] = []
    if torch.cuda.is_available():
        count = torch.cuda.device_count()
        devices += ["cuda"] + [f"cuda:{index}" for index in range(1, count)]
    if _mps_available():
        devices.append("mps")
    return [*devices, "cpu"]


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """The torch device for ``name``: ``auto`` (the first of :func:`available_devices`), ``cpu``, ``cuda``,
    ``cuda:N`` or ``mps``. Raises DeviceError with one sentence when that device is not available here."""
    text = str(name).strip().lower()
    if text == "auto":
        return torch.device(available_devices()[0])
    try:
        device = torch.device(text)
    except (RuntimeError, ValueError):
        raise DeviceError(f"{name!r} is not a device; use one of {', '.join(DEVICE_CHOICES)}.") from None
    if device.type == "cpu":
        return device
    if device.type == "cuda":
        if not torch.cuda.is_available():
            built = "has no CUDA GPU visible" if torch.backends.cuda.is_built() else "is a build without CUDA"
            raise DeviceError(f"CUDA was requested but this PyTorch {torch.__version__} {built}; use the CPU instead.")
        index = device.index or 0
        if index >= torch.cuda.device_count():
            raise DeviceError(f"cuda:{index} was requested but only {torch.cuda.device_count()} CUDA device(s) exist.")
        return device
    if device.type == "mps":
        if not _mps_available():
            raise DeviceError("MPS was requested but this machine or PyTorch build has no Apple GPU backend.")
        return device
    raise DeviceError(f"{name!r} is not a supported device; use one of {', '.join(DEVICE_CHOICES)}.")


def default_batch_size(device: torch.device) -> int:
    """Slices per batch when the caller gives none. CPU: 2; larger batches spill the caches (MNI slices,
    ``benchmarks/run_inference.py --slices 48 --batch-size 1|2|8`` on a 2-core machine: 1 and 2 equal within
    noise, 8 slower by 12% at width 64 and 30% at width 16). GPUs: 8, to give them parallel work (a common
    choice, not measured: this project's machines have no GPU)."""
    return 2 if device.type == "cpu" else 8


_AUTOCAST_DTYPES = {"bfloat16": torch.bfloat16, "float16": torch.float16}


@contextlib.contextmanager
def autocast_for(device: torch.device, precision: str) -> Iterator[None]:
    """Autocast to ``precision`` (from ``precision.resolve_precision``) on ``device``; nothing for float32."""
    if precision == "float32":
        yield
        return
    with torch.autocast(device_type=device.type, dtype=_AUTOCAST_DTYPES[precision]):
        yield


def is_out_of_memory(error: BaseException) -> bool:
    """True for the allocation failures that a smaller batch may avoid: CUDA's OutOfMemoryError, MPS's and the
    CPU allocator's RuntimeError messages."""
    oom_type = getattr(torch, "OutOfMemoryError", None) or torch.cuda.OutOfMemoryError
    if isinstance(error, oom_type):
        return True
    message = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in message or "can't allocate memory" in message)


def release_cached_memory(device: torch.device) -> None:
    """Return the allocator's cached blocks to the device after an out-of-memory error."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps" and hasattr(torch, "mps"):
        torch.mps.empty_cache()
