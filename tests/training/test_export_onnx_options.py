"""ONNX export of U-Nets with CBAM attention and deep supervision: one full-resolution output, torch's logits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from napari_segreview.model import load_model
from napari_segreview.training.export import export_onnx
from tests.model.models import save_random_checkpoint

onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.mark.parametrize("switches", [{"attention": "cbam"}, {"attention": "cbam", "deep_supervision": True}])
@pytest.mark.parametrize("shape", [(1, 1, 8, 8), (3, 1, 24, 40)])
def test_the_exported_graph_gives_only_the_full_resolution_logits_of_torch(tmp_path, switches, shape):
    path, config = save_random_checkpoint(tmp_path / "tiny.pt", **switches)
    out = export_onnx(path, tmp_path / "tiny.onnx")
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    assert len(session.get_outputs()) == 1
    batch = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    exported = session.run(None, {session.get_inputs()[0].name: batch})
    with torch.no_grad():
        expected = load_model(path).runner.module.eval()(torch.from_numpy(batch)).numpy()
    assert len(exported) == 1 and exported[0].shape == expected.shape == (shape[0], 3, *shape[2:])
    assert np.abs(exported[0] - expected).max() < 1e-4
    assert load_model(out).config == config
