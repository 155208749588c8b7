"""The per-volume panel: one line per class with Dice, IoU, HD, HD95, ASSD and NSD; Dice coloured against the
failing threshold."""

from __future__ import annotations

from qtpy.QtGui import QColor
from qtpy.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem

from .slice_table import format_value

GOOD, BAD = QColor(40, 160, 90), QColor(200, 40, 60)
METRICS = ("dice", "iou", "hd", "hd95", "assd", "nsd")


class VolumePanel(QTableWidget):
    def __init__(self, parent=None):
        super().__init__(0, len(METRICS), parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setSizeAdjustPolicy(QAbstractItemView.SizeAdjustPolicy.AdjustToContents)

    def show_rows(self, rows: dict[int, dict], class_names: dict[int, str], threshold: float, unit: str, tolerance):
        self.setHorizontalHeaderLabels(["Dice", "IoU", "HD", "HD95", "ASSD", "NSD"])
        self.setToolTip(f"distances in {unit}; NSD at a tolerance of {tolerance:g} {unit}")
        self.setRowCount(len(rows))
        self.setVerticalHeaderLabels([class_names.get(label, f"class {label}") for label in rows])
        for line, (_label, row) in enumerate(rows.items()):
            for column, key in enumerate(METRICS):
                item = QTableWidgetItem(format_value(row[key]))
                if key == "dice":
                    item.setBackground(GOOD if row["dice"] >= threshold else BAD)
                    item.setToolTip(f"status: {row['status']}; GT {row['gt_voxels']} voxels, "
                                    f"prediction {row['pred_voxels']} voxels")  # fmt: skip
                self.setItem(line, column, item)
        # show every class without a scroll bar
        height = self.horizontalHeader().height() + sum(self.rowHeight(r) for r in range(self.rowCount()))
        self.setFixedHeight(height + 2 * self.frameWidth() + 2)
