"""Tabs without a frame: QTabWidget's pane frame and margins (and napari's style on a QStackedWidget) cost 2-6 px
of a side panel that has none to spare, so a tab bar over a plain stacked layout instead (the parts of
QTabWidget's API the docks use)."""

from __future__ import annotations

from qtpy.QtWidgets import QStackedLayout, QTabBar, QVBoxLayout, QWidget


class ResultTabs(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._bar = QTabBar()
        self._bar.setDocumentMode(True)
        self._bar.setExpanding(False)
        pages = QWidget()
        self._stack = QStackedLayout(pages)
        self._stack.setContentsMargins(0, 0, 0, 0)
        self._bar.currentChanged.connect(self._stack.setCurrentIndex)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self._bar)
        layout.addWidget(pages, stretch=1)

    def addTab(self, page: QWidget, title: str) -> int:  # noqa: N802 (QTabWidget's name)
        self._stack.addWidget(page)
        return self._bar.addTab(title)

    def tabBar(self) -> QTabBar:  # noqa: N802
        return self._bar

    def count(self) -> int:
        return self._bar.count()

    def tabText(self, index: int) -> str:  # noqa: N802
        return self._bar.tabText(index)

    def widget(self, index: int) -> QWidget:
        return self._stack.widget(index)

    def currentWidget(self) -> QWidget:  # noqa: N802
        return self._stack.currentWidget()

    def setCurrentWidget(self, page: QWidget) -> None:  # noqa: N802
        self._bar.setCurrentIndex(self._stack.indexOf(page))
