"""What a model needs to be rebuilt and fed correctly: architecture, intensity normalisation, class names.

Pure Python: importing this module does not import torch, so checkpoint metadata can be read and validated
cheaply. A checkpoint stores ``ModelConfig.to_dict()`` beside its weights.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .errors import ModelConfigError

# kind -> required keys. Statistics of "zscore" and "minmax" are computed over the whole image (all slices of a
# volume), per channel, so a slice's prediction does not depend on which batch it is in.
NORMALISATION_KINDS: dict[str, tuple[str, ...]] = {
    "zscore": (),  # (x - mean) / std of the image
    "minmax": (),  # (x - min) / (max - min) of the image, to 0..1
    "fixed": ("mean", "std"),  # (x - mean) / std with values stored in the checkpoint, in image units
    "none": (),  # the image as it is
}
MAX_DEPTH = 8
ATTENTION_KINDS = ("none", "cbam")  # what model/unet.py builds on the skip connections
# architecture options saved only when switched on (field -> its off value)
OPTIONAL_OFF: dict[str, Any] = {"attention": "none", "deep_supervision": False}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _per_channel(values: Any, in_channels: int, key: str) -> list[float]:
    """One float per channel from a number or a list (a single value applies to every channel)."""
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    if not all(_is_number(v) for v in values) or len(values) not in (1, in_channels):
        raise ModelConfigError(
            f"normalisation {key} must be one number or {in_channels} numbers (one per channel), not {values!r}."
        )
    return [float(v) for v in values] * (in_channels if len(values) == 1 else 1)


@dataclass(frozen=True)
class ModelConfig:
    """Everything besides the weights that inference needs.

    in_channels:   1 (grey images) or 3 (RGB images)
    classes:       network output channels: 1 = one foreground class (sigmoid, label 1 where p > 0.5);
                   2 or more = classes including background 0 (softmax, label = most probable class)
    width, depth, bilinear: the U-Net's first-level channels, number of 2x downsamplings, upsampling kind
                   (for TorchScript and ONNX files only ``depth`` matters: inputs are padded to ``2**depth``)
    normalisation: {"kind": "zscore" | "minmax" | "none"} or {"kind": "fixed", "mean": m, "std": s} with m, s
                   in image intensity units, one number or one per channel; any kind may add "clip": [low, high]
                   (image units) applied first, e.g. a CT window
    class_names:   {label: name}, e.g. {1: "grey matter", 2: "white matter"}
    slice_axis:    array axis of a 3D volume the model was trained on slices of (display order, 0 = axial)
    input_size:    (rows, cols) the slices are resized to when the model only takes one size; None (the
                   default) pads each slice to a multiple of ``2**depth`` and never resizes
    attention:     "none" (the default) or "cbam": CBAM attention on the skip connections (``model/unet.py``)
    deep_supervision: the network has 1x1 heads at its coarser decoder stages, used by training losses only
                   (inference and exported files give the full-resolution output alone); default False

    ``attention`` and ``deep_supervision`` are left out of :meth:`to_dict` while off: a model without them saves
    the same config as before they existed (older versions read it), and a config without them means off.
    """

    in_channels: int = 1
    classes: int = 2
    width: int = 64
    depth: int = 4
    bilinear: bool = True
    normalisation: dict[str, Any] = field(default_factory=lambda: {"kind": "zscore"})
    class_names: dict[int, str] = field(default_factory=dict)
    slice_axis: int = 0
    input_size: tuple[int, int] | None = None
    attention: str = "none"
    deep_supervision: bool = False

    def __post_init__(self) -> None:
        if self.in_channels not in (1, 3) or not _is_int(self.in_channels):
            raise ModelConfigError(f"in_channels must be 1 (grey) or 3 (RGB), not {self.in_channels!r}.")
        for name in ("classes", "width"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ModelConfigError(f"{name} must be a positive whole number, not {value!r}.")
        if not _is_int(self.depth) or not 1 <= self.depth <= MAX_DEPTH:
            raise ModelConfigError(f"depth must be a whole number from 1 to {MAX_DEPTH}, not {self.depth!r}.")
        if not isinstance(self.bilinear, bool):
            raise ModelConfigError(f"bilinear must be true or false, not {self.bilinear!r}.")
        if self.attention not in ATTENTION_KINDS:
            kinds = " or ".join(ATTENTION_KINDS)
            raise ModelConfigError(f"attention must be {kinds}, not {self.attention!r}.")
        if not isinstance(self.deep_supervision, bool):
            raise ModelConfigError(f"deep_supervision must be true or false, not {self.deep_supervision!r}.")
        if not _is_int(self.slice_axis) or self.slice_axis not in (0, 1, 2):
            raise ModelConfigError(f"slice_axis must be 0, 1 or 2, not {self.slice_axis!r}.")
        object.__setattr__(self, "normalisation", self._checked_normalisation(self.normalisation))
        object.__setattr__(self, "class_names", self._checked_class_names(self.class_names))
        object.__setattr__(self, "input_size", self._checked_input_size(self.input_size))

    @property
    def size_multiple(self) -> int:
        """Rows and columns fed to the network must be multiples of this."""
        return 2**self.depth

    @property
    def label_count(self) -> int:
        """Number of label values the prediction can hold, background included."""
        return 2 if self.classes == 1 else self.classes

    def label_names(self) -> dict[int, str]:
        """{label: name} for every foreground label, "class N" where the config names none."""
        return {label: self.class_names.get(label, f"class {label}") for label in range(1, self.label_count)}

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values only (ints, floats, strings, lists, dicts): safe for ``torch.load(weights_only=True)``
        and for JSON (where the class name keys become strings; :meth:`from_dict` turns them back)."""
        data = asdict(self)
        data["input_size"] = list(self.input_size) if self.input_size is not None else None
        for name, off in OPTIONAL_OFF.items():
            if data[name] == off:
                del data[name]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelConfig:
        """A config from :meth:`to_dict` output (or its JSON); unknown or mistyped fields raise ModelConfigError."""
        if not isinstance(data, Mapping):
            raise ModelConfigError(f"a model config must be a mapping of fields, not {type(data).__name__}.")
        known = {f.name for f in fields(cls)}
        unknown = sorted(str(key) for key in data if key not in known)
        if unknown:
            raise ModelConfigError(f"the model config has unknown field(s) {', '.join(unknown)}.")
        return cls(**dict(data))

    def _checked_normalisation(self, normalisation: Any) -> dict[str, Any]:
        if not isinstance(normalisation, Mapping) or normalisation.get("kind") not in NORMALISATION_KINDS:
            kinds = ", ".join(NORMALISATION_KINDS)
            raise ModelConfigError(f"normalisation must be a mapping with kind one of {kinds}, not {normalisation!r}.")
        kind = normalisation["kind"]
        allowed = {"kind", "clip", *NORMALISATION_KINDS[kind]}
        extra = sorted(str(key) for key in normalisation if key not in allowed)
        missing = [key for key in NORMALISATION_KINDS[kind] if key not in normalisation]
        if extra or missing:
            problem = f"has unexpected key(s) {', '.join(extra)}" if extra else f"needs {', '.join(missing)}"
            raise ModelConfigError(f"normalisation of kind {kind} {problem}.")
        checked: dict[str, Any] = {"kind": kind}
        if kind == "fixed":
            checked["mean"] = _per_channel(normalisation["mean"], self.in_channels, "mean")
            checked["std"] = _per_channel(normalisation["std"], self.in_channels, "std")
            if min(checked["std"]) <= 0:
                raise ModelConfigError("normalisation std must be positive.")
        if "clip" in normalisation:
            clip = normalisation["clip"]
            if not (isinstance(clip, (list, tuple)) and len(clip) == 2 and all(_is_number(v) for v in clip)) or (
                clip[0] >= clip[1]
            ):
                raise ModelConfigError(f"normalisation clip must be [low, high] with low < high, not {clip!r}.")
            checked["clip"] = [float(clip[0]), float(clip[1])]
        return checked

    def _checked_class_names(self, class_names: Any) -> dict[int, str]:
        if not isinstance(class_names, Mapping):
            raise ModelConfigError(f"class_names must map labels to names, not {class_names!r}.")
        checked: dict[int, str] = {}
        for key, name in class_names.items():
            # JSON turns integer keys into strings
            label = int(key) if isinstance(key, str) and key.strip().isdigit() else key
            if not _is_int(label) or not 0 <= label < self.label_count or not isinstance(name, str):
                raise ModelConfigError(
                    f"class_names must map labels 0 to {self.label_count - 1} to names, not {key!r}: {name!r}."
                )
            checked[label] = name
        return checked

    def _checked_input_size(self, input_size: Any) -> tuple[int, int] | None:
        if input_size is None:
            return None
        # no multiple-of-2**depth rule here: a fixed-size network is fed exactly this size, unpadded
        if (
            not isinstance(input_size, (list, tuple))
            or len(input_size) != 2
            or not all(_is_int(n) and n > 0 for n in input_size)
        ):
            raise ModelConfigError(f"input_size must be two positive whole numbers (rows, cols), not {input_size!r}.")
        return (int(input_size[0]), int(input_size[1]))
