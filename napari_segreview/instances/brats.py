"""BraTS 2023's lesion rule (rachitsaluja/BraTS-2023-Metrics): GT lesions merged by dilation, and every
predicted component that touches a dilated GT lesion merged into its match.

The reference, per tissue: connected components of GT and prediction (26-connectivity); the GT mask dilated
``dilation`` times (structure ``generate_binary_structure(3, 2)``) and GT components lying in one dilated
component combined into one lesion; each lesion dilated again the same way, and every predicted component with a
voxel in that dilated lesion belongs to it (a component may belong to several lesions); components that touch no
dilated lesion are false positives. Lesions at or below a volume are left out of the counts and scores (not
false positives, which are never left out).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage


@dataclass(frozen=True)
class Lesion:
    """One merged GT lesion: its id, the GT instance ids it is made of, its voxel box, and the predicted ids in
    its dilation."""

    id: int
    parts: tuple[int, ...]
    box: tuple[slice, ...]
    pred_ids: tuple[int, ...]


def dilation_structure(ndim: int) -> np.ndarray:
    # the reference's generate_binary_structure(3, 2): faces and edges in 3D; in 2D the 8-neighbourhood
    return ndimage.generate_binary_structure(ndim, min(2, ndim))


def _padded(box: tuple[slice, ...], pad: int, shape: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(slice(max(0, s.start - pad), min(n, s.stop + pad)) for s, n in zip(box, shape, strict=True))


def brats_lesions(gt: np.ndarray, pred: np.ndarray, dilation: int) -> tuple[np.ndarray, list[Lesion]]:
    """The merged lesion map (each lesion carries its id) and every lesion with its predicted components.

    gt, pred: instance maps (for the reference: 26-connected components, ``instances_from_semantic(...,
    connectivity=ndim)``); dilation: iterations of the dilation (BraTS: 3 for gliomas, 1 for metastases).
    """
    structure = dilation_structure(gt.ndim)
    foreground = gt != 0
    dilated = ndimage.binary_dilation(foreground, structure=structure, iterations=dilation) if dilation else foreground
    groups, _ = ndimage.label(dilated, structure=ndimage.generate_binary_structure(gt.ndim, gt.ndim))
    groups[~foreground] = 0
    lesion_map = np.zeros(gt.shape, np.int32)
    lesions = []
    used: set[int] = set()
    next_free = int(gt.max()) + 1
    for group, box in enumerate(ndimage.find_objects(groups), start=1):
        if box is None:
            continue
        inside = groups[box] == group
        parts = tuple(int(i) for i in np.unique(gt[box][inside]))
        # the lesion keeps the smallest id of its parts, so a viewer showing the GT ids can find it
        lesion_id = parts[0] if parts[0] not in used else next_free
        next_free += lesion_id == next_free
        used.add(lesion_id)
        lesion_map[box][inside] = lesion_id
        reach = _padded(box, dilation, gt.shape)
        lesion = groups[reach] == group
        if dilation:
            lesion = ndimage.binary_dilation(lesion, structure=structure, iterations=dilation)
        touched = np.unique(pred[reach][lesion])
        lesions.append(Lesion(lesion_id, parts, box, tuple(int(i) for i in touched[touched != 0])))
    return lesion_map, lesions
