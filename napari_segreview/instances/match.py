"""Matching GT and predicted instances: ``review_instances`` (a generator yielding progress) and
``match_instances`` (the same, run to the end)."""

from __future__ import annotations

from collections.abc import Generator
from functools import reduce

import numpy as np

from ..metrics import CONVENTIONS
from ..metrics.boxes import union_box
from ..metrics.validation import check_masks, check_spacing
from ..review.compute import Progress
from .assignment import greedy_pairs, optimal_pairs
from .brats import brats_lesions
from .components import instances_as_given
from .distances import matched_distances
from .geometry import instance_boxes, instance_table
from .overlap import CRITERIA, joint_counts
from .results import GtInstance, InstanceMatching, PredInstance
from .summary import detection_summary

MODES = ("optimal", "greedy", "brats")
# distances of this many instances between two progress messages
PROGRESS_EVERY = 50


def _check_options(threshold, criterion, mode, hd95_penalty, brats_dilation, percentile, convention) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}.")
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, not {criterion!r}.")
    if not isinstance(threshold, int | float | np.number) or not 0.0 < float(threshold) <= 1.0:
        raise ValueError(f"threshold must be a number above 0 and at most 1, not {threshold!r}.")
    if not isinstance(hd95_penalty, int | float | np.number) or not np.isfinite(hd95_penalty) or hd95_penalty < 0:
        raise ValueError(f"hd95_penalty must be a finite distance, 0 or more, not {hd95_penalty!r}.")
    if not isinstance(brats_dilation, int | np.integer) or brats_dilation < 0:
        raise ValueError(f"brats_dilation must be a whole number of voxels, 0 or more, not {brats_dilation!r}.")
    if not isinstance(percentile, int | float | np.number) or not 0.0 <= float(percentile) <= 100.0:
        raise ValueError(f"percentile must be between 0 and 100, not {percentile!r}.")
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)}, not {convention!r}.")


def review_instances(
    gt_instances,
    pred_instances,
    *,
    spacing=None,
    threshold: float = 0.5,
    criterion: str = "iou",
    mode: str = "optimal",
    hd95_penalty: float = 374.0,
    brats_dilation: int = 3,
    percentile: float = 95.0,
    convention: str | None = None,
    brats_min_volume: float = 0.0,
    distances: bool = True,
) -> Generator[Progress, None, InstanceMatching]:
    """Match the instances of two instance maps; yields :class:`Progress`, returns :class:`InstanceMatching`.

    gt_instances, pred_instances: 2D or 3D integer maps of one shape, 0 background, each other value one object
                   (``instances_as_given`` / ``instances_from_semantic``)
    spacing:       voxel size per array axis (napari's ``layer.scale``); None means 1. Distances and volumes are
                   in its unit
    threshold:     a pair matches when its ``criterion`` ("iou" or "dice") is at least this (optimal, greedy)
    mode:          "optimal": one-to-one, the most pairs above the threshold and then the largest total score
                   (stardist's assignment); "greedy": one-to-one, best pairs first; "brats": BraTS 2023's lesion
                   rule (GT lesions within ``brats_dilation`` voxels merged, every predicted component touching the
                   dilated lesion merged into its match; the threshold is not used)
    hd95_penalty:  HD95 of a missed or false-positive lesion in the lesion-wise HD95 (BraTS: 374)
    percentile:    the robust Hausdorff percentile reported as hd95
    convention:    surface convention of the distances (see ``napari_segreview.metrics``); None means "surfel"
                   (DeepMind's, the BraTS reference's) in brats mode and "border" otherwise
    brats_min_volume: brats: lesions of at most this volume (spacing units) are left out of the summary
    distances:     False skips HD95/ASSD of matched instances (nan, and so the summary's lesion_hd95), for
                   speed on many instances
    """
    if convention is None:
        convention = "surfel" if mode == "brats" else "border"
    _check_options(threshold, criterion, mode, hd95_penalty, brats_dilation, percentile, convention)
    check_masks(gt_instances, pred_instances)
    gt = instances_as_given(gt_instances)
    pred = instances_as_given(pred_instances)
    spacing = check_spacing(spacing, gt.ndim)
    voxel_volume = float(np.prod(spacing))

    yield Progress(0, 3, "counting overlaps")
    lesions = None
    if mode == "brats":
        gt, lesions = brats_lesions(gt, pred, int(brats_dilation))
    gt_table, pred_table = instance_table(gt), instance_table(pred)
    overlaps = joint_counts(gt, pred, gt_table, pred_table)
    scores = overlaps.scores(criterion)
    ious = scores if criterion == "iou" else overlaps.scores("iou")
    gt_boxes, pred_boxes = instance_boxes(gt), instance_boxes(pred)
    gt_centres, pred_centres = gt_table.centres.tolist(), pred_table.centres.tolist()
    gt_index = {int(i): k for k, i in enumerate(overlaps.gt_ids)}
    pred_index = {int(i): k for k, i in enumerate(overlaps.pred_ids)}

    yield Progress(1, 3, "matching")
    gt_partners: dict[int, tuple[int, ...]] = {}
    if lesions is not None:
        gt_partners = {lesion.id: lesion.pred_ids for lesion in lesions if lesion.pred_ids}
    else:
        pick = optimal_pairs if mode == "optimal" else greedy_pairs
        g_pairs, p_pairs = pick(overlaps, scores, float(threshold))
        gt_partners = {
            int(overlaps.gt_ids[g]): (int(overlaps.pred_ids[p]),) for g, p in zip(g_pairs, p_pairs, strict=True)
        }
    pred_partners: dict[int, list[int]] = {}
    for g_id, partners in gt_partners.items():
        for p_id in partners:
            pred_partners.setdefault(p_id, []).append(g_id)

    # intersections of every touching pair, and each instance's best IoU with the other side
    intersection = {
        (int(overlaps.gt_ids[g]), int(overlaps.pred_ids[p])): int(n)
        for g, p, n in zip(overlaps.pair_gt, overlaps.pair_pred, overlaps.intersection, strict=True)
    }
    gt_best = np.zeros(len(overlaps.gt_ids))
    pred_best = np.zeros(len(overlaps.pred_ids))
    np.maximum.at(gt_best, overlaps.pair_gt, ious)
    np.maximum.at(pred_best, overlaps.pair_pred, ious)
    parts = {lesion.id: lesion.parts for lesion in lesions or ()}

    distance_of: dict[int, tuple[float, float]] = {}
    if distances and gt_partners:
        pair_boxes = {g: reduce(union_box, (pred_boxes[p] for p in ps), gt_boxes[g]) for g, ps in gt_partners.items()}
        steps = matched_distances(
            gt, pred, gt_partners, pair_boxes, spacing=spacing, convention=convention, percentile=percentile
        )
        while True:
            try:
                done = next(steps)
            except StopIteration as finished:
                distance_of = finished.value
                break
            yield Progress(1, 3, f"distances of matched instance {done} of {len(gt_partners)}")

    gt_records = []
    for k, (g_id, g_size) in enumerate(zip(overlaps.gt_ids.tolist(), overlaps.gt_sizes.tolist(), strict=True)):
        partners = gt_partners.get(g_id, ())
        box = gt_boxes[g_id]
        if partners:
            p_size = sum(int(overlaps.pred_sizes[pred_index[p]]) for p in partners)
            inter = sum(intersection.get((g_id, p), 0) for p in partners)
            iou = inter / (g_size + p_size - inter)
            dice = 2.0 * inter / (g_size + p_size)
            hd95, assd = distance_of.get(g_id, (np.nan, np.nan))
        else:
            iou = dice = 0.0
            hd95 = assd = np.inf if distances else np.nan
        volume = g_size * voxel_volume
        gt_records.append(
            GtInstance(
                id=g_id,
                status="matched" if partners else "missed",
                matched=tuple(partners),
                iou=float(iou),
                dice=float(dice),
                hd95=float(hd95),
                assd=float(assd),
                voxels=int(g_size),
                volume=float(volume),
                centre=tuple(gt_centres[k]),
                box=box,
                best_iou=float(gt_best[k]),
                parts=parts.get(g_id, (g_id,)),
                counted=mode != "brats" or volume > brats_min_volume,
            )
        )

    yield Progress(2, 3, "predicted instances")
    pred_records = []
    for k, (p_id, p_size) in enumerate(zip(overlaps.pred_ids.tolist(), overlaps.pred_sizes.tolist(), strict=True)):
        partners = tuple(pred_partners.get(p_id, ()))
        iou = dice = 0.0
        if partners:
            g_size = sum(int(overlaps.gt_sizes[gt_index[g]]) for g in partners)
            inter = sum(intersection.get((g, p_id), 0) for g in partners)
            iou = inter / (g_size + p_size - inter)
            dice = 2.0 * inter / (g_size + p_size)
        pred_records.append(
            PredInstance(
                id=p_id,
                status="matched" if partners else "false positive",
                matched=partners,
                iou=float(iou),
                voxels=int(p_size),
                volume=float(p_size * voxel_volume),
                centre=tuple(pred_centres[k]),
                box=pred_boxes[p_id],
                dice=float(dice),
                best_iou=float(pred_best[k]),
            )
        )

    summary = detection_summary(gt_records, pred_records, float(hd95_penalty))
    summary.update(threshold=float(threshold), criterion=criterion, mode=mode)
    yield Progress(3, 3, "done")
    return InstanceMatching(
        gt=gt_records,
        pred=pred_records,
        summary=summary,
        threshold=float(threshold),
        criterion=criterion,
        mode=mode,
        spacing=tuple(float(s) for s in spacing),
        convention=convention,
    )


def match_instances(
    gt_instances,
    pred_instances,
    *,
    spacing=None,
    threshold: float = 0.5,
    criterion: str = "iou",
    mode: str = "optimal",
    hd95_penalty: float = 374.0,
    brats_dilation: int = 3,
    percentile: float = 95.0,
    convention: str | None = None,
    brats_min_volume: float = 0.0,
    distances: bool = True,
) -> InstanceMatching:
    """:func:`review_instances` run to the end (same options): the matching without progress messages."""
    steps = review_instances(
        gt_instances,
        pred_instances,
        spacing=spacing,
        threshold=threshold,
        criterion=criterion,
        mode=mode,
        hd95_penalty=hd95_penalty,
        brats_dilation=brats_dilation,
        percentile=percentile,
        convention=convention,
        brats_min_volume=brats_min_volume,
        distances=distances,
    )
    while True:
        try:
            next(steps)
        except StopIteration as finished:
            return finished.value
