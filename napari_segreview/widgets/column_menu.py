"""A right-click menu on a table's header that shows and hides its columns."""

from __future__ import annotations

from collections.abc import Sequence

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QMenu, QTableView


def column_visibility_menu(
    table: QTableView, keys: Sequence[str], visible: Sequence[str], titles: Sequence[str] | None = None
) -> QMenu:
    """Columns ``keys`` (in order) of ``table``: those in ``visible`` shown; the header's context menu toggles
    each, named by ``titles`` (default: the model's header texts). Returns the menu (one checkable action per
    column)."""
    header = table.horizontalHeader()
    model = table.model()
    menu = QMenu(table)
    for column, key in enumerate(keys):
        title = titles[column] if titles is not None else model.headerData(column, Qt.Orientation.Horizontal) or key
        table.setColumnHidden(column, key not in visible)
        action = menu.addAction(str(title))
        action.setCheckable(True)
        action.setChecked(key in visible)
        action.toggled.connect(lambda shown, column=column: table.setColumnHidden(column, not shown))
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    header.customContextMenuRequested.connect(lambda point: menu.popup(header.mapToGlobal(point)))
    return menu
