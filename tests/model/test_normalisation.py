"""Normalisation statistics: whole image, per channel, chunked, non-finite voxels left out."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.model import normalisation
from napari_segreview.model.normalisation import intensity_transform


def test_zscore_uses_whole_volume_statistics_even_in_chunks(monkeypatch):
    volume = np.random.default_rng(0).normal(300, 40, size=(9, 16, 12)).astype(np.float32)
    monkeypatch.setattr(normalisation, "CHUNK_VOXELS", 100)  # many blocks of a few rows
    transform = intensity_transform(volume, {"kind": "zscore"})
    assert transform.offset[0] == pytest.approx(volume.mean(dtype=np.float64), rel=1e-6)
    assert 1 / transform.scale[0] == pytest.approx(volume.std(dtype=np.float64), rel=1e-6)


def test_rgb_statistics_are_per_channel_after_clipping():
    image = np.random.default_rng(1).integers(0, 256, size=(20, 30, 3)).astype(np.uint8)
    transform = intensity_transform(image, {"kind": "minmax", "clip": [10.0, 200.0]}, channel_last=True)
    clipped = np.clip(image.reshape(-1, 3).astype(float), 10, 200)
    np.testing.assert_allclose(transform.offset, clipped.min(axis=0))
    np.testing.assert_allclose(1 / transform.scale, clipped.max(axis=0) - clipped.min(axis=0), rtol=1e-6)


def test_non_finite_voxels_do_not_poison_the_statistics():
    image = np.arange(12, dtype=np.float32).reshape(3, 4)
    image[0, 0], image[2, 3] = np.nan, np.inf
    transform = intensity_transform(image, {"kind": "zscore"})
    finite = image[np.isfinite(image)]
    assert transform.offset[0] == pytest.approx(finite.mean())
    assert 1 / transform.scale[0] == pytest.approx(finite.std())


def test_constant_image_and_fixed_values():
    assert intensity_transform(np.full((4, 4), 7.0), {"kind": "zscore"}).scale[0] == 1.0  # no division by zero
    fixed = intensity_transform(np.zeros((2, 2)), {"kind": "fixed", "mean": [40.0], "std": [400.0]})
    assert fixed.offset[0] == 40.0 and fixed.scale[0] == pytest.approx(1 / 400)
