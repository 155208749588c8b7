"""Twenty small synthetic NIfTI cases with a known set of faults, shared by the dataset tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.nifti_cases import AFFINES, write_nifti

N_CASES = 20
SHAPE = (16, 16, 16)
CORRUPT = "case_03.nii.gz"  # the prediction is not a NIfTI file
MISMATCH = "case_07.nii.gz"  # the prediction has one slice fewer
EMPTY = "case_11.nii.gz"  # the prediction holds no label at all
FAILING = {CORRUPT, MISMATCH}


def ground_truth(index: int) -> np.ndarray:
    gt = np.zeros(SHAPE, np.uint8)
    start = 3 + index % 4
    gt[start : start + 8, 4:12, 3:11] = 1
    gt[6:9, 6:9, 5 : 7 + index % 3] = 2
    return gt


def prediction(index: int) -> np.ndarray:
    # a shift growing with the index: every case has a different Dice
    pred = np.roll(ground_truth(index), index % 5, axis=index % 3)
    if index % 6 == 5:
        pred[pred == 2] = 0  # label 2 missed: inf distances
    return pred


def write_dataset(root: Path, n_cases: int = N_CASES) -> tuple[Path, Path]:
    """``root/gt`` and ``root/pred`` with ``n_cases`` cases plus one unpaired file in each folder."""
    gt_dir, pred_dir = root / "gt", root / "pred"
    gt_dir.mkdir(parents=True)
    pred_dir.mkdir(parents=True)
    for index in range(n_cases):
        name = f"case_{index:02d}.nii.gz"
        write_nifti(gt_dir / name, ground_truth(index), AFFINES["RAS"])
        pred = prediction(index)
        if name == CORRUPT:
            (pred_dir / name).write_bytes(b"\x1f\x8b\x08\x00garbage")
            continue
        if name == MISMATCH:
            pred = pred[:, :, :-1]
        if name == EMPTY:
            pred = np.zeros_like(pred)
        write_nifti(pred_dir / name, pred, AFFINES["RAS"])
    write_nifti(gt_dir / "only_gt.nii.gz", ground_truth(0), AFFINES["RAS"])
    write_nifti(pred_dir / "only_pred.nii", prediction(0), AFFINES["RAS"])
    (gt_dir / "notes.txt").write_text("not a mask")
    return gt_dir, pred_dir
