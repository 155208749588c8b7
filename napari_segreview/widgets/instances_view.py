"""The review dock's "Instances" tab: which objects of the ground truth were found or missed, which predicted
ones are false alarms, and where they are.

The pair is the review session's (the dock's ground truth and prediction choosers). The matching runs in a
``thread_worker`` over ``instances.review_instances`` on copies of the two layers; the result is marked out of
date when either layer changes (paint, undo, new data, geometry) and, with the dock's "live" option, computed
again after a short pause. A click on a row shows that instance: its centre slice, zoomed to its box.
"""

from __future__ import annotations

import numpy as np
from napari.qt.threading import thread_worker
from napari.utils import progress
from napari.utils.notifications import show_error, show_info
from qtpy.QtCore import QTimer
from qtpy.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..instances import instances_as_given, instances_from_semantic, review_instances
from ..plugin.instance_maps import INSTANCE_MAP_KEY
from ..plugin.layers import GEOMETRY_KEY
from ..review.session import same_layer, underlying
from .instance_camera import go_to_instance
from .instance_rows import (
    FALSE_POSITIVE,
    MATCHED,
    MISSED,
    STATUS_COLORS,
    STATUS_NAMES,
    next_with_status,
    ordered_rows,
    status_overlay,
    summary_text,
    summary_tip,
)
from .instance_table import COLUMN_KEYS, InstanceTableModel, instance_table
from .layer_watch import data_differ_worker, rewatch
from .progress_step import show_step
from .review_layers import ROLE_KEY, find_layer, geometry_of, unit_of
from .scrolling import scrolling_layout

ROLE = "instances"
OVERLAY_NAME = "instances: matched / missed / FP"
SHORTCUTS = {"Shift-M": "missed", "Shift-F": "false positive"}
SOURCES = {"components": "components", "as given": "as given"}
MODES = {"optimal": "optimal", "greedy": "greedy", "brats": "BraTS"}
LIVE_UPDATE_DELAY_MS = 600
VERIFY_DELAY_MS = 300
# without a hint in the layer's metadata, a map with more distinct values than a semantic map has classes is
# taken as an instance map (stardist and cellpose number their objects 1..n); np.max only, no np.unique pass
INSTANCE_MAP_ABOVE = 20


class MatchingFailed(Exception):
    """A one-sentence reason the matching could not be computed."""


def guess_source(layer) -> str:
    """The source of a layer's objects: "as given" for an instance map, "components" for a semantic one, by the
    layer's own word when it has one (``INSTANCE_MAP_KEY``, set by the samples), else by its largest value."""
    hint = layer.metadata.get(INSTANCE_MAP_KEY)
    if hint is not None:
        return "as given" if hint else "components"
    data = np.asarray(layer.data)
    return "as given" if data.size and int(data.max()) > INSTANCE_MAP_ABOVE else "components"


@thread_worker(ignore_errors=True)
def matching_worker(gt: np.ndarray, pred: np.ndarray, options: dict):
    """Instances of both maps, their matching (yielding its progress), the status overlay and the table rows."""
    try:
        if options["source"] == "components":
            connectivity = min(int(options["connectivity"]), gt.ndim)
            gt_instances = instances_from_semantic(gt, connectivity=connectivity)
            pred_instances = instances_from_semantic(pred, connectivity=connectivity)
        else:
            gt_instances, pred_instances = instances_as_given(gt), instances_as_given(pred)
        matching = yield from review_instances(
            gt_instances,
            pred_instances,
            spacing=options["spacing"],
            threshold=options["threshold"],
            criterion=options["criterion"],
            mode=options["mode"],
        )
        return matching, status_overlay(gt_instances, pred_instances, matching), ordered_rows(matching)
    except ValueError as exc:
        raise MatchingFailed(str(exc)) from exc
    except Exception as exc:
        raise MatchingFailed(f"The instance matching failed: {exc}") from exc


def _swatch(code: int, text: str) -> QLabel:
    label = QLabel(text)
    label.setToolTip(STATUS_NAMES[code])
    label.setStyleSheet(f"background-color: {STATUS_COLORS[code][:7]}; color: black; padding: 1px 3px;")
    return label


class InstancesView(QWidget):
    """Options, the matching's summary, the instances table and its navigation, and the status overlay.

    ``session``: the review's :class:`~napari_segreview.review.session.ReviewSession` (the pair); ``inputs``: the
    dock's :class:`~napari_segreview.widgets.review_inputs.ReviewInputs` (its ``live`` box and ``pair_chosen``),
    or None (then always live).
    """

    def __init__(self, viewer, session, inputs=None, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.session = session
        self.inputs = inputs
        self.worker = None
        self.verifier = None
        self.matching = None
        self.rows: list[dict] = []
        self.shown = None  # (gt, pred) layers (underlying) the shown matching came from
        self.snapshot: tuple[np.ndarray, np.ndarray] | None = None
        self.options_used: dict | None = None
        self.stale = False
        self.watched: list = []
        self._source_for = None  # the GT layer the source option was last guessed for
        self._moving = False

        self.source = QComboBox()
        for key, text in SOURCES.items():
            self.source.addItem(text, key)
        self.source.setToolTip(
            "connected components: each separate blob of the labels is one object (lesions, semantic masks); "
            "as given: each label value is one object (stardist, cellpose instance maps)"
        )
        self.source.activated.connect(lambda _index: setattr(self, "_source_for", "user"))
        self.connectivity = QSpinBox(minimum=1, maximum=3, value=3)
        self.connectivity.setToolTip("components: 1 = faces, 2 = and edges, 3 = and corners touch (at most ndim)")
        self.mode = QComboBox()
        for key, text in MODES.items():
            self.mode.addItem(text, key)
        self.mode.setToolTip(
            "optimal: one-to-one, most matches (stardist's rule); greedy: best pairs first; BraTS lesions: GT "
            "lesions dilated, every predicted component touching one merged into its match (threshold unused)"
        )
        self.criterion = QComboBox()
        self.criterion.addItems(["IoU", "Dice"])
        self.threshold = QDoubleSpinBox(decimals=2, minimum=0.05, maximum=1.0, value=0.5, singleStep=0.05)
        self.threshold.setToolTip("a pair matches when its IoU (or Dice) is at least this")
        self.mode.currentIndexChanged.connect(self._on_mode)
        for widget in (self.source, self.mode, self.criterion):
            widget.setMinimumContentsLength(6)
            widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            widget.setMinimumWidth(40)
        for widget in (self.source, self.connectivity, self.mode, self.criterion, self.threshold):
            signal = widget.valueChanged if hasattr(widget, "valueChanged") else widget.currentIndexChanged
            signal.connect(self._on_options_changed)

        self.compute_button = QPushButton("Match")
        self.compute_button.setToolTip("match the ground truth's and the prediction's objects")
        self.compute_button.clicked.connect(self.compute)
        self.next_missed_button = QPushButton("missed ▶")
        self.next_missed_button.setToolTip("next missed GT instance (shortcut Shift-M in the viewer)")
        self.next_missed_button.clicked.connect(self.go_next_missed)
        self.next_fp_button = QPushButton("FP ▶")
        self.next_fp_button.setToolTip("next false-positive prediction (shortcut Shift-F in the viewer)")
        self.next_fp_button.clicked.connect(self.go_next_false_positive)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.model = InstanceTableModel(self)
        self.table = instance_table(self.model)
        self.table.setMinimumHeight(60)  # the dock is short at 1280x800; the table takes whatever height is left
        self.table.selectionModel().currentRowChanged.connect(self._on_row_selected)
        self.criterion.currentIndexChanged.connect(self._show_score_column)

        # short rows without a label column: the side panel is ~250 px wide beside a half-window canvas
        for spin in (self.connectivity, self.threshold):
            spin.setButtonSymbols(QSpinBox.ButtonSymbols.NoButtons)
            spin.setStyleSheet("QAbstractSpinBox { min-width: 36px; }")  # napari's style asks for more
        self.threshold.setPrefix("≥ ")
        self.criterion.setFixedWidth(self.fontMetrics().horizontalAdvance("Dice") + 40)  # text and arrow
        first, second = QHBoxLayout(), QHBoxLayout()
        first.addWidget(self.source, stretch=1)
        first.addWidget(QLabel("conn."))
        first.addWidget(self.connectivity)
        second.addWidget(self.mode, stretch=1)
        second.addWidget(self.criterion)
        second.addWidget(self.threshold)
        buttons = QHBoxLayout()
        buttons.addWidget(self.compute_button, stretch=1)
        for button in (self.next_missed_button, self.next_fp_button):
            button.setMinimumWidth(self.fontMetrics().horizontalAdvance(button.text()) + 20)
            buttons.addWidget(button)
        legend = QHBoxLayout()
        legend.setSpacing(3)
        for code, text in ((MATCHED, "found"), (MISSED, "missed"), (FALSE_POSITIVE, "false positive")):
            legend.addWidget(_swatch(code, text))
        legend.addStretch()
        self.results = QWidget()
        results = QVBoxLayout(self.results)
        results.setContentsMargins(0, 0, 0, 0)
        results.addWidget(self.summary)
        results.addLayout(legend)
        results.addWidget(self.table, stretch=1)
        # in a scroll area of its own: a tab page as tall as its contents would make the whole dock scroll
        layout = scrolling_layout(self)
        layout.setContentsMargins(0, 4, 0, 2)
        layout.addLayout(first)
        layout.addLayout(second)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.results, stretch=1)

        self.change_timer = QTimer(self)
        self.change_timer.setSingleShot(True)
        self.change_timer.setInterval(LIVE_UPDATE_DELAY_MS)
        self.change_timer.timeout.connect(self._bring_up_to_date)
        self.verify_timer = QTimer(self)
        self.verify_timer.setSingleShot(True)
        self.verify_timer.setInterval(VERIFY_DELAY_MS)
        self.verify_timer.timeout.connect(self._verify_data)
        self.layers_timer = QTimer(self)
        self.layers_timer.setSingleShot(True)
        self.layers_timer.setInterval(0)
        self.layers_timer.timeout.connect(self._after_layers_changed)
        layers = viewer.layers
        layers.events.inserted.connect(self._on_layers_changed)
        layers.events.removed.connect(self._on_layers_changed)
        layers.events.moved.connect(self._on_layers_changed)
        if inputs is not None:
            inputs.pair_chosen.connect(self.render_state)
        for key, status in SHORTCUTS.items():
            viewer.bind_key(key, self._shortcut(status), overwrite=True)
        self.render_state()

    def stop(self) -> None:
        """The dock was closed: stop computing and following the viewer (the overlay layer stays)."""
        if self.worker is not None:
            self.worker.quit()
            self.worker = None
        self.change_timer.stop()
        self.verify_timer.stop()
        self.layers_timer.stop()
        self._watch(None)
        layers = self.viewer.layers
        for event in (layers.events.inserted, layers.events.removed, layers.events.moved):
            event.disconnect(self._on_layers_changed)
        for key in SHORTCUTS:
            self.viewer.bind_key(key, None)

    # ---- the pair and whether the shown matching still holds ---------------------------------------------------

    def _show_score_column(self, _index=None) -> None:
        """The table's score is the matching criterion's (IoU or Dice); the other stays in the header menu."""
        shown = self.criterion.currentText().lower()
        for action, key in zip(self.table.column_menu.actions(), COLUMN_KEYS, strict=True):
            if key in ("iou", "dice"):
                action.setChecked(key == shown)

    def _on_mode(self, _index=None) -> None:
        # BraTS matches by overlap of the dilated lesion, not by a score threshold
        brats = self.mode.currentData() == "brats"
        self.threshold.setEnabled(not brats)
        self.criterion.setEnabled(not brats)

    def _pair(self):
        return self.session.gt, self.session.pred

    def _blocker(self) -> str | None:
        return self.session.blocker()

    def _guess_source(self) -> None:
        gt = self.session.gt
        if gt is None or self._source_for == "user" or same_layer(self._source_for, gt):
            return
        self._source_for = gt
        self.source.setCurrentIndex(self.source.findData(guess_source(gt)))
        self.connectivity.setMaximum(max(1, gt.ndim))
        self.connectivity.setValue(gt.ndim)

    def current(self) -> bool:
        """The shown matching describes the chosen pair as it is now, with the options shown."""
        gt, pred = self._pair()
        return (
            self.matching is not None
            and not self.stale
            and self.shown is not None
            and same_layer(gt, self.shown[0])
            and same_layer(pred, self.shown[1])
            and self.options_used == self.options()
        )

    def render_state(self) -> None:
        self._guess_source()
        blocker = self._blocker()
        computing = self.worker is not None
        self.compute_button.setEnabled(blocker is None and not computing)
        self.compute_button.setToolTip(blocker or "match the ground truth's and the prediction's objects")
        self.results.setEnabled(self.current())
        has_rows = self.matching is not None
        self.next_missed_button.setEnabled(has_rows)
        self.next_fp_button.setEnabled(has_rows)
        if computing:
            return
        gt, pred = self._pair()
        if self.matching is None:
            self.status.setText(blocker or f"Ready to match the objects of '{gt.name}' and '{pred.name}'.")
        elif not (same_layer(gt, self.shown[0]) and same_layer(pred, self.shown[1])):
            self.status.setText(
                f"Out of date: shown is '{self.shown[0].name}' against '{self.shown[1].name}'; "
                + (blocker or "match the chosen pair.")
            )
        elif self.stale:
            live = self._live()
            self.status.setText(
                "Out of date: a matched layer changed since. "
                + ("Updating…" if live and blocker is None else blocker or "Match again to update.")
            )
        elif self.options_used != self.options():
            then = "updating…" if self._live() else "match again."
            self.status.setText(f"Out of date: the options changed; {then}")
        else:
            self.status.setText("")  # the summary says it all; the panel has no height to spare
        self.status.setVisible(bool(self.status.text()))

    def _live(self) -> bool:
        return self.inputs is None or self.inputs.live.isChecked()

    def _on_layers_changed(self, event=None) -> None:
        # after the dock's own handler (connected later) has told the session about the change; a child timer,
        # so nothing runs once the view is gone
        self.layers_timer.start()

    def _after_layers_changed(self) -> None:
        if self.shown is not None:
            present = {id(underlying(layer)) for layer in self.viewer.layers}
            if not {id(self.shown[0]), id(self.shown[1])} <= present:
                self.clear(remove_layer=True)
                show_info("A matched layer was removed; the instance matching was cleared.")
        self.render_state()

    def _watch(self, layers) -> None:
        self.watched = rewatch(self.watched, layers, self._on_matched_layer_changed, self._on_matched_layer_refreshed)

    def _on_matched_layer_changed(self, event=None) -> None:
        self._mark_stale()

    def _mark_stale(self) -> None:
        if self.matching is None:
            return
        self.stale = True
        self.render_state()
        if self._live():
            self.change_timer.start()

    def _on_matched_layer_refreshed(self, event=None) -> None:
        self.verify_timer.start()

    def _verify_data(self) -> None:
        """After a refresh of a matched layer (napari's undo emits only that): did its data change?"""
        if self.snapshot is None or self.shown is None:
            return
        if self.verifier is not None:
            self.verify_timer.start()
            return
        snapshot = self.snapshot
        worker = data_differ_worker(self.shown, snapshot)

        def done(differ: bool) -> None:
            self.verifier = None
            if snapshot is not self.snapshot:
                return
            if differ and not self.stale:
                self._mark_stale()
            elif not differ and self.stale and self.worker is None and self._geometry_unchanged():
                self.stale = False  # e.g. undone back to the matched data
                self.render_state()

        worker.returned.connect(done)
        worker.errored.connect(lambda _exc: setattr(self, "verifier", None))
        self.verifier = worker
        worker.start()

    def _geometry_unchanged(self) -> bool:
        return (
            self.shown is not None
            and self.options_used is not None
            and (tuple(float(s) for s in self.shown[0].scale) == self.options_used["spacing"])
        )

    def _on_options_changed(self, *_args) -> None:
        self.render_state()
        if self.matching is not None and self._live() and self.options_used != self.options():
            self.change_timer.start()

    def _bring_up_to_date(self) -> None:
        """Live: match again when the shown matching is of the chosen pair but stale or of other options."""
        if self.matching is None or not self._live() or self.worker is not None or self._blocker() is not None:
            return
        gt, pred = self._pair()
        same_pair = same_layer(gt, self.shown[0]) and same_layer(pred, self.shown[1])
        if same_pair and (self.stale or self.options_used != self.options()):
            self.compute()

    # ---- computing -----------------------------------------------------------------------------------------

    def options(self) -> dict:
        gt = self.session.gt
        spacing = tuple(float(abs(s)) for s in gt.scale) if gt is not None else None
        return {
            "source": self.source.currentData(),
            "connectivity": self.connectivity.value(),
            "mode": self.mode.currentData(),
            "criterion": self.criterion.currentText().lower(),
            "threshold": round(self.threshold.value(), 4),
            "spacing": spacing,
        }

    def compute(self) -> None:
        blocker = self._blocker()
        if blocker is not None:
            show_error(blocker)
            return
        gt_layer, pred_layer = self._pair()
        gt, pred = np.array(gt_layer.data), np.array(pred_layer.data)  # copies: the user may paint meanwhile
        options = self.options()
        if self.worker is not None:
            self.worker.quit()
        self.status.setText("Matching instances…")
        self.status.setVisible(True)
        worker = matching_worker(gt, pred, options)
        bar = progress(total=0, desc="instance matching")
        worker.yielded.connect(lambda step: show_step(bar, step))
        layers = (gt_layer, pred_layer)
        worker.returned.connect(
            lambda payload: worker is self.worker and self._on_result(payload, layers, (gt, pred), options)
        )
        worker.errored.connect(lambda exc: worker is self.worker and self._on_error(exc))
        worker.finished.connect(lambda: self._on_finished(worker, bar))
        self.worker = worker
        self.render_state()
        worker.start()

    def _on_error(self, exc: Exception) -> None:
        message = str(exc) if isinstance(exc, MatchingFailed) else f"The instance matching failed: {exc}"
        show_error(message)
        self.worker = None
        self.render_state()
        self.status.setText(message)
        self.status.setVisible(True)

    def _on_finished(self, worker, bar) -> None:
        bar.close()
        if worker is self.worker:
            self.worker = None
            self.render_state()

    def _on_result(self, payload, layers, arrays, options) -> None:
        self.worker = None
        present = {id(underlying(layer)) for layer in self.viewer.layers}
        gt_layer, pred_layer = (underlying(layer) for layer in layers)
        if not {id(gt_layer), id(pred_layer)} <= present:
            show_info("A layer was removed while the instances were matched; the result was dropped.")
            self.render_state()
            return
        matching, overlay, rows = payload
        self.matching, self.rows, self.options_used = matching, rows, options
        self.shown, self.snapshot, self.stale = (gt_layer, pred_layer), arrays, False
        self._watch([gt_layer, pred_layer])
        unit = unit_of(gt_layer)
        self.model.set_rows(rows, unit, "px" if gt_layer.ndim == 2 and unit == "px" else "vox")
        self.table.horizontalHeader().setSortIndicatorShown(False)
        self.summary.setText(summary_text(matching.summary))
        self.summary.setToolTip(summary_tip(matching.summary))
        self._show_overlay(gt_layer, overlay)
        self.render_state()

    def _show_overlay(self, reference, overlay: np.ndarray) -> None:
        layer = find_layer(self.viewer, ROLE)
        if layer is not None and layer.ndim != overlay.ndim:
            self.viewer.layers.remove(layer)
            layer = None
        geometry = geometry_of(reference)
        metadata = {ROLE_KEY: ROLE}
        if GEOMETRY_KEY in reference.metadata:
            metadata[GEOMETRY_KEY] = reference.metadata[GEOMETRY_KEY]
        if layer is None:
            selected = list(self.viewer.layers.selection)
            self.viewer.add_labels(
                overlay, name=OVERLAY_NAME, colormap=dict(STATUS_COLORS), opacity=0.7, metadata=metadata, **geometry
            )
            self.viewer.layers.selection.clear()  # adding selects the new layer: give the selection back
            self.viewer.layers.selection.update(selected)
        else:
            layer.scale, layer.translate, layer.affine = geometry["scale"], geometry["translate"], geometry["affine"]
            layer.metadata = metadata
            layer.data = overlay
            layer.visible = True

    def clear(self, remove_layer: bool = False) -> None:
        self.matching, self.rows, self.shown, self.snapshot, self.options_used = None, [], None, None, None
        self.stale = False
        self._watch(None)
        self.change_timer.stop()
        self.model.set_rows([], "px", "px")
        self.summary.setText("")
        layer = find_layer(self.viewer, ROLE) if remove_layer else None
        if layer is not None:
            self.viewer.layers.remove(layer)

    # ---- navigation ----------------------------------------------------------------------------------------

    def _shortcut(self, status: str):
        def run(_viewer):
            self.go_next(status)

        return run

    def selected_position(self) -> int | None:
        index = self.table.selectionModel().currentIndex()
        return index.row() if index.isValid() else None

    def go_next(self, status: str) -> None:
        """Select (and show) the next row with ``status`` ("missed" or "false positive") in the table's order."""
        if self.matching is None:
            show_info("Match the instances first.")
            return
        position = next_with_status(self.model.rows, status, self.selected_position())
        if position is None:
            show_info("No instance was missed." if status == "missed" else "No prediction is a false positive.")
            return
        self.select(position)

    def go_next_missed(self) -> None:
        self.go_next("missed")

    def go_next_false_positive(self) -> None:
        self.go_next("false positive")

    def select(self, position: int) -> None:
        index = self.model.index(position, 0)
        self.table.setCurrentIndex(index)
        self.table.selectRow(position)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def _on_row_selected(self, current, _previous) -> None:
        if current.isValid():
            self.go_to(self.model.row_at(current.row()))

    def go_to(self, row: dict) -> None:
        """Move the viewer to the instance of ``row`` (centre slice, zoomed to its box)."""
        if self.shown is None:
            return
        reference = self.shown[0] if row["kind"] == "gt" else self.shown[1]
        ndim = reference.ndim
        centre = [row[f"centre_{axis}"] for axis in range(ndim)]
        box = tuple(slice(row[f"box_lo_{axis}"], row[f"box_hi_{axis}"]) for axis in range(ndim))
        go_to_instance(self.viewer, reference, centre, box)
