"""Errors the model package raises, each carrying one sentence meant for the user."""


class ModelConfigError(ValueError):
    """A model configuration is invalid or incomplete; the message names the field and the problem."""


class CheckpointError(ValueError):
    """A model file cannot be loaded (unsafe, damaged, of another format, or not fitting its config)."""


class ModelInputError(ValueError):
    """The image does not fit the model (channels, dimensions, slice axis)."""


class DeviceError(ValueError):
    """The requested device does not exist on this machine or in this PyTorch build."""


class InferenceError(RuntimeError):
    """Inference failed on the device, e.g. out of memory even with one slice per batch."""


class InferenceCancelled(Exception):
    """Inference was cancelled between two batches."""
