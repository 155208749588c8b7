"""ONNX export of a checkpoint: dynamic batch, rows and cols, the model config embedded as metadata.

The config goes into the ONNX metadata entry ``segreview_config`` as JSON (``ModelConfig.to_dict()``), where
``model.checkpoint.load_model`` reads it back, so the exported file loads in the inference engine on its own.
Rows and cols are dynamic; the network still needs multiples of ``2**depth``, which the engine pads to.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import torch

from ..io.files import write_atomically
from ..model.checkpoint import ONNX_CONFIG_KEY, load_model
from ..model.runners import TorchRunner

OPSET = 17


def export_onnx(checkpoint: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Write the network of ``checkpoint`` (our ``.pt``) to ``out`` as ONNX; returns the path.

    Raises CheckpointError (from ``load_model``) for a missing, unsafe or unfitting checkpoint and ImportError
    when the ``onnx`` package is missing."""
    import onnx

    loaded = load_model(checkpoint)
    if not isinstance(loaded.runner, TorchRunner) or loaded.source != "checkpoint":
        raise ValueError(f"{Path(checkpoint).name} is not a napari-segreview checkpoint (.pt).")
    module = loaded.runner.module.eval()
    config = loaded.config
    side = 2 * config.size_multiple
    example = torch.zeros(1, config.in_channels, side, side)

    def write(temporary: Path) -> None:
        with warnings.catch_warnings():
            # the TorchScript-based exporter (the dynamo one needs onnxscript) announces its deprecation
            warnings.simplefilter("ignore")
            torch.onnx.export(
                module,
                (example,),
                str(temporary),
                dynamo=False,
                input_names=["image"],
                output_names=["logits"],
                dynamic_axes={
                    "image": {0: "batch", 2: "rows", 3: "cols"},
                    "logits": {0: "batch", 2: "rows", 3: "cols"},
                },
                opset_version=OPSET,
            )
        graph = onnx.load(str(temporary))
        entry = graph.metadata_props.add()
        entry.key, entry.value = ONNX_CONFIG_KEY, json.dumps(config.to_dict())
        onnx.save(graph, str(temporary))

    return write_atomically(Path(out), write, suffix=".onnx")
