"""ONNX export: onnxruntime gives torch's logits (max abs diff < 1e-4) for any batch and slice size, and the
file loads in the inference engine with its embedded config."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from napari_segreview.model import load_model, predict
from napari_segreview.training.export import export_onnx
from tests.model.models import save_random_checkpoint, smooth_image

onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


@pytest.fixture
def checkpoint(tmp_path):
    return save_random_checkpoint(tmp_path / "tiny.pt", class_names={1: "grey", 2: "white"}, slice_axis=1)


@pytest.mark.parametrize("shape", [(1, 1, 8, 8), (3, 1, 24, 40)])
def test_onnxruntime_matches_torch_for_any_batch_and_slice_size(checkpoint, tmp_path, shape):
    path, _ = checkpoint
    out = export_onnx(path, tmp_path / "tiny.onnx")
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    batch = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    exported = session.run(None, {session.get_inputs()[0].name: batch})[0]
    with torch.no_grad():
        expected = load_model(path).runner.module.eval()(torch.from_numpy(batch)).numpy()
    assert exported.shape == expected.shape
    assert np.abs(exported - expected).max() < 1e-4


def test_the_exported_file_carries_its_config_and_predicts_like_the_checkpoint(checkpoint, tmp_path):
    path, config = checkpoint
    out = export_onnx(path, tmp_path / "tiny.onnx")
    exported = load_model(out)
    assert exported.source == "onnx" and exported.config == config
    volume = smooth_image((6, 12, 10))
    np.testing.assert_array_equal(
        predict(exported, volume, axis=1).labels, predict(load_model(path), volume, axis=1).labels
    )
