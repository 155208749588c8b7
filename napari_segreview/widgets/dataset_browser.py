"""The "Dataset browser" dock: a dataset report as a sortable table of cases, worst first; a click opens the
case's image, ground truth and prediction (with their geometry, by the plugin's reader) and selects them in the
review dock when one is docked in the same window.

The files of a case are read in a ``thread_worker`` (a large gzipped NIfTI takes seconds); the main thread
only adds the finished layers. The latest click wins: what an earlier click's worker still sends is dropped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from napari.layers import Layer
from napari.qt.threading import thread_worker
from napari.utils import progress
from napari.utils.notifications import show_error, show_info
from qtpy.QtCore import Qt
from qtpy.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from ..dataset import (
    MetricOptions,
    case_name,
    evaluate_dataset_steps,
    pair_folders,
    read_rows,
    recorded_options,
    report_lock,
    worst_cases,
)
from ..dataset.class_table import find_class_table
from ..dataset.nnunet import labels_folder_of, nnunet_root
from ..io import ImageReadError
from ..io.masks import MASK_SUFFIXES
from ..io.nifti import first_line
from ..io.reports import printable_text
from ..plugin.layers import LayerDataTuple
from ..plugin.reader import read_layers
from ..report import Folders, build_report_html, write_report_html
from .dock_removal import call_when_removed
from .dock_tabs import tabify_when_docked
from .scrolling import narrow_combos, scrolling_layout

COLUMNS = ("case", "worst label", "dice", "mean dice", "status")
ROLES = ("image", "gt", "pred", "pred_b")
ROLE_TITLES = ("images", "ground truth", "prediction", "prediction B")
# model B's prediction is shown beside A's: image, GT and B's prediction again, this far to the right of the case
# (in world units, as a fraction of the case's width)
SIDE_BY_SIDE_GAP = 0.05
# nnU-Net names an image after its case plus a channel: case_0000.nii.gz for case.nii.gz
IMAGE_CHANNEL_SUFFIX = "_0000"


def report_entries(rows: list[dict]) -> list[dict]:
    """One entry per case: failed cases first (``dice`` None), then by worst label's Dice, lowest first."""
    failed = {row["case"]: row["message"] for row in rows if row["status"] == "error"}
    entries = [{"case": case, "label": None, "dice": None, "mean_dice": None, "status": "error"} for case in failed]
    entries += [{**entry, "status": "ok"} for entry in worst_cases(rows, count=None)]
    listed = {entry["case"] for entry in entries}
    entries += [  # cases where neither mask has a label: nothing to rank them by
        {"case": case, "label": None, "dice": None, "mean_dice": None, "status": "both_empty"}
        for case in sorted({row["case"] for row in rows} - listed)
    ]
    return entries


# errors are shown as one notification; without ignore_errors superqt would also re-raise them as a traceback
@thread_worker(ignore_errors=True)
def evaluation_worker(cases, out: Path, options: MetricOptions | None = None):
    """Evaluates the cases in this process (one at a time, the report rewritten after each); yields
    (done, total, rows) and returns the report's path. Holds the report's lock, as the command line does, so a
    CLI run on the same report cannot interleave its rows with these."""
    with report_lock(out):
        yield from evaluate_dataset_steps(cases, options or MetricOptions(), out=out)
    return out


# errors are shown as one notification; without ignore_errors superqt would also re-raise them as a traceback
@thread_worker(ignore_errors=True)
def html_report_worker(report: Path, folders: Folders, out: Path) -> Path:
    """Writes the HTML report of ``report`` to ``out`` (reading each worst case's files for its thumbnail, a
    second or so per large volume) and returns ``out``. Raises ValueError with one sentence."""
    try:
        html = build_report_html(report, folders)
    except OSError as exc:
        raise ValueError(f"cannot read {report.name}: {(exc.strerror or str(exc)).lower()}.") from None
    try:
        return write_report_html(html, out)
    except OSError as exc:
        raise ValueError(f"cannot write {out}: {(exc.strerror or str(exc)).lower()}.") from None


class CaseReadError(Exception):
    """A file of a case could not be read; the message is one sentence for the user."""


def read_case_file(path: Path) -> LayerDataTuple:
    """One file of a case as a layer data tuple, read by the plugin's reader (geometry in the metadata).

    Raises ImageReadError (a damaged or unknown file) or CaseReadError, each with one sentence."""
    try:
        (layer_data,) = read_layers(path)
    except ImageReadError:
        raise
    except MemoryError:
        raise CaseReadError(f"{path.name} does not fit in memory.") from None
    except Exception as exc:  # any failure of a third-party reader: one sentence, never a stuck worker
        raise CaseReadError(f"{path.name}: {type(exc).__name__}: {first_line(exc)}.") from None
    return layer_data


# errors are shown as one notification; without ignore_errors superqt would also re-raise them as a traceback
@thread_worker(ignore_errors=True)
def case_worker(files: dict[str, Path]):
    """Reads the files of a case (by role) one after the other, yielding (done, total) after each; returns
    {role: layer data tuple}. Quitting it stops before the next file."""
    layers = {}
    for done, (role, path) in enumerate(files.items(), start=1):
        layers[role] = read_case_file(path)  # looked up at call time, so tests can slow it down or break it
        yield done, len(files)
    return layers


def find_case_file(folder: Path, name: str, extra_suffixes: tuple[str, ...] = ()) -> Path | None:
    """The mask or image file of case ``name`` in ``folder`` (any suffix the reader knows), or None."""
    wanted = {name, *(name + extra for extra in extra_suffixes)}
    for path in sorted(folder.iterdir()):
        # a report names a file whose name is not UTF-8 by its printable form (\xe9 escapes)
        if path.is_file() and not path.name.startswith(".") and case_name(printable_text(path.name)) in wanted:
            return path
    return None


def _options_words(report: str | Path) -> str:
    """`` (border convention, …)`` for a report that records its options, else nothing."""
    try:
        options = recorded_options(report)
    except (ValueError, OSError):
        options = None
    if not options or "convention" not in options:
        return ""
    labels = options.get("labels")
    return f" ({options['convention']} convention{'' if labels is None else ', labels ' + str(labels)[1:-1]})"


class _NumberItem(QTableWidgetItem):
    """Sorts by ``key`` (default its value); an empty cell (a failed case) sorts before every number."""

    def __init__(self, value: float | int | None, key: tuple | None = None):
        super().__init__("" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value)))
        self.key = key if key is not None else (value,)

    def __lt__(self, other):
        if isinstance(other, _NumberItem):
            return _comparable(self.key) < _comparable(other.key)
        return super().__lt__(other)


def _comparable(key: tuple) -> tuple:
    return tuple(float("-inf") if value is None else value for value in key)


class DatasetBrowser(QWidget):
    segreview_dock = True  # tabbed with the plugin's other docks (dock_tabs)

    def __init__(self, napari_viewer):
        super().__init__()
        self.viewer = napari_viewer
        self.entries: list[dict] = []
        self.opened: list = []  # the layers of the case shown now, removed when another case opens
        self.overlay_before: tuple | None = None  # the canvas caption's state before a side-by-side case set it
        self.load_worker = None  # reading the files of the case clicked last
        self.loading_case: str | None = None
        self.folders = {role: QLineEdit() for role in ROLES}
        form = QFormLayout()
        for role, title in zip(ROLES, ROLE_TITLES, strict=True):
            self.folders[role].setMinimumWidth(40)  # a narrow side panel: the path scrolls in its field
            self.folders[role].setPlaceholderText("folder")
            if role == "pred_b":
                self.folders[role].setPlaceholderText("optional: a second model, shown beside")
                self.folders[role].setToolTip(
                    "a second model's predictions: a case opens with image, ground truth and this prediction again, "
                    "to the right of the first (the review dock reviews the first; choose B there to review it)"
                )
            browse = QPushButton("…")
            browse.clicked.connect(lambda _=False, r=role: self._choose_folder(r))
            line = QHBoxLayout()
            line.addWidget(self.folders[role])
            line.addWidget(browse)
            form.addRow(title, line)
        self.open_button = QPushButton("Report…")
        self.open_button.setToolTip("open a report of segreview evaluate (CSV or JSON)")
        self.open_button.clicked.connect(self._choose_report)
        self.evaluate_button = QPushButton("Evaluate…")
        self.evaluate_button.setToolTip(
            "evaluate every ground-truth / prediction pair of the two folders into a new report (border convention)"
        )
        self.evaluate_button.clicked.connect(self._choose_evaluation_report)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_evaluation)
        self.html_button = QPushButton("Save HTML report…")
        self.html_button.setToolTip(
            "write the open report as one HTML file to share: plots, worst cases with thumbnails (from the folders "
            "above), conventions and options"
        )
        self.html_button.setEnabled(False)  # until a report is open
        self.html_button.clicked.connect(self._choose_html_report)
        self.report_path: Path | None = None  # the report shown in the table
        self.html_worker = None
        self.worker = None
        self.status = QLabel("Open a report of segreview evaluate GT_DIR PRED_DIR --out (CSV or JSON).")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.cellClicked.connect(lambda row, _column: self.open_case(self.table.item(row, 0).text()))
        layout = scrolling_layout(self)
        layout.addLayout(form)
        buttons = QGridLayout()
        buttons.addWidget(self.open_button, 0, 0)
        buttons.addWidget(self.evaluate_button, 0, 1)
        buttons.addWidget(self.cancel_button, 1, 1)
        buttons.addWidget(self.html_button, 1, 0)
        for button in (self.open_button, self.evaluate_button, self.cancel_button, self.html_button):
            button.setMinimumWidth(40)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(self.table)
        call_when_removed(self, self.stop)
        tabify_when_docked(self)
        narrow_combos(self)

    def stop(self) -> None:
        """The dock was closed: no case is added any more; an evaluation stops after its current case (the
        report keeps every finished case)."""
        self._stop_loading()
        self.cancel_evaluation()

    def _stop_loading(self) -> None:
        if self.load_worker is not None:
            self.load_worker.quit()  # stops before its next file; what it still sends is ignored
            self.load_worker, self.loading_case = None, None

    def _choose_folder(self, role: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, f"Choose the {role} folder")
        if folder:
            self.folders[role].setText(folder)

    def _choose_report(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a dataset report", filter="Reports (*.json *.csv)")
        if path:
            self.load_report(path)

    def load_report(self, path: str | Path) -> None:
        """Fill the table from a report, worst case first; failed cases are listed first, without a Dice."""
        try:
            rows = read_rows(path)
        except (ValueError, OSError) as exc:
            show_error(str(exc))
            return
        self.entries = report_entries(rows)
        class_names = {row["label"]: row["class"] for row in rows if row.get("class") and row["label"] is not None}
        self.report_path = Path(path)
        self.html_button.setEnabled(True)
        self.table.setSortingEnabled(False)  # filling a sorting table reorders rows under the loop
        self.table.setRowCount(len(self.entries))
        for index, entry in enumerate(self.entries):
            cells = (
                QTableWidgetItem(entry["case"]),
                _NumberItem(entry["label"]),  # with the dataset's class name, when it names the label
                # ties of the worst label's Dice (e.g. several missed labels) go by the mean, as in the summary
                _NumberItem(entry["dice"], key=(entry["dice"], entry["mean_dice"], index)),
                _NumberItem(entry["mean_dice"]),
                QTableWidgetItem(entry["status"]),
            )
            if entry["label"] in class_names:
                cells[1].setText(f"{entry['label']} {class_names[entry['label']]}")
            for column, item in enumerate(cells):
                self.table.setItem(index, column, item)
        self.table.setSortingEnabled(True)
        self.table.sortItems(COLUMNS.index("dice"), Qt.AscendingOrder)
        failed = sum(entry["status"] == "error" for entry in self.entries)
        counts = f"{len(self.entries)} cases, {failed} failed{_options_words(path)}"
        self.status.setText(f"{Path(path).name}: {counts}; click one to open it.")

    def _choose_html_report(self) -> None:
        if self.report_path is None:
            return
        start = str(self.report_path.with_suffix(".html"))
        # the dialog asks before it replaces an existing file
        path, _ = QFileDialog.getSaveFileName(self, "Save the HTML report as", start, "HTML (*.html)")
        if path:
            self.save_html_report(path)

    def save_html_report(self, out: str | Path) -> None:
        """Write the open report as one HTML page to ``out`` in a worker thread (the worst cases' thumbnails
        are read from the folders above), then say where it is; a failure is one notification."""
        if self.report_path is None:
            show_error("Open a report first.")
            return
        if self.html_worker is not None:
            show_error("An HTML report is being written; wait for it to finish.")
            return
        out = Path(out)
        if out.suffix.lower() not in (".html", ".htm"):
            out = out.with_name(out.name + ".html")
        folders = Folders(gt=self._folder("gt"), pred=self._folder("pred"), images=self._folder("image"))
        bar = progress(total=0, desc="HTML report")
        worker = html_report_worker(self.report_path, folders, out)
        worker.returned.connect(lambda path: self._html_saved(path, folders))
        worker.errored.connect(lambda exc: self._html_failed(out, exc))
        worker.finished.connect(lambda: self._html_finished(bar))
        self.html_worker = worker
        self.html_button.setEnabled(False)
        self.status.setText(f"writing {out.name}…")
        worker.start()

    def _html_saved(self, path: Path, folders: Folders) -> None:
        missing = "" if folders.for_thumbnails else " (no thumbnails: choose the ground-truth and prediction folders)"
        message = f"Saved the HTML report {path}{missing}."
        show_info(message)
        self.status.setText(message)

    def _html_failed(self, out: Path, exc: Exception) -> None:
        # ValueError is one sentence already (the worker's, or read_rows': not a segreview report)
        reason = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {first_line(exc)}."
        message = f"The HTML report {out.name} could not be written: {reason}"
        show_error(message)
        self.status.setText(message)

    def _html_finished(self, bar) -> None:
        bar.close()
        self.html_worker = None
        self.html_button.setEnabled(self.report_path is not None)

    def _choose_evaluation_report(self) -> None:
        pred = self._folder("pred")
        start = str((pred.parent if pred else Path.home()) / "segreview_report.json")
        path, _ = QFileDialog.getSaveFileName(self, "Write the report to", start, "Reports (*.json *.csv)")
        if path:
            self.evaluate_folders(path)

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def evaluate_folders(self, report: str | Path) -> None:
        """Evaluate the ground-truth and prediction folders into ``report`` in a worker thread with a progress
        bar, then show it. An existing report is never overwritten."""
        gt, pred, report = self._folder("gt"), self._folder("pred"), Path(report)
        if gt is None or pred is None:
            show_error("Choose a ground-truth folder and a prediction folder first.")
            return
        if report.suffix.lower() not in (".json", ".csv"):
            show_error(f"The report must end in .json or .csv, not {report.name}.")
            return
        if report.exists():
            show_error(f"{report.name} already exists; choose a new name (nothing was overwritten).")
            return
        try:
            pairing = pair_folders(gt, pred)
            classes = find_class_table(gt)  # dataset.json beside labelsTr/, or a BIDS dseg.tsv
        except (ValueError, OSError) as exc:
            show_error(str(exc))
            return
        if not pairing.cases:
            show_error(f"No file of {gt.name} pairs by name with a file of {pred.name}.")
            return
        unpaired = len(pairing.gt_only) + len(pairing.pred_only)
        if unpaired:
            show_info(f"{unpaired} file(s) have no partner in the other folder and are skipped.")
        bar = progress(total=len(pairing.cases), desc="dataset evaluation")
        worker = evaluation_worker(pairing.cases, report, MetricOptions(classes=classes))
        # the text first: napari's bar runs the event loop, where the report of the last case may already show
        worker.yielded.connect(lambda step: (self.status.setText(f"{step[0]}/{step[1]} cases"), bar.update(1)))
        worker.returned.connect(self.load_report)
        worker.errored.connect(lambda exc: show_error(f"The evaluation failed: {exc}"))
        worker.finished.connect(lambda: self._evaluation_finished(bar))
        self.worker = worker
        self.evaluate_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"evaluating {len(pairing.cases)} cases into {report.name}…")
        worker.start()

    def cancel_evaluation(self) -> None:
        """Stop after the current case; the report keeps every finished case."""
        if self.worker is not None:
            self.worker.quit()

    def _evaluation_finished(self, bar) -> None:
        bar.close()
        self.worker = None
        self.evaluate_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _folder(self, role: str) -> Path | None:
        """The folder of ``role``. An nnU-Net dataset root as the ground truth means its ``labelsTr/``, and its
        ``imagesTr/`` (or ``imagesTs/`` beside ``labelsTs/``) is the image folder unless one is chosen."""
        text = self.folders[role].text().strip()
        folder = Path(text) if text and Path(text).is_dir() else None
        if role == "gt" and folder is not None:
            return labels_folder_of(folder)
        if role == "image" and folder is None:
            gt = self._folder("gt")
            root = gt and nnunet_root(gt)
            images = root and root / gt.name.replace("labels", "images")
            return images if images and images.is_dir() else None
        return folder

    def case_files(self, case: str) -> dict[str, Path]:
        """The files of ``case`` (the GT file name) by role, for the roles whose folder holds one."""
        name = case_name(case) or case
        files = {}
        for role, extra in (("image", (IMAGE_CHANNEL_SUFFIX,)), ("gt", ()), ("pred", ()), ("pred_b", ())):
            folder = self._folder(role)
            found = folder and find_case_file(folder, name, extra)
            if found:
                files[role] = found
        return files

    @property
    def loading(self) -> bool:
        """True while the files of a clicked case are read."""
        return self.load_worker is not None

    def open_case(self, case: str) -> None:
        """Start opening the case's image, GT and prediction: the previous case's layers are removed at once, the
        files are read in a worker, then added as ``<case> image|gt|pred`` and selected in a docked review dock
        (:meth:`_show_case`). A case clicked while another loads replaces it; the earlier one is never shown."""
        if self.loading and case == self.loading_case:
            return  # the same row clicked again while it loads
        self._stop_loading()  # the newest click wins, also when it cannot open its own case
        files = self.case_files(case)
        if "gt" not in files or "pred" not in files:
            show_error(f"{case}: choose ground-truth and prediction folders that hold it ({', '.join(MASK_SUFFIXES)}).")
            return
        worker = case_worker(files)
        # from here on whatever an older worker still sends is ignored, also while napari's progress bar below
        # runs the event loop
        self.load_worker, self.loading_case = worker, case
        self._remove_opened()
        self.status.setText(f"opening {case}…")
        bar = progress(total=len(files), desc=f"opening {case}")
        worker.yielded.connect(lambda _step: bar.update(1))
        worker.returned.connect(lambda layers: self._show_case(worker, case, files, layers))
        worker.errored.connect(lambda exc: worker is self.load_worker and self._on_load_error(case, exc))
        worker.finished.connect(lambda: self._on_load_finished(worker, bar))
        worker.start()

    def _remove_opened(self) -> None:
        for layer in self.opened:
            if layer in self.viewer.layers:
                self.viewer.layers.remove(layer)
        self.opened = []
        if self.overlay_before is not None:  # the canvas caption of a side-by-side case goes with it
            overlay = self.viewer.canvas.overlays["text"]
            overlay.visible, overlay.text, overlay.position = self.overlay_before
            self.overlay_before = None

    def _show_case(self, worker, case: str, files: dict[str, Path], layers: dict[str, LayerDataTuple]) -> None:
        """Add the layers ``worker`` read (main thread) and select them in a docked review dock, unless a newer
        click has started another worker: then they are dropped."""
        if worker is not self.load_worker:
            return
        self._remove_opened()
        name = case_name(case) or case
        for role in ROLES:
            if worker is not self.load_worker:
                return  # clicked again while napari ran the event loop in add_layer: the newer case wins
            if role in layers and role != "pred_b":  # B's side is added by _show_beside, already moved
                data, meta, layer_type = layers[role]
                layer = self.viewer.add_layer(Layer.create(data, {**meta, "name": f"{name} {role}"}, layer_type))
                self.opened.append(layer)
        if "pred_b" in layers:
            self._show_beside(name, layers)
        self._select_in_review_dock(name, files)
        self.status.setText(f"{case} opened." + (" Right: model B." if "pred_b" in layers else ""))

    def _show_beside(self, name: str, layers: dict[str, LayerDataTuple]) -> None:
        """Model B's side: the image and GT again (the same arrays, no copy) with B's prediction, moved right by
        the case's width, so both models are seen at once under one camera. They are added already moved, so
        they never lie on the GT's grid and the review dock keeps reviewing A (B can be chosen there by hand)."""
        reference = next(layer for layer in self.opened if layer.name == f"{name} gt")
        low, high = reference.extent.world  # from the first voxel's centre to the last's: one voxel more is the width
        shift = (high[-1] - low[-1] + abs(reference.scale[-1])) * (1 + SIDE_BY_SIDE_GAP)
        for role, title in (
            ("image", f"{name} image (B side)"),
            ("gt", f"{name} gt (B side)"),
            ("pred_b", f"{name} pred B"),
        ):
            if role not in layers:
                continue
            data, meta, layer_type = layers[role]
            ndim = np.ndim(data)
            if layer_type == "image" and meta.get("rgb"):
                ndim -= 1
            translate = np.zeros(ndim) if meta.get("translate") is None else np.array(meta["translate"], dtype=float)
            translate[-1] += shift
            layer = Layer.create(data, {**meta, "name": title, "translate": translate}, layer_type)
            self.opened.append(self.viewer.add_layer(layer))
        self.viewer.reset_view()
        overlay = self.viewer.canvas.overlays["text"]
        self.overlay_before = (overlay.visible, overlay.text, overlay.position)
        overlay.position = "top_center"  # napari's notifications cover the bottom right
        overlay.text = f"left: {self._folder('pred').name} (A, reviewed)    right: {self._folder('pred_b').name} (B)"
        overlay.visible = True

    def _on_load_error(self, case: str, exc: Exception) -> None:
        # ImageReadError and CaseReadError are one sentence already; anything else is made one
        reason = str(exc) if isinstance(exc, (ImageReadError, CaseReadError)) else f"{first_line(exc)}."
        message = f"{case} could not be opened: {reason}"
        show_error(message)
        self.status.setText(message)

    def _on_load_finished(self, worker, bar) -> None:
        bar.close()
        if worker is self.load_worker:
            self.load_worker, self.loading_case = None, None

    def _select_in_review_dock(self, name: str, files: dict[str, Path]) -> None:
        from .review_dock import ReviewDock

        docks = self.window().findChildren(ReviewDock) if self.window() is not self else []
        for dock in docks:
            for role in ("gt", "pred"):
                layer = next((la for la in dock.session.layers if la.name == f"{name} {role}"), None)
                if role in files and layer is not None:
                    dock.session.choose(role, layer)
            dock.inputs.refresh()
            dock.render_state()
