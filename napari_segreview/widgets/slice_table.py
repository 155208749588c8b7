"""The per-slice table: a Qt model over metric rows, sorted and filtered with numpy, both-empty rows hideable.

Tens of thousands of rows (117 classes × 200 slices) must not stall the window: the model makes nothing per row
(Qt asks for the cells it draws), and the proxy sorts and filters with one numpy call instead of Qt calling a
Python ``lessThan`` n·log n times.
"""

from __future__ import annotations

import math

import numpy as np
from qtpy.QtCore import QAbstractProxyModel, QAbstractTableModel, QModelIndex, Qt
from qtpy.QtGui import QColor
from qtpy.QtWidgets import QHeaderView, QMenu, QTableView

from ..review.slice_rows import SliceRows
from .column_menu import column_visibility_menu

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
COLUMN_KEYS = tuple(key for key, _title in COLUMNS)
DEFAULT_COLUMNS = ("slice", "label", "dice", "hd95", "status")
DISTANCE_KEYS = ("hd", "hd95", "assd")
INTEGER_KEYS = ("slice", "label", "gt_voxels", "pred_voxels")
FAILING_BACKGROUND = QColor(200, 40, 60, 90)
# the widest text each column shows, for widths fixed once (measuring every row's text would be per-row work)
WIDEST_TEXT = {
    "slice": "000",
    "label": "grey matter",
    "status": "no pred",
    "gt_voxels": "000000",
    "pred_voxels": "000000",
}
# statuses as short as a narrow column needs; the tooltip says them in full
STATUS_TEXT = {"ok": "ok", "pred_empty": "no pred", "gt_empty": "no GT", "both_empty": "empty"}
STATUS_TIPS = {
    "ok": "both masks have the class on this slice",
    "pred_empty": "pred empty: the prediction has none of the class on this slice (a miss)",
    "gt_empty": "GT empty: the ground truth has none of the class on this slice (all false positive)",
    "both_empty": "both empty: neither mask has the class on this slice",
}
# room for the sort arrow beside a header's text
SORT_INDICATOR_PX = 12
RIGHT_ALIGNED = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)


def format_value(value) -> str:
    if isinstance(value, float):
        return "inf" if math.isinf(value) else f"{value:.3f}"
    return str(value)


def compact_value(key: str, value) -> str:
    """A cell's text, short enough for a side panel: overlap scores with three decimals (0.999 is not 1.000),
    distances with three significant digits (0.707, 1.00, 14.6, 123), statuses in a word or two (STATUS_TEXT)."""
    if key == "status":
        return STATUS_TEXT.get(str(value), str(value).replace("_", " "))
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
        if math.isnan(value):
            return "–"
        if key in DISTANCE_KEYS:
            return f"{value:#.3g}" if abs(value) < 100 else f"{value:.0f}"  # 1.00 beside 1.41, not 1
        return f"{value:.3f}"
    return str(value)


class SliceTableModel(QAbstractTableModel):
    """Rows are a review's :class:`SliceRows` (columns) or dicts as ``slice_metrics`` returns them; cells are
    read from the columns, so drawing makes no object per row. The distance headers carry the unit."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: SliceRows | list[dict] = []
        self.class_names: dict[int, str] = {}
        self.threshold = 0.8
        self.unit = "mm"
        self._columns: dict[str, np.ndarray] = {}

    def set_rows(self, rows: SliceRows | list[dict], class_names: dict[int, str], threshold: float, unit: str) -> None:
        """Replace the rows; O(1) here: the views ask for the cells they draw, the proxy for the columns it
        sorts and filters on."""
        self.beginResetModel()
        self.rows, self.class_names, self.threshold, self.unit = rows, class_names, threshold, unit
        self._columns = {}
        self.endResetModel()

    def column_values(self, key: str) -> np.ndarray:
        """One column as an array (numbers as float, inf kept; statuses as str), made on first use."""
        values = self._columns.get(key)
        if values is None:
            if isinstance(self.rows, SliceRows):
                values = self.rows.column(key)
                values = values if key == "status" else values.astype(float)
            elif key == "status":
                values = np.array([row[key] for row in self.rows], dtype=str)
            else:
                values = np.fromiter((row[key] for row in self.rows), dtype=float, count=len(self.rows))
            self._columns[key] = values
        return values

    def set_threshold(self, threshold: float) -> None:
        self.threshold = threshold
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        key, title = COLUMNS[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{title} ({self.unit})" if key in DISTANCE_KEYS else title
        if role == Qt.ItemDataRole.ToolTipRole:
            return "right-click a header to show or hide columns"
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = index.row()
        key = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if key == "label":
                label = self._label(row)
                return self.class_names.get(label, f"class {label}")  # as the plot and the volume table name it
            return self._text(key, row)
        if role == Qt.ItemDataRole.BackgroundRole and self._failing(row):
            return FAILING_BACKGROUND
        if role == Qt.ItemDataRole.TextAlignmentRole and key not in ("status", "label"):
            return RIGHT_ALIGNED
        if role == Qt.ItemDataRole.ToolTipRole and key == "label":
            label = self._label(row)
            return self.class_names.get(label, f"class {label}")
        if role == Qt.ItemDataRole.ToolTipRole and key == "status":
            status = str(self.column_values("status")[row])
            return STATUS_TIPS.get(status, status)
        return None

    def _label(self, row: int) -> int:
        return int(self.column_values("label")[row])

    def _text(self, key: str, row: int) -> str:
        value = self.column_values(key)[row]
        if key in INTEGER_KEYS:
            return str(int(value))
        return compact_value(key, str(value) if key == "status" else float(value))

    def _failing(self, row: int) -> bool:
        """Dice below the threshold on a slice where the class is in a mask (``navigation.is_failing``)."""
        return self.column_values("status")[row] != "both_empty" and self.column_values("dice")[row] < self.threshold

    def row_at(self, row: int) -> dict:
        """Row ``row`` as a dict (slice, label and the metrics)."""
        return self.rows.row(row) if isinstance(self.rows, SliceRows) else self.rows[row]


class SliceFilterProxy(QAbstractProxyModel):
    """The table as shown: the source rows that pass the filters (class, both-empty), in the order of the
    sorted column. Numbers sort as numbers (inf after every finite value, ties kept in slice order); the class
    column sorts by class number."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.show_both_empty = False
        self.label: int | None = None
        self.sort_column, self.sort_order = -1, Qt.SortOrder.AscendingOrder
        self._order = np.zeros(0, np.int64)  # proxy row -> source row
        self._position = np.zeros(0, np.int64)  # source row -> proxy row, -1 when filtered out

    # ---- what is shown ---------------------------------------------------------------------------------------

    def setSourceModel(self, model: SliceTableModel) -> None:  # noqa: N802
        self.beginResetModel()
        super().setSourceModel(model)
        model.modelAboutToBeReset.connect(self.beginResetModel)
        model.modelReset.connect(self._after_source_reset)
        model.dataChanged.connect(self._on_source_data_changed)
        self._arrange()
        self.endResetModel()

    def set_filters(self, show_both_empty: bool, label: int | None) -> None:
        if (show_both_empty, label) == (self.show_both_empty, self.label):
            return
        self.beginResetModel()
        self.show_both_empty, self.label = show_both_empty, label
        self._arrange()
        self.endResetModel()

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        """Sort like QSortFilterProxyModel (the view calls this on a header click); the selection stays on its
        rows."""
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        sources = [self.mapToSource(index) for index in persistent]
        self.sort_column, self.sort_order = column, Qt.SortOrder(order)
        self._arrange()
        self.changePersistentIndexList(persistent, [self.mapFromSource(index) for index in sources])
        self.layoutChanged.emit()

    def _after_source_reset(self) -> None:
        self._arrange()
        self.endResetModel()

    def _on_source_data_changed(self, *_args) -> None:
        if len(self._order):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._order) - 1, self.columnCount() - 1))

    def _arrange(self) -> None:
        model = self.sourceModel()
        n_rows = 0 if model is None else model.rowCount()
        keep = np.ones(n_rows, bool)
        if n_rows and self.label is not None:
            keep &= model.column_values("label") == self.label
        if n_rows and not self.show_both_empty:
            keep &= model.column_values("status") != "both_empty"
        order = np.flatnonzero(keep)
        if n_rows and 0 <= self.sort_column < len(COLUMNS):
            order = order[sorted_positions(model.column_values(COLUMN_KEYS[self.sort_column])[order],
                                           self.sort_order == Qt.SortOrder.DescendingOrder)]  # fmt: skip
        self._order = order
        self._position = np.full(n_rows, -1, np.int64)
        self._position[order] = np.arange(len(order))

    # ---- QAbstractProxyModel -------------------------------------------------------------------------------

    def mapToSource(self, index):  # noqa: N802
        if not index.isValid() or not 0 <= index.row() < len(self._order):
            return QModelIndex()
        return self.sourceModel().index(int(self._order[index.row()]), index.column())

    def mapFromSource(self, index):  # noqa: N802
        if not index.isValid() or not 0 <= index.row() < len(self._position):
            return QModelIndex()
        row = int(self._position[index.row()])
        return QModelIndex() if row < 0 else self.index(row, index.column())

    def index(self, row, column, parent=QModelIndex()):  # noqa: B008
        if parent.isValid() or not (0 <= row < len(self._order) and 0 <= column < len(COLUMNS)):
            return QModelIndex()
        return self.createIndex(row, column)

    def parent(self, index=None):
        return QModelIndex()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and self.sourceModel() is not None:
            return self.sourceModel().headerData(section, orientation, role)
        return None


def sorted_positions(values: np.ndarray, descending: bool) -> np.ndarray:
    """Stable order of ``values``: ascending, or descending with equal values still in their given order;
    NaN last either way. Strings sort alphabetically."""
    if values.dtype.kind in "US":
        _, values = np.unique(values, return_inverse=True)
        values = values.astype(float)
    return np.argsort(-values if descending else values, kind="stable")


def install_column_menu(table: QTableView, default_visible=DEFAULT_COLUMNS) -> QMenu:
    """Show only the ``default_visible`` columns (keys of COLUMNS) at widths that fit a narrow side panel; a
    right-click on the header opens a menu of checkable columns. Returns the menu (its actions are the
    columns, in order)."""
    header = table.horizontalHeader()
    metrics = table.fontMetrics()
    padding = metrics.averageCharWidth() + 4  # the cell's margins
    model = table.model()
    for column, (key, title) in enumerate(COLUMNS):
        shown_title = model.headerData(column, Qt.Orientation.Horizontal) or title
        widest = max(metrics.horizontalAdvance(shown_title), metrics.horizontalAdvance(WIDEST_TEXT.get(key, "0.000")))
        header.resizeSection(column, widest + padding)
    menu = column_visibility_menu(table, COLUMN_KEYS, default_visible, titles=[title for _key, title in COLUMNS])
    # the class column takes what is left (long class names elide), so the default columns fit without a
    # horizontal scroll bar; the others keep their fixed widths
    header.setMinimumSectionSize(metrics.horizontalAdvance("000") + padding)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setSectionResizeMode(COLUMN_KEYS.index("label"), QHeaderView.ResizeMode.Stretch)
    header.setStretchLastSection(False)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    table.setWordWrap(False)
    table.column_menu = menu
    return menu
