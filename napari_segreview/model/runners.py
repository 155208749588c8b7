"""How inference calls a network: a torch module (eager or TorchScript) or an ONNX Runtime session, behind one
small interface, together with the config that says how to feed it (:class:`LoadedModel`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from .config import ModelConfig


class ModelRunner(Protocol):
    """Maps a float32 batch (batch, channels, rows, cols) on :attr:`device` to logits (batch, classes, rows,
    cols) on :attr:`device`."""

    device: torch.device  # where input batches must be
    device_label: str  # where the network runs, for progress and messages
    channels_last: bool  # feed channels-last tensors (faster convolutions on CPU and CUDA)
    uses_torch_autocast: bool  # torch.autocast applies (eager torch modules), so a lower precision can be chosen

    def to(self, device: torch.device) -> None: ...

    def __call__(self, batch: torch.Tensor) -> torch.Tensor: ...


class TorchRunner:
    """An eager ``nn.Module`` or a TorchScript module, always in eval mode (batch norm uses its running
    statistics, so a slice's result does not depend on the others in its batch)."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module.eval()
        self.device = torch.device("cpu")
        self.device_label = "cpu"
        self.channels_last = False
        # autocast works at the operator level, so it lowers TorchScript modules too
        self.uses_torch_autocast = True

    def to(self, device: torch.device) -> None:
        self.module.to(device)
        self.device, self.device_label = device, str(device)
        # Channels-last convolutions are 1.1-1.4x faster on the CPU (oneDNN; benchmarks/run_inference.py) and suit
        # tensor cores on CUDA. TorchScript modules keep the memory layout their author compiled them for; MPS
        # supports the layout only partly.
        scripted = isinstance(self.module, torch.jit.ScriptModule)
        self.channels_last = device.type in ("cpu", "cuda") and not scripted
        if self.channels_last:
            self.module.to(memory_format=torch.channels_last)

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        return self.module(batch)


class OnnxRunner:
    """An ONNX Runtime session; tensors go through NumPy on the CPU, the session itself runs on CUDA when the
    CUDA execution provider is installed and a CUDA device is asked for."""

    def __init__(self, session: Any, path: str) -> None:
        self.session = session
        self.path = path
        self.device = torch.device("cpu")
        self.device_label = "cpu (ONNX Runtime)"
        self.channels_last = False
        self.uses_torch_autocast = False
        first_input = session.get_inputs()[0]
        self.input_name = first_input.name
        # a graph exported with a fixed batch dimension of 1 is fed one slice at a time
        self.one_at_a_time = first_input.shape[0] == 1

    def to(self, device: torch.device) -> None:
        import onnxruntime

        wanted = ["CUDAExecutionProvider"] if device.type == "cuda" else []
        providers = [p for p in wanted if p in onnxruntime.get_available_providers()] + ["CPUExecutionProvider"]
        if self.session.get_providers() != providers:
            self.session = onnxruntime.InferenceSession(self.path, providers=providers)
        on_cuda = self.session.get_providers()[0] == "CUDAExecutionProvider"
        self.device_label = f"{'cuda' if on_cuda else 'cpu'} (ONNX Runtime)"

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        array = np.ascontiguousarray(batch.detach().to("cpu", torch.float32).numpy())
        pieces = [array[i : i + 1] for i in range(len(array))] if self.one_at_a_time else [array]
        outputs = [self.session.run(None, {self.input_name: piece})[0] for piece in pieces]
        return torch.from_numpy(np.concatenate(outputs))


@dataclass
class LoadedModel:
    """A network ready for :func:`~napari_segreview.model.inference.run_inference`.

    name: shown to the user and used for the prediction layer (the file name without its suffix);
    config: how to feed it; runner: how to call it; source: "checkpoint", "torchscript", "onnx" or "module".
    """

    name: str
    config: ModelConfig
    runner: ModelRunner
    source: str = "module"

    @classmethod
    def from_module(cls, module: torch.nn.Module, config: ModelConfig, name: str = "model") -> LoadedModel:
        """Wrap a module already in memory (it is put in eval mode and moved to the inference device)."""
        return cls(name=name, config=config, runner=TorchRunner(module), source="module")
