"""The U-Net's options: CBAM attention on the skip connections and deep-supervision heads.

Shapes, parameter counts from the CBAM paper's layout, and that inference sees only the full-resolution output."""

from __future__ import annotations

import pytest
import torch

from napari_segreview.model import ModelConfig, ModelConfigError, UNet
from napari_segreview.model.unet import CBAM


def _cbam_parameters(channels: int) -> int:
    """Shared MLP (two 1x1 convolutions with bias, hidden channels // 16, at least 1) + one 7x7 conv 2 -> 1."""
    hidden = max(1, channels // 16)
    return channels * hidden + hidden + hidden * channels + channels + 2 * 49 + 1


def test_cbam_keeps_the_shape_and_only_scales_features_down():
    torch.manual_seed(0)
    block = CBAM(12)
    features = torch.randn(2, 12, 9, 7)
    with torch.no_grad():
        out = block(features)
    assert out.shape == features.shape
    # out = features x channel weight x spatial weight, both in (0, 1)
    ratio = out / features
    assert float(ratio.min()) > 0 and float(ratio.max()) < 1


def test_cbam_channel_attention_sees_the_maximum_not_only_the_mean():
    """Two maps with the same mean but different peaks get different channel weights (avg + max pooling)."""
    block = CBAM(16)
    with torch.no_grad():  # a hidden unit that passes positive inputs, whatever the random initialisation
        block.mlp[0].weight.fill_(1 / 16)
        block.mlp[0].bias.zero_()
    flat = torch.rand(1, 16, 8, 8, generator=torch.Generator().manual_seed(1))
    peaked = flat - 1.0
    peaked[..., 0, 0] += 64.0  # the same mean per channel as ``flat``, a higher maximum
    assert torch.allclose(flat.mean((2, 3)), peaked.mean((2, 3)))
    with torch.no_grad():
        assert not torch.allclose(block.channel_weights(flat), block.channel_weights(peaked))


@pytest.mark.parametrize("bilinear", [True, False])
def test_cbam_sits_on_each_skip_connection(bilinear):
    width, depth = 16, 3
    plain = UNet(1, 3, width, depth, bilinear)
    attended = UNet(1, 3, width, depth, bilinear, attention="cbam")
    skip_channels = [width * 2**level for level in range(depth)]
    added = sum(p.numel() for p in attended.parameters()) - sum(p.numel() for p in plain.parameters())
    assert added == sum(_cbam_parameters(c) for c in skip_channels)
    batch = torch.randn(2, 1, 3 * 2**depth, 2 * 2**depth)
    with torch.inference_mode():
        assert attended.eval()(batch).shape == (2, 3, 3 * 2**depth, 2 * 2**depth)


@pytest.mark.parametrize("depth", [1, 3])
def test_deep_supervision_gives_one_output_per_decoder_stage_and_inference_only_the_full_one(depth):
    torch.manual_seed(0)
    net = UNet(1, 2, 4, depth, deep_supervision=True).eval()
    batch = torch.randn(2, 1, 2 * 2**depth, 3 * 2**depth)
    with torch.inference_mode():
        outputs = net.deep_outputs(batch)
        full = net(batch)
    rows, cols = batch.shape[-2:]
    # full resolution first, then each coarser decoder stage (the bottleneck has none)
    assert [tuple(o.shape) for o in outputs] == [(2, 2, rows // 2**s, cols // 2**s) for s in range(depth)]
    assert torch.equal(full, outputs[0])


def test_without_deep_supervision_the_network_has_no_heads_and_one_output():
    net = UNet(1, 2, 4, 2)
    assert not any("heads" in key for key in net.state_dict())
    assert len(net.deep_outputs(torch.randn(1, 1, 8, 8))) == 1
    heads = UNet(1, 2, 4, 2, deep_supervision=True).state_dict()
    assert {key for key in heads if key.startswith("heads.")} == {"heads.0.weight", "heads.0.bias"}  # the 1/2 stage


def test_an_unknown_attention_is_refused():
    with pytest.raises(ValueError, match="attention"):
        UNet(1, 2, 4, 2, attention="se")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"attention": "se"}, "attention must be none or cbam, not 'se'."),
        ({"deep_supervision": "yes"}, "deep_supervision must be true or false, not 'yes'."),
    ],
)
def test_invalid_option_fields_raise_one_sentence(fields, message):
    with pytest.raises(ModelConfigError, match="^" + message.replace("(", r"\(") + "$"):
        ModelConfig(**fields)


def test_options_left_off_stay_out_of_the_saved_config():
    """A model trained without the options saves the config older napari-segreview versions read."""
    assert "attention" not in ModelConfig().to_dict() and "deep_supervision" not in ModelConfig().to_dict()
    on = ModelConfig(attention="cbam", deep_supervision=True)
    assert on.to_dict()["attention"] == "cbam" and on.to_dict()["deep_supervision"] is True
    assert ModelConfig.from_dict(on.to_dict()) == on
