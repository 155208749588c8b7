"""The per-slice table: a Qt model over metric rows, sortable by any column, both-empty rows hideable."""

from __future__ import annotations

import math

from qtpy.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt
from qtpy.QtGui import QColor

from ..review.navigation import is_failing

COLUMNS = (
    ("slice", "slice"),
    ("label", "class"),
    ("dice", "Dice"),
    ("iou", "IoU"),
    ("hd", "HD"),
    ("hd95", "HD95"),
    ("assd", "ASSD"),
    ("nsd", "NSD"),
    ("gt_voxels", "GT voxels"),
    ("pred_voxels", "pred voxels"),
    ("status", "status"),
)
FAILING_BACKGROUND = QColor(200, 40, 60, 90)
SORT_ROLE = Qt.ItemDataRole.UserRole


def format_value(value) -> str:
    if isinstance(value, float):
        return "inf" if math.isinf(value) else f"{value:.3f}"
    return str(value)


class SliceTableModel(QAbstractTableModel):
    """Rows are dicts as ``slice_metrics`` returns them; the distance headers carry the unit."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict] = []
        self.class_names: dict[int, str] = {}
        self.threshold = 0.8
        self.unit = "mm"

    def set_rows(self, rows: list[dict], class_names: dict[int, str], threshold: float, unit: str) -> None:
        self.beginResetModel()
        self.rows, self.class_names, self.threshold, self.unit = rows, class_names, threshold, unit
        self.endResetModel()

    def set_threshold(self, threshold: float) -> None:
        self.threshold = threshold
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        key, title = COLUMNS[section]
        return f"{title} ({self.unit})" if key in ("hd", "hd95", "assd") else title

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "label":
                return self.class_names.get(row["label"], str(row["label"]))
            return format_value(row[key])
        if role == SORT_ROLE:
            return row[key] if key != "status" else str(row[key])
        if role == Qt.ItemDataRole.BackgroundRole and is_failing(row, self.threshold):
            return FAILING_BACKGROUND
        if role == Qt.ItemDataRole.TextAlignmentRole and key != "status":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def row_at(self, row: int) -> dict:
        return self.rows[row]


class SliceFilterProxy(QSortFilterProxyModel):
    """Sorts on raw values (numbers as numbers, inf last) and hides rows by status or class."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.show_both_empty = False
        self.label: int | None = None

    def set_filters(self, show_both_empty: bool, label: int | None) -> None:
        self.show_both_empty, self.label = show_both_empty, label
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row, source_parent) -> bool:  # noqa: N802
        row = self.sourceModel().row_at(source_row)
        if self.label is not None and row["label"] != self.label:
            return False
        return self.show_both_empty or row["status"] != "both_empty"

    def lessThan(self, left, right) -> bool:  # noqa: N802
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        return str(a) < str(b)
