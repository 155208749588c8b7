"""Segmentation metrics: Dice, IoU, HD, HD95, ASSD and NSD per volume and per slice, in three conventions.

Pure numpy/scipy (scikit-image for the surfel table): no Qt, no napari, no torch.
"""

from .evaluate import LabelEvaluation, evaluate_label, evaluate_labels, slice_metrics, volume_metrics
from .rows import ROW_KEYS
from .summary import summarize
from .validation import CONVENTIONS

__all__ = [
    "CONVENTIONS",
    "ROW_KEYS",
    "LabelEvaluation",
    "evaluate_label",
    "evaluate_labels",
    "slice_metrics",
    "summarize",
    "volume_metrics",
]
