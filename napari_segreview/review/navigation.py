"""Which slice to show next: the worst one, the next or previous failing one, and where its disagreement is."""

from __future__ import annotations

import numpy as np


def is_failing(row: dict, threshold: float) -> bool:
    """A slice row fails when its Dice is below the threshold; slices empty on both sides never fail."""
    return row["status"] != "both_empty" and row["dice"] < threshold


def failing_slices(rows: list[dict], threshold: float, label: int | None = None) -> list[int]:
    return sorted({r["slice"] for r in rows if is_failing(r, threshold) and (label is None or r["label"] == label)})


def worst_slice(rows: list[dict], label: int | None = None) -> int | None:
    """The slice with the lowest Dice (ties: the largest HD95), ignoring slices empty on both sides."""
    candidates = [r for r in rows if r["status"] != "both_empty" and (label is None or r["label"] == label)]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (r["dice"], -r["hd95"]))["slice"]


def next_failing(failing: list[int], current: int, forward: bool = True) -> int | None:
    """The failing slice after (or before) ``current``, wrapping around; None when nothing fails."""
    if not failing:
        return None
    if forward:
        later = [s for s in failing if s > current]
        return later[0] if later else failing[0]
    earlier = [s for s in failing if s < current]
    return earlier[-1] if earlier else failing[-1]


def disagreement_centre(gt_slice: np.ndarray, pred_slice: np.ndarray, label: int | None = None) -> np.ndarray | None:
    """Centre (row, col, in slice index units) of the box around voxels where the two slices disagree."""
    if label is not None:
        differ = (gt_slice == label) != (pred_slice == label)
    else:
        differ = gt_slice != pred_slice
    where = np.argwhere(differ)
    if len(where) == 0:
        return None
    return (where.min(axis=0) + where.max(axis=0)) / 2.0
