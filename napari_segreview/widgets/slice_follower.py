"""Following the viewer's slice for one layer and axis, and moving the viewer to a slice: written once, used by
the readout, the plot marker, the table and the navigation buttons."""

from __future__ import annotations

import numpy as np
from qtpy.QtCore import QObject, Signal


class SliceFollower(QObject):
    """Emits ``slice_changed(index)`` when the viewer moves to another slice of ``layer`` along ``axis``
    (data index, so anisotropic scale and translate are accounted for)."""

    slice_changed = Signal(int)

    def __init__(self, viewer, parent=None):
        super().__init__(parent)
        self.viewer = viewer
        self.layer = None
        self.axis = 0
        self._last: int | None = None
        viewer.dims.events.current_step.connect(self._on_step)

    def disconnect_viewer(self) -> None:
        self.viewer.dims.events.current_step.disconnect(self._on_step)

    def track(self, layer, axis: int) -> None:
        self.layer, self.axis, self._last = layer, axis, None
        self._on_step()

    def _world_axis(self) -> int:
        return self.axis + self.viewer.dims.ndim - self.layer.ndim

    def current_slice(self) -> int | None:
        """Data index along the tracked axis of the slice on screen (None for 2D layers or nothing tracked)."""
        if self.layer is None or self.layer.ndim < 3:
            return None
        position = self.layer.world_to_data(self.viewer.dims.point)
        return int(np.clip(np.rint(position[self.axis]), 0, self.layer.data.shape[self.axis] - 1))

    def _on_step(self, event=None) -> None:
        index = self.current_slice()
        if index is not None and index != self._last:
            self._last = index
            self.slice_changed.emit(index)

    def _viewer_point(self, data_point: np.ndarray) -> np.ndarray:
        """A layer data position as a full viewer world position (the viewer may have more dims than the layer)."""
        point = np.asarray(self.viewer.dims.point, dtype=float).copy()
        point[self.viewer.dims.ndim - self.layer.ndim :] = self.layer.data_to_world(data_point)
        return point

    def go_to(self, index: int, centre_in_plane: np.ndarray | None = None) -> None:
        """Show slice ``index`` (data units) and, given a (row, col) point of that slice, centre the camera
        on it. The slice axis is moved off the displayed axes when the user had rolled it onto the screen."""
        if self.layer is None:
            return
        dims = self.viewer.dims
        data_point = np.asarray(self.layer.world_to_data(dims.point), dtype=float)
        if self.layer.ndim >= 3:
            world_axis = self._world_axis()
            if world_axis in dims.displayed and dims.ndisplay == 2:
                dims.order = (world_axis, *[a for a in dims.order if a != world_axis])
            data_point[self.axis] = index
            dims.set_point(world_axis, float(self._viewer_point(data_point)[world_axis]))
        if centre_in_plane is not None:
            plane_axes = [a for a in range(self.layer.ndim) if a != self.axis or self.layer.ndim == 2]
            data_point[plane_axes[-2:]] = centre_in_plane
            world = self._viewer_point(data_point)
            # napari 0.9 moved the camera to viewer.scene.camera; older versions have viewer.camera
            scene = getattr(self.viewer, "scene", None)
            camera = scene.camera if scene is not None else self.viewer.camera
            camera.center = tuple(world[list(dims.displayed)].tolist())
