"""Instance- and lesion-wise evaluation: which objects were found, missed or invented.

Pure numpy/scipy: no Qt, no napari. Instances come from connected components of a semantic mask or from an
instance label map as given; GT and predicted instances are matched by IoU or Dice (optimal or greedy one-to-one,
or BraTS 2023's lesion rule) from one sparse joint count of overlapping pairs.
"""

from ..review.compute import Progress
from .components import instances_as_given, instances_from_semantic
from .match import MODES, match_instances, review_instances
from .overlap import CRITERIA, Overlaps, joint_counts
from .precision import DEFAULT_THRESHOLDS, average_precision
from .results import GtInstance, InstanceMatching, PredInstance

__all__ = [
    "CRITERIA",
    "DEFAULT_THRESHOLDS",
    "MODES",
    "GtInstance",
    "InstanceMatching",
    "Overlaps",
    "PredInstance",
    "Progress",
    "average_precision",
    "instances_as_given",
    "instances_from_semantic",
    "joint_counts",
    "match_instances",
    "review_instances",
]
