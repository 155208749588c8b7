"""Moving the viewer to an instance: its centre slice on every axis not on screen, the camera centred on it and
zoomed so that its box, with some room around it, fills the canvas."""

from __future__ import annotations

import numpy as np

# the view shows the box this many times over (the object and what surrounds it)
CONTEXT = 4.0
# ... and never fewer voxels across than this: a 2-voxel lesion alone on the screen says nothing, six centimetres
# of brain around it do
MIN_VIEW_VOXELS = 64


def camera_of(viewer):
    """napari 0.9 moved the camera to ``viewer.scene.camera``; older versions have ``viewer.camera``."""
    scene = getattr(viewer, "scene", None)
    return scene.camera if scene is not None else viewer.camera


def _world(viewer, layer, data_point: np.ndarray) -> np.ndarray:
    """A layer data position as a full viewer world position (the viewer may have more dims than the layer)."""
    point = np.asarray(viewer.dims.point, dtype=float).copy()
    point[viewer.dims.ndim - layer.ndim :] = layer.data_to_world(data_point)
    return point


def go_to_instance(viewer, layer, centre, box) -> None:
    """Show ``layer``'s instance of centre ``centre`` and box ``box`` (array index units, stop exclusive).

    The slice (in 2D display) is the one through the centre on each axis not displayed; the camera is centred
    on the centre and zoomed to ``CONTEXT`` times the box (at least ``MIN_VIEW_VOXELS`` voxels) on the
    displayed axes."""
    dims = viewer.dims
    centre = np.asarray(centre, dtype=float)
    world_centre = _world(viewer, layer, centre)
    offset = dims.ndim - layer.ndim
    for axis in range(dims.ndim):
        if axis not in dims.displayed and axis >= offset:
            dims.set_point(axis, float(world_centre[axis]))
    lo = np.array([s.start for s in box], dtype=float)
    hi = np.array([s.stop for s in box], dtype=float) - 1.0
    corners = np.array(np.meshgrid(*zip(lo, hi, strict=True), indexing="ij")).reshape(layer.ndim, -1).T
    world_corners = np.array([_world(viewer, layer, corner) for corner in corners])
    voxel = np.abs(np.asarray(layer.scale, dtype=float))
    displayed = list(dims.displayed)
    layer_axes = [axis - offset for axis in displayed]
    extent = world_corners[:, displayed].max(axis=0) - world_corners[:, displayed].min(axis=0)
    extent = extent + voxel[layer_axes]  # a one-voxel object is one voxel across, not zero
    view = np.maximum(extent * CONTEXT, MIN_VIEW_VOXELS * voxel[layer_axes])
    camera = camera_of(viewer)
    camera.center = tuple(world_centre[displayed].tolist())
    height, width = viewer.canvas.size if hasattr(viewer, "canvas") else viewer._canvas_size
    if dims.ndisplay == 2:
        camera.zoom = float(min(height / view[-2], width / view[-1]))
    else:
        camera.zoom = float(min(height, width) / view.max())
