"""Model files: our checkpoint format (weights + config, loaded without running code), TorchScript and ONNX.

Our ``.pt`` checkpoint is ``torch.save`` of a plain dict::

    {"format": "napari-segreview.unet", "format_version": 1, "config": ModelConfig.to_dict(), "state_dict": {...}}

and is read only with ``torch.load(..., weights_only=True)``: tensors and plain values load, anything that would
make the unpickler call Python code is refused before it runs. A TorchScript file runs the program it contains
(PyTorch treats it like executable code), so it is loaded only from a file named ``.ts``/``.torchscript``, never
from a ``.pt``; an ONNX file is a graph of standard operators run by onnxruntime. Both carry their config as an
embedded JSON text (the TorchScript extra file ``segreview_config.json``, the ONNX metadata entry
``segreview_config``) or in a JSON file beside them with the same name (``model.onnx`` -> ``model.json``).
"""

from __future__ import annotations

import io
import json
import os
import pickle
import pickletools
import re
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from ..io.files import write_atomically
from .config import ModelConfig
from .errors import CheckpointError, ModelConfigError
from .runners import LoadedModel, OnnxRunner, TorchRunner
from .unet import UNet

CHECKPOINT_FORMAT = "napari-segreview.unet"
FORMAT_VERSION = 1
TORCHSCRIPT_CONFIG_FILE = "segreview_config.json"
ONNX_CONFIG_KEY = "segreview_config"
MODEL_SUFFIXES = (".pt", ".pth", ".ckpt", ".ts", ".torchscript", ".onnx")
# torch's weights-only unpickler says one of these when a file asks for a callable or class it does not allow
REFUSAL_SIGNS = ("GLOBAL", "reduce for unrecognized function", "Can only create new object")
# torch.save's legacy (non-zip) format opens with a pickle of this magic number; any other pickle stream is a
# plain pickle.dump, which torch's loader would only misread (with a warning about its protocol)
TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
# key prefixes that wrappers add to a state dict: DataParallel, torch.compile
WRAPPER_PREFIXES = ("module.", "_orig_mod.")


def build_unet(config: ModelConfig) -> UNet:
    """An untrained U-Net with the architecture ``config`` describes."""
    return UNet(
        config.in_channels,
        config.classes,
        config.width,
        config.depth,
        config.bilinear,
        attention=config.attention,
        deep_supervision=config.deep_supervision,
    )


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(error).__name__


def _shape(tensor: torch.Tensor) -> str:
    return "(" + ", ".join(str(n) for n in tensor.shape) + ")"


def _architecture(config: ModelConfig) -> str:
    upsampling = "bilinear" if config.bilinear else "transposed-convolution"
    options = [
        name
        for name, on in (("CBAM attention", config.attention == "cbam"), ("deep supervision", config.deep_supervision))
        if on
    ]
    return f"a {upsampling} U-Net of width {config.width} and depth {config.depth}" + (
        " with " + " and ".join(options) if options else ""
    )


def check_state_dict_fits(state_dict: Mapping[str, torch.Tensor], config: ModelConfig, name: str) -> None:
    """Raise CheckpointError naming the first difference between ``state_dict`` and the U-Net ``config`` builds.

    Input channels and classes are named as such ("model.pt's weights take 3 input channels but its config
    says 1"); other differences name the weight and both shapes.
    """
    expected = build_unet(config).state_dict()
    first_conv, last_conv = expected["inc.0.weight"], expected["outc.weight"]
    if "inc.0.weight" in state_dict and state_dict["inc.0.weight"].shape[1] != first_conv.shape[1]:
        found = state_dict["inc.0.weight"].shape[1]
        raise CheckpointError(
            f"{name}'s weights take {found} input channel(s) but its config says {config.in_channels}."
        )
    if "outc.weight" in state_dict and state_dict["outc.weight"].shape[0] != last_conv.shape[0]:
        found = state_dict["outc.weight"].shape[0]
        raise CheckpointError(f"{name}'s weights give {found} output channel(s) but its config says {config.classes}.")
    missing = [key for key in expected if key not in state_dict]
    unexpected = [key for key in state_dict if key not in expected]
    if missing or unexpected:
        problem = f"weight {missing[0]} is missing" if missing else f"it has an unexpected weight {unexpected[0]}"
        raise CheckpointError(f"{name} does not fit {_architecture(config)} of its config: {problem}.")
    for key, tensor in expected.items():
        if tuple(state_dict[key].shape) != tuple(tensor.shape):
            raise CheckpointError(
                f"{name} does not fit {_architecture(config)} of its config: weight {key} has shape "
                f"{_shape(state_dict[key])} where {_shape(tensor)} is expected."
            )


def save_checkpoint(path: str | os.PathLike, model: torch.nn.Module, config: ModelConfig) -> Path:
    """Write ``model``'s weights and ``config`` to ``path`` in our checkpoint format; returns the path.

    The weights must fit ``config`` (checked before writing). The file is written beside its destination and
    moved into place, so a failed write leaves an existing file intact.
    """
    path = Path(path)
    state_dict = {key: tensor.detach().cpu() for key, tensor in model.state_dict().items()}
    check_state_dict_fits(state_dict, config, "the model")
    payload = {
        "format": CHECKPOINT_FORMAT,
        "format_version": FORMAT_VERSION,
        "config": config.to_dict(),
        "state_dict": state_dict,
    }
    return write_atomically(path, lambda temporary: temporary.write_bytes(torch_bytes(payload)), suffix=path.suffix)


def torch_bytes(payload: Any) -> bytes:
    """``torch.save`` of ``payload`` as bytes. Saved to a file, torch names the archive's inner folder after the
    file, so the same weights written via two temporary names differed; saved to memory they do not."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def _config_from(data: Any, name: str) -> ModelConfig:
    try:
        return ModelConfig.from_dict(data)
    except (ModelConfigError, TypeError) as error:
        raise CheckpointError(f"{name} has an invalid config: {_first_line(error)}.") from None


def _sidecar_config(path: Path) -> ModelConfig | None:
    sidecar = path.with_suffix(".json")
    if not sidecar.is_file():
        return None
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CheckpointError(f"Cannot read {sidecar.name} as a JSON model config: {_first_line(error)}.") from None
    return _config_from(data, sidecar.name)


def _embedded_or_sidecar(text: str | bytes | None, path: Path, config: ModelConfig | None) -> ModelConfig:
    """``config`` if given, else the embedded JSON text, else the sidecar file, else a CheckpointError."""
    if config is not None:
        return config
    if text:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise CheckpointError(f"{path.name} has an unreadable embedded config: {_first_line(error)}.") from None
        return _config_from(data, path.name)
    found = _sidecar_config(path)
    if found is None:
        raise CheckpointError(
            f"{path.name} carries no segreview config; put one (ModelConfig.to_dict() as JSON) in "
            f"{path.with_suffix('.json').name} beside it."
        )
    return found


# TorchScript is loaded only from files named so: the suffix is the user's statement that the program is trusted
TORCHSCRIPT_SUFFIXES = (".ts", ".torchscript")


def _is_torchscript(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.endswith("/constants.pkl") for name in archive.namelist())


def _refusal(error: BaseException, name: str) -> CheckpointError:
    """One sentence for torch.load's weights-only refusal, naming the callable the file wanted to run."""
    called = re.search(r"GLOBAL ([\w.]+)", str(error))
    what = f" ({called.group(1)})" if called else ""
    return CheckpointError(
        f"{name} was refused: loading it would run Python code{what}; a checkpoint must hold only weights "
        "and plain values."
    )


def _strip_wrapper_prefix(state_dict: Mapping[str, Any]) -> dict[str, Any]:
    for prefix in WRAPPER_PREFIXES:
        if state_dict and all(str(key).startswith(prefix) for key in state_dict):
            return {key[len(prefix) :]: value for key, value in state_dict.items()}
    return dict(state_dict)


def _is_plain_pickle(path: Path) -> bool:
    """A pickle stream (protocol 2 or later) that torch.save did not write (not its legacy format). Only the
    first opcodes are parsed (pickletools runs nothing); a zip archive is no pickle stream."""
    with path.open("rb") as file:
        if file.read(1) != pickle.PROTO:
            return False
        file.seek(0)
        try:
            for opcode, argument, _position in pickletools.genops(file):
                if opcode.name not in ("PROTO", "FRAME"):
                    return not (opcode.name == "LONG1" and argument == TORCH_LEGACY_MAGIC)
        except ValueError:  # not a pickle after all: torch may know it, or call it damaged
            return False
    return False


def _load_checkpoint(path: Path, config: ModelConfig | None) -> LoadedModel:
    unreadable = CheckpointError(
        f"Cannot read {path.name} as a PyTorch checkpoint: the file is damaged or in another format."
    )
    if not zipfile.is_zipfile(path) and _is_plain_pickle(path):
        raise CheckpointError(
            f"{path.name} is a plain Python pickle, not a napari-segreview checkpoint; it is not loaded, because "
            "unpickling a file can run code (save models with save_checkpoint() or torch.save)."
        )
    try:
        with warnings.catch_warnings():
            # torch's warnings about a file's pickle protocol mean nothing to a user; its refusals are reworded
            warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        # torch's own message would suggest weights_only=False, which is exactly what must not be done
        raise (_refusal(error, path.name) if any(s in str(error) for s in REFUSAL_SIGNS) else unreadable) from None
    except Exception:  # truncated zip, garbage bytes: torch raises RuntimeError, KeyError, EOFError ...
        raise unreadable from None

    if isinstance(payload, Mapping) and payload.get("format") == CHECKPOINT_FORMAT:
        version = payload.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise CheckpointError(
                f"{path.name} has checkpoint format version {version!r}; this napari-segreview reads up to "
                f"{FORMAT_VERSION}, update it."
            )
        config = config or _config_from(payload.get("config"), path.name)
        state_dict = payload.get("state_dict")
    else:
        # a bare state dict, or a training script's {"state_dict": ...}: usable only with a config from elsewhere
        state_dict = payload
        if isinstance(payload, Mapping):
            state_dict = payload.get("state_dict", payload.get("model_state_dict", payload))
        config = config or _sidecar_config(path)
        if config is None:
            raise CheckpointError(
                f"{path.name} is not a napari-segreview checkpoint (no config inside); save it with "
                "save_checkpoint() or put its config in " + path.with_suffix(".json").name + " beside it."
            )
    if not isinstance(state_dict, Mapping) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise CheckpointError(f"{path.name} holds no state dict of tensors.")
    state_dict = _strip_wrapper_prefix(state_dict)
    check_state_dict_fits(state_dict, config, path.name)
    module = build_unet(config)
    module.load_state_dict(state_dict)
    return LoadedModel(name=_model_name(path), config=config, runner=TorchRunner(module), source="checkpoint")


def _load_torchscript(path: Path, config: ModelConfig | None) -> LoadedModel:
    extra_files = {TORCHSCRIPT_CONFIG_FILE: ""}
    try:
        module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra_files)
    except Exception as error:
        raise CheckpointError(f"Cannot read {path.name} as TorchScript: {_first_line(error)}.") from None
    config = _embedded_or_sidecar(extra_files[TORCHSCRIPT_CONFIG_FILE], path, config)
    return LoadedModel(name=_model_name(path), config=config, runner=TorchRunner(module), source="torchscript")


def _load_onnx(path: Path, config: ModelConfig | None) -> LoadedModel:
    try:
        import onnxruntime
    except ImportError:
        raise CheckpointError(
            f"{path.name} is an ONNX model and running it needs onnxruntime, which is not installed "
            "(pip install onnxruntime)."
        ) from None
    try:
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as error:
        raise CheckpointError(f"Cannot read {path.name} as an ONNX model: {_first_line(error)}.") from None
    embedded = session.get_modelmeta().custom_metadata_map.get(ONNX_CONFIG_KEY)
    config = _embedded_or_sidecar(embedded, path, config)
    shape = session.get_inputs()[0].shape
    if len(shape) != 4:
        raise CheckpointError(f"{path.name} takes {len(shape)}D input; a 2D segmentation model takes 4D batches.")
    channels, rows, cols = shape[1:]
    if isinstance(channels, int) and channels != config.in_channels:
        raise CheckpointError(
            f"{path.name} takes {channels} input channel(s) but its config says {config.in_channels}."
        )
    if isinstance(rows, int) and isinstance(cols, int) and config.input_size != (rows, cols):
        # the graph only takes one slice size, so the slices must be resized to it
        config = replace(config, input_size=(rows, cols))
    return LoadedModel(name=_model_name(path), config=config, runner=OnnxRunner(session, str(path)), source="onnx")


def _model_name(path: Path) -> str:
    return path.name[: -len(path.suffix)] if path.suffix else path.name


def load_model(path: str | os.PathLike, *, config: ModelConfig | None = None) -> LoadedModel:
    """Load a model file on the CPU: our checkpoint, a TorchScript file or (with onnxruntime) an ONNX file.

    ``config`` overrides the one the file carries (or supplies it for a bare state dict / foreign model).
    Raises CheckpointError with one sentence when the file is missing, unsafe, damaged, carries no usable
    config or does not fit it.
    """
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a model file.")
    if not path.is_file():
        raise CheckpointError(f"{path.name} does not exist.")
    if path.suffix.lower() == ".onnx":
        return _load_onnx(path, config)
    if path.suffix.lower() in TORCHSCRIPT_SUFFIXES:
        return _load_torchscript(path, config)
    if _is_torchscript(path):
        # TorchScript runs the program inside the file (PyTorch treats it like executable code), so it is only
        # loaded when the name says so; a .pt must be a weights-only checkpoint
        raise CheckpointError(
            f"{path.name} is a TorchScript program, which runs code from the file; if you trust it, name it "
            f"{path.stem}.ts to load it as TorchScript."
        )
    return _load_checkpoint(path, config)
