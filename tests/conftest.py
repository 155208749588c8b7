"""Shared fixtures."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def labels_volume() -> np.ndarray:
    """A 4-value volume whose voxels differ from their mirror images (a flip would show)."""
    rng = np.random.default_rng(0)
    return rng.integers(0, 4, size=(11, 13, 7)).astype(np.uint8)
