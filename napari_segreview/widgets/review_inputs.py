"""The input form of the review dock: the pair (rendered from the :class:`ReviewSession`), the class and axis,
and the options behind a fold (convention, tolerance, threshold, signed, surface, live)."""

from __future__ import annotations

from weakref import WeakKeyDictionary

import numpy as np
from napari.layers import Image, Labels
from napari.utils.notifications import show_warning
from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..io.label_rule import looks_like_segmentation
from ..metrics import CONVENTIONS
from ..plugin.layers import CLASS_NAMES_KEY
from ..review.session import GT, PRED, ReviewSession, underlying
from .review_layers import ROLE_KEY
from .scrolling import COMBO_CHARACTERS, narrow_combos

# short enough for the class chooser at its narrowest (a 1280 px window with all docks), beside its "class" label
ALL_CLASSES = "all"
NO_LAYER = "(none)"
# slices along a NIfTI display axis (see io.orientation) are named after their anatomical plane
PLANE_OF_AXIS = {"inferior": "axial", "posterior": "coronal", "left": "sagittal"}


# an image layer's verdict, kept while its data and name stay: the session asks several times per layer event,
# and judging a sample (np.unique of 200k values) each time cost the window tens of ms per added layer
_IMAGE_VERDICTS: WeakKeyDictionary = WeakKeyDictionary()


def is_label_like(layer) -> bool:
    """Labels layers, and image layers that hold a segmentation by the reader's rule (whole non-negative values
    with a segmentation name or few distinct values, judged on a sample), e.g. a mask opened as an image.
    Never a layer the review made."""
    if layer.metadata.get(ROLE_KEY):
        return False
    if isinstance(layer, Labels):
        return True
    if not isinstance(layer, Image) or layer.rgb or not np.issubdtype(layer.data.dtype, np.integer):
        return False
    layer = underlying(layer)
    return _kept(_IMAGE_VERDICTS, layer, (layer.name,), lambda data: looks_like_segmentation(
        data.reshape(-1)[:: max(1, data.size // 200_000)], layer.name))  # fmt: skip


def _kept(cache: WeakKeyDictionary, layer, extra_key: tuple, find):
    """``find(data)`` for an underlying layer, kept in ``cache`` while its data (the same array, shape and dtype)
    and ``extra_key`` stay."""
    data = layer.data
    key = (id(data), data.shape, data.dtype, *extra_key)
    known = cache.get(layer)
    if known is not None and known[0] == key:
        return known[1]
    value = find(np.asarray(data))
    cache[layer] = (key, value)
    return value


# the classes found in a GT without class names, kept while its data stays: the choosers refresh on every layer
# event (a review adds and moves three layers), and np.unique of a 64-slice sample cost 30-50 ms each time
_CLASS_VALUES: WeakKeyDictionary = WeakKeyDictionary()


def class_values(layer) -> list[int]:
    """The non-zero values of a segmentation layer, found on every few slices along its first axis."""
    return _kept(_CLASS_VALUES, underlying(layer), (), lambda data: sorted(
        int(v) for v in np.unique(data[:: max(1, data.shape[0] // 64)]) if v != 0))  # fmt: skip


def forget_class_values(layer) -> None:
    """The layer's data changed in place (paint, fill, undo): its classes are found again when next asked."""
    _CLASS_VALUES.pop(underlying(layer), None)


def _combo(characters: int = COMBO_CHARACTERS) -> QComboBox:
    combo = QComboBox()
    narrow_combos(combo, characters)
    return combo


class ReviewInputs(QWidget):
    """Choosers; the pair lives in ``session`` and :meth:`refresh` renders it. ``pair_chosen`` is emitted after
    the user picked a layer (the session has taken it, or refused with a notification)."""

    pair_chosen = Signal()

    def __init__(self, viewer, session: ReviewSession, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.session = session
        self.gt = _combo()
        self.pred = _combo()
        self.label = _combo(5)
        self.axis = _combo(3)
        self.convention = _combo(6)
        self.convention.addItems(CONVENTIONS)
        self.convention.setToolTip("border = MONAI, surfel = DeepMind surface-distance, pooled = MedPy")
        self.tolerance = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=100.0, value=1.0, singleStep=0.5)
        self.tolerance.setToolTip("NSD tolerance, in the unit of the layers' scale (mm for NIfTI)")
        self.threshold = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, value=0.8, singleStep=0.05)
        self.threshold.setToolTip("a slice fails when its Dice is below this")
        self.signed = QCheckBox("signed")
        self.signed.setToolTip("signed distances: positive where the prediction is too large, negative too small")
        self.surface = QCheckBox("3D surface")
        self.surface.setToolTip("add the prediction's 3D surface coloured by distance to the GT surface")
        self.surface.setChecked(True)
        self.live = QCheckBox("live")
        self.live.setToolTip("recompute (debounced) when the GT or the prediction changes: paint, undo, new data")
        self.live.setChecked(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        for title, widget in (("ground truth", self.gt), ("prediction", self.pred)):
            form.addRow(title, widget)
        class_and_axis = QHBoxLayout()  # the whole width, without the form's label column
        class_and_axis.addWidget(QLabel("class"))
        class_and_axis.addWidget(self.label, stretch=3)
        class_and_axis.addWidget(QLabel("axis"))
        class_and_axis.addWidget(self.axis, stretch=2)
        form.addRow(class_and_axis)
        layout.addLayout(form)
        self.options_button = QToolButton()
        self.options_button.setText("options")
        self.options_button.setToolTip("convention, NSD tolerance, failing Dice, signed, 3D surface, live")
        self.options_button.setCheckable(True)
        self.options_button.setArrowType(Qt.ArrowType.RightArrow)
        self.options_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.options_button.setAutoRaise(True)
        self.options = QWidget()
        grid = QGridLayout(self.options)
        grid.setContentsMargins(0, 0, 0, 0)
        for row, pairs in enumerate(
            ((("convention", self.convention), ("NSD tol.", self.tolerance)), (("failing Dice <", self.threshold),))
        ):
            for column, (title, widget) in enumerate(pairs):
                grid.addWidget(QLabel(title), row, 2 * column)
                grid.addWidget(widget, row, 2 * column + 1)
        for column, widget in enumerate((self.signed, self.surface, self.live)):
            grid.addWidget(widget, 2, column)
        self.options.setVisible(False)
        self.options_button.toggled.connect(self._fold)
        layout.addWidget(self.options_button)
        layout.addWidget(self.options)

        self.gt.activated.connect(lambda _index: self._user_chose(GT, self.gt))
        self.pred.activated.connect(lambda _index: self._user_chose(PRED, self.pred))
        self.refresh()

    def _fold(self, shown: bool) -> None:
        self.options.setVisible(shown)
        self.options_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def _layer_named(self, name: str):
        return next((layer for layer in self.session.layers if layer.name == name), None)

    def _user_chose(self, role: str, combo: QComboBox) -> None:
        message = self.session.choose(role, self._layer_named(combo.currentText()))
        if message:
            show_warning(message)
        self.refresh()
        self.pair_chosen.emit()

    @property
    def gt_layer(self):
        return self.session.gt

    @property
    def pred_layer(self):
        return self.session.pred

    def selected_label(self) -> int | None:
        data = self.label.currentData()
        return None if data is None else int(data)

    def selected_axis(self) -> int:
        return int(self.axis.currentData() or 0)

    def class_names(self) -> dict[int, str]:
        names: dict[int, str] = {}
        for layer in (self.pred_layer, self.gt_layer):
            if layer is not None:
                names.update({int(k): str(v) for k, v in layer.metadata.get(CLASS_NAMES_KEY, {}).items()})
        return names

    def refresh(self) -> None:
        """Render the session's pair; the prediction chooser never offers the ground truth's layer."""
        session = self.session
        names = [layer.name for layer in session.segmentations()]
        gt_name = session.gt.name if session.gt is not None else NO_LAYER
        pred_name = session.pred.name if session.pred is not None else NO_LAYER
        self._fill(self.gt, names if session.gt is not None else [NO_LAYER, *names], gt_name)
        others = [name for name in names if name != gt_name]
        self._fill(self.pred, others if session.pred is not None else [NO_LAYER, *others], pred_name)
        self._refresh_classes_and_axes()

    @staticmethod
    def _fill(combo: QComboBox, names: list[str], current: str) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(names)
        combo.setCurrentText(current)
        for index, name in enumerate(names):
            combo.setItemData(index, name, Qt.ItemDataRole.ToolTipRole)  # the whole name when it is elided
        combo.blockSignals(False)

    def _refresh_classes_and_axes(self) -> None:
        layer = self.gt_layer
        previous_label, previous_axis = self.label.currentData(), self.axis.currentData()
        self.label.blockSignals(True)
        self.label.clear()
        self.label.addItem(ALL_CLASSES, None)
        names = self.class_names()
        values = sorted(set(names))
        if layer is not None and not values:
            values = class_values(layer)
        for value in values:
            self.label.addItem(names.get(value, f"class {value}"), value)
        index = self.label.findData(previous_label)
        self.label.setCurrentIndex(max(index, 0))
        self.label.blockSignals(False)

        self.axis.blockSignals(True)
        self.axis.clear()
        if layer is not None and layer.ndim == 3:
            for axis, name in enumerate(layer.axis_labels):
                named = "" if name.lstrip("-").isdigit() else f" {PLANE_OF_AXIS.get(name, name)}"
                self.axis.addItem(f"{axis}{named}", axis)
        self.axis.setEnabled(self.axis.count() > 0)
        index = self.axis.findData(previous_axis)
        self.axis.setCurrentIndex(max(index, 0))
        self.axis.blockSignals(False)
