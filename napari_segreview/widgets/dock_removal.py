"""Noticing that napari took a dock out of its window.

The close button of a plugin dock calls ``remove_dock_widget``, which only detaches the inner widget
(``setParent(None)``): the widget lives on, so a running worker would carry on and add layers, and viewer
key bindings and event connections would keep calling it. Each dock stops its work when this fires.
"""

from __future__ import annotations

from collections.abc import Callable

from qtpy.QtCore import QEvent, QObject
from qtpy.QtWidgets import QWidget


class _RemovalWatcher(QObject):
    def __init__(self, widget: QWidget, on_removed: Callable[[], None]) -> None:
        super().__init__(widget)
        self._docked = widget.parent() is not None
        self._on_removed = on_removed
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.ParentChange:
            if watched.parent() is not None:
                self._docked = True
            elif self._docked:  # docked before, detached now: the dock was closed
                self._docked = False
                self._on_removed()
        return False


def call_when_removed(widget: QWidget, on_removed: Callable[[], None]) -> None:
    """Call ``on_removed`` each time ``widget`` loses the parent it was docked in."""
    _RemovalWatcher(widget, on_removed)
