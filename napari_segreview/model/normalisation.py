"""Intensity normalisation from a model config: per-channel statistics of the whole image, in one pass.

Pure numpy. The statistics are taken over every slice of a volume (not per slice or per batch), so a slice's
prediction does not depend on the batch it is computed in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ModelInputError

# voxels per statistics chunk: bounds the float64 temporaries for CT-sized volumes
CHUNK_VOXELS = 1 << 22


@dataclass(frozen=True)
class IntensityTransform:
    """``(clip(x, *clip) - offset) * scale`` per channel; offset and scale have one entry per channel."""

    offset: np.ndarray
    scale: np.ndarray
    clip: tuple[float, float] | None = None


def _chunks(image: np.ndarray, channels: int, channel_last: bool) -> Iterator[np.ndarray]:
    """(voxels, channels) float64 blocks of ``image``, walking its first axis so no whole-image copy is made."""
    per_row = max(1, image[0].size if image.ndim > 1 else 1)
    step = max(1, CHUNK_VOXELS // per_row)
    for start in range(0, image.shape[0], step):
        block = np.asarray(image[start : start + step], dtype=np.float64)
        yield block.reshape(-1, channels) if channel_last else block.reshape(-1, 1)


def _mean_std(blocks: Iterator[np.ndarray], channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and population std per channel over finite values, merging blocks with Chan et al.'s formula."""
    count, mean, m2 = np.zeros(channels), np.zeros(channels), np.zeros(channels)
    for block in blocks:
        finite = np.isfinite(block)
        n = finite.sum(axis=0)
        safe_n = np.maximum(n, 1)
        values = np.where(finite, block, 0.0)
        block_mean = values.sum(axis=0) / safe_n
        block_m2 = (np.where(finite, block - block_mean, 0.0) ** 2).sum(axis=0)
        total = count + n
        delta = block_mean - mean
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(total > 0, mean + delta * n / np.maximum(total, 1), mean)
            m2 = m2 + block_m2 + delta**2 * count * n / np.maximum(total, 1)
        count = total
    std = np.sqrt(m2 / np.maximum(count, 1))
    return mean, std


def _min_max(blocks: Iterator[np.ndarray], channels: int) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.full(channels, np.inf), np.full(channels, -np.inf)
    for block in blocks:
        finite = np.isfinite(block)
        low = np.minimum(low, np.where(finite, block, np.inf).min(axis=0))
        high = np.maximum(high, np.where(finite, block, -np.inf).max(axis=0))
    empty = ~np.isfinite(low)
    return np.where(empty, 0.0, low), np.where(empty, 1.0, high)


# the normalisation sums squares of intensities in float64: beyond this magnitude they could overflow
LARGEST_INTENSITY = 1e100


def intensity_problem(image: np.ndarray, image_name: str = "the image") -> str | None:
    """One sentence when ``image`` holds finite intensities beyond LARGEST_INTENSITY (non-finite ones the
    normalisation leaves out), else None. Looks at a slice at a time: no copy of a whole volume."""
    if not np.issubdtype(image.dtype, np.floating):
        return None
    largest = 0.0
    for block in image if image.ndim >= 3 else (image,):
        largest = max(largest, float(np.abs(block[np.isfinite(block)]).max(initial=0.0)))
    if largest > LARGEST_INTENSITY:
        return (
            f"{image_name} holds intensities up to {largest:.3g}; beyond {LARGEST_INTENSITY:g} they cannot be "
            "normalised without overflow, so rescale the image."
        )
    return None


def intensity_transform(
    image: np.ndarray, normalisation: Mapping[str, Any], *, channel_last: bool = False
) -> IntensityTransform:
    """The transform ``normalisation`` (a validated ``ModelConfig.normalisation``) prescribes for ``image``.

    image: 2D or 3D array of intensities, with a trailing channel axis when ``channel_last`` (RGB); non-finite
    voxels are left out of the statistics. A constant image gets scale 1 rather than a division by zero.
    """
    problem = intensity_problem(image)
    if problem is not None:
        raise ModelInputError(problem[0].upper() + problem[1:])
    channels = image.shape[-1] if channel_last else 1
    clip = tuple(normalisation["clip"]) if "clip" in normalisation else None

    def blocks() -> Iterator[np.ndarray]:
        for block in _chunks(image, channels, channel_last):
            yield np.clip(block, *clip) if clip is not None else block

    kind = normalisation["kind"]
    if kind == "zscore":
        offset, spread = _mean_std(blocks(), channels)
    elif kind == "minmax":
        offset, high = _min_max(blocks(), channels)
        spread = high - offset
    elif kind == "fixed":
        offset, spread = np.asarray(normalisation["mean"], float), np.asarray(normalisation["std"], float)
    else:
        offset, spread = np.zeros(channels), np.ones(channels)
    spread = np.where(spread > 0, spread, 1.0)
    return IntensityTransform(offset=offset.astype(np.float32), scale=(1.0 / spread).astype(np.float32), clip=clip)
