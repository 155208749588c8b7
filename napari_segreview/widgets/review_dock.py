"""The "Segmentation review" dock: wires the chosen layers to the review core and shows the results.

Computation runs in a ``thread_worker`` over ``review.compute.run_review`` (a generator yielding progress);
the main thread only swaps finished arrays into layers and tables.
"""

from __future__ import annotations

import gc

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
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..io.reports import write_report
from ..metrics import summarize
from ..review.compare import changed_slices
from ..review.compute import ReviewResult, ReviewSettings, run_review, update_review
from ..review.heatmaps import contour_distance_image, default_limit
from ..review.navigation import disagreement_centre, next_failing
from ..review.overlay import OVERLAY_COLORS, OVERLAY_NAMES, error_overlay
from ..review.session import ReviewSession, underlying
from ..review.surface import prediction_surfaces
from .colour_bar import ColourBar
from .column_menu import column_visibility_menu
from .dock_removal import call_when_removed
from .dock_tabs import refit_beside_canvas, restore_side_widths, side_widths, tabify_when_docked
from .instances_view import InstancesView
from .layer_watch import data_differ_worker, rewatch
from .progress_step import show_step
from .result_tabs import ResultTabs
from .review_inputs import ReviewInputs, forget_class_values, is_label_like
from .review_layers import (
    ROLE_KEY,
    ROLES,
    ThreeDView,
    find_layer,
    heatmap_colormap,
    reveal,
    set_limits,
    show_heatmap,
    show_overlay,
    show_surface,
)
from .scrolling import scrolling_layout
from .slice_follower import SliceFollower
from .slice_plot import PLACEHOLDER, SlicePlot
from .slice_table import SliceFilterProxy, SliceTableModel, format_value, install_column_menu
from .volume_panel import METRICS as VOLUME_COLUMNS
from .volume_panel import VolumePanel

LIVE_UPDATE_DELAY_MS = 600
# between two steps of showing a result: long enough for Qt to repaint (napari draws a new layer's first frame,
# compiling its shaders, in that repaint) and to handle input, so no two slow steps run back to back
STEP_PAUSE_MS = 20
# after a layer's removal: napari deletes its controls a turn later, then Qt lays the panel out again
RELAYOUT_DELAY_MS = 100
SHORT_OVERLAY_NAMES = {1: "TP", 2: "FP", 3: "FN", 4: "class"}
SHORTCUTS = {"Shift-W": "worst", "Shift-N": "next", "Shift-B": "previous"}
VERIFY_DELAY_MS = 300
# above this many voxels the 3D surface is built on a 2x coarser grid to stay interactive
SURFACE_FULL_RESOLUTION_VOXELS = 4_000_000


def compute_layers(gt, pred, result: ReviewResult, label: int | None, signed: bool, want_surface: bool):
    """Everything the viewer shows besides the tables, computed off the main thread."""
    evaluations = [e for lab, e in result.evaluations.items() if label is None or lab == label]
    limit = default_limit(evaluations, result.settings.spacing)
    layers = {
        "overlay": error_overlay(gt, pred, label),
        "distance": contour_distance_image(gt.shape, evaluations, signed),
        "limit": limit,
        "mesh": None,
    }
    if want_surface and gt.ndim == 3:
        step = 1 if gt.size <= SURFACE_FULL_RESOLUTION_VOXELS else 2
        spacing = result.settings.spacing
        # every label's mesh on its own box (one labelled pass over the prediction), merged
        layers["mesh"] = prediction_surfaces(pred, gt, evaluations, spacing, signed=signed, step=step)
    return layers


class ReviewFailed(Exception):
    """Carries a failure out of the worker: superqt takes a RuntimeError raised in a generator worker for a
    deleted worker and reports nothing, so errors leave as this type."""


UNCHANGED = "unchanged"


# errors are shown by the dock as one sentence; without ignore_errors superqt would also re-raise them on the
# main thread as a traceback
@thread_worker(ignore_errors=True)
def review_worker(gt, pred, settings, label, signed, want_surface, previous=None, before=None):
    """The full review, or (given the previous result and the arrays it came from) the update of the slices
    that differ; returns UNCHANGED when nothing differs (an undo back to the reviewed data)."""
    try:
        if previous is None:
            result = yield from run_review(gt, pred, settings)
        else:
            axis = settings.axis
            edited = np.union1d(changed_slices(before[0], gt, axis), changed_slices(before[1], pred, axis))
            if len(edited) == 0:
                return UNCHANGED
            result = yield from update_review(previous, gt, pred, edited)
        return result, compute_layers(gt, pred, result, label, signed, want_surface)
    except ValueError:
        raise
    except Exception as exc:
        raise ReviewFailed(f"The review failed: {exc}") from exc


class ReviewDock(QWidget):
    """Renders a :class:`ReviewSession` (the pair, the result, whether it is current) and forwards the user's
    choices and the viewer's events to it."""

    segreview_dock = True  # tabbed with the plugin's other docks (dock_tabs)

    def __init__(self, napari_viewer):
        super().__init__()
        self.viewer = napari_viewer
        self.session = ReviewSession(is_label_like)
        self.session.set_layers(list(napari_viewer.layers))
        self.snapshot: tuple[np.ndarray, np.ndarray] | None = None
        self.worker = None
        self.showing = False
        self.watched: list = []  # the reviewed layers whose change events we follow
        self.shown_signed = False
        self.user_limit: float | None = None  # a heatmap limit the user typed, kept across recomputes
        self._selecting_row = False

        self.inputs = ReviewInputs(napari_viewer, self.session)
        self.inputs.pair_chosen.connect(self.render_state)
        self.compute_button = QPushButton("Compute review")
        self.compute_button.clicked.connect(self.compute)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.volume_panel = VolumePanel()
        # Dice, HD95 and NSD fit a narrow panel; IoU, HD and ASSD from the header's right-click menu
        column_visibility_menu(self.volume_panel, VOLUME_COLUMNS, visible=("dice", "hd95", "nsd"))
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
        self.table.setMinimumHeight(80)
        self.table.selectionModel().currentRowChanged.connect(self._on_row_selected)
        install_column_menu(self.table)  # slice, class, Dice, HD95, status; the rest from the header's menu
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
            button.setMinimumWidth(40)  # explicit, so a narrow dock may narrow it below its hint
            button.setToolTip(f"shortcut {key} in the viewer")
            button.clicked.connect(action)
            buttons.addWidget(button)
        export = QToolButton()
        export.setText("export")
        export.setToolTip("write the volume or the per-slice metrics as CSV")
        export.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(export)
        menu.addAction("volume metrics as CSV…", self.export_volume_dialog)
        menu.addAction("per-slice metrics as CSV…", self.export_slices_dialog)
        export.setMenu(menu)
        self.export_button = export

        self.clamp = QDoubleSpinBox(decimals=2, minimum=0.01, maximum=10_000.0, value=1.0)
        self.clamp.setToolTip("upper colour limit of the distance heatmaps; kept until another pair is reviewed")
        self.clamp.valueChanged.connect(self._on_user_limit)
        self.clamp.setStyleSheet("QDoubleSpinBox { min-width: 80px; }")  # napari's style asks for more
        self.clamp.setPrefix("≤ ")
        self.clamp.setButtonSymbols(QDoubleSpinBox.ButtonSymbols.NoButtons)  # typed or scrolled: room for the text
        legend = QHBoxLayout()
        legend.setSpacing(3)
        for value, name in OVERLAY_NAMES.items():
            swatch = QLabel(SHORT_OVERLAY_NAMES[value])
            swatch.setToolTip(name)
            color = OVERLAY_COLORS[value][:7]  # Qt style sheets take #rrggbb
            swatch.setStyleSheet(f"background-color: {color}; color: black; padding: 1px 2px;")
            legend.addWidget(swatch)
        legend.addStretch()
        # the heatmap's colour scale, ending at the limit the user may type
        self.colour_bar = ColourBar()
        self.colour_bar_caption = QLabel("distance")
        self.scale_row = QWidget()
        # caption over the bar, the limit beside both: one row of the three would not fit a 1280-px window's dock
        scale = QGridLayout(self.scale_row)
        scale.setContentsMargins(0, 0, 0, 0)
        scale.setHorizontalSpacing(4)
        scale.setVerticalSpacing(0)
        scale.addWidget(self.colour_bar_caption, 0, 0)
        scale.addWidget(self.colour_bar, 1, 0)
        scale.addWidget(self.clamp, 0, 1, 2, 1, Qt.AlignmentFlag.AlignVCenter)
        scale.setColumnStretch(0, 1)

        # the results: greyed (disabled) whenever they no longer describe the chosen layers as they are
        self.results = QWidget()
        results = QVBoxLayout(self.results)
        results.setContentsMargins(0, 0, 0, 0)
        results.addWidget(self.volume_panel)
        results.addWidget(self.readout)
        results.addLayout(buttons)
        results.addLayout(legend)
        results.addWidget(self.scale_row)
        results.addStretch()
        # a filter one rarely changes: with the other options, behind the fold
        self.inputs.options.layout().addWidget(self.show_empty, 3, 0, 1, 4)

        layout = scrolling_layout(self)
        layout.addWidget(self.inputs)
        compute_row = QHBoxLayout()
        compute_row.addWidget(self.compute_button, stretch=1)
        compute_row.addWidget(self.export_button)
        layout.addLayout(compute_row)
        layout.addWidget(self.status)
        # the classes' results and the instances view (objects found, missed, invented) as two tabs
        self.instances = InstancesView(napari_viewer, self.session, self.inputs)
        self.result_tabs = ResultTabs()
        self.result_tabs.addTab(self.results, "Classes")
        self.result_tabs.addTab(self.instances, "Instances")
        layout.addWidget(self.result_tabs, stretch=1)

        self.follower = SliceFollower(napari_viewer, self)
        self.follower.slice_changed.connect(self._on_slice_changed)
        self.plot = SlicePlot(napari_viewer)
        self.plot.slice_clicked.connect(lambda index: self.go_to_slice(index))
        self.plot_metric = QCheckBox("plot HD95")
        self.plot_metric.setToolTip("plot HD95 per slice instead of Dice (x = missed)")
        self.plot_metric.toggled.connect(lambda _checked: self._draw_plot())
        # the per-slice plot and table share the bottom dock: it spans the window, so the table shows its
        # columns at full width while the side panel stays narrow enough for the canvas to keep half the window
        self.plot_column = QWidget()
        plot_layout = QVBoxLayout(self.plot_column)
        plot_layout.setContentsMargins(2, 0, 2, 0)
        plot_layout.setSpacing(0)
        plot_layout.addWidget(self.plot)
        plot_layout.addWidget(self.plot_metric)
        plot_box = QSplitter(Qt.Orientation.Horizontal)
        plot_box.addWidget(self.plot_column)
        plot_box.addWidget(self.table)
        plot_box.setStretchFactor(0, 1)
        plot_box.setStretchFactor(1, 1)
        plot_box.setChildrenCollapsible(False)
        self.plot_box = plot_box
        try:
            napari_viewer.window.add_dock_widget(plot_box, name="Per-slice plot and table", area="bottom")
        except Exception:  # a viewer without a Qt window (headless scripts): keep them in this dock
            layout.addWidget(plot_box)

        self.change_timer = QTimer(self)
        self.change_timer.setSingleShot(True)
        self.change_timer.setInterval(LIVE_UPDATE_DELAY_MS)
        self.change_timer.timeout.connect(self._bring_up_to_date)
        self.verifier = None
        self.verify_timer = QTimer(self)
        self.verify_timer.setSingleShot(True)
        self.verify_timer.setInterval(VERIFY_DELAY_MS)
        self.verify_timer.timeout.connect(self._verify_data)
        for key, action in SHORTCUTS.items():
            napari_viewer.bind_key(key, self._shortcut(action), overwrite=True)
        # in 3D the surface heatmap alone, seen from above. The surface layer itself is added on entering 3D:
        # its layer controls would widen napari's left panel by 50 px in 2D, where it is hidden anyway
        self.three_d = ThreeDView(napari_viewer)
        self.pending_surface = None  # (reference layer, mesh, limit, signed) of the shown result, not yet added
        self.widths_before_3d: dict = {}  # napari's side panels' widths on entering 3D, given back on leaving
        self.relayout_timer = QTimer(self)
        self.relayout_timer.setSingleShot(True)
        self.relayout_timer.setInterval(RELAYOUT_DELAY_MS)
        self.relayout_timer.timeout.connect(self._restore_side_widths)
        self.shown_surface = None  # the same, of the surface in the viewer now
        napari_viewer.layers.events.inserted.connect(self.three_d.on_layers_inserted)
        napari_viewer.dims.events.ndisplay.connect(self._on_ndisplay)
        layers = napari_viewer.layers
        layers.events.inserted.connect(self._on_layer_inserted)
        layers.events.removed.connect(self._on_layers_changed)
        layers.events.moved.connect(self._on_layers_changed)
        for layer in layers:
            self._follow(layer)
        self.inputs.live.toggled.connect(lambda _on: self.render_state())
        call_when_removed(self, self.stop)
        tabify_when_docked(self)
        self._clear_results(remove_layers=False)  # layers a closed review dock made stay until a new review
        self.render_state()
        # Python collects its oldest generation (napari's whole heap: ~420k objects, ~200 ms here) once a quarter
        # as many objects as it holds have survived since the last time; opening this dock (its imports, its
        # widgets) adds about that many, so the collection would otherwise fall into the first review. Collected
        # here, it is part of the dock's opening, and a review's layers are too few to set off the next one
        gc.collect()

    def stop(self) -> None:
        """The dock was closed: stop computing and following the viewer; the layers it made stay."""
        if self.worker is not None:
            self.worker.quit()
            self.worker = None  # whatever it still sends is ignored
        self.change_timer.stop()
        self.verify_timer.stop()
        self.relayout_timer.stop()
        self._watch(None)
        layers = self.viewer.layers
        for event, callback in (
            (layers.events.inserted, self._on_layer_inserted),
            (layers.events.removed, self._on_layers_changed),
            (layers.events.moved, self._on_layers_changed),
        ):
            event.disconnect(callback)
        for layer in layers:
            self._follow(layer, False)
        self.follower.disconnect_viewer()
        for key in SHORTCUTS:
            self.viewer.bind_key(key, None)
        self.viewer.layers.events.inserted.disconnect(self.three_d.on_layers_inserted)
        self.viewer.dims.events.ndisplay.disconnect(self._on_ndisplay)
        self.instances.stop()
        if self.plot_box.parent() is not None and self.plot_box.parent() is not self:
            try:
                self.viewer.window.remove_dock_widget(self.plot_box)
            except LookupError:  # the user closed the plot's dock already
                pass

    def _on_ndisplay(self, event=None) -> None:
        """The surface layer exists only in 3D: back in 2D it is removed again (kept for the next switch), since
        its layer controls widen napari's left panel for as long as it is in the viewer."""
        if self.viewer.dims.ndisplay == 3:
            self.widths_before_3d = side_widths(self)  # napari's left panel, before the 3D layer controls
            self._add_pending_surface()
            self.three_d.on_ndisplay()
            self._show_colour_bar()
            return
        self.three_d.on_ndisplay()
        self._show_colour_bar()
        if self.shown_surface is not None and find_layer(self.viewer, "surface") is not None:
            self.pending_surface = self.shown_surface
            show_surface(self.viewer, self.shown_surface[0], None, 1.0, self.shown_surface[3])
        # the canvas gets back the width the 3D layer controls took, once napari has deleted the surface's controls
        # (deleteLater) and Qt has laid out the panel without them (a timer of the dock's: it dies with the dock)
        if self.widths_before_3d:
            self.relayout_timer.start()

    def _restore_side_widths(self) -> None:
        widths, self.widths_before_3d = self.widths_before_3d, {}
        if self.viewer.dims.ndisplay == 2:
            restore_side_widths(self, widths)

    def _show_surface_when_3d(self, reference, mesh, limit: float, signed: bool) -> None:
        """The result's surface: shown now in 3D; in 2D kept for the switch to 3D (an older one is removed)."""
        self.pending_surface = (reference, mesh, limit, signed)
        if self.viewer.dims.ndisplay == 3:
            self._add_pending_surface()
        else:
            show_surface(self.viewer, reference, None, 1.0, signed)

    def _add_pending_surface(self) -> None:
        if self.pending_surface is None or self.session.result is None:
            return
        reference, mesh, limit, signed = self.shown_surface = self.pending_surface
        self.pending_surface = None
        show_surface(self.viewer, reference, mesh, self.user_limit or limit, signed)

    # ---- the pair and its state ------------------------------------------------------------------------------

    def _follow(self, layer, follow: bool = True) -> None:
        """Follow (or stop following) a layer's name, for the choosers, and its edits (paint, new data), after
        which the class chooser finds the layer's classes again. napari's undo emits only set_data, which it also
        emits on every slice change: an undo is seen when the reviewed pair is compared (_verify_data)."""
        pairs = [(layer.events.name, self._on_layer_renamed)]
        pairs += [(getattr(layer.events, name), self._on_layer_edited) for name in ("data", "paint")
                  if hasattr(layer.events, name)]  # fmt: skip
        for event, callback in pairs:
            (event.connect if follow else event.disconnect)(callback)

    @staticmethod
    def _on_layer_edited(event) -> None:
        forget_class_values(event.source)

    def _on_layer_inserted(self, event) -> None:
        layer = event.value
        self._follow(layer)
        if layer.metadata.get(ROLE_KEY):  # a review layer is never a candidate: the choosers stay as they are
            return
        previous_pred = self.session.pred
        self.session.set_layers(list(self.viewer.layers))
        self.session.layer_added(layer)
        self.inputs.refresh()
        if self.session.pred is not previous_pred and self.session.pred is underlying(layer):
            self.status.setText(f"'{layer.name}' is now the prediction.")
        self.render_state()

    def _on_layers_changed(self, event=None) -> None:
        if self.session.set_layers(list(self.viewer.layers)):
            self._clear_results()
            show_info("A reviewed layer was removed; the review was cleared.")
        self.inputs.refresh()
        self.render_state()

    def _on_layer_renamed(self, event=None) -> None:
        self.inputs.refresh()
        self.render_state()

    def _watch(self, layers) -> None:
        """Follow the change events of ``layers`` only (None: of none)."""
        self.watched = rewatch(self.watched, layers, self._on_reviewed_layer_changed, self._on_reviewed_layer_refreshed)

    def _on_reviewed_layer_refreshed(self, event=None) -> None:
        self.verify_timer.start()

    def _verify_data(self) -> None:
        """After a refresh of a reviewed layer: did its data change (undo, redo, an edit in place)?"""
        if self.snapshot is None or self.session.reviewed is None:
            return
        if self.verifier is not None:  # one comparison at a time; look again after it
            self.verify_timer.start()
            return
        reviewed = self.session.reviewed
        worker = data_differ_worker((reviewed.gt, reviewed.pred), self.snapshot)
        snapshot = self.snapshot

        def done(differ: bool) -> None:
            self.verifier = None
            if snapshot is not self.snapshot or self.session.reviewed is not reviewed:
                return  # another result came meanwhile
            if differ or self.session.stale:  # edited, or undone back: the classes present may differ
                forget_class_values(reviewed.gt)
            if differ and not self.session.stale:
                self._note_change(reviewed.gt)
            elif not differ and self.session.stale and self.worker is None:
                self.session.confirm_current()  # e.g. undone back to the reviewed data
                self.render_state()

        worker.returned.connect(done)
        worker.errored.connect(lambda _exc: setattr(self, "verifier", None))
        self.verifier = worker
        worker.start()

    def _on_reviewed_layer_changed(self, event) -> None:
        self._note_change(event.source)

    def _note_change(self, layer) -> None:
        """``layer`` changed: when the result came from it, say so and bring the result up to date."""
        if self.session.note_change(layer):
            self.render_state()
            self.change_timer.start()

    def render_state(self) -> None:
        """Compute button, status line and results (greyed when out of date) from the session."""
        session = self.session
        blocker = session.blocker()
        computing = self.worker is not None
        self.compute_button.setEnabled(blocker is None and not computing)
        self.compute_button.setToolTip(blocker or "")
        self.results.setEnabled(session.current)
        self.plot_box.setEnabled(session.current)
        if computing:
            return
        if session.result is None:
            self.status.setText(blocker or f"Ready: '{session.gt.name}' against '{session.pred.name}'.")
        elif not session.pair_is_reviewed():
            reviewed = session.reviewed
            self.status.setText(
                f"Out of date: shown is '{reviewed.gt.name}' against '{reviewed.pred.name}'; "
                + (blocker or "compute the review of the chosen pair.")
            )
        elif session.stale:
            self.status.setText(
                "Out of date: a reviewed layer changed since. "
                + (blocker or ("Updating…" if self.inputs.live.isChecked() else "Compute the review to update it."))
            )
        else:
            result = session.result
            self.status.setText(
                f"{len(result.labels)} class(es), {result.n_slices} slice(s) along axis {result.settings.axis}, "
                f"{result.settings.convention} convention."
            )

    def _clear_results(self, remove_layers: bool = True) -> None:
        """No result: empty tables, no plot, and (``remove_layers``) the review's own layers removed."""
        self.session.clear_result()
        self.snapshot = None
        self._watch(None)
        self.change_timer.stop()
        self.table_model.set_rows([], {}, self.inputs.threshold.value(), self.unit)
        self.volume_panel.show_rows({}, {}, self.inputs.threshold.value(), self.unit, self.inputs.tolerance.value())
        self.readout.setText("")
        self.plot.show_message(PLACEHOLDER)
        self.scale_row.hide()
        self.pending_surface = self.shown_surface = None
        for role in ROLES if remove_layers else ():
            layer = find_layer(self.viewer, role)
            if layer is not None:
                self.viewer.layers.remove(layer)

    # ---- computing -------------------------------------------------------------------------------------------

    def _shortcut(self, action: str):
        def run(_viewer):
            {"worst": self.go_worst, "next": self.go_next_failing, "previous": self.go_previous_failing}[action]()

        return run

    def settings(self) -> ReviewSettings:
        gt_layer = self.session.gt
        return ReviewSettings(
            spacing=tuple(float(s) for s in gt_layer.scale[-gt_layer.ndim :]),
            axis=self.inputs.selected_axis(),
            convention=self.inputs.convention.currentText(),
            nsd_tolerance=self.inputs.tolerance.value(),
            class_names=self.inputs.class_names(),  # named progress steps
        )

    def compute(self) -> None:
        """Start the full review of the chosen pair in a worker thread (a notification says why when it can't)."""
        blocker = self.session.blocker()
        if blocker is not None:
            (show_warning if "grid" not in blocker else show_error)(blocker)
            self.render_state()
            return
        inputs = self.session.snapshot_inputs()
        gt, pred = np.array(inputs.gt.data), np.array(inputs.pred.data)  # copies: the user may paint meanwhile
        if not self.session.pair_is_reviewed():
            self.user_limit = None  # another pair: its own default limit
        self._start(gt, pred, inputs, self.settings())

    def _start(self, gt, pred, inputs, settings, previous=None, before=None) -> None:
        """Start a worker; one still running is told to quit and whatever it still sends is ignored (each
        worker has its own progress bar, and only the current worker's result and end count)."""
        if self.worker is not None:
            self.worker.quit()
        self.status.setText("Computing…")
        worker = review_worker(
            gt, pred, settings, self.inputs.selected_label(), self.inputs.signed.isChecked(),
            self.inputs.surface.isChecked(), previous, before,
        )  # fmt: skip
        bar = progress(total=0, desc="segmentation review")
        worker.yielded.connect(lambda step: show_step(bar, step))
        worker.returned.connect(lambda payload: worker is self.worker and self._on_result(payload, gt, pred, inputs))
        worker.errored.connect(lambda exc: worker is self.worker and self._on_error(exc))
        worker.finished.connect(lambda: self._on_finished(worker, bar))
        self.worker = worker
        self.render_state()
        worker.start()

    def _on_error(self, exc: Exception) -> None:
        message = str(exc) if isinstance(exc, (ValueError, ReviewFailed)) else f"The review failed: {exc}"
        show_error(message)
        self.worker = None
        self.render_state()
        self.status.setText(message)

    def _on_finished(self, worker, bar) -> None:
        bar.close()
        if worker is self.worker:  # ended without a result or an error: quit from napari's task list
            self.worker = None
            self.render_state()

    def _on_result(self, payload, gt, pred, inputs) -> None:
        if payload == UNCHANGED:  # the data are back to what the shown result was computed from
            self.session.confirm_current()
            self.worker = None
            self.render_state()
            return
        self.worker = None
        result, shown = payload
        dropped = self.session.accept(result, inputs)
        if dropped is not None:
            show_info(dropped)
            self.render_state()
            self.status.setText(f"Result dropped: {dropped[0].lower()}{dropped[1:]}")
            return
        self.snapshot = (gt, pred)
        gt_layer, pred_layer = inputs.gt, inputs.pred
        self._watch((gt_layer, pred_layer))
        self.verify_timer.start()  # edited while computing? compared off the main thread, then brought up to date
        signed = self.shown_signed = self.inputs.signed.isChecked()
        limit = self.user_limit if self.user_limit is not None else shown["limit"]
        active = self.viewer.layers.selection.active

        def restore_selection():  # adding layers selects them: give the selection back
            if active is not None and active in self.viewer.layers:
                self.viewer.layers.selection.active = active

        def show_scale():
            self._set_clamp(limit)
            self._show_colour_bar()

        def finish():
            refit_beside_canvas(self)  # the review layers' controls may have widened napari's left panel
            self.render_state()

        # one layer per turn of the event loop, so that the window keeps answering (each step < 100 ms)
        self._run_in_turns(
            [
                lambda: self.follower.track(gt_layer, result.settings.axis),
                self._show_tables,
                lambda: self._draw_plot(render=False),
                self.plot.render,
                # napari makes a layer in one turn, draws it first in the next (see review_layers.reveal)
                lambda: show_overlay(self.viewer, gt_layer, shown["overlay"], above=(gt_layer, pred_layer)),
                lambda: reveal(self.viewer, "errors", keep_hidden=self.three_d.active),
                lambda: show_heatmap(
                    self.viewer, gt_layer, "distance", shown["distance"], limit, signed, above=(gt_layer, pred_layer)
                ),
                lambda: reveal(self.viewer, "distance", keep_hidden=self.three_d.active),
                show_scale,
                lambda: self._show_surface_when_3d(gt_layer, shown["mesh"], limit, signed),
                restore_selection,
                finish,
            ]
        )
        self.render_state()

    @property
    def busy(self) -> bool:
        """True while a review computes or its results are being shown."""
        return self.worker is not None or self.showing

    def _run_in_turns(self, steps) -> None:
        """Run ``steps`` one per event-loop turn; ``self.showing`` is True until the last has run. Steps stop
        when the result is cleared meanwhile (a reviewed layer removed)."""
        self.showing = True
        remaining = list(steps)
        result = self.session.result

        def run_next():
            if not remaining or self.session.result is not result:
                self.showing = False
                return
            remaining.pop(0)()
            QTimer.singleShot(STEP_PAUSE_MS, run_next)

        QTimer.singleShot(0, run_next)

    def _set_clamp(self, limit: float) -> None:
        self.clamp.blockSignals(True)
        self.clamp.setValue(limit)
        self.clamp.blockSignals(False)

    def _on_user_limit(self, value: float) -> None:
        self.user_limit = value
        set_limits(self.viewer, value, self.shown_signed)
        self._show_colour_bar()

    def _show_colour_bar(self) -> None:
        """The colour scale of the heatmap in view: the surface's in 3D, else the contour distances'."""
        if self.session.result is None:
            self.scale_row.hide()
            return
        surface = self.viewer.dims.ndisplay == 3 and find_layer(self.viewer, "surface") is not None
        role = "surface" if surface else "distance"
        limit = self.clamp.value()
        low = -limit if self.shown_signed else 0.0
        what = ("signed " if self.shown_signed else "") + ("surface distance to GT" if surface else "contour distance")
        self.colour_bar.show_map(heatmap_colormap(role, self.shown_signed), low, limit, f"{what} ({self.unit})")
        self.colour_bar_caption.setText(f"{'surface' if surface else 'distance'} ({self.unit})")
        self.colour_bar_caption.setToolTip(self.colour_bar.toolTip())
        self.scale_row.show()

    def _bring_up_to_date(self) -> None:
        """After a change of a reviewed layer: recompute what changed (live), or see whether the data are back
        to the reviewed ones (live off); a pair that no longer shares a grid is said, not computed."""
        session = self.session
        if self.busy:  # still computing or showing: try again after it
            self.change_timer.start()
            return
        if session.result is None or not session.pair_is_reviewed() or not session.stale:
            return
        blocker = session.blocker()
        if blocker is not None:
            show_error(blocker)
            self.render_state()
            return
        inputs = session.snapshot_inputs()
        if not session.grids_unchanged():  # moved or rescaled together: spacing may differ, review anew
            if self.inputs.live.isChecked():
                self._start(np.array(inputs.gt.data), np.array(inputs.pred.data), inputs, self.settings())
            self.render_state()
            return
        if not self.inputs.live.isChecked():
            self._verify_data()  # current again if the data are back to the reviewed ones
            self.render_state()
            return
        gt, pred = np.array(inputs.gt.data), np.array(inputs.pred.data)
        if gt.shape != self.snapshot[0].shape:  # the data were replaced by another grid: review anew
            self._start(gt, pred, inputs, self.settings())
            return
        self._start(gt, pred, inputs, session.result.settings, previous=session.result, before=self.snapshot)

    # ---- showing ---------------------------------------------------------------------------------------------

    @property
    def unit(self) -> str:
        layer = self.session.gt
        unit = str(layer.units[0]) if layer is not None and len(layer.units) else "pixel"
        return {"millimeter": "mm", "pixel": "px"}.get(unit, unit)

    def _show_tables(self) -> None:
        result, names, threshold = self.session.result, self.inputs.class_names(), self.inputs.threshold.value()
        self.volume_panel.show_rows(result.volume, names, threshold, self.unit, result.settings.nsd_tolerance)
        self.volume_panel.setToolTip(
            f"Distances in {self.unit}; NSD at {result.settings.nsd_tolerance:g} {self.unit}; "
            f"Dice green at or above {threshold:g}."
        )
        self.table_model.set_rows(result.slice_table, names, threshold, self.unit)  # columns: no dict per row
        self.clamp.setSuffix(f" {self.unit}")
        self.table_proxy.set_filters(self.show_empty.isChecked(), self.inputs.selected_label())
        current = self.follower.current_slice()
        self._on_slice_changed(0 if current is None else current)

    def _draw_plot(self, render: bool = True) -> None:
        """Plot the shown result's per-slice metric; ``render`` False: laid out now, drawn by ``plot.render``
        (the review shows it in two turns, each about half of a draw)."""
        result = self.session.result
        if result is None:
            return
        self.plot_column.setVisible(len(result.shape) == 3)  # one 2D image is one slice: nothing to plot
        if len(result.shape) == 2:
            return
        metric = "hd95" if self.plot_metric.isChecked() else "dice"
        label = self.inputs.selected_label()
        table = result.slice_table
        rows = table.columns(None if label is None else table.column("label") == label)
        self.plot.plot(rows, self.inputs.class_names(), metric, self.inputs.threshold.value(), self.unit,
                       result.n_slices, self.follower.current_slice(), render)  # fmt: skip

    def _apply_filters(self, *_args) -> None:
        self.table_proxy.set_filters(self.show_empty.isChecked(), self.inputs.selected_label())
        if self.session.result is not None:
            self._draw_plot()

    def _on_threshold(self, value: float) -> None:
        self.table_model.set_threshold(value)
        if self.session.result is not None:
            self._show_tables()
            self._draw_plot()

    def _on_slice_changed(self, index: int) -> None:
        """Current-slice readout from the precomputed rows (no recomputation while scrolling)."""
        self.plot.move_marker(index)
        result = self.session.result
        if result is None:
            return
        rows = result.slice_table.of_slice(index)  # columns of the slice's rows: no dict per row
        columns = (rows["label"], rows["dice"], rows["hd95"], rows["status"])
        label = self.inputs.selected_label()
        names = self.inputs.class_names()
        parts = [
            f"{names.get(number, 'class ' + str(number))}: Dice {format_value(dice)}, "
            f"HD95 {format_value(hd95)} {self.unit} ({status.replace('_', ' ')})"
            for number, dice, hd95, status in zip(*columns, strict=True)
            if label is None or number == label
        ]
        if self.session.result is not None:
            self.readout.setText(f"slice {index}: " + ("; ".join(parts) if parts else "no review yet"))

    # ---- navigating ------------------------------------------------------------------------------------------

    @property
    def result(self) -> ReviewResult | None:
        return self.session.result

    def current_rows(self) -> list[dict]:
        """The shown result's per-slice rows as dicts (made on each call)."""
        return [] if self.session.result is None else self.session.result.slice_rows()

    def go_to_slice(self, index: int, label: int | None = None) -> None:
        result = self.session.result
        if result is None or self.snapshot is None:
            return
        index = int(np.clip(index, 0, result.n_slices - 1))
        gt, pred = self.snapshot
        axis = result.settings.axis
        if gt.ndim == 3:
            gt_slice, pred_slice = np.take(gt, index, axis=axis), np.take(pred, index, axis=axis)
        else:
            gt_slice, pred_slice = gt, pred
        label = label if label is not None else self.inputs.selected_label()
        centre = disagreement_centre(gt_slice, pred_slice, label)
        self.follower.go_to(index, centre)
        self._select_row(index, label)

    def _select_row(self, index: int, label: int | None) -> None:
        """Select the table row of slice ``index`` (the worst class there when ``label`` is None), without
        moving the viewer again."""
        if self._selecting_row:
            return
        model = self.table_model
        if model.rowCount() == 0:
            return
        wanted = model.column_values("slice") == index
        if label is not None:
            wanted &= model.column_values("label") == label
        candidates = np.flatnonzero(wanted)
        if not len(candidates):
            return
        source_row = int(candidates[np.argmin(model.column_values("dice")[candidates])])  # the first lowest Dice
        proxy_index = self.table_proxy.mapFromSource(self.table_model.index(source_row, 0))
        if not proxy_index.isValid():
            return
        self._selecting_row = True
        try:
            self.table.selectRow(proxy_index.row())
            self.table.scrollTo(proxy_index)
        finally:
            self._selecting_row = False

    def go_worst(self) -> None:
        result = self.session.result
        index = None if result is None else result.slice_table.worst_slice(self.inputs.selected_label())
        if index is None:
            show_info("No slice holds the class in either mask.")
            return
        self.go_to_slice(index)

    def _go_failing(self, forward: bool) -> None:
        result = self.session.result
        threshold, label = self.inputs.threshold.value(), self.inputs.selected_label()
        failing = [] if result is None else result.slice_table.failing_slices(threshold, label)
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
        if not current.isValid() or self._selecting_row:
            return
        row = self.table_model.row_at(self.table_proxy.mapToSource(current).row())
        self._selecting_row = True
        try:
            self.go_to_slice(row["slice"], row["label"])
        finally:
            self._selecting_row = False

    # ---- export ----------------------------------------------------------------------------------------------

    def export_volume(self, path) -> None:
        rows = self.session.result.volume_rows()
        write_report(path, rows, summarize(rows))

    def export_slices(self, path) -> None:
        rows = self.session.result.slice_rows()
        write_report(path, rows, summarize(rows))

    def _export_dialog(self, export, default_name: str) -> None:
        if self.session.result is None:
            show_warning("Compute the review before exporting it.")
            return
        if not self.session.current:
            show_warning("The review is out of date; compute it again before exporting it.")
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
