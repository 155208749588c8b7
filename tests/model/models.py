"""Small random U-Nets and images for model tests: tiny (width 4, depth 2), CPU, milliseconds per run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from scipy import ndimage
from torch import nn

from napari_segreview.model import ModelConfig, build_unet, save_checkpoint

TINY = {"width": 4, "depth": 2}


def random_unet(config: ModelConfig, seed: int = 1) -> nn.Module:
    """A U-Net with random weights and random batch-norm statistics (fresh statistics are an identity, which
    makes every pixel the same class); eval mode."""
    torch.manual_seed(seed)
    net = build_unet(config)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.05, 0.2)
    return net.eval()


def save_random_checkpoint(path: Path, seed: int = 1, **config_fields) -> tuple[Path, ModelConfig]:
    config = ModelConfig(**{"classes": 3, **TINY, **config_fields})
    return save_checkpoint(path, random_unet(config, seed), config), config


def smooth_image(shape: tuple[int, ...], seed: int = 0, channels: int | None = None) -> np.ndarray:
    """Smooth random intensities around 50 (float32), with a trailing channel axis when ``channels``."""
    rng = np.random.default_rng(seed)
    full = (*shape, channels) if channels else shape
    sigma = (2.0,) * len(shape) + ((0.0,) if channels else ())
    return (ndimage.gaussian_filter(rng.normal(size=full), sigma) * 200 + 50).astype(np.float32)
