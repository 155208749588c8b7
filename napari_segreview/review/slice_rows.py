"""The per-slice rows of a review as columns: one numpy array per metric, shaped (slices, labels).

A review of 117 labels over 189 slices has 22113 rows; as dicts they are 22113 objects the garbage collector
tracks, and creating them sets off Python's full collections (each walks every object of the napari process,
150-200 ms with the GIL held, so the window freezes whichever thread triggered it). As columns they are a
dozen arrays. Rows as dicts are made only on request (:meth:`SliceRows.rows`, :meth:`SliceRows.row`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..metrics import ROW_KEYS

FLOAT_KEYS = ("dice", "iou", "hd", "hd95", "assd", "nsd")
COUNT_KEYS = ("gt_voxels", "pred_voxels")
STATUSES = ("ok", "both_empty", "gt_empty", "pred_empty")
_STATUS_CODE = {status: code for code, status in enumerate(STATUSES)}
BOTH_EMPTY_CODE = _STATUS_CODE["both_empty"]


class SliceRows:
    """Rows of every (slice, label), ordered by slice then label (the order of ``slice_metrics``).

    ``labels`` ascending; every label has a row on every one of ``n_slices`` slices. Row ``i`` is slice
    ``i // len(labels)``, label ``labels[i % len(labels)]``.
    """

    def __init__(self, n_slices: int, labels: Iterable[int]):
        self.labels = np.asarray(sorted(int(label) for label in labels), dtype=np.int64)
        self.n_slices = int(n_slices)
        shape = (self.n_slices, len(self.labels))
        self._grid = {key: np.zeros(shape, np.float64) for key in FLOAT_KEYS}
        self._grid.update({key: np.zeros(shape, np.int64) for key in COUNT_KEYS})
        self._grid["status"] = np.full(shape, BOTH_EMPTY_CODE, np.int8)
        self._grid["dice"][:] = 1.0  # absent everywhere until set: both empty

    @classmethod
    def from_rows(cls, rows: list[dict]) -> SliceRows:
        """From dicts with ``slice`` and ``label`` (e.g. ``slice_metrics``'s), one per (slice, label)."""
        labels = sorted({int(row["label"]) for row in rows})
        n_slices = 1 + max((int(row["slice"]) for row in rows), default=-1)
        table = cls(n_slices, labels)
        column = {label: j for j, label in enumerate(labels)}
        for row in rows:
            table._write(int(row["slice"]), column[int(row["label"])], [row])
        return table

    def __len__(self) -> int:
        return self.n_slices * len(self.labels)

    def with_labels(self, labels: Iterable[int]) -> SliceRows:
        """A copy over ``labels`` (a superset of these): the rows kept, new labels' rows both empty until set."""
        table = SliceRows(self.n_slices, labels)
        kept = np.searchsorted(table.labels, self.labels)
        if len(kept) and not np.array_equal(table.labels[kept], self.labels):
            raise ValueError("with_labels needs every existing label.")
        for key, values in self._grid.items():
            table._grid[key][:, kept] = values
        return table

    def set_label_rows(self, label: int, start: int, rows: list[dict]) -> None:
        """Write ``rows`` (metric dicts, without ``slice``/``label``) as the rows of ``label`` on the slices
        ``start``, ``start + 1``, ..."""
        j = int(np.searchsorted(self.labels, label))
        if j >= len(self.labels) or self.labels[j] != label:
            raise KeyError(f"label {label} is not among this table's labels.")
        self._write(start, j, rows)

    def _write(self, start: int, j: int, rows: list[dict]) -> None:
        stop = start + len(rows)
        for key in FLOAT_KEYS + COUNT_KEYS:
            self._grid[key][start:stop, j] = [row[key] for row in rows]
        self._grid["status"][start:stop, j] = [_STATUS_CODE[row["status"]] for row in rows]

    # ---- reading -------------------------------------------------------------------------------------------

    def column(self, key: str) -> np.ndarray:
        """One column over all rows (length ``len(self)``): ``slice`` and ``label`` as int64, the metrics as
        float64 / int64, ``status`` as str (see :meth:`status_codes` for the int8 codes)."""
        if key == "slice":
            return np.repeat(np.arange(self.n_slices, dtype=np.int64), len(self.labels))
        if key == "label":
            return np.tile(self.labels, self.n_slices)
        if key == "status":
            return np.asarray(STATUSES)[self.status_codes()]
        return self._grid[key].reshape(-1)

    def status_codes(self) -> np.ndarray:
        """The status of every row as an index into STATUSES."""
        return self._grid["status"].reshape(-1)

    def counted(self) -> np.ndarray:
        """True for the rows where the class is in at least one mask (not both empty)."""
        return self.status_codes() != BOTH_EMPTY_CODE

    def columns(self, keep: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Every column (as :meth:`column`), of the rows where ``keep`` is True when given."""
        keys = ("slice", "label", *ROW_KEYS)
        if keep is None:
            return {key: self.column(key) for key in keys}
        return {key: self.column(key)[keep] for key in keys}

    def row(self, i: int) -> dict:
        """Row ``i`` as a dict like ``slice_metrics``'s: slice, label, then ROW_KEYS (Python numbers)."""
        s, j = divmod(int(i), len(self.labels))
        row = {"slice": s, "label": int(self.labels[j])}
        for key in ROW_KEYS:
            row[key] = STATUSES[self._grid[key][s, j]] if key == "status" else self._grid[key][s, j].item()
        return row

    def slice_positions(self, index: int) -> range:
        """The row numbers of slice ``index`` (one per label, in label order)."""
        n = len(self.labels)
        return range(index * n, (index + 1) * n) if 0 <= index < self.n_slices else range(0)

    def of_slice(self, index: int, keys=("label", "dice", "hd95", "status")) -> dict[str, list]:
        """``{key: values}`` of slice ``index``'s rows (one per label, in label order) as Python lists: what a
        readout of the current slice needs, without a dict per row. Empty lists for a slice out of range."""
        inside = 0 <= index < self.n_slices
        values = {}
        for key in keys:
            if not inside:
                values[key] = []
            elif key == "label":
                values[key] = self.labels.tolist()
            elif key == "slice":
                values[key] = [index] * len(self.labels)
            elif key == "status":
                values[key] = [STATUSES[code] for code in self._grid[key][index].tolist()]
            else:
                values[key] = self._grid[key][index].tolist()
        return values

    def rows(self) -> list[dict]:
        """Every row as a dict (equal to ``slice_metrics``'s rows for the same inputs)."""
        return [self.row(i) for i in range(len(self))]

    # ---- navigation ----------------------------------------------------------------------------------------

    def _of_label(self, label: int | None) -> np.ndarray:
        keep = self.counted()
        if label is not None:
            keep = keep & (self.column("label") == label)
        return keep

    def worst_slice(self, label: int | None = None) -> int | None:
        """The slice with the lowest Dice (ties: the largest HD95, then the first row), ignoring rows empty on
        both sides; None when there is none (the rule of ``review.navigation.worst_slice``)."""
        candidates = np.flatnonzero(self._of_label(label))
        if not len(candidates):
            return None
        order = np.lexsort((-self.column("hd95")[candidates], self.column("dice")[candidates]))
        return int(candidates[order[0]] // len(self.labels))

    def failing_slices(self, threshold: float, label: int | None = None) -> list[int]:
        """Sorted slices with a row (of ``label``, or any) whose Dice is below ``threshold``, not both empty."""
        failing = self._of_label(label) & (self.column("dice") < threshold)
        return np.unique(np.flatnonzero(failing) // max(1, len(self.labels))).tolist()
