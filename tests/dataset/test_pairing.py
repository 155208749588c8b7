"""Pairing two folders by case name."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.dataset import case_name, pair_folders
from tests.dataset.cases import N_CASES


@pytest.mark.parametrize(
    "file_name, expected",
    [
        ("liver_001.nii.gz", "liver_001"),
        ("liver_001.NII.GZ", "liver_001"),
        ("liver_001.nii", "liver_001"),
        ("a.b.npy", "a.b"),
        ("ISIC_0001.png", "ISIC_0001"),
        ("notes.txt", None),
        (".nii.gz", None),
    ],
)
def test_case_name_drops_the_mask_suffix(file_name, expected):
    assert case_name(file_name) == expected


def test_files_pair_by_case_name_and_the_rest_is_listed(dataset):
    gt_dir, pred_dir = dataset
    pairing = pair_folders(gt_dir, pred_dir)
    assert [case.case for case in pairing.cases] == [f"case_{i:02d}.nii.gz" for i in range(N_CASES)]
    assert all(case.gt.parent == gt_dir and case.pred.parent == pred_dir for case in pairing.cases)
    assert pairing.gt_only == ["only_gt.nii.gz"]  # notes.txt is not a mask file
    assert pairing.pred_only == ["only_pred.nii"]


def test_suffixes_may_differ_between_the_folders(tmp_path):
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    np.save(tmp_path / "gt" / "a.npy", np.zeros((4, 4), np.uint8))
    (tmp_path / "pred" / "a.nii").write_bytes(b"")
    (tmp_path / "pred" / ".a.nii.gz.tmp123").write_bytes(b"")  # a hidden temporary is not a case
    pairing = pair_folders(tmp_path / "gt", tmp_path / "pred")
    assert [(c.case, c.pred.name) for c in pairing.cases] == [("a.npy", "a.nii")]


def test_two_files_of_one_case_are_refused(tmp_path):
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    (tmp_path / "gt" / "a.nii").write_bytes(b"")
    (tmp_path / "gt" / "a.nii.gz").write_bytes(b"")
    with pytest.raises(ValueError, match="two files of case 'a'"):
        pair_folders(tmp_path / "gt", tmp_path / "pred")
