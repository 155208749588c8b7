"""The plugin's docks share one tabbed place on the right instead of stacking: three docks stacked in one column
make the window taller than a laptop screen (napari tabs plugin docks only when asked, and its Plugins menu does
not ask)."""

from __future__ import annotations

from qtpy.QtCore import QEvent, QObject, Qt, QTimer
from qtpy.QtWidgets import QDockWidget, QMainWindow, QWidget

# the splitter handles and margins between the side panels and the canvas
SPLITTERS_PX = 28
# narrower than this the review's choosers and tables are no longer usable
MIN_DOCK_WIDTH = 240


SIDES = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)


def _docked_in(widget: QWidget) -> tuple[QMainWindow, QDockWidget] | None:
    """The main window and the dock that hold ``widget``, or None while it is not docked in a main window."""
    dock = widget.parent()
    while dock is not None and not isinstance(dock, QDockWidget):
        dock = dock.parent()
    window = dock.parent() if dock is not None else None
    return (window, dock) if isinstance(window, QMainWindow) and not dock.isFloating() else None


def _holds_plugin_dock(dock: QDockWidget) -> bool:
    inner = dock.widget()
    return inner is not None and any(
        getattr(child, "segreview_dock", False) for child in (inner, *inner.findChildren(QWidget))
    )


def _plugin_docks(window: QMainWindow, area) -> list[QDockWidget]:
    return [
        dock
        for dock in window.findChildren(QDockWidget)
        if not dock.isHidden() and window.dockWidgetArea(dock) == area and _holds_plugin_dock(dock)
    ]


def tabify_with_siblings(widget: QWidget) -> None:
    """Put ``widget``'s dock in a tab beside the first other dock of this plugin in the same area, and show it."""
    docked = _docked_in(widget)
    if docked is None:
        return
    window, dock = docked
    siblings = [d for d in _plugin_docks(window, window.dockWidgetArea(dock)) if d is not dock]
    if siblings:
        window.tabifyDockWidget(siblings[0], dock)
        dock.show()
        dock.raise_()
    fit_beside_canvas(window, dock)


def fit_beside_canvas(window: QMainWindow, dock: QDockWidget) -> None:
    """Narrow a side dock so that napari's canvas keeps at least half the window's width (napari sizes a new
    dock by its contents and its left panel is as wide as the widest layer controls)."""
    area = window.dockWidgetArea(dock)
    if area not in SIDES:
        return
    other_side = next(side for side in SIDES if side != area)
    others = [
        d.width()
        for d in window.findChildren(QDockWidget)
        if not d.isHidden() and not d.isFloating() and window.dockWidgetArea(d) == other_side
    ]
    room = window.width() - window.width() // 2 - max(others, default=0) - SPLITTERS_PX
    target = max(MIN_DOCK_WIDTH, room)
    if dock.width() > target:
        window.resizeDocks([dock], [target], Qt.Orientation.Horizontal)


class _DockWatcher(QObject):
    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.ParentChange and watched.parent() is not None:
            # after napari has placed the dock (it adds it to the window right after setting the parent)
            QTimer.singleShot(0, lambda: tabify_with_siblings(watched))
        return False


def tabify_when_docked(widget: QWidget) -> None:
    """Each time ``widget`` is docked, tab it with the plugin's other docks in that area."""
    _DockWatcher(widget)


def refit_beside_canvas(widget: QWidget) -> None:
    """:func:`fit_beside_canvas` for ``widget``'s dock, when it is docked in a main window."""
    docked = _docked_in(widget)
    if docked is not None:
        fit_beside_canvas(*docked)


def side_widths(widget: QWidget) -> dict[QDockWidget, tuple[int, int]]:
    """(width, minimum width) of the docks on the side opposite ``widget``'s dock (napari's layer list and layer
    controls, on the left), to be given back by :func:`restore_side_widths`; empty when ``widget`` is not docked
    at a side."""
    docked = _docked_in(widget)
    if docked is None or docked[0].dockWidgetArea(docked[1]) not in SIDES:
        return {}
    window, dock = docked
    other_side = next(side for side in SIDES if side != window.dockWidgetArea(dock))
    return {
        d: (d.width(), d.minimumWidth())
        for d in window.findChildren(QDockWidget)
        if not d.isHidden() and not d.isFloating() and window.dockWidgetArea(d) == other_side
    }


def restore_side_widths(widget: QWidget, widths: dict[QDockWidget, tuple[int, int]]) -> None:
    """Give the docks of :func:`side_widths` their widths back where they have grown: Qt widens a side panel for
    a wider widget in it (the review surface's layer controls in 3D), raising the dock's minimum width, and keeps
    both after that widget is gone, at the canvas's expense."""
    docked = _docked_in(widget)
    if docked is None:
        return
    window = docked[0]
    grown = []
    for d, (width, minimum) in widths.items():
        if d.isHidden() or d.width() <= width:
            continue
        if d.minimumWidth() > minimum:
            d.setMinimumWidth(minimum)
        grown.append((d, width))
    if grown:
        window.resizeDocks([d for d, _ in grown], [width for _, width in grown], Qt.Orientation.Horizontal)
