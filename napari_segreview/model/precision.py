"""Which arithmetic inference uses (float32, or bfloat16/float16 autocast): names and the rule, without torch, so
the command line can list the choices before torch is imported. ``devices.autocast_for`` applies the choice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import DeviceError

if TYPE_CHECKING:
    import torch

PRECISION_CHOICES = ("auto", "float32", "bfloat16", "float16")


def resolve_precision(name: str, device: torch.device) -> str:
    """The arithmetic a run uses: ``float32``, ``bfloat16`` or ``float16`` (the last two as autocast: convolutions
    in that type, reductions and the output in float32).

    ``auto`` is float16 on CUDA (the SPEC's AMP) and float32 elsewhere: on a CPU with AVX512-BF16, bfloat16 ran
    2.1x as fast as float32 at width 64 and 1.5x for the small demo model, but moved labels wherever two classes
    are close (2,872 voxels of the trained demo model on the MNI volume; ``benchmarks/run_inference.py``), so it
    is only used when asked for. float16 needs a GPU. Raises DeviceError with one sentence for a precision the
    device cannot run.
    """
    text = str(name).strip().lower()
    if text not in PRECISION_CHOICES:
        raise DeviceError(f"{name!r} is not a precision; use one of {', '.join(PRECISION_CHOICES)}.")
    if text == "auto":
        return "float16" if device.type == "cuda" else "float32"
    if text == "float16" and device.type == "cpu":
        raise DeviceError("float16 needs a CUDA or MPS device; on the CPU use bfloat16 or float32.")
    return text
