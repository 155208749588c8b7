"""The "Run model" dock: segment the chosen image layer with a model file, off the main thread, with progress
and cancel; the result becomes a labels layer on the image's grid.

The work is ``model_run`` (load the file, then ``model.run_inference``, a generator yielding progress per
batch) in a napari ``thread_worker``. Cancel asks the worker to stop; it stops between two batches. A result
whose image layer was removed or given new data meanwhile is dropped with a notification.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from napari.layers import Image, Labels
from napari.qt.threading import create_worker
from napari.utils import cancelable_progress
from napari.utils.notifications import show_error, show_info, show_warning
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..model import MODEL_SUFFIXES, InferenceError, load_model, run_inference
from ..model.demo import demo_model_path
from ..model.devices import available_devices
from ..model.precision import PRECISION_CHOICES
from ..model.slice_batch import SEED_SCALES
from ..plugin.layers import CLASS_NAMES_KEY, GEOMETRY_KEY
from ..review.session import GT_NAME, MODEL_RESULT_KEY, Grid
from .dock_removal import call_when_removed
from .dock_tabs import tabify_when_docked
from .review_layers import ROLE_KEY, geometry_of
from .scrolling import narrow_combos, scrolling_layout

logger = logging.getLogger(__name__)
MODEL_FILE_FILTER = f"Models ({' '.join('*' + suffix for suffix in MODEL_SUFFIXES)});;All files (*)"
# anatomical plane of a NIfTI display axis (see io.orientation), for the axis chooser
# how each choice of model/precision.py is shown; "auto" is float16 autocast on CUDA and float32 elsewhere
PRECISION_TEXTS = {
    "auto": "auto (float16 on CUDA, else float32)",
    "bfloat16": "bfloat16 (faster, may change labels)",
    "float16": "float16 (GPU only)",
}
PLANE_OF_AXIS = {"inferior": "axial", "posterior": "coronal", "left": "sagittal"}


@dataclass(frozen=True)
class RunFailed:
    """What the worker returns instead of raising: superqt drops RuntimeErrors raised in a generator worker
    silently, and any other exception would reach the user as a traceback."""

    message: str


def model_run(path: str, image: Any, options: dict[str, Any]) -> Generator[Any, None, Any]:
    """Load the model file and run it on ``image``; yields Progress, returns (model, Prediction) or RunFailed."""
    try:
        model = load_model(path)
        prediction = yield from run_inference(model, np.asarray(image), **options)
    except (ValueError, InferenceError) as error:  # our errors carry one sentence for the user
        return RunFailed(str(error))
    except Exception as error:
        logger.exception("running %s failed", path)
        first_line = (str(error).strip().splitlines() or [""])[0].rstrip(".")
        return RunFailed(f"The model run failed: {type(error).__name__}: {first_line}.")
    return model, prediction


@dataclass
class _Run:
    """One run: the layer and the exact data it started from, and whether that changed meanwhile."""

    layer: Any
    data: Any
    changed: bool = False
    cancelled: bool = False
    worker: Any = None
    progress_bar: Any = None
    disconnect: list = field(default_factory=list)


class RunModelDock(QWidget):
    """Image layer, model file, device, precision, slice axis, batch size, test-time augmentation; Run and Cancel."""

    segreview_dock = True  # tabbed with the plugin's other docks (dock_tabs)

    def __init__(self, napari_viewer) -> None:
        super().__init__()
        self.viewer = napari_viewer
        self.run_state: _Run | None = None

        self.image = QComboBox()
        self.model_path = QLineEdit()
        self.model_path.setPlaceholderText("checkpoint .pt, TorchScript .ts (trusted only) or .onnx")
        # the bundled demo model is the starting choice, so Run works on the sample data at once
        self.model_path.setText(str(demo_model_path()))
        demo = QPushButton("Demo")
        demo.setToolTip("the bundled demo model (grey/white matter, trained on the MNI152 sample)")
        demo.clicked.connect(lambda: self.model_path.setText(str(demo_model_path())))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.choose_model_file)
        self.model_path.setMinimumWidth(40)  # a narrow side panel: the path scrolls in its field
        model_row = QVBoxLayout()
        model_row.addWidget(self.model_path)
        model_buttons = QHBoxLayout()
        model_buttons.addWidget(demo)
        model_buttons.addWidget(browse)
        model_row.addLayout(model_buttons)
        self.device = QComboBox()
        devices = available_devices()
        self.device.addItem(f"auto ({devices[0]})", "auto")
        for name in devices:
            self.device.addItem(name, name)
        self.precision = QComboBox()
        for name in PRECISION_CHOICES:
            self.precision.addItem(PRECISION_TEXTS.get(name, name), name)
        self.precision.setToolTip(
            "network arithmetic: float32 keeps the labels the model gives; bfloat16 is faster on CPUs with AVX512-BF16 "
            "or AMX (1.5-2.1x) but may change labels where classes are close; float16 runs on GPUs only"
        )
        self.axis = QComboBox()
        self.axis.setToolTip("3D images are segmented slice by slice along this axis")
        self.batch_size = QSpinBox(minimum=0, maximum=1024, value=0)
        self.batch_size.setSpecialValueText("auto")  # 0: 2 on the CPU, 8 on a GPU
        self.batch_size.setToolTip(
            "slices per network pass (auto: 2 on the CPU, 8 on a GPU); halved when the device runs out of memory"
        )
        self.flip_tta = QCheckBox("flip TTA")
        self.flip_tta.setToolTip("average over the four mirror images of each slice (4x the time)")
        self.multiscale = QCheckBox("multi-scale " + "/".join(f"{s:g}" for s in SEED_SCALES))
        self.multiscale.setToolTip("average over the slice resized by each factor (3x the time)")
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.status = QLabel("Choose an image layer and a model file, then Run.")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("image", self.image)
        form.addRow("model", model_row)
        form.addRow("device", self.device)
        form.addRow("precision", self.precision)
        form.addRow("slice axis", self.axis)
        form.addRow("batch size", self.batch_size)
        form.addRow(self.flip_tta)  # test-time augmentation, each on the whole width of a narrow panel
        form.addRow(self.multiscale)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        layout = scrolling_layout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addStretch()

        self.image.currentIndexChanged.connect(self._refresh_axes)
        for event in (napari_viewer.layers.events.inserted, napari_viewer.layers.events.removed):
            event.connect(self._refresh_images)
        self._refresh_images()
        call_when_removed(self, self.cancel)  # a closed dock adds no layer
        tabify_when_docked(self)
        narrow_combos(self)

    # ---- choosers --------------------------------------------------------------------------------------------

    @property
    def image_layer(self):
        name = self.image.currentText()
        return self.viewer.layers[name] if name in self.viewer.layers else None

    def _refresh_images(self, *_args) -> None:
        current = self.image.currentText()
        names = [
            layer.name
            for layer in self.viewer.layers
            if isinstance(layer, Image) and not layer.metadata.get(ROLE_KEY)  # not a review heatmap
        ]
        self.image.blockSignals(True)
        self.image.clear()
        self.image.addItems(names)
        if current in names:
            self.image.setCurrentText(current)
        self.image.blockSignals(False)
        self._refresh_axes()

    def _refresh_axes(self, *_args) -> None:
        layer = self.image_layer
        previous = self.axis.currentData()
        self.axis.clear()
        # napari counts only spatial dimensions in an RGB layer's ndim
        if layer is not None and layer.ndim == 3:
            self.axis.addItem("the model's (from its config)", None)
            for axis, name in enumerate(layer.axis_labels):
                plane = PLANE_OF_AXIS.get(name)
                self.axis.addItem(f"{axis} ({plane})" if plane else str(axis), axis)
        self.axis.setEnabled(self.axis.count() > 0)
        self.axis.setCurrentIndex(max(self.axis.findData(previous), 0) if previous is not None else 0)

    def choose_model_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Model file", self.model_path.text(), MODEL_FILE_FILTER)
        if path:
            self.model_path.setText(path)

    # ---- running ---------------------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.run_state is not None

    def options(self) -> dict[str, Any]:
        layer = self.image_layer
        return {
            "rgb": bool(layer.rgb),
            "axis": self.axis.currentData(),
            "device": self.device.currentData(),
            "batch_size": self.batch_size.value() or None,
            "precision": self.precision.currentData(),
            "flip_tta": self.flip_tta.isChecked(),
            "scales": SEED_SCALES if self.multiscale.isChecked() else (1.0,),
        }

    def run(self) -> None:
        """Start the model on the chosen image in a worker thread."""
        if self.busy:
            show_warning("A model is already running; wait for it or cancel it.")
            return
        layer, path = self.image_layer, self.model_path.text().strip()
        if layer is None:
            show_warning("Choose an image layer first.")
            return
        if not path:
            show_warning("Choose a model file first.")
            return
        if layer.multiscale:
            show_error(f"'{layer.name}' is a multiscale image; the model runs on single-resolution images only.")
            return
        state = _Run(layer=layer, data=layer.data)

        def mark_changed(_event=None) -> None:
            state.changed = True

        layer.events.data.connect(mark_changed)
        state.disconnect.append(lambda: layer.events.data.disconnect(mark_changed))
        worker = create_worker(model_run, path, layer.data, self.options(), _start_thread=False)
        worker.yielded.connect(self._on_progress)
        worker.returned.connect(self._on_returned)
        worker.finished.connect(self._on_finished)
        state.worker = worker
        state.progress_bar = cancelable_progress(
            total=0, desc=f"Run model on {layer.name}", cancel_callback=self.cancel
        )
        self.run_state = state
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Loading {path}…")
        worker.start()

    def cancel(self) -> None:
        """Stop the running model after its current batch; nothing is added to the viewer."""
        if self.run_state is None:
            return
        self.run_state.cancelled = True
        self.run_state.worker.quit()
        self.status.setText("Cancelling after the current batch…")

    def _on_progress(self, step) -> None:
        state = self.run_state
        if state is None or state.progress_bar is None:
            return
        state.progress_bar.total = step.total
        state.progress_bar.n = step.done
        state.progress_bar.refresh()
        if not state.cancelled:
            self.status.setText(f"{step.done}/{step.total} slices on {step.device}, batch {step.batch_size}")

    def _on_returned(self, result) -> None:
        state = self.run_state
        if state is None or state.cancelled:
            return  # cancelled after the last batch had started: nothing is added (see _on_finished)
        if isinstance(result, RunFailed):
            show_error(result.message)
            self.status.setText(result.message)
            return
        layer = state.layer
        if layer not in self.viewer.layers or state.changed or layer.data is not state.data:
            message = f"'{layer.name}' was removed or its data replaced while the model ran; the result was dropped."
            show_warning(message)
            self.status.setText(message)
            return
        model, prediction = result
        self.add_prediction_layer(layer, model, prediction)
        rate = prediction.labels.size / max(prediction.seconds, 1e-9)
        self.status.setText(
            f"{model.name}: done in {prediction.seconds:.1f} s on {prediction.device} in {prediction.precision} "
            f"({rate / 1e6:.2f} Mvoxel/s)."
        )

    def add_prediction_layer(self, image_layer, model, prediction):
        """A labels layer named after the model, on the image layer's grid, carrying its file geometry, marked as
        a model result (the review dock takes it as the prediction at once), in the ground truth's colours."""
        metadata: dict[str, Any] = {CLASS_NAMES_KEY: model.config.label_names(), MODEL_RESULT_KEY: True}
        if GEOMETRY_KEY in image_layer.metadata:
            metadata[GEOMETRY_KEY] = image_layer.metadata[GEOMETRY_KEY]
        extra = {}
        ground_truth = self._ground_truth_on_grid_of(image_layer)
        if ground_truth is not None:
            extra["colormap"] = ground_truth.colormap
        return self.viewer.add_labels(
            prediction.labels,
            name=f"{model.name} prediction",
            opacity=0.5,
            metadata=metadata,
            **geometry_of(image_layer),
            **extra,
        )

    def _ground_truth_on_grid_of(self, image_layer):
        """The labels layer on the image's grid that is most likely its ground truth (named so first), if any."""
        grid = Grid.of(image_layer)
        candidates = [
            layer
            for layer in self.viewer.layers
            if isinstance(layer, Labels) and not layer.metadata.get(ROLE_KEY)
            and not layer.metadata.get(MODEL_RESULT_KEY) and Grid.of(layer).same_as(grid)
        ]  # fmt: skip
        named = [layer for layer in candidates if GT_NAME.search(layer.name)]
        return (named or candidates or [None])[0]

    def _on_finished(self) -> None:
        state, self.run_state = self.run_state, None
        if state is not None:
            # napari's own task list can also quit the worker, without going through cancel()
            if state.cancelled or state.worker.abort_requested:
                show_info("The model run was cancelled; no layer was added.")
                self.status.setText("Cancelled.")
            for disconnect in state.disconnect:
                disconnect()
            if state.progress_bar is not None:
                state.progress_bar.close()
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
