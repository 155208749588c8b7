"""The per-volume panel: one line per class with Dice, IoU, HD, HD95, ASSD and NSD; Dice coloured against the
failing threshold. A view over a model, so 117 classes cost no more to show than the lines on screen."""

from __future__ import annotations

from qtpy.QtCore import QAbstractTableModel, QModelIndex, Qt
from qtpy.QtGui import QColor
from qtpy.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from .slice_table import DISTANCE_KEYS, RIGHT_ALIGNED, compact_value

GOOD, BAD = QColor(40, 160, 90), QColor(200, 40, 60)
METRICS = ("dice", "iou", "hd", "hd95", "assd", "nsd")
TITLES = ("Dice", "IoU", "HD", "HD95", "ASSD", "NSD")
# with more classes than this the panel scrolls instead of growing (the per-slice table needs the room)
MAX_VISIBLE_CLASSES = 6


class VolumeModel(QAbstractTableModel):
    """Rows: the classes of a volume result (label -> metric row); vertical header: the class names."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.labels: list[int] = []
        self.rows: dict[int, dict] = {}
        self.class_names: dict[int, str] = {}
        self.threshold = 0.8
        self.unit = "mm"

    def set_rows(self, rows: dict[int, dict], class_names: dict[int, str], threshold: float, unit: str) -> None:
        self.beginResetModel()
        self.labels, self.rows = list(rows), rows
        self.class_names, self.threshold, self.unit = class_names, threshold, unit
        self.endResetModel()

    def class_name(self, line: int) -> str:
        label = self.labels[line]
        return self.class_names.get(label, f"class {label}")

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self.labels)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(METRICS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return TITLES[section] if 0 <= section < len(TITLES) else None
        return self.class_name(section) if 0 <= section < len(self.labels) else None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[self.labels[index.row()]]
        key = METRICS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return compact_value(key, row[key])
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return RIGHT_ALIGNED
        if key == "dice" and role == Qt.ItemDataRole.BackgroundRole:
            return GOOD if row["dice"] >= self.threshold else BAD
        if role == Qt.ItemDataRole.ToolTipRole:
            unit = f" {self.unit}" if key in DISTANCE_KEYS else ""
            value = f"{TITLES[index.column()]} {row[key]:.6g}{unit}"
            voxels = f"GT {row['gt_voxels']} voxels, prediction {row['pred_voxels']} voxels"
            return f"{self.class_name(index.row())}: {value}; status {row['status']}; {voxels}"
        return None


class _CellText:
    """What QTableWidgetItem.text() gave, for callers of the former QTableWidget API."""

    def __init__(self, text: str):
        self._text = text

    def text(self) -> str:
        return self._text


class VolumePanel(QTableView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.volume_model = VolumeModel(self)
        self.setModel(self.volume_model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setMinimumSectionSize(self.fontMetrics().horizontalAdvance("0.000") + 6)
        # class names: as wide as the longest, up to a third of a narrow dock (longer names elide)
        self.verticalHeader().setMaximumWidth(12 * self.fontMetrics().averageCharWidth())
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._fit_height()

    def show_rows(self, rows: dict[int, dict], class_names: dict[int, str], threshold: float, unit: str, tolerance):
        self.volume_model.set_rows(rows, class_names, threshold, unit)
        self.setToolTip(f"distances in {unit}; NSD at a tolerance of {tolerance:g} {unit}")
        self._fit_height()

    def rowCount(self) -> int:  # noqa: N802 - the QTableWidget name callers use
        return self.volume_model.rowCount()

    def row_title(self, line: int) -> str:
        return self.volume_model.class_name(line)

    def cell_text(self, line: int, column: int) -> str:
        return self.volume_model.data(self.volume_model.index(line, column))

    def verticalHeaderItem(self, line: int) -> _CellText:  # noqa: N802 - QTableWidget's API, kept for callers
        return _CellText(self.row_title(line))

    def item(self, line: int, column: int) -> _CellText:
        return _CellText(self.cell_text(line, column))

    def _fit_height(self) -> None:
        """Every class without a scroll bar up to MAX_VISIBLE_CLASSES; more scroll."""
        lines = min(max(self.rowCount(), 1), MAX_VISIBLE_CLASSES)
        height = self.horizontalHeader().sizeHint().height() + lines * self.verticalHeader().defaultSectionSize()
        if self.rowCount() > MAX_VISIBLE_CLASSES:
            height += self.verticalHeader().defaultSectionSize() // 2  # half a line shows there is more
        self.setFixedHeight(height + 2 * self.frameWidth())
