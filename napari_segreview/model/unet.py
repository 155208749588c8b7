"""The 2D U-Net of the seed article (Ronneberger et al. 2015, in the form of milesial/Pytorch-UNet).

Encoder: a double 3x3 convolution (each followed by batch norm and ReLU) per level, a 2x2 max-pool between
levels, the channel count doubling per level. Decoder: 2x upsampling (bilinear, or a 2x2 transposed
convolution), the encoder's map of the same level concatenated (the skip connection), then a double
convolution. A 1x1 convolution gives one logit per output channel.

Written for this project, not copied: the seed drops the bilinear variant's channel factor (its decoder then
expects 1024 input channels where 1536 arrive) and gives its transposed convolution half the input channels it
receives. Here the widths of every level follow from ``width``, ``depth`` and ``bilinear`` by one rule:

- level ``l`` has ``width * 2**l`` channels;
- transposed: the upsampling halves the deep map's channels, the concatenation restores them, the double
  convolution brings them to the level's width (the original U-Net);
- bilinear: upsampling keeps channels, so the bottleneck and each decoder level output half their level's
  width, and the concatenation of the upsampled map with the skip map again has the next level's width.

Inputs must have rows and columns divisible by ``2 ** depth`` (the inference engine pads to that); the output
has the input's rows and columns.
"""

from __future__ import annotations

import torch
from torch import nn


class DoubleConv(nn.Sequential):
    """(3x3 convolution, batch norm, ReLU) twice; keeps rows and columns. ``mid_channels`` defaults to out."""

    def __init__(self, in_channels: int, out_channels: int, mid_channels: int | None = None) -> None:
        mid_channels = mid_channels or out_channels
        super().__init__(
            # no convolution bias: the batch norm right after has its own shift
            nn.Conv2d(in_channels, mid_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(mid_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class Down(nn.Sequential):
    """Halve rows and columns (2x2 max-pool), then a double convolution."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))


class Up(nn.Module):
    """Double the deeper map's rows and columns, concatenate the skip map, then a double convolution.

    ``in_channels`` is the width after concatenation. Bilinear: the deep map and the skip map each carry half
    of it. Transposed: the deep map carries all of it and the transposed convolution halves it.
    """

    def __init__(self, in_channels: int, out_channels: int, bilinear: bool) -> None:
        super().__init__()
        if bilinear:
            self.up: nn.Module = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
            self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
        else:
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, deep: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat([skip, self.up(deep)], dim=1))


class UNet(nn.Module):
    """2D U-Net mapping (batch, in_channels, rows, cols) to (batch, classes, rows, cols) logits.

    in_channels: 1 (grey) or 3 (RGB); classes: output channels (1 = one foreground class read through a
    sigmoid, 2 or more = classes including background read through a softmax); width: channels of the first
    level (the seed uses 64), doubling per level; depth: number of 2x downsamplings (the seed uses 4);
    bilinear: upsample bilinearly (True, the seed's default) or with transposed convolutions (False).
    """

    def __init__(
        self, in_channels: int = 1, classes: int = 2, width: int = 64, depth: int = 4, bilinear: bool = True
    ) -> None:
        super().__init__()
        if min(in_channels, classes, width, depth) < 1:
            raise ValueError("A U-Net needs positive in_channels, classes, width and depth.")
        factor = 2 if bilinear else 1
        widths = [width * 2**level for level in range(depth + 1)]
        self.inc = DoubleConv(in_channels, widths[0])
        self.downs = nn.ModuleList(
            Down(widths[level - 1], widths[level] // (factor if level == depth else 1)) for level in range(1, depth + 1)
        )
        self.ups = nn.ModuleList(
            Up(widths[level + 1], widths[level] // factor if level > 0 else widths[0], bilinear)
            for level in reversed(range(depth))
        )
        self.outc = nn.Conv2d(widths[0], classes, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up in self.ups:
            x = up(x, skips.pop())
        return self.outc(x)
