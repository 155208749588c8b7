"""Every label's bounding box from one pass over a label map, so that each label is then evaluated on its box.

``scipy.ndimage.find_objects`` walks the map once and records the box of every value; a label's voxels, and
therefore its surface points, lie inside its box, so nothing outside needs to be looked at again.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import ndimage

Box = tuple[slice, ...]

# find_objects keeps a box for every value up to the largest one (2 x ndim integers each); maps with larger
# values (instance ids, hashes) are renumbered chunk by chunk first, which keeps memory bounded.
LARGEST_DIRECT_LABEL = 1 << 16
# voxels per chunk when renumbering: its sort and int64 codes stay a few tens of MiB
RENUMBER_CHUNK_VOXELS = 1 << 20


def union_box(first: Box | None, second: Box | None) -> Box | None:
    """Smallest box holding both (either may be None: no voxel)."""
    if first is None or second is None:
        return first or second
    return tuple(slice(min(a.start, b.start), max(a.stop, b.stop)) for a, b in zip(first, second, strict=True))


def _renumbered_boxes(array: np.ndarray, wanted: set[int] | None) -> dict[int, Box]:
    boxes: dict[int, Box] = {}
    step = max(1, RENUMBER_CHUNK_VOXELS // max(1, array[0].size))
    for start in range(0, array.shape[0], step):
        chunk = array[start : start + step]
        values, codes = np.unique(chunk, return_inverse=True)
        found = ndimage.find_objects(codes.reshape(chunk.shape) + 1)
        for value, box in zip(values.tolist(), found, strict=True):
            if value == 0 or box is None or (wanted is not None and value not in wanted):
                continue
            shifted = (slice(box[0].start + start, box[0].stop + start), *box[1:])
            boxes[value] = union_box(boxes.get(value), shifted)
    return boxes


def label_boxes(array: np.ndarray, labels: Iterable[int] | None = None) -> dict[int, Box]:
    """``{label: box}`` of every non-zero label present in ``array`` (an integer or bool map), or only of
    ``labels`` when given (absent ones are left out). One pass over the map."""
    if array.dtype == bool:
        array = array.view(np.uint8)
    wanted = None if labels is None else {int(label) for label in labels}
    if wanted is not None and not wanted:
        return {}
    largest = max(wanted) if wanted is not None else None
    if largest is None or largest > LARGEST_DIRECT_LABEL:
        largest = int(array.max())
    if largest > LARGEST_DIRECT_LABEL:
        return _renumbered_boxes(array, wanted)
    found = ndimage.find_objects(array, max_label=largest)
    return {
        value: box
        for value, box in enumerate(found, start=1)
        if box is not None and (wanted is None or value in wanted)
    }
