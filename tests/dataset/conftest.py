"""A fresh twenty-case dataset per test (writing it takes a few milliseconds)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.dataset.cases import write_dataset


@pytest.fixture
def dataset(tmp_path):
    return write_dataset(tmp_path / "data")


@pytest.fixture
def many_label_folders(tmp_path):
    """Two cases of 12 labels each (blocks side by side), predictions shifted a voxel."""
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir(), pred_dir.mkdir()
    gt = np.zeros((8, 12, 36), np.uint8)
    for label in range(1, 13):
        gt[2:6, 3:9, 3 * (label - 1) : 3 * label - 1] = label
    for name in ("a.npy", "b.npy"):
        np.save(gt_dir / name, gt)
        np.save(pred_dir / name, np.roll(gt, 1, axis=1))
    return gt_dir, pred_dir
