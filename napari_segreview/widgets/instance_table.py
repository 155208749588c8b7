"""The instances table: one row per GT instance and per false-positive prediction, in the order the view gives
(missed, false positives, worst matched), re-sorted by a header click; narrow enough for a side panel."""

from __future__ import annotations

import math

from qtpy.QtCore import QAbstractTableModel, QModelIndex, Qt
from qtpy.QtGui import QColor
from qtpy.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from .column_menu import column_visibility_menu
from .instance_rows import SHORT_STATUS, STATUS_CODES, STATUS_COLORS, STATUS_NAMES
from .slice_table import RIGHT_ALIGNED, compact_value

COLUMNS = (
    ("object", "object"),
    ("status", "status"),
    ("voxels", "size"),
    ("iou", "IoU"),
    ("dice", "Dice"),
    ("hd95", "HD95"),
    ("assd", "ASSD"),
    ("best_iou", "best IoU"),
    ("matched", "partner"),
)
COLUMN_KEYS = tuple(key for key, _title in COLUMNS)
# five columns fit a side panel beside a half-window canvas (~250 px); the score shown is the matching's criterion
# (IoU or Dice: for a one-to-one pair either gives the other, Dice = 2 IoU / (1 + IoU)), the rest from the menu
DEFAULT_COLUMNS = ("object", "status", "voxels", "iou", "hd95")
DISTANCE_KEYS = ("hd95", "assd")
SCORE_KEYS = ("iou", "dice", "best_iou")
WIDEST_TEXT = {"object": "GT 000", "status": "missed", "voxels": "0000", "matched": "000 000", "hd95": "00.0"}
WIDEST_TEXT.update(dict.fromkeys(SCORE_KEYS, "0.00"))


def object_text(row: dict) -> str:
    """The object's short name, "GT 12" or "P 7" (the table's only predictions are false positives; the
    tooltip says it in full)."""
    return f"{'GT' if row['kind'] == 'gt' else 'P'} {row['id']}"


def _sort_key(key: str):
    def value(row: dict):
        if key == "object":
            return (row["kind"], row["id"])
        if key == "status":
            return STATUS_CODES[row["status"]]
        number = row[key]
        if isinstance(number, str):
            return number
        return math.inf if number is None or (isinstance(number, float) and math.isnan(number)) else number

    return value


class InstanceTableModel(QAbstractTableModel):
    """Rows are ``InstanceMatching.rows()`` dicts; ``unit`` names the distance unit, ``size_unit`` the size's."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict] = []
        self.unit = "px"
        self.size_unit = "px"

    def set_rows(self, rows: list[dict], unit: str, size_unit: str) -> None:
        self.beginResetModel()
        self.rows, self.unit, self.size_unit = list(rows), unit, size_unit
        self.endResetModel()

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """A header click: stable sort of the rows by that column (the view keeps the selected row)."""
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        before = [(self.rows[index.row()], index.column()) for index in persistent]
        self.rows.sort(key=_sort_key(COLUMN_KEYS[column]), reverse=order == Qt.SortOrder.DescendingOrder)
        position = {id(row): i for i, row in enumerate(self.rows)}
        self.changePersistentIndexList(persistent, [self.index(position[id(row)], c) for row, c in before])
        self.layoutChanged.emit()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        key, title = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return title  # units in the tooltip: a narrow panel has no room for them
        if role == Qt.ItemDataRole.ToolTipRole:
            unit = f" in {self.unit}" if key in DISTANCE_KEYS else f" in {self.size_unit}" if key == "voxels" else ""
            return f"{title}{unit}; click to sort, right-click to show or hide columns"
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "object":
                return object_text(row)
            if key == "status":
                return SHORT_STATUS[row["status"]]
            if key == "matched":
                return row["matched"] or "–"
            if key in SCORE_KEYS:
                return f"{row[key]:.2f}"
            return compact_value(key, row[key])
        if role == Qt.ItemDataRole.BackgroundRole and key == "status":
            color = QColor(STATUS_COLORS[STATUS_CODES[row["status"]]][:7])
            color.setAlpha(110)
            return color
        if role == Qt.ItemDataRole.TextAlignmentRole and key not in ("object", "status", "matched"):
            return RIGHT_ALIGNED
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "status":
                return STATUS_NAMES[STATUS_CODES[row["status"]]]
            if key == "voxels":
                return f"{row['voxels']} voxels, {row['volume']:.4g} {self.unit}{'²' if 'centre_2' not in row else '³'}"
            if key == "object":
                kind = "ground-truth instance" if row["kind"] == "gt" else "predicted instance"
                partner = f", matched to {row['matched']}" if row["matched"] else ""
                return f"{kind} {row['id']}{partner}; click to go to it"
        return None

    def row_at(self, row: int) -> dict:
        return self.rows[row]


def instance_table(model: InstanceTableModel) -> QTableView:
    """A single-selection row table over ``model`` whose default columns fit a ~300 px side panel; the header's
    right-click menu shows the others."""
    table = QTableView()
    table.setModel(model)
    table.setSortingEnabled(True)
    table.horizontalHeader().setSortIndicatorShown(False)  # the given order until the user sorts
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
    table.setWordWrap(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    header = table.horizontalHeader()
    metrics = table.fontMetrics()
    padding = 8  # the cell's margins: tight, so five columns fit
    for column, (key, title) in enumerate(COLUMNS):
        shown = model.headerData(column, Qt.Orientation.Horizontal) or title
        widest = max(metrics.horizontalAdvance(shown), metrics.horizontalAdvance(WIDEST_TEXT.get(key, "0.000")))
        header.resizeSection(column, widest + padding)
    table.column_menu = column_visibility_menu(table, COLUMN_KEYS, DEFAULT_COLUMNS, [t for _k, t in COLUMNS])
    header.setMinimumSectionSize(metrics.horizontalAdvance("00") + padding)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    # the object column takes what is left, so the row always fits the panel (fixed widths overflowed it by a
    # pixel or two with other fonts); its "GT 123" text elides before a scroll bar appears
    header.setSectionResizeMode(COLUMN_KEYS.index("object"), QHeaderView.ResizeMode.Stretch)
    header.setStretchLastSection(False)
    return table
