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

Two options of the seed article's "tuning" section, both off by default (then the network, its weights' names and
its output are exactly the plain U-Net's):

- ``attention="cbam"``: a CBAM block (Woo et al. 2018) reweights each encoder skip map before the concatenation:
  channel attention from a shared two-layer MLP over the map's average- and max-pooled channels (the seed's block
  pools only the average), then spatial attention from a 7x7 convolution over the channel-wise mean and maximum.
  The MLP's hidden width is ``channels // 16``, at least 1 (the seed's ``channels // 16`` is 0 for narrow levels).
- ``deep_supervision=True``: a 1x1 convolution head per decoder stage coarser than full resolution gives logits
  there too; :meth:`UNet.deep_outputs` returns them for the training loss. ``forward`` (inference, TorchScript,
  ONNX export) returns only the full-resolution logits, so the heads change nothing a user of the model sees.
"""

from __future__ import annotations

import torch
from torch import nn

from .config import ATTENTION_KINDS

CBAM_REDUCTION = 16  # channel MLP's squeeze ratio, as in the CBAM paper
CBAM_KERNEL = 7  # spatial attention's convolution size, as in the CBAM paper


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


class CBAM(nn.Module):
    """Convolutional block attention: ``x * channel weights``, then ``* spatial weights``, both in (0, 1).

    Channel weights: ``sigmoid(mlp(mean over pixels) + mlp(max over pixels))``, one per channel, the MLP (two 1x1
    convolutions with a ReLU between) shared by both poolings. Spatial weights: ``sigmoid(conv7x7([mean over
    channels, max over channels]))``, one per pixel. Keeps the input's shape.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        hidden = max(1, channels // CBAM_REDUCTION)
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, kernel_size=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, kernel_size=1),
        )
        self.spatial = nn.Conv2d(2, 1, kernel_size=CBAM_KERNEL, padding=CBAM_KERNEL // 2)

    def channel_weights(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, channels, 1, 1) weights in (0, 1)."""
        return torch.sigmoid(self.mlp(x.mean(dim=(2, 3), keepdim=True)) + self.mlp(x.amax(dim=(2, 3), keepdim=True)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x * self.channel_weights(x)
        pooled = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.spatial(pooled))


class Up(nn.Module):
    """Double the deeper map's rows and columns, concatenate the skip map, then a double convolution.

    ``in_channels`` is the width after concatenation. Bilinear: the deep map and the skip map each carry half
    of it. Transposed: the deep map carries all of it and the transposed convolution halves it. With
    ``attention`` a CBAM block reweights the skip map first (no block and no weights otherwise).
    """

    def __init__(self, in_channels: int, out_channels: int, bilinear: bool, attention: bool = False) -> None:
        super().__init__()
        # the skip map carries half the concatenation's channels in both upsampling kinds
        self.attention: nn.Module = CBAM(in_channels // 2) if attention else nn.Identity()
        if bilinear:
            self.up: nn.Module = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
            self.conv = DoubleConv(in_channels, out_channels, in_channels // 2)
        else:
            self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
            self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, deep: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat([self.attention(skip), self.up(deep)], dim=1))


class UNet(nn.Module):
    """2D U-Net mapping (batch, in_channels, rows, cols) to (batch, classes, rows, cols) logits.

    in_channels: 1 (grey) or 3 (RGB); classes: output channels (1 = one foreground class read through a
    sigmoid, 2 or more = classes including background read through a softmax); width: channels of the first
    level (the seed uses 64), doubling per level; depth: number of 2x downsamplings (the seed uses 4);
    bilinear: upsample bilinearly (True, the seed's default) or with transposed convolutions (False);
    attention: "none" or "cbam" (on the skip connections); deep_supervision: add 1x1 heads at the coarser
    decoder stages (see the module docstring).
    """

    def __init__(
        self,
        in_channels: int = 1,
        classes: int = 2,
        width: int = 64,
        depth: int = 4,
        bilinear: bool = True,
        attention: str = "none",
        deep_supervision: bool = False,
    ) -> None:
        super().__init__()
        if min(in_channels, classes, width, depth) < 1:
            raise ValueError("A U-Net needs positive in_channels, classes, width and depth.")
        if attention not in ATTENTION_KINDS:
            raise ValueError(f"A U-Net's attention is one of {', '.join(ATTENTION_KINDS)}, not {attention!r}.")
        factor = 2 if bilinear else 1
        widths = [width * 2**level for level in range(depth + 1)]
        self.inc = DoubleConv(in_channels, widths[0])
        self.downs = nn.ModuleList(
            Down(widths[level - 1], widths[level] // (factor if level == depth else 1)) for level in range(1, depth + 1)
        )
        self.ups = nn.ModuleList(
            Up(widths[level + 1], widths[level] // factor if level > 0 else widths[0], bilinear, attention == "cbam")
            for level in reversed(range(depth))
        )
        self.outc = nn.Conv2d(widths[0], classes, kernel_size=1)
        # one head per decoder stage but the last (full resolution, outc), finest first; none when off, so the
        # weights of a plain U-Net keep their names
        self.heads = (
            nn.ModuleList(nn.Conv2d(widths[level] // factor, classes, kernel_size=1) for level in range(1, depth))
            if deep_supervision
            else None
        )

    def _decoder_stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Every decoder stage's output, coarsest first (the last one is at full resolution)."""
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        stages = []
        for up in self.ups:
            x = up(x, skips.pop())
            stages.append(x)
        return stages

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.outc(self._decoder_stages(x)[-1])

    def deep_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Logits at full resolution, then at 1/2, 1/4, ... (one per coarser decoder stage with deep
        supervision; only the full-resolution logits without it). For training losses."""
        stages = self._decoder_stages(x)
        outputs = [self.outc(stages[-1])]
        if self.heads is not None:
            # stages[-2] is at 1/2, the finest coarse stage, which heads[0] serves
            outputs += [head(stage) for head, stage in zip(self.heads, reversed(stages[:-1]), strict=True)]
        return outputs
