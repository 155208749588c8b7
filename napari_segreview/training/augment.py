"""Training batches: random patches of normalised slices and their random augmentation, in torch.

Every random draw comes from one ``torch.Generator``, so a seed fixes the whole sequence of batches.
Augmentations, each drawn per sample: horizontal and vertical flips; a quarter turn (rot90) only for square
patches (a turn changes a non-square shape); a small affine (rotation up to 10 degrees, scale 0.9-1.1, shift up
to 5%: bilinear for the image, nearest for the labels, edges repeated); optionally an elastic deformation
(:class:`ElasticOptions`, off by default); intensity scale and shift, Gaussian noise and a light Gaussian blur
(image only).

Elastic deformation (Simard et al. 2003, the seed article's "elastic deformation" suggestion): a displacement
field per sample, uniform noise in -1..1 per pixel and axis, smoothed by a Gaussian of ``sigma`` pixels and scaled
by ``alpha`` pixels, moves image and labels alike (``scipy.ndimage.map_coordinates``: linear interpolation for
the image, nearest for the labels so they stay labels, edges repeated). The field's typical displacement is
about ``0.16 * alpha / sigma`` pixels (the defaults: about 2 pixels, smooth over ~8).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from .datasets import Case
from .errors import TrainingError


@dataclass(frozen=True)
class ElasticOptions:
    """probability: share of samples deformed (0 = never, nothing drawn); alpha: displacement scale in pixels
    (0 = identity); sigma: smoothness of the field in pixels (Gaussian standard deviation)."""

    probability: float = 0.0
    alpha: float = 100.0
    sigma: float = 8.0

    def __post_init__(self) -> None:
        if not 0 <= self.probability <= 1:
            raise TrainingError(f"elastic probability must be from 0 to 1, not {self.probability}.")
        if not self.alpha >= 0:
            raise TrainingError(f"elastic alpha must be 0 or more, not {self.alpha}.")
        if not self.sigma > 0:
            raise TrainingError(f"elastic sigma must be positive, not {self.sigma}.")


def _uniform(generator: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator))


def _chance(generator: torch.Generator, probability: float) -> bool:
    return float(torch.rand((), generator=generator)) < probability


def patch_shape(cases: Sequence[Case], multiple: int, largest: int) -> tuple[int, int]:
    """Rows and cols of training patches: the largest slice rounded up to ``multiple``, at most ``largest``
    (rounded down to ``multiple``) per side."""
    rows = max(case.labels.shape[1] for case in cases)
    cols = max(case.labels.shape[2] for case in cases)
    cap = max(multiple, largest // multiple * multiple)
    return min(-(-rows // multiple) * multiple, cap), min(-(-cols // multiple) * multiple, cap)


def _fit(
    image: np.ndarray, labels: np.ndarray, shape: tuple[int, int], generator: torch.Generator | None
) -> tuple[np.ndarray, np.ndarray]:
    """Pad (edge values repeated, bottom/right like the inference engine) and crop (at a random place, or at the
    top left without a generator) one slice to ``shape``."""
    rows, cols = labels.shape
    pad_rows, pad_cols = max(0, shape[0] - rows), max(0, shape[1] - cols)
    if pad_rows or pad_cols:
        image = np.pad(image, ((0, 0), (0, pad_rows), (0, pad_cols)), mode="edge")
        labels = np.pad(labels, ((0, pad_rows), (0, pad_cols)), mode="edge")
    top = left = 0
    if generator is not None:
        top = int(torch.randint(labels.shape[0] - shape[0] + 1, (), generator=generator))
        left = int(torch.randint(labels.shape[1] - shape[1] + 1, (), generator=generator))
    window = (slice(top, top + shape[0]), slice(left, left + shape[1]))
    return image[(slice(None), *window)], labels[window]


def make_batch(
    cases: Sequence[Case],
    samples: Sequence[tuple[int, int]],
    shape: tuple[int, int],
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(batch, channels, rows, cols) float32 images and (batch, rows, cols) int64 labels of ``samples``
    ((case index, slice index) pairs), each padded/cropped at random to ``shape``."""
    images, labels = [], []
    for case_index, slice_index in samples:
        case = cases[case_index]
        image, label = _fit(case.normalised(slice_index), case.labels[slice_index], shape, generator)
        images.append(image)
        labels.append(label)
    return torch.from_numpy(np.stack(images)), torch.from_numpy(np.stack(labels).astype(np.int64))


def _affine(image: torch.Tensor, labels: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    angle = math.radians(_uniform(generator, -10, 10))
    scale = _uniform(generator, 0.9, 1.1)
    shift = (_uniform(generator, -0.05, 0.05), _uniform(generator, -0.05, 0.05))
    cos, sin = math.cos(angle) / scale, math.sin(angle) / scale
    theta = torch.tensor([[[cos, -sin, shift[0]], [sin, cos, shift[1]]]], dtype=torch.float32)
    grid = F.affine_grid(theta, [1, 1, *labels.shape], align_corners=False)
    warped = F.grid_sample(image[None], grid, mode="bilinear", padding_mode="border", align_corners=False)[0]
    warped_labels = F.grid_sample(
        labels[None, None].float(), grid, mode="nearest", padding_mode="border", align_corners=False
    )[0, 0]
    return warped, warped_labels.long()


def _blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    offsets = torch.arange(-2, 3, dtype=torch.float32)
    kernel = torch.exp(-(offsets**2) / (2 * sigma**2))
    kernel = kernel / kernel.sum()
    channels = image.shape[0]
    padded = F.pad(image[None], (2, 2, 2, 2), mode="replicate")
    rows = F.conv2d(padded, kernel.view(1, 1, 5, 1).repeat(channels, 1, 1, 1), groups=channels)
    return F.conv2d(rows, kernel.view(1, 1, 1, 5).repeat(channels, 1, 1, 1), groups=channels)[0]


def elastic_deform(
    image: torch.Tensor, labels: torch.Tensor, generator: torch.Generator, alpha: float, sigma: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """One sample (channels, rows, cols) and its labels (rows, cols) moved by one random smooth displacement
    field (see the module docstring); dtypes are kept, labels hold only values they held before."""
    rows, cols = labels.shape
    noise = (torch.rand((2, rows, cols), generator=generator, dtype=torch.float64) * 2 - 1).numpy()
    # the Gaussian filter is separable and runs on the whole field at once, axis by axis
    field = ndimage.gaussian_filter(noise, sigma=(0, sigma, sigma), mode="reflect") * alpha
    grid = np.mgrid[0:rows, 0:cols].astype(np.float64)
    coordinates = grid + field
    pixels = image.detach().cpu().numpy()
    warped = np.stack(
        [
            ndimage.map_coordinates(channel, coordinates, order=1, mode="nearest", output=np.float32)
            for channel in pixels
        ]
    )
    warped_labels = ndimage.map_coordinates(labels.cpu().numpy(), coordinates, order=0, mode="nearest")
    return torch.from_numpy(warped).to(image.dtype), torch.from_numpy(warped_labels).to(labels.dtype)


def augment(
    images: torch.Tensor,
    labels: torch.Tensor,
    generator: torch.Generator,
    elastic: ElasticOptions | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Randomly augmented copies of a batch (see the module docstring); shapes and dtypes are kept. Without
    ``elastic`` (or with its probability 0) the random draws are exactly those of a run before it existed."""
    deform = elastic is not None and elastic.probability > 0
    out_images, out_labels = [], []
    square = images.shape[-1] == images.shape[-2]
    for image, label in zip(images, labels, strict=True):
        if _chance(generator, 0.5):
            image, label = image.flip(-1), label.flip(-1)
        if _chance(generator, 0.5):
            image, label = image.flip(-2), label.flip(-2)
        if square:
            turns = int(torch.randint(4, (), generator=generator))
            image, label = image.rot90(turns, (-2, -1)), label.rot90(turns, (-2, -1))
        if _chance(generator, 0.5):
            image, label = _affine(image, label, generator)
        if deform and _chance(generator, elastic.probability):
            image, label = elastic_deform(image, label, generator, elastic.alpha, elastic.sigma)
        if _chance(generator, 0.5):
            image = image * _uniform(generator, 0.9, 1.1) + _uniform(generator, -0.1, 0.1)
        if _chance(generator, 0.3):
            noise = torch.randn(image.shape, generator=generator) * _uniform(generator, 0.0, 0.1)
            image = image + noise
        if _chance(generator, 0.2):
            image = _blur(image, _uniform(generator, 0.5, 1.0))
        out_images.append(image.contiguous())
        out_labels.append(label.contiguous())
    return torch.stack(out_images), torch.stack(out_labels)
