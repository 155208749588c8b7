"""The review's state apart from any widget: which layers form the pair, the result, and whether it is current.

The dock renders this object and forwards the user's choices and the viewer's events to it; every rule about
the pair lives here, unit-tested without Qt or napari. Layers are duck-typed (``name``, ``data``, ``metadata``,
``data_to_world``) and compared as the underlying objects: napari hands a dock opened from its Plugins menu a
wrapped viewer whose layer look-ups return a new wrapper each time, so ``is`` on what it returns means nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .compute import ReviewResult

GT_NAME = re.compile(r"(?<![a-z])(gt|ground.?truth|truth|reference|manual|label|seg)", re.IGNORECASE)
PRED_NAME = re.compile(r"(?<![a-z])(pred|prediction|model|unet|u-net|auto|output)", re.IGNORECASE)
# metadata key of a layer made by the Run model dock: such a layer is the prediction to review at once
MODEL_RESULT_KEY = "segreview_model_result"
GT, PRED = "gt", "pred"


def underlying(layer):
    """The layer behind napari's ``PublicOnlyProxy`` (the object itself when it is not wrapped)."""
    return getattr(layer, "__wrapped__", layer)


def same_layer(a, b) -> bool:
    return a is not None and b is not None and underlying(a) is underlying(b)


def world_transform(layer) -> np.ndarray:
    """The layer's full data-to-world map as an (ndim + 1)² homogeneous matrix: scale, translate, rotate, shear
    and affine composed, read through the public ``data_to_world`` on the origin and the unit vectors."""
    ndim = layer.ndim
    origin = np.asarray(layer.data_to_world(np.zeros(ndim)), dtype=float)
    matrix = np.eye(ndim + 1)
    for axis in range(ndim):
        unit = np.zeros(ndim)
        unit[axis] = 1.0
        matrix[:ndim, axis] = np.asarray(layer.data_to_world(unit), dtype=float) - origin
    matrix[:ndim, ndim] = origin
    return matrix


@dataclass(frozen=True)
class Grid:
    """Where a layer's voxels are: its array shape and its world transform."""

    shape: tuple[int, ...]
    transform: np.ndarray

    @classmethod
    def of(cls, layer) -> Grid:
        # an RGB image's colour axis is not a spatial one (napari's ndim leaves it out)
        return cls(tuple(np.shape(layer.data))[: layer.ndim], world_transform(layer))

    def same_as(self, other: Grid) -> bool:
        if self.shape != other.shape:
            return False
        # relative to the voxel size: 1e-6 of a voxel is far below any real geometry difference
        size = max(float(np.abs(self.transform[:-1, :-1]).max(initial=0.0)), 1e-12)
        return bool(np.allclose(self.transform, other.transform, rtol=0.0, atol=1e-6 * size))


def grid_mismatch(gt, pred) -> str | None:
    """One sentence saying how two layers' grids differ, or None when they are the same grid."""
    a, b = Grid.of(gt), Grid.of(pred)
    if a.shape != b.shape:
        return (
            f"'{gt.name}' has shape {a.shape} but '{pred.name}' has shape {b.shape}; the review needs two layers "
            "on the same voxel grid."
        )
    if not a.same_as(b):
        n = len(a.shape)
        if not np.allclose(a.transform[:n, :n], b.transform[:n, :n], rtol=1e-6, atol=0.0):
            how = "scale, rotation, shear or affine (voxel axes)"
        else:
            how = "translate or affine offset"
        return (
            f"'{gt.name}' and '{pred.name}' differ in their {how}, so their voxels are not in the same place; "
            "the review needs two layers on the same voxel grid."
        )
    return None


@dataclass
class Reviewed:
    """What a result was computed from: the two layers and their grids at the time."""

    gt: object
    pred: object
    gt_grid: Grid
    pred_grid: Grid


class ReviewSession:
    """Which layers are the ground truth and the prediction, the result and whether it still holds.

    ``is_segmentation(layer)`` tells segmentation layers from images (the dock passes napari's layer types and
    the reader's label rule). All layers given to and kept by the session are the underlying objects.
    """

    def __init__(self, is_segmentation: Callable[[object], bool]) -> None:
        self._is_segmentation = is_segmentation
        self.layers: list = []
        self.gt = None
        self.pred = None
        self.chosen_by_user = {GT: False, PRED: False}
        self.result: ReviewResult | None = None
        self.reviewed: Reviewed | None = None
        self.stale = False

    # ---- the pair ------------------------------------------------------------------------------------------

    def segmentations(self) -> list:
        return [layer for layer in self.layers if self._is_segmentation(layer)]

    def set_layers(self, layers: Sequence) -> bool:
        """The viewer's layers changed (added, removed, reordered). Drops choices that left the viewer, fills the
        unset ones; returns True when the result was cleared because a reviewed layer was removed."""
        self.layers = [underlying(layer) for layer in layers]
        present = {id(layer) for layer in self.layers}
        for role in (GT, PRED):
            layer = getattr(self, role)
            if layer is not None and (id(layer) not in present or not self._is_segmentation(layer)):
                setattr(self, role, None)
                self.chosen_by_user[role] = False
        cleared = False
        if self.reviewed is not None and not {id(self.reviewed.gt), id(self.reviewed.pred)} <= present:
            self.clear_result()
            cleared = True
        self._fill_unset()
        return cleared

    def layer_added(self, layer) -> None:
        """A new layer arrived (call after :meth:`set_layers`). One that looks like a prediction (by name, or a
        Run model result) becomes the prediction unless the user picked one by hand; a Run model result always
        does. One named like a ground truth replaces a ground truth that was picked only for want of one."""
        layer = underlying(layer)
        if not self._is_segmentation(layer) or same_layer(layer, self.gt):
            return
        looks_predicted = bool(PRED_NAME.search(layer.name))
        by_name = looks_predicted and not self.chosen_by_user[PRED] and (self.gt is None or self._on_gt_grid(layer))
        if layer.metadata.get(MODEL_RESULT_KEY) or by_name:
            self.pred = layer
            self.chosen_by_user[PRED] = False
        elif GT_NAME.search(layer.name) and not looks_predicted and not self.chosen_by_user[GT]:
            if self.gt is None or not GT_NAME.search(self.gt.name):
                previous, self.gt = self.gt, layer
                if self.pred is None and previous is not None and not self.chosen_by_user[PRED]:
                    self.pred = previous
        self._fill_unset()

    def choose(self, role: str, layer) -> str | None:
        """The user picked ``layer`` (or None) for ``role``; returns one sentence when refused. Choosing the
        prediction's layer as the ground truth takes it away from the prediction, which is then picked anew."""
        layer = underlying(layer) if layer is not None else None
        if role == PRED and layer is not None and same_layer(layer, self.gt):
            return (
                f"'{layer.name}' is the ground truth; the ground truth and the prediction must be two different layers."
            )
        if role == GT and same_layer(layer, self.pred):
            self.pred = None
            self.chosen_by_user[PRED] = False
        setattr(self, role, layer)
        self.chosen_by_user[role] = layer is not None
        self._fill_unset()
        return None

    def _fill_unset(self) -> None:
        candidates = self.segmentations()
        if self.gt is None:
            named = [c for c in candidates if GT_NAME.search(c.name) and not PRED_NAME.search(c.name)]
            unnamed = [c for c in candidates if not PRED_NAME.search(c.name) and not c.metadata.get(MODEL_RESULT_KEY)]
            # never a layer named like a prediction: better no ground truth than a prediction taken for one
            pool = [c for c in named + unnamed if not same_layer(c, self.pred)]
            self.gt = pool[0] if pool else None
        if self.pred is None:
            others = [c for c in candidates if not same_layer(c, self.gt)]
            if self.gt is not None:  # a layer on the ground truth's grid first: it can be reviewed
                on_grid = [c for c in others if self._on_gt_grid(c)]
                others = on_grid or others
            named = [c for c in others if PRED_NAME.search(c.name) or c.metadata.get(MODEL_RESULT_KEY)]
            pool = named or others
            self.pred = pool[-1] if pool else None  # the newest: a fresh model run is reviewed first

    def _on_gt_grid(self, layer) -> bool:
        return self.gt is not None and Grid.of(layer).same_as(Grid.of(self.gt))

    def blocker(self) -> str | None:
        """Why the review cannot be computed now, in one sentence, or None."""
        if self.gt is None:
            return "Open or choose a ground-truth segmentation layer (Labels) to review."
        if self.pred is None:
            if len(self.segmentations()) < 2:
                return (
                    f"'{self.gt.name}' is the only segmentation layer: open a prediction or run the model, then "
                    "compute the review."
                )
            return "Choose the prediction layer to compare with the ground truth."
        if same_layer(self.gt, self.pred):
            return "The ground truth and the prediction are the same layer; choose two different layers."
        return grid_mismatch(self.gt, self.pred)

    # ---- the result ----------------------------------------------------------------------------------------

    def snapshot_inputs(self) -> Reviewed:
        """The chosen pair and its grids now (taken when a computation starts)."""
        return Reviewed(self.gt, self.pred, Grid.of(self.gt), Grid.of(self.pred))

    def accept(self, result: ReviewResult, inputs: Reviewed) -> str | None:
        """A computation finished on ``inputs``; keeps it, or returns why it was dropped (its layers were removed,
        or the user chose another pair meanwhile)."""
        present = {id(layer) for layer in self.layers}
        if not {id(inputs.gt), id(inputs.pred)} <= present:
            return "A layer of the review was removed while it was computed; the result was dropped."
        if not (same_layer(inputs.gt, self.gt) and same_layer(inputs.pred, self.pred)):
            return "The chosen layers changed while the review was computed; the result was dropped."
        self.result, self.reviewed, self.stale = result, inputs, False
        if not self.grids_unchanged():
            self.stale = True
        return None

    def clear_result(self) -> None:
        self.result, self.reviewed, self.stale = None, None, False

    def concerns_result(self, layer) -> bool:
        """True when ``layer`` is one of the two layers the shown result was computed from."""
        return self.reviewed is not None and (
            same_layer(layer, self.reviewed.gt) or same_layer(layer, self.reviewed.pred)
        )

    def note_change(self, layer) -> bool:
        """The data or the transform of ``layer`` changed (paint, fill, undo, ``set_data``, data replaced, scale,
        translate, rotate, shear, affine): the result is stale when it came from that layer. Returns whether it
        did."""
        if self.concerns_result(layer):
            self.stale = True
            return True
        return False

    def grids_unchanged(self) -> bool:
        reviewed = self.reviewed
        return reviewed is not None and (
            Grid.of(reviewed.gt).same_as(reviewed.gt_grid) and Grid.of(reviewed.pred).same_as(reviewed.pred_grid)
        )

    def confirm_current(self) -> None:
        """The reviewed data were compared with the result's inputs and found equal: the result holds again."""
        if self.reviewed is not None and self.pair_is_reviewed() and self.grids_unchanged():
            self.stale = False

    def pair_is_reviewed(self) -> bool:
        """True when the chosen pair is the pair the result was computed from."""
        return self.reviewed is not None and (
            same_layer(self.gt, self.reviewed.gt) and same_layer(self.pred, self.reviewed.pred)
        )

    @property
    def current(self) -> bool:
        """The result describes the chosen pair as it is now."""
        return self.result is not None and not self.stale and self.pair_is_reviewed()
