"""The U-Net: any width/depth/upsampling builds a consistent network with the seed's architecture."""

from __future__ import annotations

import pytest
import torch

from napari_segreview.model import UNet


@pytest.mark.parametrize("bilinear", [True, False])
@pytest.mark.parametrize("in_channels, classes, width, depth", [(1, 1, 4, 1), (3, 2, 5, 2), (1, 4, 3, 3)])
def test_output_has_one_logit_map_per_class_at_input_size(bilinear, in_channels, classes, width, depth):
    net = UNet(in_channels, classes, width, depth, bilinear).eval()
    batch = torch.randn(2, in_channels, 3 * 2**depth, 2 * 2**depth)
    with torch.inference_mode():
        assert net(batch).shape == (2, classes, 3 * 2**depth, 2 * 2**depth)


def _double_conv(in_channels: int, out_channels: int, mid_channels: int | None = None) -> int:
    """Parameters of (3x3 conv without bias, batch norm, ReLU) x 2."""
    mid_channels = mid_channels or out_channels
    return 9 * in_channels * mid_channels + 2 * mid_channels + 9 * mid_channels * out_channels + 2 * out_channels


# The seed's channel table, width 64 and depth 4, one grey input and 3 classes. Bilinear as in
# milesial/Pytorch-UNet (bottleneck and decoder halved so the concatenations add up), transposed as in
# Ronneberger et al.
BILINEAR_TABLE = (
    _double_conv(1, 64) + _double_conv(64, 128) + _double_conv(128, 256) + _double_conv(256, 512)
    + _double_conv(512, 512) + _double_conv(1024, 256, 512) + _double_conv(512, 128, 256)
    + _double_conv(256, 64, 128) + _double_conv(128, 64, 64) + 64 * 3 + 3
)  # fmt: skip
TRANSPOSED_TABLE = (
    _double_conv(1, 64) + _double_conv(64, 128) + _double_conv(128, 256) + _double_conv(256, 512)
    + _double_conv(512, 1024)
    + sum(4 * c * (c // 2) + c // 2 + _double_conv(c, c // 2) for c in (1024, 512, 256, 128))
    + 64 * 3 + 3
)  # fmt: skip


@pytest.mark.parametrize("bilinear, parameters", [(True, BILINEAR_TABLE), (False, TRANSPOSED_TABLE)])
def test_seed_configuration_follows_the_reference_channel_table(bilinear, parameters):
    with torch.device("meta"):  # shapes only, no 31 M random weights to draw
        net = UNet(1, 3, 64, 4, bilinear)
    assert sum(p.numel() for p in net.parameters()) == parameters


def test_invalid_sizes_are_refused():
    with pytest.raises(ValueError, match="positive"):
        UNet(1, 2, 0, 4)
