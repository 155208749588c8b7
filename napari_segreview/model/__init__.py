"""Running a segmentation model: the seed U-Net, safe checkpoints, devices and the batched inference engine.

No Qt, no napari. ``ModelConfig`` and the errors import without torch; everything else imports torch on first
use, so reading this package's names stays cheap::

    from napari_segreview.model import load_model, predict
    model = load_model("unet.pt")                      # our checkpoint; also .ts (TorchScript) or .onnx
    prediction = predict(model, volume, axis=0, device="auto", batch_size=8)
    prediction.labels                                  # same shape as volume, 0 = background
"""

from __future__ import annotations

import importlib
from typing import Any

from .config import ModelConfig
from .errors import (
    CheckpointError,
    DeviceError,
    InferenceCancelled,
    InferenceError,
    ModelConfigError,
    ModelInputError,
)

# name -> submodule; imported (with torch) on first access
_LAZY = {
    "UNet": "unet",
    "build_unet": "checkpoint",
    "load_model": "checkpoint",
    "save_checkpoint": "checkpoint",
    "MODEL_SUFFIXES": "checkpoint",
    "LoadedModel": "runners",
    "available_devices": "devices",
    "resolve_device": "devices",
    "Progress": "inference",
    "Prediction": "inference",
    "predict": "inference",
    "run_inference": "inference",
    "SEED_SCALES": "slice_batch",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CheckpointError",
    "DeviceError",
    "InferenceCancelled",
    "InferenceError",
    "ModelConfig",
    "ModelConfigError",
    "ModelInputError",
    *_LAZY,
]
