"""A dataset report of the twenty shared synthetic cases (two failing, one with an empty prediction)."""

from __future__ import annotations

import pytest

from napari_segreview.cli import main
from tests.dataset.cases import write_dataset


@pytest.fixture
def evaluated(tmp_path):
    """(report.json, gt folder, prediction folder) of a fresh twenty-case run."""
    gt_dir, pred_dir = write_dataset(tmp_path / "data")
    out = tmp_path / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 1  # two cases fail
    return out, gt_dir, pred_dir
