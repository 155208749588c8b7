"""Checkpoints of U-Nets with CBAM attention or deep supervision: saved, restored, and old files unchanged."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch

from napari_segreview.model import CheckpointError, ModelConfig, load_model, predict, save_checkpoint
from napari_segreview.model.checkpoint import CHECKPOINT_FORMAT, build_unet

from .models import TINY, random_unet, save_random_checkpoint, smooth_image

OPTIONS = [{"attention": "cbam"}, {"deep_supervision": True}, {"attention": "cbam", "deep_supervision": True}]
DEMO = Path(str(resources.files("napari_segreview") / "data" / "demo_model" / "unet_mni_tissue.pt"))


@pytest.mark.parametrize("switches", OPTIONS, ids=["cbam", "deep supervision", "both"])
def test_save_and_load_restore_the_switches_and_give_identical_outputs(tmp_path, switches):
    path, config = save_random_checkpoint(tmp_path / "unet.pt", **switches)
    model = load_model(path)
    assert model.config == config
    for key, value in switches.items():
        assert getattr(model.config, key) == value
    batch = torch.from_numpy(np.random.default_rng(0).normal(size=(2, 1, 16, 12)).astype(np.float32))
    with torch.inference_mode():
        expected = random_unet(config)(batch)
        assert torch.equal(model.runner.module.eval()(batch), expected)
    labels = predict(model, smooth_image((20, 14))).labels  # the engine pads, runs and labels as usual
    assert labels.shape == (20, 14) and set(np.unique(labels).tolist()) <= {0, 1, 2}


def test_a_checkpoint_written_before_the_options_loads_with_them_off(tmp_path):
    """An old file's config has no attention / deep_supervision key: both mean off."""
    config = ModelConfig(classes=3, **TINY)
    old_config = {key: value for key, value in config.to_dict().items() if key not in ("attention", "deep_supervision")}
    net = random_unet(config)
    path = tmp_path / "old.pt"
    torch.save(
        {"format": CHECKPOINT_FORMAT, "format_version": 1, "config": old_config, "state_dict": net.state_dict()}, path
    )
    model = load_model(path)
    assert (model.config.attention, model.config.deep_supervision) == ("none", False)
    image = smooth_image((24, 20))
    batch = torch.from_numpy(np.random.default_rng(0).normal(size=(1, 1, 8, 8)).astype(np.float32))
    with torch.inference_mode():
        assert torch.equal(model.runner.module.eval()(batch), net(batch))
    assert predict(model, image).labels.shape == image.shape


def test_the_shipped_demo_model_still_loads_unchanged():
    if not DEMO.is_file():
        pytest.skip("the demo model is not trained yet")
    payload = torch.load(DEMO, map_location="cpu", weights_only=True)
    assert "attention" not in payload["config"] and "deep_supervision" not in payload["config"]
    model = load_model(DEMO)
    assert (model.config.attention, model.config.deep_supervision) == ("none", False)
    assert model.runner.module.state_dict().keys() == payload["state_dict"].keys()


def test_a_model_without_the_options_saves_only_the_config_keys_older_versions_know(tmp_path):
    path, _ = save_random_checkpoint(tmp_path / "unet.pt")
    payload = torch.load(path, weights_only=True)
    assert set(payload["config"]) == {
        "in_channels", "classes", "width", "depth", "bilinear", "normalisation", "class_names", "slice_axis",
        "input_size",
    }  # fmt: skip


def test_weights_without_attention_under_a_cbam_config_name_the_missing_weight(tmp_path):
    plain = ModelConfig(classes=3, **TINY)
    path = tmp_path / "m.pt"
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "format_version": 1,
            "config": {**plain.to_dict(), "attention": "cbam"},
            "state_dict": build_unet(plain).state_dict(),
        },
        path,
    )
    with pytest.raises(CheckpointError) as raised:
        load_model(path)
    message = str(raised.value)
    assert message.startswith("m.pt does not fit a bilinear U-Net of width 4 and depth 2 with CBAM attention")
    assert "weight ups.0.attention" in message and message.endswith("is missing.")


def test_save_refuses_deep_supervision_heads_under_a_config_without_them(tmp_path):
    with_heads = build_unet(ModelConfig(classes=3, deep_supervision=True, **TINY))
    with pytest.raises(CheckpointError, match="unexpected weight heads.0"):
        save_checkpoint(tmp_path / "m.pt", with_heads, ModelConfig(classes=3, **TINY))
