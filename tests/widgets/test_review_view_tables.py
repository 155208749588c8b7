"""The review's tables: the per-slice table sorted and filtered with numpy (fast for 117 classes × 200 slices),
its five main columns fitting a narrow dock with the others behind a header menu, and the per-volume panel as a
view that scrolls only with many classes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QTableView

from napari_segreview.widgets.slice_table import (
    COLUMN_KEYS,
    DEFAULT_COLUMNS,
    SliceFilterProxy,
    SliceTableModel,
    compact_value,
    install_column_menu,
)
from napari_segreview.widgets.volume_panel import MAX_VISIBLE_CLASSES, VolumePanel


def _row(slice_, label, dice, hd95, status="ok"):
    return {"slice": slice_, "label": label, "dice": dice, "iou": dice, "hd": hd95, "hd95": hd95, "assd": hd95,
            "nsd": dice, "gt_voxels": 10, "pred_voxels": 9, "status": status}  # fmt: skip


def _many_rows(n_labels=117, n_slices=200, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for index in range(n_slices):
        for label in range(1, n_labels + 1):
            status = rng.choice(["ok", "ok", "ok", "both_empty", "pred_empty"])
            dice = 1.0 if status == "both_empty" else (0.0 if status == "pred_empty" else float(rng.random()))
            hd95 = 0.0 if status == "both_empty" else (math.inf if status == "pred_empty" else float(rng.random() * 9))
            rows.append(_row(index, label, dice, hd95, status))
    return rows


def _table(rows, names=None):
    model = SliceTableModel()
    proxy = SliceFilterProxy()
    proxy.setSourceModel(model)
    model.set_rows(rows, names or {}, 0.8, "mm")
    return model, proxy


def _shown(model, proxy, key):
    return [model.row_at(proxy.mapToSource(proxy.index(row, 0)).row())[key] for row in range(proxy.rowCount())]


ROWS = [
    _row(0, 1, 0.5, 2.0),
    _row(1, 1, 0.9, math.inf, "pred_empty"),
    _row(2, 1, 0.5, 0.5),
    _row(3, 1, 1.0, 0.0, "both_empty"),
    _row(4, 1, 0.1, 7.0),
    _row(0, 2, 0.7, 1.0),
]


def test_sorting_puts_numbers_in_order_inf_last_and_keeps_ties_in_slice_order(qtbot):
    model, proxy = _table(ROWS)
    proxy.sort(COLUMN_KEYS.index("hd95"), Qt.SortOrder.AscendingOrder)
    assert _shown(model, proxy, "hd95") == [0.5, 1.0, 2.0, 7.0, math.inf]  # the both-empty row is hidden
    proxy.sort(COLUMN_KEYS.index("hd95"), Qt.SortOrder.DescendingOrder)
    assert _shown(model, proxy, "hd95") == [math.inf, 7.0, 2.0, 1.0, 0.5]
    proxy.sort(COLUMN_KEYS.index("dice"), Qt.SortOrder.AscendingOrder)
    assert [(r, s) for r, s in zip(_shown(model, proxy, "dice"), _shown(model, proxy, "slice"), strict=True)] == [
        (0.1, 4), (0.5, 0), (0.5, 2), (0.7, 0), (0.9, 1)]  # fmt: skip
    proxy.sort(COLUMN_KEYS.index("status"), Qt.SortOrder.AscendingOrder)
    assert _shown(model, proxy, "status") == ["ok", "ok", "ok", "ok", "pred_empty"]


def test_filters_hide_both_empty_rows_and_other_classes_and_map_back(qtbot):
    model, proxy = _table(ROWS)
    assert proxy.rowCount() == 5
    proxy.set_filters(True, None)
    assert proxy.rowCount() == 6
    proxy.set_filters(False, 2)
    assert _shown(model, proxy, "label") == [2]
    hidden = model.index(3, 0)  # the both-empty row
    assert not proxy.mapFromSource(hidden).isValid()
    proxy.set_filters(False, None)
    for source_row in (0, 1, 2, 4, 5):
        proxy_index = proxy.mapFromSource(model.index(source_row, 2))
        assert proxy.mapToSource(proxy_index).row() == source_row and proxy_index.column() == 2


def test_the_selected_row_stays_selected_when_the_table_is_sorted(qtbot):
    model, proxy = _table(ROWS)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.selectRow(0)
    chosen = model.row_at(proxy.mapToSource(view.selectionModel().selectedRows()[0]).row())
    view.sortByColumn(COLUMN_KEYS.index("hd95"), Qt.SortOrder.DescendingOrder)
    selected = view.selectionModel().selectedRows()
    assert len(selected) == 1 and model.row_at(proxy.mapToSource(selected[0]).row()) is chosen


def test_117_classes_by_200_slices_fill_and_sort_in_the_order_python_gives(qtbot):
    # how long filling and sorting take is measured by benchmarks/run_review_stall.py, not asserted here
    rows = _many_rows()
    view = QTableView()
    qtbot.addWidget(view)
    model, proxy = _table([])
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.resize(330, 400)
    view.show()
    model.set_rows(rows, {}, 0.8, "mm")
    for column in range(len(COLUMN_KEYS)):
        view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
        qtbot.wait(1)
    # and the order is the one Python's own stable sort gives
    view.sortByColumn(COLUMN_KEYS.index("hd95"), Qt.SortOrder.DescendingOrder)
    counted = [row for row in rows if row["status"] != "both_empty"]
    expected = sorted(counted, key=lambda row: -row["hd95"])
    assert _shown(model, proxy, "hd95") == [row["hd95"] for row in expected]
    assert _shown(model, proxy, "slice")[:50] == [row["slice"] for row in expected][:50]


def test_the_main_columns_fit_a_narrow_dock_and_the_others_come_from_the_header_menu(qtbot):
    model, proxy = _table(_many_rows(n_labels=3, n_slices=40), {1: "grey matter", 2: "white matter", 3: "csf"})
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    view.verticalHeader().hide()
    menu = install_column_menu(view)
    view.resize(310, 300)  # the table in a ~330 px wide dock
    view.show()
    qtbot.waitExposed(view)
    shown = [key for column, key in enumerate(COLUMN_KEYS) if not view.isColumnHidden(column)]
    assert shown == list(DEFAULT_COLUMNS)
    assert not view.horizontalScrollBar().isVisible()
    header = view.horizontalHeader()
    assert header.length() <= view.viewport().width()
    for column in range(len(COLUMN_KEYS)):  # every cell of a shown column is readable: none narrower than its text
        if view.isColumnHidden(column) or COLUMN_KEYS[column] == "label":
            continue
        text = proxy.index(0, column).data()
        assert view.fontMetrics().horizontalAdvance(text) < view.columnWidth(column), COLUMN_KEYS[column]
    actions = menu.actions()
    assert [action.isChecked() for action in actions] == [key in DEFAULT_COLUMNS for key in COLUMN_KEYS]
    actions[COLUMN_KEYS.index("nsd")].setChecked(True)
    assert not view.isColumnHidden(COLUMN_KEYS.index("nsd"))
    actions[COLUMN_KEYS.index("status")].setChecked(False)
    assert view.isColumnHidden(COLUMN_KEYS.index("status"))


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [("dice", 0.99949, "0.999"), ("hd95", 14.5643, "14.6"), ("hd95", 0.70711, "0.707"), ("hd95", 1.0, "1.00"),
     ("hd", 0.0, "0.00"), ("hd", 123.4, "123"),
     ("hd", 12345.6, "12346"), ("hd95", math.inf, "inf"), ("status", "pred_empty", "no pred"),
     ("status", "both_empty", "empty"), ("slice", 7, "7")],
)  # fmt: skip
def test_cells_are_compact(key, value, text):
    assert compact_value(key, value) == text


def _volume_rows(n):
    return {label: _row(0, label, 0.5 + label / (2 * n + 2), 1.5) for label in range(1, n + 1)}


def test_the_volume_panel_shows_a_few_classes_without_scrolling_and_many_with(qtbot):
    panel = VolumePanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.show_rows(_volume_rows(3), {1: "organ"}, 0.7, "mm", 1.0)
    qtbot.wait(10)
    assert panel.rowCount() == 3
    assert panel.model().headerData(0, Qt.Orientation.Vertical) == "organ"
    assert panel.model().headerData(1, Qt.Orientation.Vertical) == "class 2"
    assert not panel.verticalScrollBar().isVisible()
    assert panel.rowViewportPosition(2) + panel.rowHeight(2) <= panel.viewport().height()
    dice = panel.model().index(0, 0)
    assert dice.data() == "0.625" and dice.data(Qt.ItemDataRole.BackgroundRole).red() > 150  # below 0.7: red
    few = panel.height()
    panel.show_rows(_volume_rows(117), {}, 0.7, "mm", 1.0)
    qtbot.wait(10)
    assert panel.rowCount() == 117
    assert panel.verticalScrollBar().isVisible()
    assert few < panel.height() <= few + (MAX_VISIBLE_CLASSES - 2) * panel.rowHeight(0)
