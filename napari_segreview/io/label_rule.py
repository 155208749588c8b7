"""Deciding whether an array is a segmentation (shown as a napari Labels layer) or an image.

The rule: an array is a segmentation when it holds only non-negative whole numbers (any dtype; float files
that store labels count) and either its file name marks it as one (a word starting with seg, label, mask, gt,
ground truth, pred or annot, e.g. ``case1_seg.nii.gz``, ``labels.npy``, ``liver-mask.nii``) or it has at most
``MAX_LABEL_VALUES`` distinct values. Everything else is an image.

The one-class rule (SPEC, "picture masks"): a segmentation whose only foreground value is 1, 255 or 65535 (the
0/1, 8-bit 0/255 and 16-bit 0/65535 conventions of mask files) holds label 1, in every reader and on either side
of a comparison; a segmentation with more than one foreground value keeps its values.
"""

from __future__ import annotations

import re

import numpy as np

MAX_LABEL_VALUES = 64
# the foreground values that mean "one class", i.e. label 1 (1 itself needs no mapping)
ONE_CLASS_VALUES = (1, 255, 65535)
# float64 holds every integer exactly only up to here; larger "whole numbers" are not label values
LARGEST_EXACT_FLOAT_INTEGER = 2**53
SEGMENTATION_NAME = re.compile(r"(?<![a-z])(seg|label|mask|gt|ground.?truth|pred|annot)", re.IGNORECASE)
_SAMPLE_SIZE = 1_000_000


def _sample(data: np.ndarray) -> np.ndarray:
    flat = data.reshape(-1)
    return flat[:: max(1, flat.size // _SAMPLE_SIZE)]


def _holds_non_negative_whole_numbers(data: np.ndarray) -> bool:
    if data.dtype == bool:
        return True
    if np.issubdtype(data.dtype, np.integer):
        return data.size == 0 or data.min() >= 0
    if not np.issubdtype(data.dtype, np.floating):
        return False
    # a cheap look at a sample rejects almost every real image before the full pass
    for values in (_sample(data), data):
        if not np.all(np.isfinite(values)) or values.min(initial=0) < 0 or np.any(values != np.floor(values)):
            return False
        if values.max(initial=0) > LARGEST_EXACT_FLOAT_INTEGER:
            return False
    return True


def has_few_values(data: np.ndarray) -> bool:
    """At most MAX_LABEL_VALUES distinct values (a sample is looked at first)."""
    if np.unique(_sample(data)).size > MAX_LABEL_VALUES:
        return False
    return np.unique(data).size <= MAX_LABEL_VALUES


def looks_like_segmentation(data: np.ndarray, name: str) -> bool:
    """True when ``data`` (called ``name``) should be shown as labels rather than as an image."""
    if not _holds_non_negative_whole_numbers(data):
        return False
    return bool(SEGMENTATION_NAME.search(name)) or has_few_values(data)


def as_label_array(data: np.ndarray) -> np.ndarray:
    """The smallest unsigned integer array holding the same label values (no copy when already integer)."""
    if np.issubdtype(data.dtype, np.integer):
        return data
    top = int(data.max(initial=0))
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return data.astype(dtype)
    return data.astype(np.uint64)


def one_class_rule(data: np.ndarray) -> tuple[np.ndarray, int | None]:
    """``(labels, stored_value)``: the foreground as label 1 (uint8) and the value it was stored as, when the only
    non-zero value of ``data`` is 255 or 65535; otherwise ``(data, None)`` (no copy). Two passes over the array at
    most, one when its maximum is another value."""
    real = np.issubdtype(data.dtype, np.integer) or np.issubdtype(data.dtype, np.floating)
    if data.size == 0 or not real:
        return data, None
    top = data.max()
    if top not in ONE_CLASS_VALUES[1:]:
        return data, None
    foreground = data == top
    if np.count_nonzero(foreground) + np.count_nonzero(data == 0) != data.size:
        return data, None
    return foreground.view(np.uint8), int(top)


def segmentation_labels(data: np.ndarray) -> tuple[np.ndarray, int | None]:
    """The label array of data judged a segmentation: the smallest unsigned type (``as_label_array``), then the
    one-class rule (``one_class_rule``); also the stored value read as label 1, or None."""
    return one_class_rule(as_label_array(data))
