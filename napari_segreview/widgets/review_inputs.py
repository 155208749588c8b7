"""The input form of the review dock: which layers, which class, axis, convention, tolerance, threshold."""

from __future__ import annotations

import re

import numpy as np
from qtpy.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QLabel, QWidget

from ..io.label_rule import looks_like_segmentation
from ..metrics import CONVENTIONS
from ..plugin.layers import CLASS_NAMES_KEY
from .review_layers import ROLE_KEY

GT_NAME = re.compile(r"(?<![a-z])(gt|ground.?truth|truth|reference|manual|label|seg)", re.IGNORECASE)
PRED_NAME = re.compile(r"(?<![a-z])(pred|prediction|model|unet|u-net|auto|output)", re.IGNORECASE)
ALL_CLASSES = "all classes"
# slices along a NIfTI display axis (see io.orientation) are named after their anatomical plane
PLANE_OF_AXIS = {"inferior": "axial", "posterior": "coronal", "left": "sagittal"}


def is_label_like(layer) -> bool:
    """Labels layers, and image layers that hold a segmentation by the reader's rule (whole non-negative values
    with a segmentation name or few distinct values, judged on a sample), e.g. a mask opened as an image."""
    if layer.metadata.get(ROLE_KEY):
        return False
    kind = layer._type_string
    if kind == "labels":
        return True
    if kind != "image" or layer.rgb or not np.issubdtype(layer.data.dtype, np.integer):
        return False
    data = np.asarray(layer.data)
    sample = data.reshape(-1)[:: max(1, data.size // 200_000)]
    return looks_like_segmentation(sample, layer.name)


class ReviewInputs(QWidget):
    """Layer and option choosers; ``refresh`` re-reads the viewer's layers and keeps valid choices."""

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.image = QComboBox()
        self.gt = QComboBox()
        self.pred = QComboBox()
        self.label = QComboBox()
        self.axis = QComboBox()
        self.convention = QComboBox()
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
        self.live.setToolTip("recompute (debounced) when the GT or the prediction layer is painted")
        self.live.setChecked(True)
        for title, widget in (
            ("image", self.image),
            ("ground truth", self.gt),
            ("prediction", self.pred),
            ("class", self.label),
        ):
            form.addRow(title, widget)
        options = QGridLayout()
        for row, pairs in enumerate(
            (
                (("slice axis", self.axis), ("convention", self.convention)),
                (("NSD tolerance", self.tolerance), ("failing Dice <", self.threshold)),
            )
        ):
            for column, (title, widget) in enumerate(pairs):
                options.addWidget(QLabel(title), row, 2 * column)
                options.addWidget(widget, row, 2 * column + 1)
        for column, widget in enumerate((self.signed, self.surface, self.live)):
            options.addWidget(widget, 2, column if column < 2 else 3)
        form.addRow(options)
        self.gt.currentIndexChanged.connect(self._refresh_classes_and_axes)
        for event in (viewer.layers.events.inserted, viewer.layers.events.removed):
            event.connect(lambda e: self.refresh())
        self.refresh()

    def _layer(self, combo: QComboBox):
        name = combo.currentText()
        return self.viewer.layers[name] if name in self.viewer.layers else None

    @property
    def image_layer(self):
        return self._layer(self.image)

    @property
    def gt_layer(self):
        return self._layer(self.gt)

    @property
    def pred_layer(self):
        return self._layer(self.pred)

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
        """Re-list the layers, keep the user's choices, and pick sensible ones for empty choosers."""
        images = [
            layer.name
            for layer in self.viewer.layers
            if layer._type_string == "image" and not layer.metadata.get(ROLE_KEY) and not is_label_like(layer)
        ]
        labels = [layer.name for layer in self.viewer.layers if is_label_like(layer)]
        self._fill(self.image, images, preferred=None)
        self._fill(self.gt, labels, preferred=GT_NAME)
        remaining = [name for name in labels if name != self.gt.currentText()] or labels
        self._fill(self.pred, labels, preferred=PRED_NAME, fallback=remaining[-1] if remaining else None)
        self._refresh_classes_and_axes()

    @staticmethod
    def _fill(combo: QComboBox, names: list[str], preferred, fallback=None) -> None:
        current = combo.currentText()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(names)
        if current in names:
            combo.setCurrentText(current)
        else:
            chosen = next((n for n in names if preferred is not None and preferred.search(n)), fallback)
            if chosen is not None:
                combo.setCurrentText(chosen)
        combo.blockSignals(False)
        combo.currentIndexChanged.emit(combo.currentIndex())

    def _refresh_classes_and_axes(self, *_args) -> None:
        layer = self.gt_layer
        previous_label, previous_axis = self.label.currentData(), self.axis.currentData()
        self.label.blockSignals(True)
        self.label.clear()
        self.label.addItem(ALL_CLASSES, None)
        names = self.class_names()
        values = sorted(set(names))
        if layer is not None and not values:
            data = np.asarray(layer.data)
            values = sorted(int(v) for v in np.unique(data[:: max(1, data.shape[0] // 64)]) if v != 0)
        for value in values:
            self.label.addItem(names.get(value, f"class {value}"), value)
        index = self.label.findData(previous_label)
        self.label.setCurrentIndex(max(index, 0))
        self.label.blockSignals(False)

        self.axis.blockSignals(True)
        self.axis.clear()
        if layer is not None and layer.ndim == 3:
            for axis, name in enumerate(layer.axis_labels):
                named = "" if name.lstrip("-").isdigit() else f" ({PLANE_OF_AXIS.get(name, name)})"
                self.axis.addItem(f"{axis}{named}", axis)
        self.axis.setEnabled(self.axis.count() > 0)
        index = self.axis.findData(previous_axis)
        self.axis.setCurrentIndex(max(index, 0))
        self.axis.blockSignals(False)
