"""The "Segmentation review" dock: wires the chosen layers to the review core and shows the results.

Computation runs in a ``thread_worker`` over ``review.compute.run_review`` (a generator yielding progress);
the main thread only swaps finished arrays into layers and tables.
"""

from __future__ import annotations

import numpy as np
from napari.qt.threading import thread_worker
from napari.utils import progress
from napari.utils.notifications import show_error, show_info, show_warning
from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..io.reports import write_report
from ..metrics import summarize
from ..review.compute import ReviewResult, ReviewSettings, changed_slices, run_review, update_review
from ..review.heatmaps import contour_distance_image, default_limit
from ..review.navigation import disagreement_centre, failing_slices, next_failing, worst_slice
from ..review.overlay import OVERLAY_COLORS, OVERLAY_NAMES, error_overlay
from ..review.surface import SurfaceMesh, prediction_surface
from .dock_removal import call_when_removed
from .review_inputs import ReviewInputs
from .review_layers import find_layer, set_limits, show_colorbar, show_heatmap, show_overlay, show_surface
from .slice_follower import SliceFollower
from .slice_plot import SlicePlot
from .slice_table import SliceFilterProxy, SliceTableModel, format_value
from .volume_panel import VolumePanel

LIVE_UPDATE_DELAY_MS = 600
# between two steps of showing a result: long enough for Qt to repaint (napari draws a new layer's first frame,
# compiling its shaders, in that repaint) and to handle input, so no two slow steps run back to back
STEP_PAUSE_MS = 20
SHORT_OVERLAY_NAMES = {1: "TP", 2: "FP", 3: "FN", 4: "wrong class"}
SHORTCUTS = {"Shift-W": "worst", "Shift-N": "next", "Shift-B": "previous"}
# above this many voxels the 3D surface is built on a 2x coarser grid to stay interactive
SURFACE_FULL_RESOLUTION_VOXELS = 4_000_000


def compute_layers(gt, pred, result: ReviewResult, label: int | None, signed: bool, want_surface: bool):
    """Everything the viewer shows besides the tables, computed off the main thread."""
    evaluations = [e for lab, e in result.evaluations.items() if label is None or lab == label]
    limit = default_limit(evaluations)
    layers = {
        "overlay": error_overlay(gt, pred, label),
        "distance": contour_distance_image(gt.shape, evaluations, signed),
        "limit": limit,
        "mesh": None,
    }
    if want_surface and gt.ndim == 3:
        step = 1 if gt.size <= SURFACE_FULL_RESOLUTION_VOXELS else 2
        spacing = result.settings.spacing
        meshes = [prediction_surface(pred, gt, e, spacing, signed=signed, step=step) for e in evaluations]
        layers["mesh"] = _merge_meshes([m for m in meshes if m is not None])
    return layers


def _merge_meshes(meshes):
    if not meshes:
        return None
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    return SurfaceMesh(
        vertices=np.concatenate([m.vertices for m in meshes]),
        faces=np.concatenate([m.faces + offset for m, offset in zip(meshes, offsets, strict=True)]),
        values=np.concatenate([m.values for m in meshes]),
    )


class ReviewFailed(Exception):
    """Carries a failure out of the worker: superqt takes a RuntimeError raised in a generator worker for a
    deleted worker and reports nothing, so errors leave as this type."""


# errors are shown by the dock as one sentence; without ignore_errors superqt would also re-raise them on the
# main thread as a traceback
@thread_worker(ignore_errors=True)
def review_worker(gt, pred, settings, label, signed, want_surface, previous=None, edited=None):
    try:
        if previous is None:
            result = yield from run_review(gt, pred, settings)
        else:
            result = yield from update_review(previous, gt, pred, edited)
        return result, compute_layers(gt, pred, result, label, signed, want_surface)
    except ValueError:
        raise
    except Exception as exc:
        raise ReviewFailed(f"The review failed: {exc}") from exc


class ReviewDock(QWidget):
    def __init__(self, napari_viewer):
        super().__init__()
        self.viewer = napari_viewer
        self.result: ReviewResult | None = None
        self.snapshot: tuple[np.ndarray, np.ndarray] | None = None
        self.reviewed_layers: tuple = ()
        self.rows_by_slice: dict[int, list[dict]] = {}
        self.worker = None
        self.showing = False
        self.live_layers: tuple = ()
        self.shown_signed = False

        self.inputs = ReviewInputs(napari_viewer)
        self.compute_button = QPushButton("Compute review")
        self.compute_button.clicked.connect(self.compute)
        self.status = QLabel("Choose the ground truth and the prediction, then compute.")
        self.status.setWordWrap(True)
        self.volume_panel = VolumePanel()
        self.readout = QLabel("")
        self.readout.setWordWrap(True)

        self.table_model = SliceTableModel(self)
        self.table_proxy = SliceFilterProxy(self)
        self.table_proxy.setSourceModel(self.table_model)
        self.table = QTableView()
        self.table.setModel(self.table_proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.sortByColumn(2, Qt.SortOrder.AscendingOrder)  # worst Dice first
        self.table.setMinimumHeight(180)
        self.table.selectionModel().currentRowChanged.connect(self._on_row_selected)
        self.show_empty = QCheckBox("show slices empty in both")
        self.show_empty.toggled.connect(self._apply_filters)
        self.inputs.label.currentIndexChanged.connect(self._apply_filters)
        self.inputs.threshold.valueChanged.connect(self._on_threshold)

        buttons = QHBoxLayout()
        for text, action, key in (
            ("worst slice", self.go_worst, "Shift-W"),
            ("◀ failing", self.go_previous_failing, "Shift-B"),
            ("failing ▶", self.go_next_failing, "Shift-N"),
        ):
            button = QPushButton(text)
            button.setToolTip(f"shortcut {key} in the viewer")
            button.clicked.connect(action)
            buttons.addWidget(button)
        exports = QHBoxLayout()
        for text, action in (
            ("export volume CSV…", self.export_volume_dialog),
            ("export slices CSV…", self.export_slices_dialog),
        ):
            button = QPushButton(text)
            button.clicked.connect(action)
            exports.addWidget(button)

        self.clamp = QDoubleSpinBox(decimals=2, minimum=0.01, maximum=10_000.0, value=1.0)
        self.clamp.setToolTip("upper colour limit of the distance heatmaps (default: HD)")
        self.clamp.valueChanged.connect(lambda value: set_limits(self.viewer, value, self.shown_signed))
        legend = QHBoxLayout()
        for value, name in OVERLAY_NAMES.items():
            swatch = QLabel(SHORT_OVERLAY_NAMES[value])
            swatch.setToolTip(name)
            color = OVERLAY_COLORS[value][:7]  # Qt style sheets take #rrggbb
            swatch.setStyleSheet(f"background-color: {color}; color: black; padding: 1px 4px;")
            legend.addWidget(swatch)
        legend.addStretch()
        self.clamp_label = QLabel("heatmap limit (mm)")
        legend.addWidget(self.clamp_label)
        legend.addWidget(self.clamp)

        layout = QVBoxLayout(self)
        layout.addWidget(self.inputs)
        layout.addWidget(self.compute_button)
        layout.addWidget(self.status)
        self.units_caption = QLabel("")
        layout.addWidget(self.volume_panel)
        layout.addWidget(self.units_caption)
        layout.addWidget(self.readout)
        layout.addLayout(buttons)
        layout.addWidget(self.table, stretch=1)
        layout.addWidget(self.show_empty)
        layout.addLayout(exports)
        layout.addLayout(legend)

        self.follower = SliceFollower(napari_viewer, self)
        self.follower.slice_changed.connect(self._on_slice_changed)
        self.plot = SlicePlot(napari_viewer)
        self.plot.slice_clicked.connect(lambda index: self.go_to_slice(index))
        self.plot_metric = QCheckBox("plot HD95 instead of Dice")
        self.plot_metric.toggled.connect(lambda _checked: self._draw_plot())
        plot_box = QWidget()
        plot_layout = QVBoxLayout(plot_box)
        plot_layout.setContentsMargins(2, 2, 2, 2)
        plot_layout.addWidget(self.plot)
        plot_layout.addWidget(self.plot_metric)
        self.plot_box = plot_box
        try:
            napari_viewer.window.add_dock_widget(plot_box, name="Per-slice plot", area="bottom")
        except Exception:  # a viewer without a Qt window (headless scripts): keep the plot in this dock
            layout.addWidget(plot_box)

        self.live_timer = QTimer(self)
        self.live_timer.setSingleShot(True)
        self.live_timer.setInterval(LIVE_UPDATE_DELAY_MS)
        self.live_timer.timeout.connect(self._live_update)
        for key, action in SHORTCUTS.items():
            napari_viewer.bind_key(key, self._shortcut(action), overwrite=True)
        napari_viewer.dims.events.ndisplay.connect(self._on_ndisplay)
        call_when_removed(self, self.stop)

    def stop(self) -> None:
        """The dock was closed: stop computing and following the viewer; the layers it made stay."""
        if self.worker is not None:
            self.worker.quit()
            self.worker = None  # whatever it still sends is ignored
        self.live_timer.stop()
        for event in self._live_events(self.live_layers):
            event.disconnect(self._schedule_live_update)
        self.live_layers = None
        self.follower.disconnect_viewer()
        for key in SHORTCUTS:
            self.viewer.bind_key(key, None)
        self.viewer.dims.events.ndisplay.disconnect(self._on_ndisplay)
        if self.plot_box.parent() is not None and self.plot_box.parent() is not self:
            try:
                self.viewer.window.remove_dock_widget(self.plot_box)
            except LookupError:  # the user closed the plot's dock already
                pass

    def _on_ndisplay(self, event=None) -> None:
        """The 3D surface heatmap appears when the user switches to the 3D view."""
        surface = find_layer(self.viewer, "surface")
        if surface is not None and self.viewer.dims.ndisplay == 3:
            surface.visible = True

    # ---- computing -------------------------------------------------------------------------------------------

    def _shortcut(self, action: str):
        def run(_viewer):
            {"worst": self.go_worst, "next": self.go_next_failing, "previous": self.go_previous_failing}[action]()

        return run

    def _checked_layers(self):
        gt_layer, pred_layer = self.inputs.gt_layer, self.inputs.pred_layer
        if gt_layer is None or pred_layer is None:
            show_warning("Choose a ground-truth layer and a prediction layer first.")
            return None
        if gt_layer is pred_layer:
            show_warning("The ground truth and the prediction are the same layer; choose two different layers.")
            return None
        if gt_layer.data.shape != pred_layer.data.shape:
            show_error(
                f"'{gt_layer.name}' has shape {gt_layer.data.shape} but '{pred_layer.name}' has shape "
                f"{pred_layer.data.shape}; the review needs two layers on the same voxel grid."
            )
            return None
        if not (
            np.allclose(gt_layer.scale, pred_layer.scale) and np.allclose(gt_layer.translate, pred_layer.translate)
        ):
            show_error(
                f"'{gt_layer.name}' and '{pred_layer.name}' have different scale or translate; the review needs "
                "two layers on the same voxel grid."
            )
            return None
        return gt_layer, pred_layer

    def settings(self) -> ReviewSettings:
        gt_layer = self.inputs.gt_layer
        return ReviewSettings(
            spacing=tuple(float(s) for s in gt_layer.scale[-gt_layer.ndim :]),
            axis=self.inputs.selected_axis(),
            convention=self.inputs.convention.currentText(),
            nsd_tolerance=self.inputs.tolerance.value(),
        )

    def compute(self) -> None:
        """Start the full review of the chosen layers in a worker thread."""
        layers = self._checked_layers()
        if layers is None:
            return
        gt_layer, pred_layer = layers
        gt, pred = np.array(gt_layer.data), np.array(pred_layer.data)  # copies: the user may paint meanwhile
        # follow edits from now on: a stroke made while this computes is found against these copies afterwards
        self._connect_live(gt_layer, pred_layer)
        self._start(gt, pred, layers, self.settings())

    def _start(self, gt, pred, layers, settings, previous=None, edited=None) -> None:
        """Start a worker; one still running is told to quit and whatever it still sends is ignored (each
        worker has its own progress bar, and only the current worker's result and end count)."""
        if self.worker is not None:
            self.worker.quit()
        self.status.setText("Computing…")
        self.compute_button.setEnabled(False)
        worker = review_worker(
            gt, pred, settings, self.inputs.selected_label(), self.inputs.signed.isChecked(),
            self.inputs.surface.isChecked(), previous, edited,
        )  # fmt: skip
        bar = progress(total=0, desc="segmentation review")
        worker.yielded.connect(lambda step: self._on_progress(step, bar))
        worker.returned.connect(lambda payload: worker is self.worker and self._on_result(payload, gt, pred, layers))
        worker.errored.connect(lambda exc: worker is self.worker and self._on_error(exc))
        worker.finished.connect(lambda: self._on_finished(worker, bar))
        self.worker = worker
        worker.start()

    @staticmethod
    def _on_progress(step, bar) -> None:
        bar.total = step.total
        bar.n = step.done
        bar.set_description(step.message)
        bar.refresh()

    def _on_error(self, exc: Exception) -> None:
        message = str(exc) if isinstance(exc, (ValueError, ReviewFailed)) else f"The review failed: {exc}"
        show_error(message)
        self.status.setText(message)

    def _on_finished(self, worker, bar) -> None:
        bar.close()
        if worker is self.worker:
            self.worker = None
            self.compute_button.setEnabled(True)

    def _on_result(self, payload, gt, pred, layers) -> None:
        gt_layer, pred_layer = layers
        if gt_layer not in self.viewer.layers or pred_layer not in self.viewer.layers:
            show_info("A layer of the review was removed while it was computed; the result was dropped.")
            self.status.setText("Result dropped: a reviewed layer was removed.")
            return
        result, shown = payload
        self.result, self.snapshot, self.reviewed_layers = result, (gt, pred), layers
        if not (np.array_equal(gt_layer.data, gt) and np.array_equal(pred_layer.data, pred)):
            self._schedule_live_update()  # edited while computing: bring the review up to date
        self.rows_by_slice = {}
        for row in result.slice_rows():
            self.rows_by_slice.setdefault(row["slice"], []).append(row)
        signed = self.shown_signed = self.inputs.signed.isChecked()
        active = self.viewer.layers.selection.active

        def restore_selection():  # adding layers selects them: give the selection back
            if active is not None and active in self.viewer.layers:
                self.viewer.layers.selection.active = active

        # one layer per turn of the event loop, so that the window keeps answering (each step < 100 ms)
        self._run_in_turns(
            [
                lambda: self.follower.track(gt_layer, result.settings.axis),
                self._show_tables,
                self._draw_plot,
                lambda: show_overlay(self.viewer, gt_layer, shown["overlay"]),
                lambda: show_heatmap(self.viewer, gt_layer, "distance", shown["distance"], shown["limit"], signed),
                lambda: show_colorbar(self.viewer, "distance"),
                lambda: show_surface(self.viewer, gt_layer, shown["mesh"], shown["limit"], signed),
                restore_selection,
                lambda: self._set_clamp(shown["limit"]),
            ]
        )
        self.status.setText(
            f"{len(result.labels)} class(es), {result.n_slices} slice(s) along axis {result.settings.axis}, "
            f"{result.settings.convention} convention."
        )

    @property
    def busy(self) -> bool:
        """True while a review computes or its results are being shown."""
        return self.worker is not None or self.showing

    def _run_in_turns(self, steps) -> None:
        """Run ``steps`` one per event-loop turn; ``self.showing`` is True until the last has run."""
        self.showing = True
        remaining = list(steps)

        def run_next():
            if not remaining:
                self.showing = False
                return
            remaining.pop(0)()
            QTimer.singleShot(STEP_PAUSE_MS, run_next)

        QTimer.singleShot(0, run_next)

    def _set_clamp(self, limit: float) -> None:
        self.clamp.blockSignals(True)
        self.clamp.setValue(limit)
        self.clamp.blockSignals(False)

    # ---- showing ---------------------------------------------------------------------------------------------

    @property
    def unit(self) -> str:
        layer = self.inputs.gt_layer
        unit = str(layer.units[0]) if layer is not None and len(layer.units) else "pixel"
        return {"millimeter": "mm", "pixel": "px"}.get(unit, unit)

    def _show_tables(self) -> None:
        result, names, threshold = self.result, self.inputs.class_names(), self.inputs.threshold.value()
        self.volume_panel.show_rows(result.volume, names, threshold, self.unit, result.settings.nsd_tolerance)
        self.units_caption.setText(
            f"Distances in {self.unit}; NSD at {result.settings.nsd_tolerance:g} {self.unit}; "
            f"Dice green at or above {threshold:g}."
        )
        self.table_model.set_rows(result.slice_rows(), names, threshold, self.unit)
        self.clamp_label.setText(f"heatmap limit ({self.unit})")
        self.table_proxy.set_filters(self.show_empty.isChecked(), self.inputs.selected_label())
        current = self.follower.current_slice()
        self._on_slice_changed(0 if current is None else current)

    def _draw_plot(self) -> None:
        if self.result is None:
            return
        metric = "hd95" if self.plot_metric.isChecked() else "dice"
        label = self.inputs.selected_label()
        rows = [r for r in self.result.slice_rows() if label is None or r["label"] == label]
        self.plot.plot(rows, self.inputs.class_names(), metric, self.inputs.threshold.value(), self.unit,
                       self.result.n_slices, self.follower.current_slice())  # fmt: skip

    def _apply_filters(self, *_args) -> None:
        self.table_proxy.set_filters(self.show_empty.isChecked(), self.inputs.selected_label())
        if self.result is not None:
            self._draw_plot()

    def _on_threshold(self, value: float) -> None:
        self.table_model.set_threshold(value)
        if self.result is not None:
            self._show_tables()
            self._draw_plot()

    def _on_slice_changed(self, index: int) -> None:
        """Current-slice readout from the precomputed rows (no recomputation while scrolling)."""
        self.plot.move_marker(index)
        rows = self.rows_by_slice.get(index, [])
        label = self.inputs.selected_label()
        names = self.inputs.class_names()
        parts = [
            f"{names.get(r['label'], 'class ' + str(r['label']))}: Dice {format_value(r['dice'])}, "
            f"HD95 {format_value(r['hd95'])} {self.unit} ({r['status'].replace('_', ' ')})"
            for r in rows
            if label is None or r["label"] == label
        ]
        self.readout.setText(f"slice {index}: " + ("; ".join(parts) if parts else "no review yet"))

    # ---- navigating ------------------------------------------------------------------------------------------

    def current_rows(self) -> list[dict]:
        return [] if self.result is None else self.result.slice_rows()

    def go_to_slice(self, index: int, label: int | None = None) -> None:
        if self.result is None or self.snapshot is None:
            return
        index = int(np.clip(index, 0, self.result.n_slices - 1))
        gt, pred = self.snapshot
        axis = self.result.settings.axis
        if gt.ndim == 3:
            gt_slice, pred_slice = np.take(gt, index, axis=axis), np.take(pred, index, axis=axis)
        else:
            gt_slice, pred_slice = gt, pred
        centre = disagreement_centre(gt_slice, pred_slice, label if label is not None else self.inputs.selected_label())
        self.follower.go_to(index, centre)

    def go_worst(self) -> None:
        index = worst_slice(self.current_rows(), self.inputs.selected_label())
        if index is None:
            show_info("No slice holds the class in either mask.")
            return
        self.go_to_slice(index)

    def _go_failing(self, forward: bool) -> None:
        failing = failing_slices(self.current_rows(), self.inputs.threshold.value(), self.inputs.selected_label())
        current = self.follower.current_slice() or 0
        index = next_failing(failing, current, forward)
        if index is None:
            show_info(f"No slice has a Dice below {self.inputs.threshold.value():g}.")
            return
        self.go_to_slice(index)

    def go_next_failing(self) -> None:
        self._go_failing(True)

    def go_previous_failing(self) -> None:
        self._go_failing(False)

    def _on_row_selected(self, current, _previous) -> None:
        if not current.isValid():
            return
        row = self.table_model.row_at(self.table_proxy.mapToSource(current).row())
        self.go_to_slice(row["slice"], row["label"])

    # ---- live updates and export -----------------------------------------------------------------------------

    def _live_events(self, layers) -> list:
        return [
            event for layer in layers for event in (layer.events.data, getattr(layer.events, "paint", None)) if event
        ]

    def _connect_live(self, gt_layer, pred_layer) -> None:
        """Follow edits of the reviewed pair only (once per layer, whatever the number of recomputations)."""
        if self.live_layers == (gt_layer, pred_layer):
            return
        for event in self._live_events(self.live_layers):
            event.disconnect(self._schedule_live_update)
        for event in self._live_events((gt_layer, pred_layer)):
            event.connect(self._schedule_live_update)
        self.live_layers = (gt_layer, pred_layer)

    def _schedule_live_update(self, event=None) -> None:
        if self.inputs.live.isChecked():
            self.live_timer.start()

    def _live_update(self) -> None:
        if self.busy:  # still computing or showing: try again after it
            self.live_timer.start()
            return
        if self.result is None:
            return
        layers = self._checked_layers()
        if layers is None or layers != self.reviewed_layers:
            return
        gt, pred = np.array(layers[0].data), np.array(layers[1].data)
        if gt.shape != self.snapshot[0].shape:  # the data were replaced by another grid: review anew
            self._start(gt, pred, layers, self.result.settings)
            return
        axis = self.result.settings.axis
        edited = np.union1d(changed_slices(self.snapshot[0], gt, axis), changed_slices(self.snapshot[1], pred, axis))
        if len(edited) == 0:
            return
        self._start(gt, pred, layers, self.result.settings, previous=self.result, edited=edited)

    def export_volume(self, path) -> None:
        rows = self.result.volume_rows()
        write_report(path, rows, summarize(rows))

    def export_slices(self, path) -> None:
        rows = self.result.slice_rows()
        write_report(path, rows, summarize(rows))

    def _export_dialog(self, export, default_name: str) -> None:
        if self.result is None:
            show_warning("Compute the review before exporting it.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export CSV", default_name, "CSV (*.csv)")
        if path:
            try:
                export(path if path.lower().endswith(".csv") else path + ".csv")
            except OSError as exc:
                show_error(f"Could not write {path}: {exc.strerror or exc}.")

    def export_volume_dialog(self) -> None:
        self._export_dialog(self.export_volume, "review_volume.csv")

    def export_slices_dialog(self) -> None:
        self._export_dialog(self.export_slices, "review_slices.csv")
